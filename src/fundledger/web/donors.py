"""The donor pages: the search by name or e-mail, a donor's page (their gifts, receipts and
statement years), and a year's statement as a PDF. What a role may see is the services' to
decide (services/browse.py): a viewer never learns who gave an anonymous gift."""

from __future__ import annotations

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue

from fundledger.domain.access import PermissionDenied
from fundledger.domain.errors import FundledgerError
from fundledger.reports.i18n import Reader
from fundledger.services.browse import NoSuchDonor, donor_page, find_donors
from fundledger.services.statements import statement_for
from fundledger.web import db
from fundledger.web.i18n import gettext as _
from fundledger.web.listing import (
    BadField,
    locale_field,
    page_number,
    pdf_file,
    refused,
    render,
    text_field,
)

bp = Blueprint("donors", __name__, url_prefix="/donors")


@bp.route("")
def index() -> ResponseReturnValue:
    try:
        wanted = text_field("q", _("Name or e-mail"))
    except BadField as error:
        return render("donors.html", 400, q="", found=None, error=str(error))
    if wanted is None:
        return render("donors.html", q="", found=None, error=None)
    actor, page = db.current_actor(), page_number()
    try:
        found = db.run(lambda session, _: find_donors(session, actor, wanted, page=page))
    except PermissionDenied:  # a viewer's search by e-mail
        raise
    except FundledgerError:  # a search with no letter or digit in it
        return render(
            "donors.html",
            400,
            q=wanted,
            found=None,
            error=_("Type a part of a donor's name, or their e-mail address."),
        )
    return render("donors.html", q=wanted, found=found, error=None)


@bp.route("/<int:donor_id>")
def donor(donor_id: int) -> ResponseReturnValue:
    actor, page = db.current_actor(), page_number()
    try:
        shown, home = db.run(lambda session, context: (
            donor_page(session, context, actor, donor_id, page=page),
            context.settings.home_currency))  # fmt: skip
    except NoSuchDonor:
        abort(404)
    return render("donor.html", donor=shown, home_currency=home)


@bp.route("/<int:donor_id>/statement/<int:year>.pdf")
def statement(donor_id: int, year: int) -> ResponseReturnValue:
    """The same PDF as `fundledger statement DONOR --year YEAR [--locale]`."""
    actor, locale = db.current_actor(), locale_field()
    try:
        made = db.run(lambda session, context: statement_for(session, context, actor,
                                                             donor_id, year, locale))  # fmt: skip
    except NoSuchDonor:
        abort(404)
    except PermissionDenied:
        raise
    except FundledgerError as error:  # merged into another donor, a rate missing
        return refused(str(error))
    # Imported here: ReportLab costs every other page's first request 0.08 s.
    from fundledger.reports.pdf.statement import write_statement_pdf

    reader = Reader.for_locale(made.locale)
    return pdf_file(lambda path: write_statement_pdf(made, reader, path),
                    f"statement-{donor_id}-{year}-{made.locale}.pdf")  # fmt: skip
