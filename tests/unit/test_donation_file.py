"""The donation file reader: its column checks accept exactly what the row checks accept."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundledger.adapters import donation_csv
from fundledger.adapters.donation_csv import DonationBatch, DonationFile

HEADER = ["date", "amount", "currency", "donor", "email", "method", "reference", "note",
          "anonymous"]  # fmt: skip
# Per column: texts the reader accepts, then texts it must refuse or treat specially.
VALID = {
    "date": ["2025-07-03", "2025-07-04", " 2025-07-05 ", "2025-07-03T23:30:00+00:00"],
    "amount": ["12", "12.5", "12.50", "7", "10000000000000", "1,234.50", "₪1,234", "$50"],
    "currency": ["ILS", "usd", "", "NIS", "EUR", "JPY", "BHD"],
    "donor": ["Noa", " Noa  Levi ", "", "נועה כהן", "Cafe\u0301", "=SUM(A1)"],
    "email": ["", "a@b.org", "A@B.org", "noa@example.org"],
    "method": ["", "card", "m" * 32],
    "reference": ["", "R1", "R2", "R3", "r" * 200],
    "note": ["", "hi", "<b>x</b>"],
    "anonymous": ["", "yes", "no", "כן"],
}  # fmt: skip
INVALID = {
    "date": ["2025-02-30", "03/07/2025", "", "1899-12-31", "2025-7-3"],
    "amount": ["12.505", "0", "0.00", "-5", "abc", "", "1e5", "NaN", "999999999999999999",
               "٣", "50.", "$50 €"],
    "currency": ["XYZ", "US"],
    "donor": ["x" * 201],
    "email": ["bad", "a@b"],
    "method": ["m" * 33],
    "reference": ["r" * 201],
    "note": [],
    "anonymous": ["maybe"],
}  # fmt: skip


def random_rows(randomizer: random.Random) -> list[tuple[str, ...]]:
    """Rows whose cells are mostly valid, some anything: enough rows that later batches meet
    texts that the earlier ones taught the reader."""
    rows = []
    for _ in range(randomizer.randint(20, 80)):
        pools = [VALID[field] + INVALID[field] * (randomizer.random() < 0.2) for field in HEADER]
        rows.append(tuple(map(randomizer.choice, pools)))
    return rows


def read(path: Path) -> tuple[list[tuple[object, ...]], list[str]]:
    rows: list[tuple[object, ...]] = []
    problems: list[str] = []
    for batch in DonationFile(path, home_currency="ILS").batches(size=4):
        assert isinstance(batch, DonationBatch)
        rows.extend(zip(
            batch.lines, batch.days, batch.day_texts, batch.amounts_minor, batch.currencies,
            batch.donors, batch.emails, batch.methods, batch.references, batch.notes,
            batch.anonymous, batch.donor_keys, strict=True,
        ))  # fmt: skip
        problems.extend(problem.describe(path.name) for problem in batch.problems)
    return rows, sorted(problems)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(randomizer=st.randoms(use_true_random=False))
def test_column_checks_agree_with_checking_each_row(
    randomizer: random.Random, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = random_rows(randomizer)
    path = tmp_path / "gifts.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        # The second time each text has been remembered; the references differ so that most
        # rows are not refused as repeated.
        writer.writerows(rows)
        writer.writerows((*row[:6], row[6] and row[6] + "-again", *row[7:]) for row in rows)
    fast = read(path)
    with monkeypatch.context() as patch:
        patch.setattr(donation_csv, "MEMO_ENTRIES", 0)  # nothing remembered: each row checked
        slow = read(path)
    assert fast == slow
    assert len(fast[0]) + len(fast[1]) == 2 * len(rows)


def test_a_row_remembered_in_parts_is_checked_whole(tmp_path: Path) -> None:
    path = tmp_path / "gifts.csv"
    path.write_text(
        "date,amount,currency,donor,email,reference\n"
        "2025-07-03,10,ILS,Noa,noa@example.org,A\n"
        "2025-07-04,10.5,JPY,Noa,noa@example.org,B\n"  # JPY has no decimals
        "2025-07-03,0,ILS,Noa,,C\n"
        "2025-07-03,10,ILS,Noa,noa@example.org,A\n",  # A again
        encoding="utf-8",
    )
    _, problems = read(path)
    assert problems == [
        "gifts.csv:3: amount: '10.5' has more than 0 decimal places for JPY",
        "gifts.csv:4: amount: '0': a donation must be more than zero (record a correction with "
        "`fundledger donation reverse`)",
        "gifts.csv:5: reference: 'A' already appears on line 2",
    ]
