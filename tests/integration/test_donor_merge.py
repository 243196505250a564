"""Merging donors: recorded, counted as one in reports, reversible, never silent."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from fundledger.adapters.db.models import AuditEvent
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.donors import list_donors, merge_donors, undo_merge
from tests.ledger_helpers import campaign, gift, rates, run, summary


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    gift(ledger_engine, "2025-07-03 100.00 ILS", donor="Dana Levi")  # donor 1
    gift(ledger_engine, "2025-07-03 50.00 ILS", donor="Dana Levy")  # donor 2
    gift(ledger_engine, "2025-07-03 20.00 ILS", donor="Sami Haddad")  # donor 3
    return ledger_engine


def test_a_merge_counts_two_donors_as_one_until_undone(ledger: Engine) -> None:
    assert summary(ledger).donor_count == 3
    merge = run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1,
                                                  reason="same person, typo"))  # fmt: skip
    assert summary(ledger).donor_count == 2
    donors = {d.id: d for d in run(ledger, lambda s, c: list_donors(s))}
    assert (donors[1].gifts, donors[2].gifts, donors[2].merged_into) == (2, 0, 1)
    run(ledger, lambda s, c: undo_merge(s, c, merge_id=merge.id, reason="two people"))
    assert summary(ledger).donor_count == 3
    donors = {d.id: d for d in run(ledger, lambda s, c: list_donors(s))}
    assert (donors[1].gifts, donors[2].gifts, donors[2].merged_into) == (1, 1, None)
    with ledger.connect() as connection:
        actions = connection.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["donor.merge", "donor.unmerge"]
    again = run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="yes"))
    assert again.id > merge.id
    assert summary(ledger).donor_count == 2


@pytest.mark.parametrize(
    ("merged", "into", "message"),
    [
        (1, 1, "cannot be merged into itself"),
        (9, 1, "no donor #9"),
        (2, 3, "already merged into #1"),
        (3, 2, "is itself merged into #1: merge into #1 instead"),
        (1, 3, "donor #2 is merged into #1: merge #1 into #3 after undoing that, or merge it"),
    ],
)
def test_merges_that_make_no_sense_are_refused(
    ledger: Engine, merged: int, into: int, message: str
) -> None:
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="typo"))
    with pytest.raises(FundledgerError, match=message):
        run(ledger, lambda s, c: merge_donors(s, c, merged_id=merged, into_id=into, reason="x"))


def test_a_merge_is_undone_once(ledger: Engine) -> None:
    merge = run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="typo"))
    undo = run(ledger, lambda s, c: undo_merge(s, c, merge_id=merge.id, reason="no"))
    with pytest.raises(FundledgerError, match=f"already undone by #{undo.id}"):
        run(ledger, lambda s, c: undo_merge(s, c, merge_id=merge.id, reason="again"))
    with pytest.raises(FundledgerError, match=f"no donor merge #{undo.id}"):
        run(ledger, lambda s, c: undo_merge(s, c, merge_id=undo.id, reason="undo the undo"))


def test_the_honour_roll_counts_a_merged_donor_with_the_one_it_was_merged_into(
    ledger: Engine,
) -> None:
    """Twelve donors: only the ten largest are named, ties in donor order; a merge lifts
    donor 2 (Dana Levy's 50.00 with Dana Levi's 100.00) to the top and takes Dana Levy off."""
    for number in range(12):
        gift(ledger, f"2025-07-03 {60 + number % 4}.00 ILS", donor=f"Donor {number:02d}")
    before = summary(ledger)
    assert before.donor_count == 15
    assert [(line.name, line.home) for line in before.top_donors][:6] == [
        ("Dana Levi", Money("100.00", "ILS")),
        ("Donor 03", Money("63.00", "ILS")),
        ("Donor 07", Money("63.00", "ILS")),
        ("Donor 11", Money("63.00", "ILS")),
        ("Donor 02", Money("62.00", "ILS")),
        ("Donor 06", Money("62.00", "ILS")),
    ]
    assert len(before.top_donors) == 10
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="typo"))
    after = summary(ledger)
    assert after.donor_count == 14
    assert (after.top_donors[0].name, after.top_donors[0].count, after.top_donors[0].home) == (
        "Dana Levi", 2, Money("150.00", "ILS"))  # fmt: skip
    assert "Dana Levy" not in {line.name for line in after.top_donors}
