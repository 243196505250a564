"""A large import's bulk writer: what it stores is what the ORM would store, whichever values
each batch binds."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.models import Donation
from fundledger.adapters.donation_csv import BATCH_ROWS, DonationFile
from fundledger.cli import cli
from fundledger.services.donation_import import import_donations
from tests.ledger_helpers import campaign, run

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
    run(engine, lambda session, context: import_donations(
        session, context, "dont-look-away", DonationFile(path, home_currency="ILS")))  # fmt: skip


def test_the_bulk_import_stores_and_chains_every_gift(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    bulk_import(ledger_engine, write_file(tmp_path / "big.csv", methods=True))
    with ledger_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Donation)) == ROWS
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
