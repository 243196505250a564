"""Stored summaries give a report exactly what computing from the gifts gives, after every kind
of write: gifts, reversals, corrected rates, donor merges, changed rule settings."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete, func, inspect, select, update
from sqlalchemy.orm import Session

from fundledger.adapters.db.chain import hold_chains
from fundledger.adapters.db.engine import transaction
from fundledger.adapters.db.models import (
    Donation,
    Donor,
    ExchangeRate,
    SummaryCell,
    SummaryDonor,
    SummaryFactor,
    SummaryGift,
    SummaryState,
)
from fundledger.domain.errors import RateNotInForce
from fundledger.domain.money import Money
from fundledger.domain.rates import Rate
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services import summary_delta, summary_parts, summary_store
from fundledger.services.campaigns import add_campaign
from fundledger.services.context import CommandContext
from fundledger.services.donations import record_donation, reverse_donation
from fundledger.services.donors import merge_donors
from fundledger.services.rate_import import add_rate
from fundledger.services.reports import campaign_summary
from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings, set_setting
from fundledger.services.summary_parts import size_bounds
from fundledger.services.summary_read import holds_ledger, stored_gathered
from fundledger.services.summary_store import refresh, verify
from tests.ledger_helpers import run

SLUGS = ("north", "south", "east")
FIRST = date(2025, 3, 2)
DAYS = 40


def _context(session: Session) -> CommandContext:
    rules = ledger_settings(current_settings(session, RULE_KEYS))
    return CommandContext(command="pytest", actor="tester", settings=rules)


def _refresh(engine: Engine) -> bool:
    return refresh(engine, _context)


def _stored_used(session: Session, campaign_id: int | None = None) -> bool:
    """Whether a report in this transaction reads the stored summaries."""
    context = _context(session)
    bounds = size_bounds(context.settings.home_currency)
    return stored_gathered(session, context, campaign_id, bounds) is not None


def _both_ways(engine: Engine) -> None:
    """Every campaign's summary and the all-campaigns one, from the stored summaries and
    from the gifts, as the JSON a reader gets: the same, and the stored ones were used."""
    with transaction(engine) as session:
        context = _context(session)
        for slug in (*SLUGS, None):
            campaign_id = None if slug is None else SLUGS.index(slug) + 1
            assert _stored_used(session, campaign_id), slug
            stored = summary_to_dict(campaign_summary(session, context, slug))
            computed = summary_to_dict(campaign_summary(session, context, slug, stored=False))
            assert stored == computed, slug


def _rates(engine: Engine, first: date, days: int, seed: int) -> None:
    randomizer = random.Random(seed)
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() in (4, 5):  # Friday's rate serves the weekend, Saturday has none
            continue
        for base, level in (("USD", 3.6), ("EUR", 3.9)):
            value = Decimal(repr(level + randomizer.uniform(-0.2, 0.2))).quantize(Decimal("0.0001"))
            rate = Rate(day, base, "ILS", value, "BOI")
            run(engine, lambda s, c, rate=rate: add_rate(s, c, rate))


def _gifts(engine: Engine, count: int, seed: int, first: date = FIRST) -> list[int]:
    randomizer = random.Random(seed)

    def work(session: Session, context: CommandContext) -> list[int]:
        ids = []
        for _ in range(count):
            currency = randomizer.choice(("ILS", "ILS", "USD", "EUR"))
            # Amounts around the size bands' edges and ties of half a cent.
            minor = randomizer.choice(
                (randomizer.randint(1, 3_000_000), 10_000, 24_999, 25_000, 211, 100_000_00)
            )
            donor = randomizer.choice((None, *(f"Donor {n}" for n in range(12))))
            entry = record_donation(
                session, context, campaign_slug=randomizer.choice(SLUGS),
                on=first + timedelta(days=randomizer.randrange(DAYS)),
                amount=Money.from_minor(minor, currency), donor_name=donor,
                anonymous=donor is not None and randomizer.random() < 0.2,
                method=randomizer.choice((None, "card", "cash", "bank transfer")),
            )  # fmt: skip
            ids.append(entry.id)
        return ids

    return run(engine, work)


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    for slug in SLUGS:
        run(ledger_engine, lambda s, c, slug=slug: add_campaign(s, c, slug=slug, name=slug.title()))
    _rates(ledger_engine, FIRST - timedelta(days=3), DAYS + 3, seed=1)
    return ledger_engine


@pytest.mark.filterwarnings("error::sqlalchemy.exc.SAWarning")
@pytest.mark.parametrize("few_gifts", [summary_delta.FEW_GIFTS, 0], ids=["python", "sql"])
def test_stored_summaries_agree_with_the_gifts_after_every_kind_of_write(
    ledger: Engine, few_gifts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both ways of adding gifts to the summaries: valued in Python (a few gifts, each step
    below) and the general way in SQL (FEW_GIFTS 0)."""
    monkeypatch.setattr(summary_delta, "FEW_GIFTS", few_gifts)
    ids = _gifts(ledger, 300, seed=2)
    assert _refresh(ledger)
    _both_ways(ledger)

    # Reversals of gifts already stored, more gifts, one of them reversed at once.
    for donation_id in ids[:25]:
        run(ledger, lambda s, c, i=donation_id: reverse_donation(s, c, donation_id=i, reason="x"))
    fresh = _gifts(ledger, 60, seed=3)
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=fresh[0], reason="x"))
    assert _refresh(ledger)
    _both_ways(ledger)
    _agrees_with_check(ledger)

    # Corrected rates: every gift of those dates is valued again.
    with transaction(ledger) as session:
        before = campaign_summary(session, _context(session), None).total_home
    for day in (FIRST + timedelta(days=offset) for offset in (3, 4, 10)):
        rate = Rate(day, "USD", "ILS", Decimal("4.1234"), "BOI")
        run(ledger, lambda s, c, rate=rate: add_rate(s, c, rate, supersede=True))
    assert _refresh(ledger)
    _both_ways(ledger)
    _agrees_with_check(ledger)  # no row left empty where a gift's band changed
    with transaction(ledger) as session:
        assert campaign_summary(session, _context(session), None).total_home != before

    # Friday's gifts used Thursday's rates; Friday's own, of the same values, leave every
    # amount as it was but not the rates the report names.
    friday = next(FIRST + timedelta(days=n) for n in range(7)
                  if (FIRST + timedelta(days=n)).weekday() == 4)  # fmt: skip
    with transaction(ledger) as session:
        thursday = dict(session.execute(  # the latest of each: corrections come later
            select(ExchangeRate.base, ExchangeRate.rate)
            .where(ExchangeRate.rate_date == friday - timedelta(days=1))
            .order_by(ExchangeRate.id)).all())  # fmt: skip
    for base, value in thursday.items():
        rate = Rate(friday, base, "ILS", value, "ECB")
        run(ledger, lambda s, c, rate=rate: add_rate(s, c, rate))
    assert _refresh(ledger)
    _both_ways(ledger)

    # Merged donors count as one; the stored sums need nothing for it.
    with transaction(ledger) as session:
        donors = session.scalars(select(Donor.id).order_by(Donor.id)).all()
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=donors[1], into_id=donors[0],
                                          reason="same person"))  # fmt: skip
    _both_ways(ledger)

    # Another reporting currency: everything is valued again.
    run(ledger, lambda s, c: set_setting(s, c, "ledger.reporting_currency", "EUR"))
    assert _refresh(ledger)
    _both_ways(ledger)
    _agrees_with_check(ledger)


def _agrees_with_check(engine: Engine) -> None:
    """`check` builds the summaries again the general way and finds every row alike."""
    with transaction(engine) as session:
        assert verify(session, _context(session)) == summary_store.Verdict([], [])


def test_a_report_computes_from_the_gifts_when_the_stored_summaries_lag(ledger: Engine) -> None:
    _gifts(ledger, 40, seed=4)
    assert _refresh(ledger)
    _gifts(ledger, 5, seed=5)  # committed after the refresh
    with transaction(ledger) as session:
        assert not _stored_used(session)
        assert campaign_summary(session, _context(session), None).donation_count == 45


def test_a_gift_without_a_rate_leaves_the_stored_summaries_as_they_were(ledger: Engine) -> None:
    _gifts(ledger, 20, seed=6)
    assert _refresh(ledger)
    late = FIRST + timedelta(days=DAYS + 30)
    run(ledger, lambda s, c: record_donation(s, c, campaign_slug="north", on=late,
                                             amount=Money("10.00", "USD")))  # fmt: skip
    assert not _refresh(ledger)
    with transaction(ledger) as session:
        assert session.get(SummaryState, 1) is not None
        with pytest.raises(RateNotInForce):
            campaign_summary(session, _context(session), "north")
        # Another campaign's report does not need that rate.
        assert campaign_summary(session, _context(session), "south").donation_count > 0
    _rates(ledger, late, 1, seed=7)
    assert _refresh(ledger)
    _both_ways(ledger)


def _state(engine: Engine) -> tuple[int, int] | None:
    with transaction(engine) as session:
        state = session.get(SummaryState, 1)
        return None if state is None else (state.donation_id, state.rate_id)


def _gift_kept_up(engine: Engine, on: date, most_gifts: int | None = None) -> tuple[int, bool]:
    """A gift recorded and the summaries brought up to date in its own transaction, as the
    web's forms and `donation add` do: (its id, whether the summaries took it)."""

    def work(session: Session, context: CommandContext) -> tuple[int, bool]:
        entry = record_donation(session, context, campaign_slug="north", on=on,
                                amount=Money("10.00", "USD"))  # fmt: skip
        many = summary_store.bring_up_to_date_within(session, context, most_gifts=most_gifts)
        return entry.id, many

    gift, many = run(engine, work)
    assert not many
    state = _state(engine)
    return gift, state is not None and state[0] == gift


def test_a_write_brings_the_summaries_up_to_date_in_its_own_transaction(ledger: Engine) -> None:
    """The gift and its upkeep commit together; a report after it reads the stored sums."""
    _gifts(ledger, 30, seed=11)
    assert _refresh(ledger)
    _, taken = _gift_kept_up(ledger, FIRST + timedelta(days=2))
    assert taken
    with transaction(ledger) as session:
        assert holds_ledger(session, _context(session))
    _both_ways(ledger)
    _agrees_with_check(ledger)


def test_a_write_whose_upkeep_fails_stands_and_leaves_the_summaries_as_they_were(
    ledger: Engine,
) -> None:
    """A gift without a rate in force: only the upkeep's savepoint is rolled back."""
    _gifts(ledger, 30, seed=12)
    assert _refresh(ledger)
    before = _state(ledger)
    rows = _summary_rows(ledger)
    gift, taken = _gift_kept_up(ledger, FIRST + timedelta(days=DAYS + 30))
    assert not taken
    assert _state(ledger) == before
    assert _summary_rows(ledger) == rows
    with transaction(ledger) as session:
        assert session.get(Donation, gift) is not None  # the write stands
        assert campaign_summary(session, _context(session), "south").donation_count > 0


def test_a_write_leaves_summaries_far_behind_to_the_next_report(ledger: Engine) -> None:
    """More gifts to add than `most_gifts` (an import not yet reported): the write does not
    take their upkeep on; the report after it does."""
    _gifts(ledger, 40, seed=13)
    assert _state(ledger) is None
    _, taken = _gift_kept_up(ledger, FIRST + timedelta(days=5), most_gifts=10)
    assert not taken
    assert _state(ledger) is None
    assert _refresh(ledger)
    _both_ways(ledger)


@pytest.fixture
def many_gifts(ledger: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """120 gifts, which count as many (BULK_ROWS lowered to 50), not yet in the summaries."""
    monkeypatch.setattr(summary_store, "BULK_ROWS", 50)
    _gifts(ledger, 120, seed=8)
    return ledger


def test_the_first_refresh_of_many_gifts_builds_the_values_index_after(
    many_gifts: Engine,
) -> None:
    """Over BULK_ROWS gifts at once: indexes dropped and built again, and still right."""
    ledger = many_gifts
    announced: list[int] = []
    assert refresh(ledger, _context, announced.append)
    assert announced == [120]
    _both_ways(ledger)
    with ledger.connect() as connection:
        assert inspect(connection).get_indexes("summary_gift")
    with ledger.connect() as connection:
        counted = connection.scalar(select(func.count()).select_from(SummaryGift))
    assert counted == 120


def test_many_gifts_taken_in_a_write_are_tidied_once_it_commits(
    many_gifts: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over BULK_ROWS gifts brought up within a write: the tables are tidied (PostgreSQL's
    VACUUM ANALYZE, outside any transaction) after its commit, not inside it."""
    tidied: list[str] = []
    monkeypatch.setattr(summary_delta, "FEW_GIFTS", 0)  # the general way, its indexes rebuilt
    monkeypatch.setattr(summary_store, "tidy_summaries", lambda engine: tidied.append("after"))

    def work(session: Session, context: CommandContext) -> bool:
        many = summary_store.bring_up_to_date_within(session, context)
        tidied.append("within")
        return many

    assert run(many_gifts, work)
    assert tidied == ["within", "after"]
    _both_ways(many_gifts)


def test_emptied_stored_summaries_are_built_again(ledger: Engine) -> None:
    _gifts(ledger, 50, seed=9)
    assert _refresh(ledger)
    with transaction(ledger, write=True) as session:
        session.execute(delete(SummaryState))
        session.execute(update(SummaryCell).values(gifts=SummaryCell.gifts + 1))  # stale
    assert _refresh(ledger)
    _both_ways(ledger)


def test_check_finds_stored_rows_that_disagree_with_the_gifts(ledger: Engine) -> None:
    ids = _gifts(ledger, 80, seed=10)
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=ids[0], reason="x"))
    assert _refresh(ledger)
    with transaction(ledger) as session:
        assert verify(session, _context(session)) == ([], [])
    with transaction(ledger, write=True) as session:
        session.execute(
            update(SummaryCell).where(SummaryCell.campaign_id == 2, SummaryCell.band == 0)
            .values(home_minor=SummaryCell.home_minor + 1)
        )  # fmt: skip
        session.execute(delete(SummaryGift).where(SummaryGift.donation_id == ids[1]))
        session.execute(update(SummaryFactor).where(SummaryFactor.currency == "USD")
                        .values(rate_sources="ECB"))  # fmt: skip
        gone = session.execute(select(SummaryFactor.day).where(
            SummaryFactor.currency == "EUR").limit(1)).scalar_one()  # fmt: skip
        session.execute(delete(SummaryFactor).where(SummaryFactor.currency == "EUR",
                                                    SummaryFactor.day == gone))  # fmt: skip
    with transaction(ledger) as session:
        problems, _ = verify(session, _context(session))
    assert any(problem.startswith("summary_cell row (campaign_id 2,") and "band 0)" in problem
               for problem in problems)  # fmt: skip
    assert f"summary_gift row (donation_id {ids[1]}) does not agree with the gifts" in problems
    assert any(problem.startswith("summary_factor row (") and ", USD) does not agree" in problem
               for problem in problems)  # fmt: skip
    assert f"summary_factor has no row for {gone.isoformat()}, EUR, which has gifts" in problems
    assert not any("summary_donor" in problem for problem in problems)


def test_check_notes_stored_summaries_behind_the_ledger(ledger: Engine) -> None:
    with transaction(ledger) as session:
        assert verify(session, _context(session)).notes == [
            "no stored summaries yet: the next report builds them"]  # fmt: skip
    _gifts(ledger, 5, seed=11)
    assert _refresh(ledger)
    _gifts(ledger, 1, seed=12)
    with transaction(ledger) as session:
        problems, notes = verify(session, _context(session))
    assert problems == []
    assert notes[0].startswith("the stored summaries include donations up to #")


def test_a_report_during_another_write_does_not_wait_for_it(ledger: Engine) -> None:
    _gifts(ledger, 30, seed=13)
    assert _refresh(ledger)
    _gifts(ledger, 5, seed=14)  # committed, not yet in the stored summaries
    with transaction(ledger, write=True) as writer:
        hold_chains(writer.connection())  # a long import at work (on SQLite: the write lock)
        started = time.monotonic()
        assert not _refresh(ledger)
        assert time.monotonic() - started < 2
        with transaction(ledger) as session:
            assert not _stored_used(session)
            assert campaign_summary(session, _context(session), None).donation_count == 35
    assert _refresh(ledger)
    _both_ways(ledger)


def test_a_corrected_rate_revalues_its_dates_without_rebuilding_the_values_index(
    many_gifts: Engine,
) -> None:
    ledger = many_gifts
    assert _refresh(ledger)
    rate = Rate(FIRST + timedelta(days=8), "USD", "ILS", Decimal("3.0001"), "BOI")
    run(ledger, lambda s, c: add_rate(s, c, rate, supersede=True))
    with transaction(ledger, write=True) as session:
        assert summary_store.bring_up_to_date(session, _context(session)) is False  # not bulk
    _both_ways(ledger)


def test_stored_summaries_of_another_derivation_are_built_again(
    ledger: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _gifts(ledger, 30, seed=16)
    assert _refresh(ledger)
    monkeypatch.setattr(summary_parts, "DERIVATION", summary_parts.DERIVATION + 1)
    with transaction(ledger) as session:
        assert not _stored_used(session)
    assert _refresh(ledger)
    _both_ways(ledger)


def _factor_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        table = SummaryFactor.__table__
        return [tuple(row) for row in connection.execute(
            select(table).order_by(table.c.day, table.c.currency))]  # fmt: skip


def _read_factors(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many stored factors each read of summary_factor returns, from now on."""
    read: list[int] = []
    eager = summary_store._Store._stored_factors

    def counted(store: summary_store._Store, *where: object) -> object:
        found = eager(store, *where)
        read.append(len(found))
        return found

    monkeypatch.setattr(summary_store._Store, "_stored_factors", counted)
    return read


def test_a_few_new_gifts_read_only_their_dates_factors_and_agree_with_a_rebuild(
    ledger: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A gift or two recorded reads the stored factors of their dates only; the largest gift
    of a date stays the largest stored (a smaller new gift does not lower it), and every
    factor row is what building the summaries afresh gives."""
    _gifts(ledger, 200, seed=21)
    assert _refresh(ledger)
    factors = len(_factor_rows(ledger))
    read = _read_factors(monkeypatch)
    day = FIRST + timedelta(days=5)
    with transaction(ledger) as session:
        largest = session.scalar(select(SummaryFactor.largest_minor).where(
            SummaryFactor.day == day, SummaryFactor.currency == "ILS"))  # fmt: skip
    assert largest is not None
    assert largest > 1
    for minor in (1, largest + 1):
        run(ledger, lambda s, c, minor=minor: record_donation(
            s, c, campaign_slug="north", on=day, amount=Money.from_minor(minor, "ILS"),
            donor_name="Lazy Reader"))  # fmt: skip
    assert _refresh(ledger)
    assert read
    assert sum(read) < factors / 4, (read, factors)
    _both_ways(ledger)
    incremental = _factor_rows(ledger)
    with transaction(ledger) as session:
        assert session.scalar(select(SummaryFactor.largest_minor).where(
            SummaryFactor.day == day, SummaryFactor.currency == "ILS")) == largest + 1  # fmt: skip

    with transaction(ledger, write=True) as session:
        session.execute(delete(SummaryState))
    assert _refresh(ledger)
    assert _factor_rows(ledger) == incremental


_SUMMARY_TABLES = [model.__table__ for model in (
    SummaryState, SummaryFactor, SummaryCell, SummaryDonor, SummaryGift)]  # fmt: skip


def _summary_rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {table.name: sorted((tuple(row) for row in connection.execute(select(table))),
                                   key=repr) for table in _SUMMARY_TABLES}  # fmt: skip


def _put_back(engine: Engine, rows: dict[str, list[tuple[object, ...]]]) -> None:
    with transaction(engine, write=True) as session:
        for table in _SUMMARY_TABLES:
            session.execute(delete(table))
            if rows[table.name]:
                session.execute(table.insert(), [dict(zip(table.c.keys(), row, strict=True))
                                                 for row in rows[table.name]])  # fmt: skip


@pytest.mark.parametrize("few_gifts", [summary_delta.FEW_GIFTS, 0], ids=["python", "sql"])
@pytest.mark.parametrize("same_date", [False, True], ids=["apart", "same-date"])
def test_a_reversal_and_a_corrected_rate_read_only_the_factors_they_change(
    ledger: Engine, few_gifts: int, same_date: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reversed gift takes out its date's factors only, a corrected rate those of its
    date and later (also when the reversed gift is of that very date: its date read alone
    does not stand for the later ones); the stored summaries come out the same as when every
    factor is read (the eager way, as before), as a rebuild, and as the report computed from
    the gifts."""
    monkeypatch.setattr(summary_delta, "FEW_GIFTS", few_gifts)
    ids = _gifts(ledger, 200, seed=22)
    assert _refresh(ledger)
    factors = len(_factor_rows(ledger))
    before = _summary_rows(ledger)
    late = FIRST + timedelta(days=DAYS - 4)
    reversed_gift = ids[7]
    if same_date:  # a gift of the corrected rate's date, with gifts on later dates
        with transaction(ledger) as session:
            reversed_gift = session.scalar(select(Donation.id).where(
                Donation.donation_date == late - timedelta(days=3),
                Donation.currency == "USD").limit(1))  # fmt: skip
            late -= timedelta(days=3)
        assert reversed_gift is not None
    run(ledger, lambda s, c: reverse_donation(s, c, donation_id=reversed_gift, reason="typo"))
    run(ledger, lambda s, c: add_rate(s, c, Rate(late, "USD", "ILS", Decimal("3.3333"), "BOI"),
                                      supersede=True))  # fmt: skip

    read = _read_factors(monkeypatch)
    assert _refresh(ledger)
    # The reversed gift's date (its currencies), and the corrected rate's date and later.
    assert read
    assert sum(read) < factors / 2, (read, factors)
    _both_ways(ledger)
    _agrees_with_check(ledger)
    lazy = _summary_rows(ledger)

    # The eager way: every stored factor read for any reversal or changed rate.
    _put_back(ledger, before)
    monkeypatch.setattr(summary_store._Store, "stored_of", lambda store, keys: {
        key: store.stored[key] for key in keys if key in store.stored})  # fmt: skip
    monkeypatch.setattr(summary_store._Store, "stored_since", lambda store, first: {
        key: value for key, value in store.stored.items() if key[0] >= first})  # fmt: skip
    read.clear()
    assert _refresh(ledger)
    assert factors <= max(read)
    assert _summary_rows(ledger) == lazy


@pytest.mark.parametrize("few_gifts", [summary_delta.FEW_GIFTS, 0], ids=["python", "sql"])
def test_gifts_given_by_no_name_reversed_and_valued_again(
    ledger: Engine, few_gifts: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gifts that touch no donor row (anonymous, or with no donor at all): their reversal and
    a corrected rate of their date leave the stored summaries right (taking them out, there
    is no donor row to drop), both ways."""
    monkeypatch.setattr(summary_delta, "FEW_GIFTS", few_gifts)
    day = FIRST + timedelta(days=DAYS + 5)
    _rates(ledger, day, 1, seed=31)
    ids = [run(ledger, lambda s, c, named=named: record_donation(
        s, c, campaign_slug="east", on=day, amount=Money("40.00", "USD"),
        donor_name="Quiet Giver" if named else None, anonymous=named).id)
        for named in (True, False)]  # fmt: skip
    assert _refresh(ledger)
    for gift in ids:
        run(ledger, lambda s, c, gift=gift: reverse_donation(s, c, donation_id=gift,
                                                             reason="x"))  # fmt: skip
        assert _refresh(ledger)
        _both_ways(ledger)
        _agrees_with_check(ledger)
    more = [
        run(
            ledger,
            lambda s, c: (
                record_donation(s, c, campaign_slug="east", on=day, amount=Money("12.00", "USD")).id
            ),
        )
        for _ in range(2)
    ]
    assert _refresh(ledger)
    assert more
    rate = Rate(day, "USD", "ILS", Decimal("3.9999"), "BOI")
    run(ledger, lambda s, c: add_rate(s, c, rate, supersede=True))
    assert _refresh(ledger)
    _both_ways(ledger)
    _agrees_with_check(ledger)
