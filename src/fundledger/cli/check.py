"""fundledger check"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.cli.common import Ledger, emit_json
from fundledger.domain.text import printable
from fundledger.services.context import CommandContext
from fundledger.services.integrity import CheckResult, anchor_problem, check_ledger
from fundledger.services.schema import require_ledger, schema_is_current


def _anchor(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and (problem := anchor_problem(value)):
        raise click.BadParameter(problem)
    return value.strip().lower() if value is not None else None


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--anchor",
    metavar="HASH",
    callback=_anchor,
    help="The chain hash of an audit event noted earlier (the anchor `check` prints): check "
    "that the audit trail still holds it, and list what was written since.",
)
@click.pass_obj
def check(ledger: Ledger, as_json: bool, anchor: str | None) -> None:
    """Check everything about the ledger that could be wrong; exit 1 if anything is.

    Read-only: each problem is named with the row it concerns, nothing is repaired. The chain
    check names the ledger's anchor (its last audit event's chain hash): note it outside the
    ledger (print it in the monthly report, send it to the board), and a later `check
    --anchor` proves that nothing written up to it was changed, removed or added since.

    \b
    Example:
      fundledger check
      fundledger check --json > check.json
      fundledger check --anchor "$(cat anchor-2025-07.txt)"   # the 64 digits noted in July
    """
    engine = ledger.engine()
    # Not ledger.run: that refuses a ledger whose schema is not current, which is one of the
    # things to report here.
    with transaction(engine) as session:
        require_ledger(session.connection())
        results = check_ledger(session, _context(ledger, session), anchor)
    if as_json:
        emit_json([{"check": result.name, "description": result.description,
                    "passed": result.passed, "problems": result.problems,
                    "more_problems": result.more, "notes": result.notes, "data": result.data}
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
    if schema_is_current(session.connection()):
        return ledger.context(session)
    return ledger.context()


def _print(result: CheckResult) -> None:
    mark = "ok  " if result.passed else "FAIL"
    click.echo(f"{mark}  {result.name}: {result.description}")
    for problem in result.problems:
        click.echo(f"      - {printable(problem)}")
    if result.more:
        click.echo(f"      ... and {result.more} more")
    for note in result.notes:
        click.echo(f"      {printable(note)}")
