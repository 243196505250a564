"""A donor's annual statement PDF: the organisation, the donor, every gift of the year with its
receipt number and its values in the home and reporting currencies, the totals, and how the
gifts were converted. Tables run over pages with their header repeated."""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, Spacer

from fundledger.reports.i18n import Reader
from fundledger.reports.pdf import style
from fundledger.reports.pdf.page import Page, rate_age
from fundledger.services.statements import DonorStatement


def write_statement_pdf(statement: DonorStatement, reader: Reader, output: Path) -> set[str]:
    """Writes the statement; returns the characters no embedded font could draw."""
    _ = reader._
    page = Page(reader)
    title = _("Your gifts in {year}").format(year=str(statement.year))
    story = [*_header(statement, page, title), *_gifts(statement, page), *_notes(statement, page)]
    return page.build(
        story,
        output,
        title=f"{title} · {statement.donor}",
        footer=" · ".join((statement.organisation.name, statement.donor, title)),
    )


def _header(statement: DonorStatement, page: Page, title: str) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    organisation = statement.organisation
    heading: list[Flowable] = [page.text(organisation.name, style.RECEIPT_ORGANISATION)]
    if organisation.registration:  # as on the receipts: the donor's tax office asks for it
        heading.append(page.text(
            _("Registered non-profit (amuta) no. {number}").format(
                number=reader.isolated(organisation.registration)),
            style.SMALL,
        ))  # fmt: skip
    for detail in (organisation.address, organisation.contact):
        if detail:
            heading.append(page.text(reader.isolated(detail), style.SMALL))
    lines = [
        *page.with_logo(heading, statement.logo),
        Spacer(1, 16),
        page.text(_("Annual statement"), style.EYEBROW),
        page.text(title, style.TITLE),
        page.text(statement.donor, style.RECEIPT_DONOR),
    ]
    if statement.donor_email:
        lines.append(page.text(reader.isolated(statement.donor_email), style.SMALL))
    return [*lines, Spacer(1, 12)]


def _gifts(statement: DonorStatement, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    if not statement.lines:
        return [page.text(_("No gifts are recorded for this year."), style.NOTE)]
    rows = [
        [reader.date(line.date), line.campaign_in(reader.language), reader.money(line.amount),
         reader.money(line.home), reader.money(line.reporting),
         reader.isolated(str(line.receipt)) if line.receipt else "–"]
        for line in statement.lines
    ]  # fmt: skip
    count = len(statement.lines)
    total = [
        _("Total"),
        reader.ngettext("{count} gift", "{count} gifts", count).format(count=reader.number(count)),
        "",
        reader.money(statement.total_home),
        reader.money(statement.total_reporting),
        "",
    ]
    home, reporting = statement.total_home.currency, statement.total_reporting.currency
    header = [_("Date"), _("Campaign"), _("Amount"), home, reporting, _("Receipt")]
    numeric = [False, False, True, True, True, False]
    # A column that repeats another is left out: the amount given when every gift was in the
    # home currency, the reporting currency when it is the home currency.
    kept = [
        column for column in range(len(header))
        if not (column == 2 and all(line.amount.currency == home for line in statement.lines))
        and not (column == 4 and reporting == home)
    ]  # fmt: skip
    table = page.table(
        [header[column] for column in kept],
        [[row[column] for column in kept] for row in rows],
        numeric=[numeric[column] for column in kept],
        total=[total[column] for column in kept],
    )
    return [page.section([
        page.text(
            _("Thank you. These are the gifts you gave in {year}, as our books record them.")
            .format(year=str(statement.year)),
            style.NOTE,
        )], table)]  # fmt: skip


def _notes(statement: DonorStatement, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    home, reporting = statement.total_home.currency, statement.total_reporting.currency
    notes = [
        _("Each gift is converted into {home} and {reporting} at the exchange rate in force on "
          "the date it was given: the latest rate published on or before that date, and no "
          "more than {age} old, rounded half-up once. A gift later reversed is not "
          "listed.").format(home=home, reporting=reporting,
                             age=rate_age(statement.max_rate_age_days, reader)),
        _("Gifts you asked to keep anonymous are listed here, for you alone; they never appear "
          "in a public report."),
    ]  # fmt: skip
    if statement.section46_minimum is not None:
        values = {"total": reader.money(statement.total_home),
                  "minimum": reader.money(statement.section46_minimum),
                  "year": str(statement.year)}  # fmt: skip
        notes.insert(0, (
            _("Your gifts in {year} total {total}: they reach the Section 46 minimum of "
              "{minimum} for {year}.") if statement.reaches_minimum else
            _("Your gifts in {year} total {total}: below the Section 46 minimum of {minimum} "
              "for {year}, the least a year's gifts must reach to earn the tax credit.")
        ).format(**values))  # fmt: skip
    if statement.organisation.approval:
        notes.append(
            _("Only the receipts state the amounts recognised under Section 46 of the Income "
              "Tax Ordinance; this statement is a summary for your records.")
        )  # fmt: skip
    return [Spacer(1, 12), *(page.text(note, style.NOTE) for note in notes)]
