"""The donation receipt PDF: one page that says who gave what to whom, when, what it was
worth in the home currency and by which rate, under which Section 46 approval; marked COPY
when printed again. Below the receipt, a thank-you with the organisation's contact, and at the
foot of the page a stub with the key facts that the donor cuts off and keeps. Drawn from the
receipt's content as issued, never from today's ledger."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from fundledger.adapters.images import Logo
from fundledger.domain.text import printable
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf import style
from fundledger.reports.pdf.flowables import AtFoot, CutLine, mirrored
from fundledger.reports.pdf.page import CONTENT_WIDTH, Page, method_name, source_name
from fundledger.services.receipts import ReceiptDocument, ReceiptRate

LABEL_WIDTH = 0.32 * CONTENT_WIDTH


def write_receipt_pdf(
    document: ReceiptDocument, output: Path, *, copy: bool = False, logo: Logo | None = None
) -> set[str]:
    """Writes the receipt in the language it was issued in, with `logo` (the one the receipt
    names, `document.logo`); returns the characters no embedded font could draw (shown as
    U+FFFD)."""
    if (logo.digest if logo else None) != document.logo:
        raise ValueError(f"receipt {document.number} was issued with another logo")
    reader = Reader.for_locale(document.locale)
    _ = reader._
    page = Page(reader)
    story = [
        *_header(document, page, logo),
        *_title(document, page, copy),
        *_donor(document, page),
        _details(document, page),
        *_notes(document, page),
        *_thanks(document, page),
        _stub(document, page, copy),
    ]
    receipt = _("Receipt {number}").format(number=reader.isolated(str(document.number)))
    return page.build(
        story,
        output,
        title=_title_text(document, reader) + f" {document.number}",
        footer=f"{document.organisation.name} · {receipt}",
    )


def _title_text(document: ReceiptDocument, reader: Reader) -> str:
    if document.kind == "credit":
        return reader._("Credit receipt")
    return reader._("Donation receipt")


def _header(document: ReceiptDocument, page: Page, logo: Logo | None) -> list[Flowable]:
    _ = page.reader._
    organisation = document.organisation
    lines: list[Flowable] = [page.text(organisation.name, style.RECEIPT_ORGANISATION)]
    if organisation.registration:
        lines.append(page.text(
            _("Registered non-profit (amuta) no. {number}").format(
                number=page.reader.isolated(organisation.registration)),
            style.SMALL,
        ))  # fmt: skip
    for detail in (organisation.address, organisation.contact):
        if detail:
            # A Latin-only line (a phone number, an e-mail) reads left to right as one unit.
            lines.append(page.text(page.reader.isolated(detail), style.SMALL))
    return [*page.with_logo(lines, logo), Spacer(1, 18)]


def _title(document: ReceiptDocument, page: Page, copy: bool) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    number = _("No. {number}").format(number=reader.isolated(str(document.number)))
    heading = [
        page.text(_title_text(document, reader), style.TITLE),
        page.text(f"{number} · {reader.date(document.issued_on)}", style.SUBTITLE),
    ]
    organisation = document.organisation
    if organisation.approval:
        approval = reader.isolated(organisation.approval)
        until = organisation.approval_valid_until
        text = (
            _("Section 46 of the Income Tax Ordinance: approval no. {approval}, valid until "
              "{date}").format(approval=approval, date=reader.date(until))
            if until
            else _("Section 46 of the Income Tax Ordinance: approval no. {approval}").format(
                approval=approval)
        )  # fmt: skip
        heading.append(page.text(text, style.EYEBROW))
    mark = Table([[page.text(_("Copy") if copy else _("Original"), style.RECEIPT_MARK)]])
    mark.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, style.SECOND),
                              ("TOPPADDING", (0, 0), (-1, -1), 5),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]))  # fmt: skip
    return [page.row([heading, mark], [CONTENT_WIDTH - 90, 90]), Spacer(1, 16)]


def _donor(document: ReceiptDocument, page: Page) -> list[Flowable]:
    _ = page.reader._
    received = _("Received with thanks from") if document.kind == "donation" else _("Credited to")
    lines: list[Flowable] = [
        page.text(received, style.FIGURE_LABEL_START),
        page.text(document.donor, style.RECEIPT_DONOR),
    ]
    if document.donor_tax_id:
        lines.append(page.text(_("Identity number {number}").format(
            number=page.reader.isolated(document.donor_tax_id)), style.SMALL))  # fmt: skip
    if document.donor_email:
        lines.append(page.text(page.reader.isolated(document.donor_email), style.SMALL))
    return [*lines, Spacer(1, 12)]


def _details(document: ReceiptDocument, page: Page) -> Table:
    reader = page.reader
    _ = reader._
    rows = [
        (_("Amount received") if document.kind == "donation" else _("Amount credited"),
         reader.money(document.amount), style.RECEIPT_AMOUNT),
    ]  # fmt: skip
    if document.rate is not None:
        rows.append((
            _("Value in {currency}").format(
                currency=reader.currency_name(document.home.currency, plural=True)),
            reader.money(document.home),
            style.RECEIPT_AMOUNT,
        ))  # fmt: skip
        rows.append((_("Exchange rate"), _rate_text(document.rate, reader), style.CELL))
    rows.append((_("Date of the gift"), reader.date(document.gift_date), style.CELL))
    if document.method:
        rows.append((_("Payment method"), reader.isolated(method_name(document.method, reader)),
                     style.CELL))  # fmt: skip
    if document.reference:
        rows.append((_("Reference"), reader.isolated(document.reference), style.CELL))
    rows.append((_("Ledger entry"), reader.isolated(f"#{document.donation_id}"), style.CELL))
    if document.tax_report:
        rows.append((_("Tax Authority report no."), reader.isolated(document.tax_report),
                     style.CELL))  # fmt: skip
    if document.credits_tax_report:  # the number the cancelled gift was reported under
        rows.append((_("Report no. of the cancelled gift"),
                     reader.isolated(document.credits_tax_report), style.CELL))  # fmt: skip
    cells = [
        mirrored([page.text(label, style.CELL_HEAD), page.text(value, value_style)], page.rtl)
        for label, value, value_style in rows
    ]
    table = Table(cells, colWidths=mirrored([LABEL_WIDTH, CONTENT_WIDTH - LABEL_WIDTH],
                                            page.rtl))  # fmt: skip
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), style.TABLE_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), style.TABLE_PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, style.INK),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, style.RULE),
        ("BACKGROUND", (0, 0), (-1, 0), style.PANEL),
    ]))  # fmt: skip
    return table


def _rate_text(rate: ReceiptRate, reader: Reader) -> str:
    value = reader.rate(Decimal(rate.value))
    pair = reader.isolated(f"1\u00a0{rate.base}\u00a0=\u00a0{value}\u00a0{rate.quote}")
    source, day = source_name(rate.source, reader), reader.date(rate.date)
    if rate.method == "cross" and rate.via:
        crossed = reader._("{rate}, crossed through {via} from the rates published by {source} "
                           "for {date}")  # fmt: skip
        return crossed.format(rate=pair, via=rate.via, source=source, date=day)
    return reader._("{rate}, published by {source} for {date}").format(
        rate=pair, source=source, date=day
    )


def _notes(document: ReceiptDocument, page: Page) -> list[Flowable]:
    reader = page.reader
    _ = reader._
    notes = []
    if document.kind == "credit" and document.credits is not None:
        notes.append(
            _("This credit receipt cancels receipt {number} of {date}: the gift it "
              "acknowledged was reversed.").format(
                number=reader.isolated(str(document.credits)),
                date=reader.date(document.credits_issued_on or document.issued_on))
        )  # fmt: skip
    if document.rate is not None:
        notes.append(
            _("The value in {currency} is the amount at the rate in force on the date of the "
              "gift, rounded half-up once to the smallest unit.").format(
                currency=reader.currency_name(document.home.currency, plural=True))
        )  # fmt: skip
    if document.section46 and document.kind == "donation":
        notes.append(
            _("Donations to {organisation} are recognised for a tax credit under Section 46 of "
              "the Income Tax Ordinance. Keep this receipt with your tax records.").format(
                organisation=document.organisation.name)
        )  # fmt: skip
    notes.append(_("Computer-generated document."))
    return [Spacer(1, 14), *(page.text(note, style.NOTE) for note in notes)]


def _thanks(document: ReceiptDocument, page: Page) -> list[Flowable]:
    """A thank-you for a gift (a credit receipt has nothing to thank for), with where to ask."""
    reader = page.reader
    _ = reader._
    organisation = document.organisation
    lines: list[Flowable] = []
    if document.kind == "donation":
        lines += [
            page.text(_("Thank you for your gift"), style.THANKS),
            page.text(_("Your gift helps {organisation} carry on its work. We are grateful for "
                        "your support.").format(organisation=organisation.name),
                      style.NOTE),
        ]  # fmt: skip
    if organisation.contact:
        lines.append(page.text(_("Questions about this receipt? {contact}").format(
            contact=reader.isolated(organisation.contact)), style.SMALL))  # fmt: skip
    if not lines:
        return []
    panel = Table([[lines]], colWidths=[CONTENT_WIDTH])
    panel.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), style.PANEL),
        # An accent rule on the start edge of the reader's direction.
        ("LINEAFTER" if page.rtl else "LINEBEFORE", (0, 0), (-1, -1), 3, style.ACCENT),
        ("LEFTPADDING", (0, 0), (-1, -1), 12),
        ("RIGHTPADDING", (0, 0), (-1, -1), 12),
        ("TOPPADDING", (0, 0), (-1, -1), 9),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
    ]))  # fmt: skip
    return [Spacer(1, 10), panel]


def _stub(document: ReceiptDocument, page: Page, copy: bool) -> AtFoot:
    """The donor's part, at the foot of the page: the receipt's key facts, to cut off and
    keep with the tax papers when the page itself is filed or sent on."""
    reader = page.reader
    _ = reader._
    organisation = document.organisation
    title = " · ".join([_title_text(document, reader), *([_("Copy")] if copy else [])])
    issuer: list[Flowable] = [
        page.text(title, style.EYEBROW),
        page.text(organisation.name, style.STUB_VALUE),
    ]
    if organisation.registration:
        issuer.append(page.text(_("Registered non-profit (amuta) no. {number}").format(
            number=reader.isolated(organisation.registration)), style.STUB_LABEL))  # fmt: skip
    if organisation.approval:
        issuer.append(page.text(_("Section 46 approval no. {approval}").format(
            approval=reader.isolated(organisation.approval)), style.STUB_LABEL))  # fmt: skip
    amount_label = _("Amount received") if document.kind == "donation" else _("Amount credited")
    facts = [
        (_("Receipt"), reader.isolated(str(document.number)), style.STUB_VALUE),
        (_("Issued on"), reader.date(document.issued_on), style.STUB_VALUE),
        (_("Donor"), document.donor, style.STUB_VALUE),
        (amount_label, reader.money(document.amount), style.STUB_AMOUNT),
        (_("Date of the gift"), reader.date(document.gift_date), style.STUB_VALUE),
    ]
    if document.rate is not None:
        facts.append((
            _("Value in {currency}").format(
                currency=reader.currency_name(document.home.currency, plural=True)),
            reader.money(document.home), style.STUB_AMOUNT,
        ))  # fmt: skip
    cells = [[page.text(label, style.STUB_LABEL), page.text(value, value_style)]
             for label, value, value_style in facts]  # fmt: skip
    issuer_width = 0.4 * CONTENT_WIDTH
    padding = 10  # inside the box, on either side of each of its two cells
    fact_width = (CONTENT_WIDTH - issuer_width - 2 * padding) / 2
    grid_rows = [cells[index : index + 2] for index in range(0, len(cells), 2)]
    grid = Table([mirrored(row + [""] * (2 - len(row)), page.rtl) for row in grid_rows],
                 colWidths=[fact_width] * 2)  # fmt: skip
    grid.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 8),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))  # fmt: skip
    widths = [issuer_width, CONTENT_WIDTH - issuer_width]
    box = Table([mirrored([issuer, grid], page.rtl)], colWidths=mirrored(widths, page.rtl))
    box.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.8, style.RULE),
        # The rule between the organisation and the facts.
        ("LINEAFTER" if not page.rtl else "LINEBEFORE", (0, 0) if not page.rtl else (-1, 0),
         (0, 0) if not page.rtl else (-1, 0), 0.5, style.RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), padding),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
        ("TOPPADDING", (0, 0), (-1, -1), 9),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))  # fmt: skip
    return AtFoot([
        CutLine(page.rtl),
        page.text(_("For the donor's records: cut along the line and keep this part."),
                  style.FIGURE_LABEL),
        Spacer(1, 8),
        box,
    ])  # fmt: skip


def refuses_undrawable(document: ReceiptDocument, *, copy: bool) -> bool:
    """Whether a receipt that would print U+FFFD in place of a character is not issued: a
    receipt is frozen as issued, so it is refused; a copy shows what was issued, and a credit
    receipt repeats what the receipt it cancels froze (refusing it would leave a mistaken gift
    standing), so those only warn."""
    return not copy and document.kind != "credit"


# The fields of a receipt a user can write, and where they come from, for the refusal.
_FIELDS: tuple[tuple[str, Callable[[ReceiptDocument], str | None]], ...] = (
    ("the donor's name", lambda document: document.donor),
    ("the donor's e-mail", lambda document: document.donor_email),
    ("the gift's reference", lambda document: document.reference),
    ("the payment method", lambda document: document.method),
    ("the Tax Authority report number", lambda document: document.tax_report),
    ("the organisation's name (setting organisation.name.LANGUAGE)",
     lambda document: document.organisation.name),
    ("the organisation's address (setting organisation.address.LANGUAGE)",
     lambda document: document.organisation.address),
    ("the organisation's contact line", lambda document: document.organisation.contact),
)  # fmt: skip


def undrawable_refusal(refused: list[tuple[ReceiptDocument, set[str]]]) -> str:
    """One line: which receipts were not issued, which characters, where they are, what to do."""
    characters: set[str] = set().union(*(missing for _, missing in refused))
    listed = ", ".join(
        f"U+{ord(character):04X} {unicodedata.name(character, 'UNNAMED CHARACTER')}"
        for character in sorted(characters)
    )
    where = sorted({field for document, missing in refused
                    for field, read in _FIELDS if missing & set(read(document) or "")})  # fmt: skip
    gifts = ", ".join(
        f"gift #{document.donation_id} (donor {printable(document.donor)!r})"
        for document, _ in refused[:3]
    ) + (f" and {len(refused) - 3} more" if len(refused) > 3 else "")
    return (
        f"receipt not issued for {gifts}: the PDF font has no glyph for {listed} "
        f"({' and '.join(where) or 'the receipt text'}), which would print as \ufffd; nothing "
        "was issued and no receipt number used: write it with letters the font has (Latin, "
        "Hebrew, Arabic, Persian), then issue again"
    )
