"""Running the Alembic migrations that ship with the package.

Only `fundledger init` (and the tests) run Alembic. Every other command merely checks that the
ledger's schema is at the newest revision, which is read here from the migration files and the
alembic_version table without importing Alembic: that import alone cost each command a
twentieth of a second. tests/integration/test_migrations.py checks this reading against
Alembic's own."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

# `revision: str = "0004_x"` and `down_revision: str | None = "0003_y"` (or None) at the start
# of a line of a migration file; the docstring's "Revision ID:" lines are capitalised.
_REVISION_LINE = re.compile(r'^(revision|down_revision)\b[^=\n]*=\s*(?:"([^"]*)"|None)', re.M)


def migrations_path() -> Path:
    """Inside an installed wheel: fundledger/migrations; in a checkout: the top-level folder."""
    packaged = Path(str(files("fundledger"))) / "migrations"
    if (packaged / "env.py").is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[4] / "migrations"
    if (checkout / "env.py").is_file():
        return checkout
    raise FileNotFoundError("fundledger's migrations are missing from this installation")


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config  # see the module docstring

    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _revisions() -> dict[str, str | None]:
    """Each migration's revision and the revision it follows (None for the first)."""
    found: dict[str, str | None] = {}
    for path in sorted((migrations_path() / "versions").glob("*.py")):
        fields = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" in fields:
            found[fields["revision"]] = fields.get("down_revision") or None
    return found


def head_revision() -> str | None:
    """The newest revision: the one no other revision follows."""
    revisions = _revisions()
    heads = set(revisions) - set(revisions.values())
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {sorted(heads)}")
    return heads.pop() if heads else None


def known_revisions() -> set[str]:
    return set(_revisions())


def current_revision(connection: Connection) -> str | None:
    """The ledger's schema revision, or None for a database without a ledger."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:
        raise RuntimeError(f"the ledger's schema has several revisions: {sorted(found)}")
    return found[0] if found else None


def upgrade_to_head(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to the newest revision in one transaction; returns (before, after)."""
    from alembic import command  # see the module docstring

    with engine.begin() as connection:
        before = current_revision(connection)
        command.upgrade(alembic_config(connection), "head")
        after = current_revision(connection)
    return before, after
