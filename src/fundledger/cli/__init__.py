"""The `fundledger` command. A thin shell: parse, call a service, print; errors in one line.

Each subcommand's module is imported when that subcommand runs (or its help is asked for):
`fundledger --version` and `fundledger --help` import neither SQLAlchemy nor a service, and a
command imports what it uses, not what every other command uses."""

from __future__ import annotations

import importlib
import sys
from typing import Any, NoReturn

import click

from fundledger.adapters.db.url import DEFAULT_DATABASE_URL
from fundledger.cli.ledger import Ledger, describe_database_error
from fundledger.cli.output import check_streams
from fundledger.cli.signals import Interrupted, Interrupts
from fundledger.cli.streams import GuardedStream, OutputLost, guard_streams
from fundledger.domain.errors import FundledgerError
from fundledger.domain.text import printable

# name: (module, attribute, the line `fundledger --help` shows for it). The line is the
# command's own short help, written here so that listing the commands imports none of them;
# tests/e2e/test_help.py checks that each is the command's own.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "audit": ("fundledger.cli.audit", "audit",
              "The audit trail: who did what, when and why, oldest first."),
    "backup": ("fundledger.cli.backup", "backup",
               "Write a consistent copy of the ledger to PATH, even while others record gifts."),
    "campaign": ("fundledger.cli.campaign", "campaign", "Fundraising campaigns."),
    "check": ("fundledger.cli.check", "check", "Check everything about the ledger that could be "
              "wrong; exit 1 if anything is."),
    "donation": ("fundledger.cli.donation", "donation",
                 "Donations: record, reverse, correct, list."),
    "donor": ("fundledger.cli.donor", "donor", "Donors, as matched by e-mail or name."),
    "import": ("fundledger.cli.importing", "import_group", "Bring records in from files."),
    "init": ("fundledger.cli.init", "init",
             "Create the ledger, or upgrade its schema to this version."),
    "rates": ("fundledger.cli.rates", "rates",
              "Dated exchange rates: 1 BASE = RATE QUOTE on a date."),
    "receipt": ("fundledger.cli.receipt", "receipt",
                "Donation receipts: numbered without gaps, one per gift."),
    "report": ("fundledger.cli.report", "report", "Reports computed from the ledger."),
    "restore": ("fundledger.cli.backup", "restore", "Restore the backup PATH into the empty "
                "database given by --db (or FUNDLEDGER_DB)."),
    "serve": ("fundledger.cli.serve", "serve",
              "Serve the web interface on the ledger until Ctrl-C."),
    "settings": ("fundledger.cli.settings", "settings",
                 "What the ledger's documents say about the organisation."),
    "statement": ("fundledger.cli.statement", "statement", "A donor's statement of every gift "
                  "of a year, with receipt numbers and totals."),
    "tax": ("fundledger.cli.tax", "tax", "Gifts and cancellations to report to the Tax "
            "Authority, and the numbers it returns."),
    "user": ("fundledger.cli.user", "user", "The people who sign in to the web interface "
             "(`fundledger serve`), and their roles."),
}  # fmt: skip


class LedgerGroup(click.Group):
    """Turns user errors and database failures into one line on stderr and exit status 1.
    The line may quote ledger text: its control characters (a line break too) are escaped.

    Its subcommands are loaded when named (SUBCOMMANDS), each given `--db` as it comes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in SUBCOMMANDS:
            module, attribute, _ = SUBCOMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attribute)
            _accept_db_everywhere(command)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands with their lines, none of them imported."""
        rows = [(name, line) for name, (_, _, line) in sorted(SUBCOMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FundledgerError as error:
            raise click.ClickException(printable(str(error))) from None
        except OSError as error:
            # The system refused something no service turned into a message (a file that
            # cannot be read, a full disk): still one line. (Standard output failing is
            # OutputLost, handled in main.)
            reason = error.strerror or str(error)
            where = f": {error.filename}" if error.filename is not None else ""
            raise click.ClickException(printable(f"{reason}{where}")) from None
        except Exception as error:
            from sqlalchemy.exc import SQLAlchemyError  # loaded already by the command

            if not isinstance(error, SQLAlchemyError):
                raise
            ledger = ctx.find_object(Ledger)
            message = (
                describe_database_error(error, ledger) if ledger else f"database error: {error}"
            )
            raise click.ClickException(printable(message)) from None
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
@click.option(
    "--read-db",
    "read_database_url",
    envvar="FUNDLEDGER_READ_DB",
    default=None,
    metavar="URL",
    help="A streaming replica of a PostgreSQL ledger for what only reads (reports, lists, "
    "searches), used once it has caught up with the ledger, else the ledger itself (also "
    "FUNDLEDGER_READ_DB).",
)
@click.version_option(package_name="fundledger")
@click.pass_context
def cli(ctx: click.Context, database_url: str, read_database_url: str | None) -> None:
    """fundledger: an exact fundraising ledger with dated NIS/USD conversion.

    \b
    Example:
      fundledger init
      fundledger campaign add dont-look-away --name "Don't Look Away" --goal 800000
      fundledger donation add dont-look-away --date 2025-07-03 --amount 100 --currency USD
      fundledger rates add 2025-07-03 USD ILS 3.376
      fundledger report campaign dont-look-away --format json
    """
    # main() hands in its Ledger, to learn afterwards whether the command changed anything.
    if isinstance(ctx.obj, Ledger):
        ctx.obj.url, ctx.obj.read_url = database_url, read_database_url
    else:
        ctx.obj = Ledger(url=database_url, read_url=read_database_url)
    check_streams(ctx.obj)


def _db_after_subcommand(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """`--db` given after a subcommand: it comes later on the line than the group's `--db` (or
    FUNDLEDGER_DB), so it wins."""
    if value is None:
        return
    ledger = ctx.find_object(Ledger)
    if ledger is not None:
        ledger.url = value
        check_streams(ledger)


def _accept_db_everywhere(command: click.Command) -> None:
    """Give a subcommand, nested groups and their leaves alike, its own `--db`, so that
    `fundledger report campaign x --db URL` works as `fundledger --db URL report campaign x`.
    Done over the finished tree of a subcommand as it is loaded."""
    if not any(param.name == "database_url_here" for param in command.params):
        command.params.append(
            click.Option(
                ["--db", "database_url_here"],
                metavar="URL",
                expose_value=False,
                callback=_db_after_subcommand,
                help="The ledger, as `fundledger --db URL` (the one given later wins).",
            )
        )
    if isinstance(command, click.Group):
        for child in command.commands.values():
            _accept_db_everywhere(child)


def main() -> NoReturn:
    """The installed command: `cli` with its edges guarded. A full disk or a closed pipe is
    one line (or, for a closed pipe on a command that changed nothing, silence), never a
    traceback; a command that committed exits 0 even when it cannot print; SIGINT, SIGTERM
    and SIGHUP roll back and discard files, then end the process by that signal."""
    stdout, stderr = guard_streams()
    Interrupts.install()
    ledger = Ledger(url=DEFAULT_DATABASE_URL)
    try:
        status = _run(ledger)
        Interrupts.stop_if_lost()  # a signal a finalizer swallowed still stops the command
    except Interrupted as stop:
        if ledger.changed:  # a batch that commits as it goes (receipts, one by one)
            _say(f"Interrupted by {stop.name}: what was done before it stands (said above); "
                 "the work under way was rolled back and its file not written.")  # fmt: skip
        else:
            _say(f"Interrupted by {stop.name}: nothing was recorded and no file was written.")
        _settle(stdout, stderr)
        Interrupts.die(stop.signum)
    _settle(stdout, stderr)
    sys.exit(status)


def _run(ledger: Ledger) -> int:
    """Run the command line; its exit status."""
    try:
        for position, argument in enumerate(sys.argv[1:], start=1):
            try:
                argument.encode("utf-8")
            except UnicodeEncodeError:
                _say(f"Error: argument {position} is not valid UTF-8 text: check the "
                     "terminal's encoding or the file the value came from")  # fmt: skip
                return 1
        result = cli.main(prog_name="fundledger", standalone_mode=False, obj=ledger)
        # A command returns None; click returns the status of an explicit exit (--help).
        return result if isinstance(result, int) else 0
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        _say("Aborted!")
        return 1
    except OutputLost as lost:
        return _lost(lost, ledger)
    except Interrupted:
        raise
    except SystemExit as done:  # `check` exits 1 when it finds a problem
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 1


def _lost(lost: OutputLost, ledger: Ledger) -> int:
    """Standard output failed. A command that changed the ledger (or put a file in place) has
    done its work: running it again would do it twice, so it succeeds, saying so if it can.
    Otherwise it failed; a reader closing the pipe early (`| head`) needs no message."""
    if ledger.changed:
        _say(f"Warning: the command's work is done (do not run it again), but standard "
             f"output could not be written: {lost}.")  # fmt: skip
        return 0
    if not lost.closed_pipe:
        _say(f"Error: cannot write the output: {lost}")
    return 1


def _say(line: str) -> None:
    """One line on standard error, which never raises (see GuardedStream)."""
    click.echo(line, err=True)


def _settle(*streams: GuardedStream) -> None:
    """Flush what is left; from here on nothing a stream does can stop the exit or print an
    'Exception ignored' at it."""
    for stream in streams:
        stream.fatal = False
        stream.flush()
