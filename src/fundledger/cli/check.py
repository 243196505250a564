"""fundledger check"""

from __future__ import annotations

import click
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.db.migrate import current_revision, head_revision
from fundledger.cli.common import Ledger, emit_json
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CommandContext
from fundledger.services.integrity import CheckResult, check_ledger


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_obj
def check(ledger: Ledger, as_json: bool) -> None:
    """Check everything about the ledger that could be wrong; exit 1 if anything is.

    Read-only: each problem is named with the row it concerns, nothing is repaired.

    \b
    Example:
      fundledger check
      fundledger check --json > check.json
    """
    engine = ledger.engine()
    # Not ledger.run: that refuses a ledger whose schema is not current, which is one of the
    # things to report here.
    with transaction(engine) as session:
        if not inspect(session.connection()).has_table("alembic_version"):
            raise FundledgerError("this database has no fundledger ledger yet: run "
                                  "`fundledger init`")  # fmt: skip
        results = check_ledger(session, _context(ledger, session))
    if as_json:
        emit_json([{"check": result.name, "description": result.description,
                    "passed": result.passed, "problems": result.problems,
                    "more_problems": result.more, "notes": result.notes}
                   for result in results])  # fmt: skip
    else:
        for result in results:
            _print(result)
    failed = [result.name for result in results if not result.passed]
    if failed:
        if not as_json:
            click.echo(f"Problems found by: {', '.join(failed)}.", err=True)
        raise SystemExit(1)


def _context(ledger: Ledger, session: Session) -> CommandContext:
    """The ledger's own settings when its schema can hold them (an older one is reported by
    the first check, and no other check runs)."""
    if current_revision(session.connection()) == head_revision():
        return ledger.context(session)
    return ledger.context()


def _print(result: CheckResult) -> None:
    mark = "ok  " if result.passed else "FAIL"
    click.echo(f"{mark}  {result.name}: {result.description}")
    for problem in result.problems:
        click.echo(f"      - {problem}")
    if result.more:
        click.echo(f"      ... and {result.more} more")
    for note in result.notes:
        click.echo(f"      {note}")
