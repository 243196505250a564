"""The donation file reader: its column checks accept exactly what the row checks accept."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fundledger.adapters import donation_csv
from fundledger.adapters.db import spill
from fundledger.adapters.db.spill import SpillingMap
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


def write_file(path: Path, *rows: Iterable[Sequence[object]]) -> None:
    """A donation file of HEADER and the rows of each of `rows` in turn."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for part in rows:
            writer.writerows(part)


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
    # The second time each text has been remembered; the references differ so that most rows
    # are not refused as repeated.
    write_file(path, rows, [(*row[:6], row[6] and row[6] + "-again", *row[7:]) for row in rows])
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


def read_keyed(path: Path) -> tuple[list[tuple[object, ...]], list[str]]:
    """Each row's line, reference (content keys included) and legacy reference, and every
    problem: what the reader remembers of earlier rows decides them."""
    source = DonationFile(path, home_currency="ILS")
    source.legacy_keys = True
    rows: list[tuple[object, ...]] = []
    problems: list[str] = []
    for batch in source.batches(size=4):
        rows.extend(zip(batch.lines, batch.references, batch.legacy_references, strict=True))
        problems.extend(problem.describe(path.name) for problem in batch.problems)
    return rows, sorted(problems)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(randomizer=st.randoms(use_true_random=False))
def test_what_is_remembered_of_every_row_reads_the_same_from_the_scratch_database(
    randomizer: random.Random, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The line of each reference and the occurrences of each content key and legacy key, held
    in a scratch database past SPILL_ENTRIES, refuse the same repeats (naming the same first
    line) and number the same occurrences as held in memory."""
    rows = random_rows(randomizer)
    path = tmp_path / "gifts.csv"
    write_file(path, rows, rows)  # every reference repeated, every content a second time
    in_memory = read_keyed(path)
    monkeypatch.setattr(spill, "SPILL_ENTRIES", 1)  # every batch's entries moved out at once
    assert read_keyed(path) == in_memory


def test_a_spilling_map_finds_what_it_moved_out_and_the_latest_value() -> None:
    remembered = SpillingMap(limit=3)
    remembered.update({"a": 1, "b": 2})
    remembered.update([("c", 3), ("a", 4)])
    assert not remembered.spilled  # full, but moved out only when more comes
    remembered.update({"b": 5})  # the three moved out first
    assert remembered.spilled
    assert len(remembered) == 1
    # The newer value, in memory, wins over the one moved out.
    assert remembered.found(["a", "b", "c", "d", ""]) == {"a": 4, "b": 5, "c": 3}
    remembered.update({"d": 6, "e": 7})
    remembered.update({"f": 8})  # moved out again: b's newer value replaces its older
    assert remembered.found(["b", "d", "e", "f"]) == {"b": 5, "d": 6, "e": 7, "f": 8}
    remembered.close()
    assert remembered.found(["a"]) == {}


def test_a_large_file_is_read_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #26: the reader kept the line of every reference and the count of every content
    key in dicts, about 150 bytes a row to the end of the file (450 MiB at 3M gifts). Now no
    more than SPILL_ENTRIES and a batch of each stay in memory, however many rows the file has."""
    monkeypatch.setattr(spill, "SPILL_ENTRIES", 100)
    path = tmp_path / "gifts.csv"
    write_file(path, [  # half with a reference, half known by content
        ("2025-07-03", f"{number + 1}", "ILS", "Noa", "", "", f"R{number}" if number % 2 else "",
         "", "") for number in range(2_000)])  # fmt: skip
    source = DonationFile(path, home_currency="ILS")
    source.legacy_keys = True
    read = 0
    for batch in source.batches(size=50):
        read += len(batch)
        held = [source._seen_references, source._occurrences, source._legacy_occurrences]
        assert all(len(remembered) < 100 + 50 for remembered in held)  # a batch past the limit
    assert read == 2_000
    assert not batch.problems
    assert batch.references[-1] == "R1999"
    assert batch.references[-2].startswith("gift:")
