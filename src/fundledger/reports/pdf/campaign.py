"""The campaign summary PDF: what goes on its pages, in which order, in the reader's language.

Page 1 tells the story at a glance (headline total, progress, key figures, the chart, the
breakdowns); the pages after it hold the detail (gift sizes, weeks or months, the honour roll)
and the note on exchange rates that makes every figure explainable. Every word comes from the
gettext catalogs through `Reader` (payment methods from their list, domain/methods.py), every
number from Babel; measures and colours from `style`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from babel.lists import format_list
from reportlab.graphics.shapes import Drawing
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle
from reportlab.platypus.doctemplate import ActionFlowable, BaseDocTemplate

from fundledger.adapters.images import Logo
from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf import style
from fundledger.reports.pdf.bidi import visual_line
from fundledger.reports.pdf.chart import ChartText, Drawn, Period, Point, money_over_time
from fundledger.reports.pdf.flowables import ProgressBar, mirrored
from fundledger.reports.pdf.page import CONTENT_WIDTH, Page, method_name, rate_age, source_name
from fundledger.services.reports import CampaignSummary, DayLine, Headline, SizeBand

WEEKLY_CHART_AFTER_DAYS = 92  # beyond about a quarter, daily bars become hairlines
# A year of weekly bars (53, about 8 points wide each) still reads well; beyond about fourteen
# months they thin out, and the chart shows months.
MONTHLY_CHART_AFTER_WEEKS = 60
WEEKS_IN_TABLE = 12  # beyond about a quarter, the table of weeks becomes one of months


@dataclass(frozen=True, slots=True)
class ReportOptions:
    max_rate_age_days: int
    organisation: str | None = None
    logo: Logo | None = None


def write_campaign_pdf(
    summary: CampaignSummary, reader: Reader, output: Path, options: ReportOptions
) -> set[str]:
    """Writes the PDF; returns the characters no embedded font could draw (shown as U+FFFD),
    which the caller reports, so a name in an unsupported script never vanishes silently."""
    if not summary.campaign.slug:  # all campaigns together: their name in the reader's words
        all_campaigns = replace(summary.campaign, name=reader._("All campaigns"))
        summary = replace(summary, campaign=all_campaigns)
    else:  # its name in the reader's language, where it has one (title, heading, footer)
        summary = replace(summary, campaign=summary.campaign.in_language(reader.language))
    page = Page(reader)
    story = _campaign_story(summary, page, options)
    campaign = summary.campaign
    return page.build(
        story,
        output,
        title=reader._("{campaign}: campaign summary").format(campaign=_titled(summary, reader)),
        footer=" · ".join(part for part in (options.organisation, campaign.name) if part),
    )


def write_period_pdf(
    summary: CampaignSummary, reader: Reader, output: Path, options: ReportOptions
) -> set[str]:
    """The one-page summary of a period for the board or the accountant: the summary of all
    campaigns limited to it (`summary.period`), its totals, by campaign, by payment method
    and by currency of the gift. Returns the characters no font could draw."""
    if summary.period is None:
        raise ValueError("a period summary needs a summary limited to a period")
    _ = reader._
    page = Page(reader)
    period = reader.date_range(summary.period.start, summary.period.end)
    eyebrow = _("Period summary")
    if options.organisation:
        eyebrow = f"{options.organisation} · {eyebrow}"
    header = page.with_logo([
        page.text(eyebrow, style.EYEBROW),
        page.text(period, style.TITLE),
        page.text(_("Every campaign's gifts dated within the period. Reversed gifts and their "
                    "reversals are left out."), style.SUBTITLE),
    ], options.logo)  # fmt: skip
    story = [*header, *_headline(summary, page), *_key_figures(summary, page),
             *_breakdowns(summary, page)]  # fmt: skip
    # Isolated: the day after an English name in a Hebrew footer would join the name.
    organisation = reader.named(options.organisation) if options.organisation else None
    return page.build(
        story,
        output,
        title=_("Period summary: {period}").format(period=period),
        footer=" · ".join(part for part in (organisation, period) if part),
    )


def _campaign_story(summary: CampaignSummary, page: Page, options: ReportOptions) -> list[Flowable]:
    story: list[Flowable] = []
    story += _header(summary, page, options)
    story += _headline(summary, page)
    story += _key_figures(summary, page)
    story += _chart(summary, page)
    story += _breakdowns(summary, page)
    story.append(_DetailBreak())
    story += _sizes(summary, page)
    story += _honour_roll(summary, page)
    story += _weeks(summary, page)
    story += _rates_note(summary, page, options)
    return story


class _DetailBreak(ActionFlowable):
    """The detail starts on a page of its own, unless page 1 has run over already: then it
    follows on that page rather than leave it holding only the end of a table."""

    def apply(self, doc: BaseDocTemplate) -> None:
        if doc.page == 1:
            doc.handle_pageBreak()


def _titled(summary: CampaignSummary, reader: Reader) -> str:
    """The campaign's name, and the period when the summary is limited to one."""
    if summary.period is None:
        return summary.campaign.name
    return reader._("{campaign}, {period}").format(
        campaign=reader.named(summary.campaign.name),
        period=reader.date_range(summary.period.start, summary.period.end),
    )


def _header(summary: CampaignSummary, page: Page, options: ReportOptions) -> list[Flowable]:
    _ = page.reader._
    reader = page.reader
    campaign = summary.campaign
    eyebrow = _("Campaign summary")
    if options.organisation:
        eyebrow = f"{options.organisation} · {eyebrow}"
    details = []
    if campaign.partner:
        details.append(_("In partnership with {partner}").format(partner=campaign.partner))
    first = campaign.start or summary.first_gift
    last = campaign.end or summary.last_gift
    if summary.period is not None:  # the title states the period; the gifts are of it alone
        details.append(_("Only gifts dated within the period are counted."))
    elif first and last:
        details.append(reader.date_range(first, last))
    lines: list[Flowable] = [
        page.text(eyebrow, style.EYEBROW),
        page.text(_titled(summary, reader), style.TITLE),
        page.text(" · ".join(details), style.SUBTITLE),
    ]
    return page.with_logo(lines, options.logo)


def _headline(summary: CampaignSummary, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    raised = [
        page.text(_("Raised"), style.FIGURE_LABEL_START),
        page.text(reader.money(summary.total_home), style.HEADLINE),
    ]
    equivalent = [
        page.text(
            _("In {currency}").format(
                currency=reader.currency_name(summary.reporting_currency, plural=True)
            ),
            style.FIGURE_LABEL_START,
        ),
        page.text(reader.money(summary.total_reporting), style.HEADLINE_SECOND),
        page.text(_("each gift converted at the rate of its own date"), style.SMALL),
    ]
    if summary.headline is not None:
        # The figure asked for with --fixed-rate ($232,880 for American readers) is the one
        # quoted to them: set large, and labelled with its rate.
        equivalent += [
            page.text(reader.money(summary.headline.total_reporting), style.HEADLINE_FIXED),
            page.text(
                _("at a single fixed rate of {rate}").format(
                    rate=fixed_rate_text(summary.headline, reader)
                ),
                style.SMALL,
            ),
        ]
    flowables: list[Flowable] = [page.side_by_side([raised, equivalent])]
    goal = summary.campaign.goal
    if goal is not None and summary.goal_progress is not None:
        flowables += [
            Spacer(1, 8),
            ProgressBar(float(summary.goal_progress), page.rtl),
            Spacer(1, 3),
            page.text(
                _("{percent} of the {goal} goal").format(
                    percent=reader.percent(summary.goal_progress), goal=reader.money(goal)
                ),
                style.SMALL,
            ),
        ]
    return flowables


def fixed_rate_text(headline: Headline, reader: Reader) -> str:
    rate = headline.rate
    # No-break spaces: a rate is never split across lines.
    return reader.isolated(
        f"1\u00a0{rate.base}\u00a0=\u00a0{reader.plain_number(rate.value)}\u00a0{rate.quote}"
    )


def _key_figures(summary: CampaignSummary, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    days = (
        (summary.last_gift - summary.first_gift).days + 1
        if summary.first_gift and summary.last_gift
        else 0
    )
    # Each label agrees with the figure above it ("1" over "Anonymous gift").
    npgettext = reader.npgettext
    figures = [
        (npgettext("key figure", "Gift", "Gifts", summary.donation_count),
         reader.number(summary.donation_count)),
        (npgettext("key figure", "Donor", "Donors", summary.donor_count),
         reader.number(summary.donor_count)),
        (npgettext("key figure", "Anonymous gift", "Anonymous gifts", summary.anonymous_count),
         reader.number(summary.anonymous_count)),
        (_("Average gift"), _money_or_dash(summary.average_gift, reader)),
        (_("Median gift"), _money_or_dash(summary.median_gift, reader)),
        (npgettext("key figure", "Day of giving", "Days of giving", days), reader.number(days)),
    ]  # fmt: skip
    cells = [
        [page.text(value, style.FIGURE_VALUE), page.text(label, style.FIGURE_LABEL)]
        for label, value in figures
    ]
    width = CONTENT_WIDTH / len(cells)
    table = Table([mirrored(cells, page.rtl)], colWidths=[width] * len(cells))
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), style.PANEL),
                ("LINEAFTER", (0, 0), (-2, -1), 0.6, style.WHITE),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return [Spacer(1, 14), table]


def _money_or_dash(money: Money | None, reader: Reader) -> str:
    return reader.money(money) if money is not None else "–"


def _chart(summary: CampaignSummary, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    title = chart_title(summary, reader)
    if not summary.by_day:
        return [page.heading(title), page.text(_("No gifts have been recorded yet."), style.NOTE)]
    return [KeepTogether([page.heading(title), campaign_chart(summary, reader, CONTENT_WIDTH)])]


def chart_title(summary: CampaignSummary, reader: Reader) -> str:
    return reader._("Money raised over time, in {currency}").format(
        currency=reader.currency_name(summary.home_currency, plural=True)
    )


def campaign_chart(
    summary: CampaignSummary, reader: Reader, width: float, drawn: Drawn = visual_line
) -> Drawing:
    """The money raised over time, `width` wide: by day, or by week or month when the
    campaign is long (the PDF's chart; the web draws the same as SVG)."""
    _ = reader._
    lines: Sequence[DayLine] = summary.by_day
    period: Period = "day"
    if len(summary.by_week) > MONTHLY_CHART_AFTER_WEEKS:
        lines, period = summary.by_month, "month"
    elif (
        summary.first_gift
        and summary.last_gift
        and (summary.last_gift - summary.first_gift).days > WEEKLY_CHART_AFTER_DAYS
    ):
        lines, period = summary.by_week, "week"
    bars_label = {
        "week": _("Given per week"),
        "day": _("Given per day"),
        "month": _("Given per month"),
    }
    text = ChartText(
        bars_label=bars_label[period],
        line_label=_("Total raised so far"),
        axis_label=reader.compact,
        date_label=reader.short_month if period == "month" else reader.short_date,
        rtl=reader.rtl,
    )
    return money_over_time(
        [Point(line.date, line.home.amount) for line in lines], width, text, period, drawn
    )


def _breakdowns(summary: CampaignSummary, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    home = summary.home_currency
    methods = _totalled_table(
        summary,
        page,
        _("Method"),
        [
            [
                method_name(line.method, reader),
                reader.number(line.count),
                reader.money(line.home),
                reader.money(line.reporting),
            ]
            for line in summary.by_method
        ],
    )
    currencies = page.table(
        [_("Currency"), _("Gifts"), _("Given"), home],
        [
            [
                line.currency,
                reader.number(line.count),
                reader.money(line.amount),
                reader.money(line.home),
            ]
            for line in summary.by_currency
        ],
        numeric=[False, True, True, True],
        total=[
            _("Total"),
            reader.number(summary.donation_count),
            "",
            reader.money(summary.total_home),
        ],
    )
    sections: list[Flowable] = [
        page.section([page.heading(_("By payment method"))], methods),
        page.section([page.heading(_("By currency of the gift"))], currencies),
    ]
    if summary.by_campaign:  # the summary of all campaigns: each one's share first
        campaigns = _totalled_table(
            summary,
            page,
            _("Campaign"),
            [
                [
                    line.campaign.name_in(reader.language),
                    reader.number(line.gifts),
                    _money_or_dash(line.home, reader),
                    _money_or_dash(line.reporting, reader),
                ]
                for line in summary.by_campaign
            ],
        )
        sections.insert(0, page.section([page.heading(_("By campaign"))], campaigns))
    return sections


def _totalled_table(
    summary: CampaignSummary, page: Page, label: str, rows: list[list[str]]
) -> Table:
    """A table of gifts and their values in the home and reporting currencies, one row per
    `label` (a method, a campaign, a week), ending with the summary's totals: its rows split
    the same gifts, so they add up to them."""
    reader = page.reader
    _ = reader._
    return page.table(
        [label, _("Gifts"), summary.home_currency, summary.reporting_currency],
        rows,
        numeric=[False, True, True, True],
        total=[
            _("Total"),
            reader.number(summary.donation_count),
            reader.money(summary.total_home),
            reader.money(summary.total_reporting),
        ],
    )


def _sizes(summary: CampaignSummary, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    home = summary.home_currency
    bands = []
    for band in summary.sizes:
        label = size_label(band, reader)
        share = (
            reader.percent(band.home.amount / summary.total_home.amount)
            if summary.total_home.amount
            else "–"
        )
        bands.append([label, reader.number(band.count), reader.money(band.home), share])
    sizes = page.table(
        [_("Gift size in {currency}").format(currency=home), _("Gifts"), home, _("Share")],
        bands,
        numeric=[False, True, True, True],
    )
    return [page.section([page.heading(_("Gifts by size"))], sizes)]


def size_label(band: SizeBand, reader: Reader) -> str:
    """A size band as its table (and the web page's) names it."""
    if band.high is None:
        return reader._("{low} or more").format(low=reader.money(band.low, whole=True))
    # The upper bound is excluded: "₪100 – ₪249.99", exact to the smallest unit.
    below = Money.from_minor(band.high.to_minor() - 1, band.high.currency)
    return reader._("{low} – {high}").format(low=reader.money(band.low, whole=True),
                                             high=reader.money(below))  # fmt: skip


def _weeks(summary: CampaignSummary, page: Page) -> list[Flowable]:
    """The gifts week by week; beyond about a quarter (a year has 53 weeks, two pages of
    them), month by month. A month's line sums its days, which sum the gifts' rounded values,
    so the months add up to the totals as the weeks do."""
    reader = page.reader
    _ = reader._
    if not summary.by_week:
        return []
    monthly = len(summary.by_week) > WEEKS_IN_TABLE
    lines = summary.by_month if monthly else summary.by_week
    table = _totalled_table(
        summary,
        page,
        _("Month") if monthly else _("Week of"),
        [
            [
                reader.month(line.date) if monthly else reader.date(line.date),
                reader.number(line.count),
                reader.money(line.home),
                reader.money(line.reporting),
            ]
            for line in lines
        ],
    )
    heading = _("By month") if monthly else _("By week (weeks start on Sunday)")
    return [page.section([page.heading(heading)], table)]


def _honour_roll(summary: CampaignSummary, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    if not summary.top_donors:
        return []
    rows = [
        [
            reader.number(rank),
            line.name,
            reader.number(line.count),
            reader.money(line.home),
            reader.money(line.reporting),
        ]
        for rank, line in enumerate(summary.top_donors, start=1)
    ]
    table = page.table(
        ["", _("Donor"), _("Gifts"), summary.home_currency, summary.reporting_currency],
        rows,
        numeric=[True, False, True, True, True],
    )
    return [
        page.section(
            [
                page.heading(_("Honour roll")),
                page.text(
                    _(
                        "The donors who gave the most in their own name. A gift given "
                        "anonymously is never shown here and never counts toward a name."
                    ),
                    style.NOTE,
                ),
            ],
            table,
        )
    ]


def _rates_note(summary: CampaignSummary, page: Page, options: ReportOptions) -> list[Flowable]:
    _ = page.reader._
    paragraphs = rates_paragraphs(summary, page.reader, options.max_rate_age_days)
    return [
        KeepTogether(
            [
                page.heading(_("About the exchange rates")),
                *(page.text(text, style.NOTE) for text in paragraphs),
            ]
        )
    ]


def rates_paragraphs(summary: CampaignSummary, reader: Reader, max_rate_age_days: int) -> list[str]:
    """The note on exchange rates that makes every figure explainable (the PDF's and the web
    page's): how gifts are converted, the rates used with their sources and dates, the
    fixed-rate headline if any."""
    _ = reader._
    home, reporting = summary.home_currency, summary.reporting_currency
    paragraphs = [
        _(
            "Each gift is converted into {home} and {reporting} at the exchange rate in force on "
            "the date it was given: the latest rate published on or before that date, and no "
            "more than {age} old. Each converted gift is rounded half-up to the smallest "
            "unit of its currency, once; every total in this report is the sum of those "
            "rounded gifts, so every table adds up to its total."
        ).format(home=home, reporting=reporting, age=rate_age(max_rate_age_days, reader)),
    ]
    rates = summary.rates
    if rates.first_date and rates.last_date:
        paragraphs.append(
            _("Rates used: {pairs}, published by {sources} between {first} and {last}.").format(
                pairs=_listed([reader.isolated(pair) for pair in rates.pairs], reader),
                sources=_listed([source_name(source, reader) for source in rates.sources], reader),
                first=reader.date(rates.first_date),
                last=reader.date(rates.last_date),
            )
        )
    if summary.headline is not None:
        paragraphs.append(
            _(
                "The figure of {amount} applies one fixed rate, {rate}, to the total of {total} "
                "and is rounded once. It is given for comparison and differs from the sum of "
                "the gifts converted one by one ({per_gift})."
            ).format(
                amount=reader.money(summary.headline.total_reporting),
                rate=fixed_rate_text(summary.headline, reader),
                total=reader.money(summary.total_home),
                per_gift=reader.money(summary.total_reporting),
            )
        )
    paragraphs.append(_("Reversed gifts and their reversals are left out of every figure."))
    return paragraphs


def _listed(items: Sequence[str], reader: Reader) -> str:
    return format_list(list(items), locale=reader.language)
