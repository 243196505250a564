"""fundledger backup | restore"""

from __future__ import annotations

from pathlib import Path

import click

from fundledger.cli.common import Ledger
from fundledger.cli.output import check_output, staged_files
from fundledger.domain.errors import FundledgerError
from fundledger.domain.text import counted
from fundledger.services.backup import backup as backup_ledger
from fundledger.services.backup import restore as restore_ledger


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_obj
def backup(ledger: Ledger, path: Path) -> None:
    """Write a consistent copy of the ledger to PATH, even while others record gifts.

    A SQLite ledger is copied with SQLite's online backup; a PostgreSQL one with pg_dump
    (custom format). A missing folder of PATH is created. Restore it with `fundledger
    restore PATH` into an empty database.

    \b
    Example:
      fundledger backup backups/ledger-2025-12-31.db
    """
    check_output(path, ledger)  # the ledger itself, a folder, a device: named as such
    if path.exists() or path.is_symlink():
        raise FundledgerError(f"{path} exists already: a backup never overwrites a file")
    engine = ledger.engine()
    with staged_files(ledger) as files:
        copied = backup_ledger(engine, path, into=files.stage(path, replace=False))
    click.echo(f"Wrote {copied.path} ({copied.kind}, {counted(copied.size, 'byte')}).")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.pass_obj
def restore(ledger: Ledger, path: Path) -> None:
    """Restore the backup PATH into the empty database given by --db (or FUNDLEDGER_DB).

    \b
    Example:
      FUNDLEDGER_DB=sqlite:///restored.db fundledger restore backups/ledger-2025-12-31.db
      FUNDLEDGER_DB=sqlite:///restored.db fundledger check
    """
    copied = restore_ledger(ledger.engine(must_exist=False), path)
    ledger.record_change()
    click.echo(f"Restored {copied.path} ({copied.kind}) into {ledger.display_url}; run "
               "`fundledger check` on it (and `fundledger init` if it is from an older "
               "fundledger).")  # fmt: skip
