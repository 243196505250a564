"""The models cost a command no database dialect it does not use, and the partial index is
still built as migration 0001 made it on either database."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex

from fundledger.adapters.db.models import Donation, declare_partial_indexes


def test_the_models_load_no_database_dialect() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, fundledger.adapters.db.models; "
         "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy.dialects.')))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert loaded.strip() == "[]"


def test_the_partial_index_is_partial_on_both_databases() -> None:
    table = Donation.__table__
    assert isinstance(table, Table)
    index = next(index for index in table.indexes if index.name == "uq_donation_reverses_id")
    for name, dialect in (("sqlite", sqlite.dialect()), ("postgresql", postgresql.dialect())):
        declare_partial_indexes(name)
        declare_partial_indexes(name)  # a second engine of the same kind changes nothing
        assert str(CreateIndex(index).compile(dialect=dialect)) == (
            "CREATE UNIQUE INDEX uq_donation_reverses_id ON donation (reverses_id) "
            "WHERE reverses_id IS NOT NULL")  # fmt: skip


def test_an_engine_gives_the_partial_index_its_where() -> None:
    """In a fresh interpreter (this one's models are shared by every test): making an engine
    of a kind is what declares the WHERE for it."""
    made = subprocess.run(
        [sys.executable, "-c",
         "from sqlalchemy.schema import CreateIndex\n"
         "from fundledger.adapters.db.engine import make_engine\n"
         "from fundledger.adapters.db.models import Donation\n"
         "index = next(i for i in Donation.__table__.indexes if i.unique)\n"
         "engine = make_engine('sqlite://')\n"
         "print(CreateIndex(index).compile(dialect=engine.dialect))"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert made.strip().endswith("WHERE reverses_id IS NOT NULL")
