"""Finding gifts across campaigns (services.search): every condition alone and together, values
compared in the home currency at the rate of each gift's date to the agora, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.donations import correct_donation, record_donation, reverse_donation
from fundledger.services.search import DonationSearch, SearchResult, search_donations
from tests.ledger_helpers import campaign, rates, run


def find(engine: Engine, limit: int | None = None, **conditions: object) -> SearchResult:
    search = DonationSearch(**conditions)  # type: ignore[arg-type]
    return run(engine, lambda s, c: search_donations(s, c, search, limit))


def ids(engine: Engine, **conditions: object) -> list[int]:
    return [entry.id for entry in find(engine, **conditions).entries]


def give(engine: Engine, slug: str, day: str, amount: str, currency: str, **details: object
         ) -> int:  # fmt: skip
    return run(engine, lambda s, c: record_donation(
        s, c, campaign_slug=slug, on=date.fromisoformat(day),
        amount=Money.parse(amount, currency), **details,  # type: ignore[arg-type]
    )).id  # fmt: skip


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    """Two campaigns; USD at 3.376 from 2025-07-03; no EUR rate at all.
    #1 a 07-03 100 USD (337.60 ILS) Dana LEVI, card, TX100
    #2 b 07-03 300 ILS דָּנָה לוי, כרטיס אשראי (card), TX200 — reversed by #7
    #3 b 07-04 337.60 ILS Rami Haddad <rami@example.org>, bank, TX201
    #4 a 07-10 337.59 ILS anonymous, Venmo
    #5 a 07-05 20 EUR (no rate: no value)
    #6 a 07-03 33.33 USD (112.52208 ILS: 112.52)"""
    campaign(ledger_engine, "a")
    campaign(ledger_engine, "b")
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    engine = ledger_engine
    give(engine, "a", "2025-07-03", "100", "USD", donor_name="Dana LEVI", method="card",
         reference="TX100")  # fmt: skip
    give(engine, "b", "2025-07-03", "300", "ILS", donor_name="דָּנָה לוי", method="כרטיס אשראי",
         reference="TX200")  # fmt: skip
    give(engine, "b", "2025-07-04", "337.60", "ILS", donor_name="Rami Haddad",
         donor_email="rami@example.org", method="bank", reference="TX201")  # fmt: skip
    give(engine, "a", "2025-07-10", "337.59", "ILS", method="Venmo")
    give(engine, "a", "2025-07-05", "20", "EUR")
    give(engine, "a", "2025-07-03", "33.33", "USD")
    run(engine, lambda s, c: reverse_donation(s, c, donation_id=2, reason="refunded"))
    return engine


def test_every_gift_by_date_then_id_with_its_campaign(ledger: Engine) -> None:
    found = find(ledger)
    assert [(entry.id, entry.campaign) for entry in found.entries] == [
        (1, "a"), (2, "b"), (6, "a"), (7, "b"), (3, "b"), (5, "a"), (4, "a")]  # fmt: skip
    assert found.total == 7
    assert found.more == 0
    assert ids(ledger, campaign="b") == [2, 7, 3]


def test_a_part_of_the_name_in_any_case_with_or_without_diacritics(ledger: Engine) -> None:
    assert ids(ledger, donor="levi") == [1]
    assert ids(ledger, donor="LEVI") == [1]
    assert ids(ledger, donor="דנה") == [2, 7]  # the gift and its reversal; no niqqud typed
    assert ids(ledger, donor="לוי") == [2, 7]
    assert ids(ledger, donor="dana levi") == [1]
    assert ids(ledger, donor="nobody") == []
    assert ids(ledger, donor="haddad", campaign="a") == []
    assert ids(ledger, donor="haddad", campaign="b") == [3]


def test_an_email_in_any_case(ledger: Engine) -> None:
    assert ids(ledger, email="RAMI@Example.org") == [3]
    assert ids(ledger, email="rami@example.com") == []


def test_dates_are_inclusive(ledger: Engine) -> None:
    assert ids(ledger, date_from=date(2025, 7, 4), date_to=date(2025, 7, 10)) == [3, 5, 4]
    assert ids(ledger, date_to=date(2025, 7, 3)) == [1, 2, 6, 7]
    assert ids(ledger, date_from=date(2025, 7, 10)) == [4]


def test_values_in_the_home_currency_at_the_rate_of_the_date_to_the_agora(ledger: Engine) -> None:
    ils = lambda text: Money.parse(text, "ILS")  # noqa: E731
    # 100 USD is 337.60 ILS: in at 337.60, out at 337.61; 337.59 ILS is out at 337.60.
    assert ids(ledger, minimum=ils("337.60")) == [1, 3]
    assert ids(ledger, minimum=ils("337.61")) == []
    assert ids(ledger, minimum=ils("337.60"), maximum=ils("337.60")) == [1, 3]
    assert ids(ledger, maximum=ils("337.59")) == [2, 6, 7, 4]  # a reversal: its gift's value
    # 33.33 USD is 112.52208 ILS, rounded once to 112.52.
    assert ids(ledger, minimum=ils("112.52"), maximum=ils("112.52")) == [6]
    assert ids(ledger, minimum=ils("112.53"), maximum=ils("300")) == [2, 7]
    found = find(ledger, minimum=ils("0"))
    assert found.unvalued == 1  # the EUR gift: no rate, no value
    assert 5 not in [entry.id for entry in found.entries]


def test_a_method_by_any_of_its_names(ledger: Engine) -> None:
    assert ids(ledger, method="card") == [1, 2, 7]
    assert ids(ledger, method="כרטיס אשראי") == [1, 2, 7]
    assert ids(ledger, method="Bank Transfer") == [3]
    assert ids(ledger, method="venmo") == [4]
    assert ids(ledger, method="cash") == []


def test_a_reference_whole_or_by_its_beginning(ledger: Engine) -> None:
    assert ids(ledger, reference="TX100") == [1]
    assert ids(ledger, reference="TX20*") == [2, 3]
    assert ids(ledger, reference="TX2") == []


def test_conditions_together_and_a_limit(ledger: Engine) -> None:
    ils = Money.parse("300", "ILS")
    together = {"date_from": date(2025, 7, 3), "date_to": date(2025, 7, 3), "minimum": ils,
                "method": "card"}  # fmt: skip
    assert ids(ledger, **together) == [1, 2, 7]
    limited = find(ledger, 2, **together)
    assert [entry.id for entry in limited.entries] == [1, 2]
    assert (limited.total, limited.more) == (3, 1)


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"minimum": Money.parse("5", "ILS"), "maximum": Money.parse("1", "ILS")},
         "--min 5.00 ILS is above --max 1.00 ILS"),
        ({"minimum": Money.parse("5", "USD")}, "--min is a value in the home currency (ILS)"),
        ({"date_from": date(2025, 7, 5), "date_to": date(2025, 7, 4)},
         "--from 2025-07-05 is after"),
        ({"donor": "!!"}, "--donor '!!' has no letter or digit"),
        ({"campaign": "nope"}, "no campaign 'nope'"),
    ],
)  # fmt: skip
def test_a_search_that_cannot_mean_anything_is_refused(
    ledger: Engine, conditions: dict[str, object], message: str
) -> None:
    with pytest.raises(
        FundledgerError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        find(ledger, **conditions)


def test_a_corrected_gift_is_found_by_the_reference_it_keeps(ledger: Engine) -> None:
    run(ledger, lambda s, c: correct_donation(s, c, donation_id=3, amount="350",
                                              reason="typed 337.60"))  # fmt: skip
    for reference in ("TX201", "TX201*"):
        found = {entry.id: entry for entry in find(ledger, reference=reference).entries}
        assert set(found) == {3, 9}  # the gift as first recorded and its correction
        assert (found[9].reference, found[9].corrects) == ("TX201", 3)
        assert found[9].amount == Money.parse("350", "ILS")
