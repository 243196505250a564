"""A donor's details edited (`donor edit`) as audited, chained revisions, and shown with
their history (`donor show`); documents issued earlier keep what they printed. A gift given
by name alone that takes an existing donor of that name says so."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import Engine, select

from fundledger.adapters.db.models import AuditEvent
from fundledger.domain.access import Actor, PermissionDenied, Role
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.donations import record_donation
from fundledger.services.donors import donor_details, edit_donor, merge_donors
from fundledger.services.integrity import check_ledger
from fundledger.services.receipts import IssueOptions, find_receipt, issue_receipt
from fundledger.services.settings import set_setting
from tests.ledger_helpers import campaign, gift, rates, run

KEEPER = Actor("dana", Role.TREASURER)


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.en", "Peace Coalition"))
    return ledger_engine


def add(
    engine: Engine, amount: str, *, name: str | None = None, email: str | None = None
) -> object:
    return run(
        engine,
        lambda s, c: record_donation(
            s,
            c,
            campaign_slug="dont-look-away",
            on=date(2025, 7, 3),
            amount=Money.parse(amount, "ILS"),
            donor_name=name,
            donor_email=email,
        ),
    )


def edit(engine: Engine, donor_id: int, reason: str = "asked", **given: str | None) -> object:
    return run(engine, lambda s, c: edit_donor(s, c, donor_id=donor_id, reason=reason, **given))


def test_an_edit_is_a_revision_with_its_history_and_reasons(ledger: Engine) -> None:
    add(ledger, "100", name="Dana Levi", email="dana@example.org")
    gift(ledger, "2025-07-03 50.00 USD", donor="Dana Levi")  # the same donor? by name: #2
    done = edit(
        ledger,
        1,
        "married; asked by phone",
        name="Dana Levi-Cohen",
        address="1 Herzl St, Haifa",
        phone="050-1234567",
        tax_id="123456782",
        language="Hebrew",
    )
    assert done.changes["name"] == ("Dana Levi", "Dana Levi-Cohen")
    assert done.changes["language"] == (None, "he")
    edit(ledger, 1, "new address", email="dana@example.net", phone="")
    shown = run(ledger, lambda s, c: donor_details(s, 1, actor=KEEPER))
    assert (shown.name, shown.email, shown.address, shown.phone, shown.tax_id, shown.language) == (
        "Dana Levi-Cohen",
        "dana@example.net",
        "1 Herzl St, Haifa",
        None,
        "123456782",
        "he",
    )
    assert [line.reason for line in shown.history] == [
        None,
        "married; asked by phone",
        "new address",
    ]
    assert shown.history[2].changes == {
        "email": ("dana@example.org", "dana@example.net"),
        "phone": ("050-1234567", None),
    }
    assert (shown.gifts, shown.totals) == (1, (Money.parse("100", "ILS"),))
    # A viewer (a web user reading reports) gets none of it from the service itself.
    viewer = Actor("board", Role.VIEWER)
    with pytest.raises(PermissionDenied, match="board is a viewer; to see a donor's contact"):
        run(ledger, lambda s, c: donor_details(s, 1, actor=viewer))
    # A gift with the new e-mail is theirs; the audit trail masks the identity number.
    assert add(ledger, "5", name="Dana", email="DANA@example.net").donor == "Dana Levi"
    with ledger.connect() as connection:
        details = [
            json.loads(row)
            for row in connection.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "donor.edit")
            )
        ]
    assert details[0]["tax_id"] == {"before": None, "after": "*****6782"}
    assert all(result.passed for result in run(ledger, check_ledger))


def test_a_receipt_issued_before_an_edit_keeps_the_name_it_printed(ledger: Engine) -> None:
    add(ledger, "100", name="Dana Levi", email="dana@example.org")
    first = run(ledger, lambda s, c: issue_receipt(s, c, 1, IssueOptions("en", date(2025, 8, 1))))
    edit(ledger, 1, name="Dana Levi-Cohen")
    add(ledger, "20", email="dana@example.org")
    second = run(ledger, lambda s, c: issue_receipt(s, c, 2, IssueOptions("en", date(2025, 8, 2))))
    assert run(ledger, lambda s, c: find_receipt(s, first.number)).donor == "Dana Levi"
    assert second.donor == "Dana Levi-Cohen"
    shown = run(ledger, lambda s, c: donor_details(s, 1, actor=KEEPER))
    assert [receipt.number for receipt in shown.receipts] == ["R-2025-00001", "R-2025-00002"]


@pytest.mark.parametrize(
    ("given", "refusal"),
    [
        (
            {"email": "noa@example.org"},
            r"'noa@example.org' is the e-mail of donor #2 Noa Cohen: "
            r"if they are the same person as #1, `fundledger donor "
            r"merge 1 2 --reason \.\.\.`",
        ),
        ({"name": "Dana Levi"}, r"nothing to change: donor #1 already has what was given"),
        ({"name": " "}, r"a donor's name \(--name\) cannot be empty"),
        ({"tax_id": "123456789"}, r"'123456789' is not an Israeli identity number \(--tax-id\)"),
        ({"email": "not-an-address"}, r"is not an e-mail address \(--email\)"),
        ({"language": "fr"}, r"fr"),
    ],
)
def test_an_edit_that_cannot_be_made_is_refused(
    ledger: Engine, given: dict[str, str], refusal: str
) -> None:
    add(ledger, "100", name="Dana Levi", email="dana@example.org")
    add(ledger, "100", name="Noa Cohen", email="noa@example.org")
    with pytest.raises(FundledgerError, match=refusal):
        edit(ledger, 1, **given)


def test_an_e_mail_another_donor_took_by_an_edit_is_refused_too(ledger: Engine) -> None:
    add(ledger, "100", name="Dana Levi", email="dana@example.org")
    add(ledger, "100", name="Noa Cohen", email="noa@example.org")
    edit(ledger, 2, email="noa@example.net")
    with pytest.raises(FundledgerError, match=r"is the e-mail of donor #2 Noa Cohen"):
        edit(ledger, 1, email="Noa@Example.net")


def test_a_merged_donors_edit_is_refused_naming_the_donor_to_edit(ledger: Engine) -> None:
    add(ledger, "100", name="Dana Levi", email="dana@example.org")
    add(ledger, "100", name="Dana Levy")
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="same"))
    with pytest.raises(
        FundledgerError,
        match=r"donor #2 is merged into #1 \(merge #1\), whose "
        r"details their documents print: edit #1 \(`fundledger donor edit 1",
    ):
        edit(ledger, 2, phone="050")
    shown = run(ledger, lambda s, c: donor_details(s, 1, actor=KEEPER))
    assert (shown.merged_from, shown.gifts) == (((2, 1),), 2)


def test_a_gift_by_name_alone_says_it_took_the_donor_of_that_name(ledger: Engine) -> None:
    first = add(ledger, "100", name="Dana Levi")
    assert not first.matched_by_name
    again = add(ledger, "50", name="dana  levi")
    assert (again.matched_by_name, again.donor_id) == (True, 1)
    assert not add(ledger, "50", name="Dana Levi", email="dana@example.org").matched_by_name
