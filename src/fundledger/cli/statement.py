"""fundledger statement [send]

`statement` was one command (`fundledger statement DONOR --year Y`) before it had `send`, and
scripts run it so: it is a group whose first argument, unless it names a subcommand, goes to
that command as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from fundledger.cli.common import PARTIAL, Ledger, by_language, listed_skipped
from fundledger.cli.delivery import statement_send
from fundledger.cli.output import check_folder, check_output, staged_files, warn_undrawable
from fundledger.cli.progress import DOCUMENTS_WORTH_A_BAR, progress_over
from fundledger.domain.dates import today_in_israel
from fundledger.domain.money import format_money
from fundledger.domain.text import counted
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.services.context import CommandContext
from fundledger.services.donors import donor_id_of
from fundledger.services.statements import (
    BatchOfStatements,
    donor_statement,
    statements_of_year,
)

STATEMENTS_FOLDER = Path("reports") / "statements"


@click.command("statement")
@click.argument("donor", metavar="[DONOR]", required=False)
@click.option("--year", type=click.IntRange(1900, 9999), required=True,
              help="The calendar year of the gifts.")  # fmt: skip
@click.option("--all", "all_donors", is_flag=True,
              help="A statement for every donor who gave that year.")  # fmt: skip
@click.option(
    "--locale",
    type=click.Choice(LOCALES),
    help="Language of the statement(s). Default: each donor's language (`donor set-language`), "
    "else the report.locale setting, else en.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help=f"The PDF (one donor) or the folder (--all). Default: {STATEMENTS_FOLDER}/<year>/"
    "donor-<id>-<locale>.pdf",
)
@click.pass_obj
def statement_of_year(
    ledger: Ledger,
    donor: str | None,
    year: int,
    all_donors: bool,
    locale: str | None,
    output: Path | None,
) -> None:
    """A donor's statement of every gift of a year, with receipt numbers and totals.

    DONOR is a donor number (`fundledger donor list`) or e-mail address. Gifts given
    anonymously are listed too: a statement goes to its donor alone. Each statement is
    written in its donor's language unless --locale gives one for all.

    With --all, a donor whose gifts cannot all be converted yet (no exchange rate in force
    on a gift's date) gets no statement: those gifts are listed, each with the command that
    mends it, and the other statements are written. Exit status: 0 when every donor got a
    statement, 3 when some were held back (mend them and run the same command again).

    \b
    Example:
      fundledger statement 17 --year 2025 --locale he
      fundledger statement dana@example.org --year 2025
      fundledger statement --all --year 2025
    """
    if (donor is None) == (not all_donors):
        raise click.UsageError("give either DONOR, or --all")
    if year > today_in_israel().year:
        raise click.BadParameter(f"{year} has not begun", param_hint="--year")
    if output is not None:
        (check_folder if all_donors else check_output)(output, ledger)

    def work(session: Session, context: CommandContext) -> BatchOfStatements:
        if all_donors:
            return statements_of_year(session, context, year, locale)
        only = donor_statement(session, context, donor_id_of(session, donor), year, locale)
        return BatchOfStatements((only,), (), ())

    batch = ledger.run(work)
    statements = batch.statements
    folder = output if all_donors and output is not None else STATEMENTS_FOLDER / str(year)
    targets = [
        output if not all_donors and output is not None
        else folder / f"donor-{each.donor_id}-{each.locale}.pdf"
        for each in statements
    ]  # fmt: skip
    # Imported here: loading ReportLab would cost every other command 0.08 s.
    from fundledger.reports.pdf.statement import write_statement_pdf

    readers = {each.locale: Reader.for_locale(each.locale) for each in statements}
    undrawable: set[str] = set()
    with staged_files(ledger) as files, progress_over(
        list(zip(statements, targets, strict=True)), "Writing statements",
        worth_from=DOCUMENTS_WORTH_A_BAR,
    ) as shown:  # fmt: skip
        for each, target in shown:
            undrawable |= write_statement_pdf(each, readers[each.locale], files.stage(target))
    warn_undrawable(undrawable, "statement")
    if all_donors:
        languages = by_language([each.locale for each in statements])
        click.echo(f"Wrote {counted(len(statements), 'statement')} for {year} into {folder}/"
                   + (f": {languages}." if statements else "."))  # fmt: skip
        if batch.skipped:
            listed_skipped(
                f"Held back {counted(len(batch.held_back), 'statement')} (donor "
                f"{', '.join(f'#{held}' for held in batch.held_back)}) for "
                f"{counted(len(batch.skipped), 'gift')} that cannot be converted yet:",
                batch.skipped,
                f"statement --all --year {year}",
            )
            raise SystemExit(PARTIAL)
    else:
        only = statements[0]
        click.echo(f"Wrote {targets[0]}: {counted(len(only.lines), 'gift')} in {year}, "
                   f"{format_money(only.total_home)} = "
                   f"{format_money(only.total_reporting)}.")  # fmt: skip


class StatementGroup(click.Group):
    """`statement send ...`; any other first argument is the statement itself, as before
    `send` was added (`fundledger statement 17 --year 2025`, `statement --all --year 2025`)."""

    DEFAULT = "of-year"

    def __init__(self, *args: Any, default: click.Command, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Registered (hidden), so that `fundledger` gives it --db like every command.
        self.add_command(default, self.DEFAULT)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in self.commands if name != self.DEFAULT)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and (args[0] in ctx.help_option_names or args[0] in self.list_commands(ctx)):
            return super().parse_args(ctx, args)
        ctx.meta[self._DEFAULT_ARGS] = list(args)  # the statement's own: run by `invoke`
        return []

    _DEFAULT_ARGS = "fundledger.statement_arguments"

    def invoke(self, ctx: click.Context) -> Any:
        arguments = ctx.meta.pop(self._DEFAULT_ARGS, None)
        if arguments is None:
            return super().invoke(ctx)
        default = self.commands[self.DEFAULT]
        # Under the group's own name, so that its usage and errors read "fundledger statement".
        with default.make_context(ctx.info_name, arguments, parent=ctx.parent) as inner:
            return default.invoke(inner)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.commands[self.DEFAULT].format_help(ctx, formatter)
        self.format_commands(ctx, formatter)


statement = StatementGroup(
    "statement",
    default=statement_of_year,
    help=statement_of_year.help,
    invoke_without_command=True,
    no_args_is_help=False,
)
statement.add_command(statement_send)
