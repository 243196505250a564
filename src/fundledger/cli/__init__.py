"""The `fundledger` command. A thin shell: parse, call a service, print; errors in one line."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError

from fundledger.adapters.db.engine import DEFAULT_DATABASE_URL
from fundledger.cli.audit import audit
from fundledger.cli.backup import backup, restore
from fundledger.cli.campaign import campaign
from fundledger.cli.check import check
from fundledger.cli.common import Ledger, describe_database_error
from fundledger.cli.donation import donation
from fundledger.cli.donor import donor
from fundledger.cli.importing import import_group
from fundledger.cli.init import init
from fundledger.cli.rates import rates
from fundledger.cli.receipt import receipt
from fundledger.cli.report import report
from fundledger.cli.settings import settings
from fundledger.cli.statement import statement
from fundledger.domain.errors import FundledgerError


class LedgerGroup(click.Group):
    """Turns user errors and database failures into one line on stderr and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FundledgerError as error:
            raise click.ClickException(str(error)) from None
        except SQLAlchemyError as error:
            ledger = ctx.find_object(Ledger)
            message = (
                describe_database_error(error, ledger) if ledger else f"database error: {error}"
            )
            raise click.ClickException(message) from None
        finally:
            ledger = ctx.find_object(Ledger)
            if ledger is not None:
                ledger.dispose()


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_url",
    envvar="FUNDLEDGER_DB",
    default=DEFAULT_DATABASE_URL,
    show_default=True,
    metavar="URL",
    help="The ledger: a SQLAlchemy URL such as sqlite:///fundledger.db or "
    "postgresql://user@host/dbname (also FUNDLEDGER_DB).",
)
@click.version_option(package_name="fundledger")
@click.pass_context
def cli(ctx: click.Context, database_url: str) -> None:
    """fundledger: an exact fundraising ledger with dated NIS/USD conversion.

    \b
    Example:
      fundledger init
      fundledger campaign add dont-look-away --name "Don't Look Away" --goal 800000
      fundledger donation add dont-look-away --date 2025-07-03 --amount 100 --currency USD
      fundledger rates add 2025-07-03 USD ILS 3.376
      fundledger report campaign dont-look-away --format json
    """
    ctx.obj = Ledger(url=database_url)


for command in (
    init, audit, backup, campaign, check, donation, donor, import_group, rates, receipt, report,
    restore, settings, statement,
):  # fmt: skip
    cli.add_command(command)


def main() -> None:
    for position, argument in enumerate(sys.argv[1:], start=1):
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            click.echo(
                f"Error: argument {position} is not valid UTF-8 text: check the terminal's "
                "encoding or the file the value came from",
                err=True,
            )
            sys.exit(1)
    cli(prog_name="fundledger")
