"""The read-side lists of the web pages (services.browse): a campaign's latest gifts, the donor
search, a donor's page and the gifts search, a page at a time, with what each role may see; on
both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fundledger.domain.access import Actor, PermissionDenied, Role
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.browse import (
    NoSuchDonor,
    campaign_gifts,
    donor_page,
    find_donors,
    search_gifts,
)
from fundledger.services.context import CommandContext
from fundledger.services.donations import record_donation, reverse_donation
from fundledger.services.donors import merge_donors
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.search import DonationSearch, search_donations
from fundledger.services.settings import set_setting
from tests.ledger_helpers import campaign, rates, run

VIEWER = Actor("vera", Role.VIEWER)
TREASURER = Actor("tamar", Role.TREASURER)


def give(engine: Engine, slug: str, day: str, amount: str, currency: str, **details: object
         ) -> int:  # fmt: skip
    return run(engine, lambda s, c: record_donation(
        s, c, campaign_slug=slug, on=date.fromisoformat(day),
        amount=Money.parse(amount, currency), **details,  # type: ignore[arg-type]
    )).id  # fmt: skip


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    """USD at 3.376 from 2025-07-03 (in force for 7 days); no EUR rate. Donors: #1 Dana Levi,
    #2 Hidden Giver, #3 Rami Haddad. Gifts:
    #1 a 07-03 100 USD Dana Levi <dana@example.org>, card, TX100 (337.60 ILS), receipted
    #2 a 07-04 50 ILS Dana Levi (by e-mail too), anonymous, TX101, receipted
    #3 a 07-05 200 ILS Hidden Giver <hidden@example.org>, anonymous, TX102
    #4 b 07-04 10 USD Rami Haddad (33.76 ILS)
    #5 b 07-20 20 EUR Rami Haddad (no rate: no home value)
    #6 a 07-06 30 ILS Rami Haddad, reversed by #7"""
    campaign(ledger_engine, "a")
    campaign(ledger_engine, "b")
    rates(ledger_engine, "2025-07-03 USD ILS 3.376 BOI")
    for key, value in (("organisation.name.en", "Peace Coalition"),
                       ("organisation.section46.approval", "4512"),
                       ("organisation.section46.valid_until", "2026-12-31"),
                       ("organisation.registration", "580123456")):  # fmt: skip
        run(ledger_engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))
    engine = ledger_engine
    give(engine, "a", "2025-07-03", "100", "USD", donor_name="Dana Levi",
         donor_email="dana@example.org", method="card", reference="TX100")  # fmt: skip
    give(engine, "a", "2025-07-04", "50", "ILS", donor_name="Dana Levi",
         donor_email="dana@example.org", anonymous=True, reference="TX101")  # fmt: skip
    give(engine, "a", "2025-07-05", "200", "ILS", donor_name="Hidden Giver",
         donor_email="hidden@example.org", anonymous=True, reference="TX102")  # fmt: skip
    give(engine, "b", "2025-07-04", "10", "USD", donor_name="Rami Haddad")
    give(engine, "b", "2025-07-20", "20", "EUR", donor_name="Rami Haddad")
    give(engine, "a", "2025-07-06", "30", "ILS", donor_name="Rami Haddad")
    run(engine, lambda s, c: reverse_donation(s, c, donation_id=6, reason="refunded"))
    options = IssueOptions("en", date(2025, 8, 1))
    for gift_id in (1, 2):
        run(engine, lambda s, c, gift_id=gift_id: issue_receipt(s, c, gift_id, options))
    return engine


def test_a_campaigns_gifts_come_newest_first_with_their_home_value_and_receipt(
    ledger: Engine,
) -> None:
    page = run(ledger, lambda s, c: campaign_gifts(s, c, TREASURER, "a"))
    assert page.total == 5  # four gifts and one reversal
    assert [line.id for line in page.items] == [7, 6, 3, 2, 1]
    reversal, reversed_gift, hidden, anonymous, named = page.items
    assert (reversal.reverses, reversal.amount, reversal.home) == (
        6, Money("-30.00", "ILS"), Money("-30.00", "ILS"))  # fmt: skip
    assert reversed_gift.reversed
    assert reversed_gift.reversed_by == 7
    assert (named.amount, named.home, named.method, named.reference, named.receipt) == (
        Money("100.00", "USD"),
        Money("337.60", "ILS"),
        "card",
        "TX100",
        "R-2025-00001",
    )
    # The treasurer sees who gave anonymously: the books need it; the flag says so.
    assert (anonymous.donor, anonymous.anonymous, anonymous.receipt) == (
        "Dana Levi", True, "R-2025-00002")  # fmt: skip
    assert (hidden.donor, hidden.reference) == ("Hidden Giver", "TX102")


def test_a_viewer_sees_no_donor_reference_or_receipt_of_an_anonymous_gift(
    ledger: Engine,
) -> None:
    page = run(ledger, lambda s, c: campaign_gifts(s, c, VIEWER, "a"))
    by_id = {line.id: line for line in page.items}
    for gift_id in (2, 3):
        line = by_id[gift_id]
        assert (line.donor, line.donor_id, line.reference, line.receipt) == (None, None, None, None)
        assert line.anonymous
    # ... but the amount and its value, as a report shows them.
    assert by_id[3].home == Money("200.00", "ILS")
    assert (by_id[1].donor, by_id[1].reference, by_id[1].receipt) == (
        "Dana Levi", "TX100", "R-2025-00001")  # fmt: skip


def test_a_gift_without_a_rate_has_no_home_value(ledger: Engine) -> None:
    page = run(ledger, lambda s, c: campaign_gifts(s, c, TREASURER, "b"))
    assert [(line.id, line.home) for line in page.items] == [
        (5, None), (4, Money("33.76", "ILS"))]  # fmt: skip


def test_pages_split_the_list_at_their_boundaries(ledger: Engine) -> None:
    def page(number: int) -> list[int]:
        found = run(ledger, lambda s, c: campaign_gifts(s, c, TREASURER, "a", page=number,
                                                        per_page=2))  # fmt: skip
        assert (found.total, found.pages) == (5, 3)
        assert found.has_previous == (number > 1)
        assert found.has_next == (number < 3)
        return [line.id for line in found.items]

    assert [page(1), page(2), page(3), page(4)] == [[7, 6], [3, 2], [1], []]
    for number, per_page in ((0, 50), (1, 0), (1, 501)):
        with pytest.raises(FundledgerError):
            run(ledger, lambda s, c, n=number, p=per_page: campaign_gifts(
                s, c, TREASURER, "a", page=n, per_page=p))  # fmt: skip


def test_an_unknown_campaign_is_named(ledger: Engine) -> None:
    with pytest.raises(FundledgerError, match="nope"):
        run(ledger, lambda s, c: campaign_gifts(s, c, TREASURER, "nope"))


def test_the_donor_search_finds_by_name_and_e_mail_and_hides_contacts_from_a_viewer(
    ledger: Engine,
) -> None:
    found = run(ledger, lambda s, c: find_donors(s, TREASURER, "  DANA levi "))
    assert [(hit.name, hit.email, hit.gifts, hit.last_gift) for hit in found.items] == [
        ("Dana Levi", "dana@example.org", 2, date(2025, 7, 4))]  # fmt: skip
    by_email = run(ledger, lambda s, c: find_donors(s, TREASURER, "Hidden@Example.org"))
    assert [hit.name for hit in by_email.items] == ["Hidden Giver"]
    seen = run(ledger, lambda s, c: find_donors(s, VIEWER, "dana"))
    # A viewer counts only the gifts given by name, and sees no e-mail.
    assert [(hit.name, hit.email, hit.gifts, hit.last_gift) for hit in seen.items] == [
        ("Dana Levi", None, 1, date(2025, 7, 3))]  # fmt: skip
    with pytest.raises(PermissionDenied, match="treasurer"):
        run(ledger, lambda s, c: find_donors(s, VIEWER, "dana@example.org"))
    with pytest.raises(FundledgerError, match="no letter or digit"):
        run(ledger, lambda s, c: find_donors(s, TREASURER, " - "))


def test_a_donor_who_only_gave_anonymously_is_unknown_to_a_viewer(ledger: Engine) -> None:
    assert run(ledger, lambda s, c: find_donors(s, VIEWER, "hidden")).total == 0
    assert run(ledger, lambda s, c: find_donors(s, TREASURER, "hidden")).total == 1
    with pytest.raises(NoSuchDonor, match="no donor #2"):
        run(ledger, lambda s, c: donor_page(s, c, VIEWER, 2))
    shown = run(ledger, lambda s, c: donor_page(s, c, TREASURER, 2))
    assert (shown.name, shown.email, shown.gifts.total) == ("Hidden Giver", "hidden@example.org", 1)
    with pytest.raises(NoSuchDonor):
        run(ledger, lambda s, c: donor_page(s, c, TREASURER, 99))


def test_a_donors_page_shows_a_viewer_only_their_named_gifts(ledger: Engine) -> None:
    full = run(ledger, lambda s, c: donor_page(s, c, TREASURER, 1))
    assert (full.contact_shown, full.email) == (True, "dana@example.org")
    assert [line.id for line in full.gifts.items] == [2, 1]
    assert full.totals == (Money("50.00", "ILS"), Money("100.00", "USD"))
    assert [receipt.number for receipt in full.receipts] == ["R-2025-00001", "R-2025-00002"]
    assert full.statement_years == (2025,)
    seen = run(ledger, lambda s, c: donor_page(s, c, VIEWER, 1))
    assert (seen.contact_shown, seen.email, seen.phone, seen.address, seen.tax_id) == (
        False, None, None, None, None)  # fmt: skip
    assert [line.id for line in seen.gifts.items] == [1]
    assert seen.totals == (Money("100.00", "USD"),)
    assert [receipt.number for receipt in seen.receipts] == ["R-2025-00001"]


def test_a_merged_donors_gifts_show_on_the_page_of_the_donor_they_were_merged_into(
    ledger: Engine,
) -> None:
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="same person"))
    into = run(ledger, lambda s, c: donor_page(s, c, TREASURER, 1))
    assert (into.merged_from, [line.id for line in into.gifts.items]) == ((2,), [3, 2, 1])
    assert into.totals == (Money("250.00", "ILS"), Money("100.00", "USD"))
    merged = run(ledger, lambda s, c: donor_page(s, c, TREASURER, 2))
    assert merged.merged_into == 1
    # Merged into a donor who gave by name, the anonymous giver is still not named to a viewer.
    assert run(ledger, lambda s, c: find_donors(s, VIEWER, "hidden")).total == 0
    seen = run(ledger, lambda s, c: donor_page(s, c, VIEWER, 1))
    assert [line.id for line in seen.gifts.items] == [1]


def test_a_reversed_gift_counts_in_no_total_but_is_listed(ledger: Engine) -> None:
    rami = run(ledger, lambda s, c: donor_page(s, c, TREASURER, 3))
    assert [line.id for line in rami.gifts.items] == [5, 7, 6, 4]  # the reversal is theirs too
    assert rami.totals == (Money("20.00", "EUR"), Money("10.00", "USD"))


def test_the_gifts_search_pages_through_what_the_cli_lists(ledger: Engine) -> None:
    search = DonationSearch(date_from=date(2025, 7, 4))
    every = run(ledger, lambda s, c: search_donations(s, c, search))
    pages = [
        run(ledger, lambda s, c, n=n: search_gifts(s, c, TREASURER, search, page=n, per_page=2))[0]
        for n in (1, 2, 3)
    ]
    assert [page.total for page in pages] == [every.total] * 3 == [6] * 3
    assert [line.id for page in pages for line in page.items] == [
        entry.id for entry in every.entries]  # fmt: skip
    assert [len(page.items) for page in pages] == [2, 2, 2]


def test_the_gifts_search_by_value_says_what_it_could_not_value(ledger: Engine) -> None:
    search = DonationSearch(minimum=Money("30.00", "ILS"), maximum=Money("60.00", "ILS"))
    page, unvalued = run(ledger, lambda s, c: search_gifts(s, c, VIEWER, search))
    # By date, then as recorded; the EUR gift has no rate to be valued at.
    assert ([line.id for line in page.items], unvalued) == ([2, 4, 6, 7], 1)
    assert page.items[0].donor is None  # anonymous: unnamed to the viewer
    with pytest.raises(PermissionDenied):
        run(
            ledger,
            lambda s, c: search_gifts(s, c, VIEWER, DonationSearch(email="dana@example.org")),
        )


def test_a_viewers_search_by_donor_finds_no_anonymous_gift_of_theirs(ledger: Engine) -> None:
    """Dana's anonymous gift (#2) would be named by matching her name, even shown unnamed."""
    by_name = DonationSearch(donor="dana")
    page, _ = run(ledger, lambda s, c: search_gifts(s, c, VIEWER, by_name))
    assert ([line.id for line in page.items], page.total) == ([1], 1)
    page, _ = run(ledger, lambda s, c: search_gifts(s, c, TREASURER, by_name))
    assert ([line.id for line in page.items], page.total) == ([1, 2], 2)
    # Gifts found otherwise are listed, anonymous ones unnamed.
    every, _ = run(ledger, lambda s, c: search_gifts(s, c, VIEWER, DonationSearch(campaign="a")))
    assert [line.id for line in every.items if line.anonymous] == [2, 3]


def test_a_pages_queries_are_planned_without_jit_on_postgresql(ledger: Engine) -> None:
    """JIT compiling a page's query cost 0.3 s of a 0.35 s donor search on a million gifts."""

    def jit_after_a_page(session: Session, context: CommandContext) -> str | None:
        campaign_gifts(session, context, VIEWER, "a")
        if session.get_bind().dialect.name != "postgresql":
            return None
        return str(session.connection().exec_driver_sql("SHOW jit").scalar())

    found = run(ledger, jit_after_a_page)
    assert found == (None if ledger.dialect.name == "sqlite" else "off")
