"""The e-mail that carries a receipt or a statement to its donor, in the donor's language: a
subject, the same words as plain text and as HTML (right to left for Hebrew and Arabic), and
the PDF drawn in memory. What the ledger holds (names, the organisation's details) is text,
never markup: it is escaped in the HTML part."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from html import escape
from pathlib import Path

from fundledger.adapters.images import Logo
from fundledger.reports.i18n import Reader
from fundledger.services.delivery import Draft
from fundledger.services.receipts import ReceiptDocument
from fundledger.services.statements import DonorStatement


class MailDrafts:
    """Drafting (services/delivery.py) with the PDF layouts of reports/pdf."""

    def receipt(self, document: ReceiptDocument, logo: Logo | None, *, copy: bool) -> Draft:
        # Imported here: ReportLab costs whoever only lists the commands 0.08 s.
        from fundledger.reports.pdf.receipt import write_receipt_pdf

        pdf, undrawable = _drawn(
            lambda path: write_receipt_pdf(document, path, copy=copy, logo=logo))  # fmt: skip
        reader = Reader.for_locale(document.locale)
        subject, paragraphs = receipt_words(document, reader, copy=copy)
        organisation = document.organisation
        filename = f"{document.number}{'-copy' if copy else ''}.pdf"
        return _draft(reader, subject, paragraphs, organisation.name, organisation.contact,
                      filename, pdf, undrawable)  # fmt: skip

    def statement(self, statement: DonorStatement) -> Draft:
        from fundledger.reports.pdf.statement import write_statement_pdf

        reader = Reader.for_locale(statement.locale)
        pdf, undrawable = _drawn(lambda path: write_statement_pdf(statement, reader, path))
        subject, paragraphs = statement_words(statement, reader)
        organisation = statement.organisation
        return _draft(reader, subject, paragraphs, organisation.name, organisation.contact,
                      f"statement-{statement.year}.pdf", pdf, undrawable)  # fmt: skip


def _drawn(write: Callable[[Path], set[str]]) -> tuple[bytes, frozenset[str]]:
    """The PDF a layout writes, as bytes (the layouts write files; a temporary one, gone at
    once), and the characters no font could draw in it. ReportLab writes them invariant (no
    date, fixed ids): the same document, the same bytes."""
    with tempfile.TemporaryDirectory(prefix="fundledger-mail-") as folder:
        path = Path(folder) / "document.pdf"
        undrawable = write(path)
        return path.read_bytes(), frozenset(undrawable)


def receipt_words(
    document: ReceiptDocument, reader: Reader, *, copy: bool
) -> tuple[str, list[str]]:
    """The subject and the paragraphs of a receipt's e-mail, before the closing."""
    _ = reader._
    organisation = reader.named(document.organisation.name)
    number = reader.isolated(str(document.number))
    greeting = _("Dear {name},").format(name=reader.named(document.donor))
    on = reader.date(document.gift_date)
    if document.kind == "credit":
        subject = _("Credit receipt {number} from {organisation}").format(
            number=number, organisation=organisation)  # fmt: skip
        cancelled = reader.isolated(str(document.credits)) if document.credits else ""
        paragraphs = [
            greeting,
            _("The gift of {amount} you made on {date} has been cancelled. Attached is the "
              "credit receipt {number}, which cancels receipt {cancelled}.").format(
                amount=reader.money(-document.amount), date=on, number=number,
                cancelled=cancelled),
        ]  # fmt: skip
    else:
        subject = _("Your donation receipt {number} from {organisation}").format(
            number=number, organisation=organisation)  # fmt: skip
        paragraphs = [
            greeting,
            _("Thank you for your gift of {amount} on {date}. Your receipt {number} is "
              "attached to this e-mail as a PDF.").format(
                amount=reader.money(document.amount), date=on, number=number),
        ]  # fmt: skip
        if document.section46:
            paragraphs.append(_("It is a donation receipt under Section 46 of the Income Tax "
                                "Ordinance: please keep it for your tax return."))  # fmt: skip
    if copy:
        paragraphs.append(_("This is a copy of a receipt we sent you before."))
    return subject, paragraphs


def statement_words(statement: DonorStatement, reader: Reader) -> tuple[str, list[str]]:
    _ = reader._
    organisation = reader.named(statement.organisation.name)
    year = reader.isolated(str(statement.year))
    subject = _("Your statement of gifts in {year} from {organisation}").format(
        year=year, organisation=organisation)  # fmt: skip
    return subject, [
        _("Dear {name},").format(name=reader.named(statement.donor)),
        _("Thank you for your support in {year}. Attached is your statement of every gift you "
          "gave us that year: {total} in all.").format(
            year=year, total=reader.money(statement.total_home)),
    ]  # fmt: skip


def _closing(reader: Reader, organisation: str, contact: str | None) -> list[str]:
    _ = reader._
    lines = [_("With gratitude,"), reader.named(organisation)]
    if contact:
        lines.append(_("Questions? Write to us or call: {contact}").format(
            contact=reader.isolated(contact)))  # fmt: skip
    return lines


def _draft(
    reader: Reader,
    subject: str,
    paragraphs: list[str],
    organisation: str,
    contact: str | None,
    filename: str,
    pdf: bytes,
    undrawable: frozenset[str],
) -> Draft:
    closing = _closing(reader, organisation, contact)
    plain = "\n\n".join([*paragraphs, "\n".join(closing)]) + "\n"
    direction = "rtl" if reader.rtl else "ltr"
    body = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    signed = "<br>\n".join(escape(line) for line in closing)
    html = (
        "<!DOCTYPE html>\n"
        f'<html lang="{reader.language}" dir="{direction}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(subject)}</title>\n</head>\n"
        '<body style="font-family: Arial, Helvetica, sans-serif; line-height: 1.5">\n'
        f"{body}\n<p>{signed}</p>\n</body>\n</html>\n"
    )
    return Draft(
        subject=_one_line(subject),
        plain=plain,
        html=html,
        filename=filename,
        pdf=pdf,
        undrawable=undrawable,
    )


def _one_line(text: str) -> str:
    """A subject on one line, whatever a name holds (a header cannot carry a line break)."""
    return " ".join(text.split())
