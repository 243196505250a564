"""A large import as a bulk load: on SQLite without foreign keys (its transaction turns them off
before it begins, and the connection gets them back when it returns to the pool), on
PostgreSQL with the donation table's keys dropped; either way the references it wrote are
checked before it commits, and one to a row the ledger lacks refuses the whole import."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import for_bulk_loading, foreign_keys_checked, transaction
from fundledger.adapters.db.models import AuditEvent, Donation, Donor
from fundledger.adapters.donation_csv import BATCH_ROWS, DonationFile
from fundledger.cli import cli
from fundledger.services import donation_import
from fundledger.services.donation_import import DonationImportRefused, import_donations
from tests.ledger_helpers import CONTEXT, campaign

HEADER = ["date", "amount", "currency", "donor", "email", "method", "reference", "note"]
ROWS = BATCH_ROWS + 2_000  # more than a batch: the bulk path (indexes and PG's keys dropped)


def write_file(path: Path, rows: int = ROWS, *, methods: bool = False) -> Path:
    """Gifts of 50 donors; a method and a note only in the second batch, if `methods`."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            later = methods and n > BATCH_ROWS
            writer.writerow(["2025-07-03", n, "ILS", f"Donor {n % 50}" if n % 7 else "",
                             f"d{n % 50}@example.org" if n % 3 else "",
                             "card" if later and n % 2 else "", f"R{n}",
                             "at the march" if later and n % 5 else ""])  # fmt: skip
    return path


def bulk_import(engine: Engine, path: Path) -> None:
    with transaction(for_bulk_loading(engine), write=True) as session:
        import_donations(session, CONTEXT, "dont-look-away",
                         DonationFile(path, home_currency="ILS"))  # fmt: skip


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Donation, Donor, AuditEvent)
        )


def sabotage(monkeypatch: pytest.MonkeyPatch, target: Any, name: str,
             change: Callable[[list[Any]], None]) -> None:  # fmt: skip
    """`target.name` (a method returning ids by row) with `change` applied to its answer
    for the second batch: as if the ledger lost a parent meanwhile."""
    original = getattr(target, name)
    calls = []

    def changed(self: Any, *args: Any) -> list[Any]:
        ids = list(original(self, *args))
        calls.append(1)
        if len(calls) == 2:
            change(ids)
        return ids

    monkeypatch.setattr(target, name, changed)


@pytest.mark.parametrize("parent", ["campaign", "donor"])
def test_a_gift_whose_parent_is_missing_refuses_the_whole_bulk_import(
    ledger_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parent: str
) -> None:
    campaign(ledger_engine)
    path = write_file(tmp_path / "big.csv")
    if parent == "campaign":
        target, name = donation_import._CampaignDirectory, "ids"
    else:
        target, name = donation_import._DonorDirectory, "resolve"

    def lose_one(ids: list[Any]) -> None:
        ids[5] = 987_654

    sabotage(monkeypatch, target, name, lose_one)
    before = counts(ledger_engine)
    with pytest.raises(DonationImportRefused) as refused:
        bulk_import(ledger_engine, path)
    reference = f"R{BATCH_ROWS + 6}"
    assert refused.value.problems == [
        f"big.csv: reference {reference!r}: its {parent} (#987654) is not in the ledger; "
        "nothing was imported"
    ]
    assert counts(ledger_engine) == before  # all of it rolled back


def test_without_a_fault_the_bulk_import_is_the_import(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    bulk_import(ledger_engine, write_file(tmp_path / "big.csv", methods=True))
    assert counts(ledger_engine)[0] == ROWS
    code = CliRunner().invoke(cli, ["--db", str(ledger_engine.url.render_as_string(
        hide_password=False)), "check"]).exit_code  # fmt: skip
    assert code == 0  # the chain covers what was stored, the flags as booleans


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_sqlite_stores_what_the_orm_would_whichever_values_a_batch_binds(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    # The writer binds flags as 0/1 and writes NULL for a batch's absent methods and notes.
    campaign(ledger_engine)
    bulk_import(ledger_engine, write_file(tmp_path / "big.csv", methods=True))
    with ledger_engine.connect() as connection:
        stored = connection.exec_driver_sql(
            "SELECT reference, typeof(anonymous), anonymous, method, note FROM donation "
            "WHERE reference IN ('R7', 'R10', 'R10003', 'R10010', 'R10014', 'R10015') "
            "ORDER BY id"
        ).all()
    assert [tuple(row) for row in stored] == [
        ("R7", "integer", 1, None, None),
        ("R10", "integer", 0, None, None),
        ("R10003", "integer", 1, "card", "at the march"),
        ("R10010", "integer", 1, None, None),
        ("R10014", "integer", 0, None, "at the march"),
        ("R10015", "integer", 0, "card", None),
    ]


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_sqlite_turns_foreign_keys_off_for_the_bulk_load_only(ledger_engine: Engine) -> None:
    def keys(engine: Engine) -> bool:
        with transaction(engine, write=True) as session:
            return foreign_keys_checked(session.connection())

    assert keys(ledger_engine)
    assert not keys(for_bulk_loading(ledger_engine))
    assert keys(ledger_engine)  # the same pooled connection, its keys back
    with transaction(ledger_engine, write=True) as session, pytest.raises(IntegrityError):
        session.execute(text("INSERT INTO campaign_name (campaign_id, language, name, "
                             "recorded_at, recorded_by) VALUES (4242, 'en', 'x', "
                             "'2025-07-03 00:00:00', 'test')"))  # fmt: skip


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_other_rows_written_without_keys_are_checked_too(
    ledger_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rows the import writes besides its gifts (donors' details) are checked past the ids
    # their tables held when it began.
    campaign(ledger_engine)
    original = donation_import._give_details

    def with_a_stray_revision(session: Session, *args: Any, **options: Any) -> Any:
        session.execute(text(
            "INSERT INTO donor_revision (donor_id, name, recorded_at, recorded_by) "
            "VALUES (987654, 'Nobody', '2025-07-03 00:00:00', 'test')"))  # fmt: skip
        return original(session, *args, **options)

    monkeypatch.setattr(donation_import, "_give_details", with_a_stray_revision)
    before = counts(ledger_engine)
    with pytest.raises(DonationImportRefused) as refused:
        bulk_import(ledger_engine, write_file(tmp_path / "big.csv", rows=20))
    assert refused.value.problems == [
        "big.csv: donor_revision #1: donor_id 987654 (no such donor); nothing was imported"
    ]
    assert counts(ledger_engine) == before


def test_the_command_refuses_it_in_one_clear_line(
    ledger_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign(ledger_engine)
    monkeypatch.setattr(donation_import, "READ_IN_CHILD_FROM_BYTES", 0)
    monkeypatch.setattr("fundledger.cli.importing.READ_IN_CHILD_FROM_BYTES", 0)

    def lose_one(ids: list[Any]) -> None:
        ids[0] = 987_654

    sabotage(monkeypatch, donation_import._CampaignDirectory, "ids", lose_one)
    url = ledger_engine.url.render_as_string(hide_password=False)
    before = counts(ledger_engine)
    result = CliRunner().invoke(cli, ["--db", url, "import", "donations", "dont-look-away",
                                      str(write_file(tmp_path / "big.csv"))])  # fmt: skip
    assert result.exit_code == 1
    assert (
        f"big.csv: reference 'R{BATCH_ROWS + 1}': its campaign (#987654) is not in the "
        "ledger; nothing was imported" in result.stderr
    )
    assert counts(ledger_engine) == before
