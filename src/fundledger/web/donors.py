"""The donor pages: the search by name or e-mail, a donor's page (their gifts, receipts and
statement years), and a year's statement as a PDF. What a role may see is the services' to
decide (services/browse.py): a viewer never learns who gave an anonymous gift."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundledger.domain.access import PermissionDenied, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.reports.i18n import Reader
from fundledger.services.browse import NoSuchDonor, donor_page, find_donors
from fundledger.services.context import CommandContext
from fundledger.services.delivery import SendOptions, plan_statements
from fundledger.services.delivery_history import statement_deliveries
from fundledger.services.donors import donor_details
from fundledger.services.histories import donor_merges
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
from fundledger.web.sending import send_one

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
    return donor_with_forms(donor_id, MultiDict(), None, None, 200)


def donor_with_forms(
    donor_id: int,
    form: MultiDict[str, str],
    problem: str | None,
    failed: str | None,
    status: int,
) -> ResponseReturnValue:
    """The donor's page; for those who keep the books also the history of their details and
    merges, and the forms that change them (web/donor_changes.py): `form`, `problem` and
    `failed` ("edit", "merge" or "unmerge"), a form sent back with what was wrong in it."""
    actor, page = db.current_actor(), page_number()

    def work(session: Session, context: CommandContext) -> tuple[Any, ...]:
        shown = donor_page(session, context, actor, donor_id, page=page)
        keeper = actor.sees_contact_details
        return (shown, context.settings.home_currency,
                donor_details(session, donor_id, actor=actor) if keeper else None,
                donor_merges(session, actor, donor_id),
                statement_deliveries(session, actor, donor_id) if keeper else {})  # fmt: skip

    try:
        shown, home, details, merges, mailed = db.run(work)
    except NoSuchDonor:
        abort(404)
    return render("donor.html", status, donor=shown, home_currency=home, details=details,
                  merges=merges, may_change=actor.may(Role.TREASURER), form=form,
                  problem=problem, failed=failed, detail_names=_detail_names(),
                  mailed=mailed)  # fmt: skip


def _detail_names() -> dict[str, str]:
    """A donor's details as the history names them, in the page's language."""
    return {"name": _("Name"), "email": _("E-mail"), "address": _("Address"),
            "phone": _("Phone"), "language": _("Language"), "tax_id": _("ID number")}  # fmt: skip


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


@bp.route("/<int:donor_id>/statement/<int:year>/send", methods=["POST"])
def send_statement(donor_id: int, year: int) -> ResponseReturnValue:
    """`statement send DONOR --year YEAR [--again]`: the button beside a year's statement on
    the donor's page, in the donor's language. Sent before, it goes again only when the form
    says so."""
    actor = db.current_actor()
    require(actor, Role.TREASURER, "send a donor's statement")
    options = SendOptions(again=request.form.get("again") == "1")
    send_one(lambda session, context: plan_statements(session, context, year, donor_id,
                                                      options, actor),
             _("The statement of {year}", year=year), actor)  # fmt: skip
    return redirect(url_for("donors.donor", donor_id=donor_id), 303)
