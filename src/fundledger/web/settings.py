"""The settings page, for admins: every setting as `fundledger settings show` lists it, each
changed or cleared with the same service and checks as `settings set|unset`, and the logo
uploaded (PNG or JPEG, told by its content, at most 256 KiB, as the CLI's logo setting reads a
file). The role is checked in the services: a treasurer's or viewer's request gets 403 and
writes nothing."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from fundledger.adapters.images import LARGEST_LOGO_BYTES
from fundledger.domain.access import PermissionDenied
from fundledger.domain.errors import FundledgerError
from fundledger.services.settings import (
    RULE_KEYS,
    SERVER_ONLY,
    declaration,
    set_logo,
    set_setting,
    settings_shown,
)
from fundledger.services.summary_store import refresh
from fundledger.web import db
from fundledger.web.i18n import N_
from fundledger.web.i18n import gettext as _
from fundledger.web.listing import render

bp = Blueprint("settings", __name__, url_prefix="/settings")

# What each setting means, in the page's language (the services' own words are the CLI's).
MEANINGS = {
    "organisation.name.en": N_("The organisation's name in English"),
    "organisation.name.he": N_("The organisation's name in Hebrew"),
    "organisation.name.ar": N_("The organisation's name in Arabic"),
    "organisation.address.en": N_("The postal address, in English"),
    "organisation.address.he": N_("The postal address, in Hebrew"),
    "organisation.address.ar": N_("The postal address, in Arabic"),
    "organisation.contact": N_("Phone, e-mail or website, as printed"),
    "organisation.logo": N_("The logo drawn at the head of documents (PNG or JPEG)"),
    "organisation.registration": N_("The amuta registration number (9 digits)"),
    "organisation.section46.approval": N_("The Section 46 approval number for donation receipts"),
    "organisation.section46.valid_until": N_(
        "The last day of the Section 46 approval (YYYY-MM-DD)"
    ),
    "receipt.prefix": N_("What receipt numbers begin with (default R)"),
    "tax.require_report_number": N_(
        "on: with a Section 46 approval, a donation receipt needs the Tax Authority's report "
        "number and the donor's Israeli ID number (default off)"
    ),
    "tax.report_from": N_("Gifts dated on or after this day are reported to the Tax Authority"),
    "tax.section46.minimum.YEAR": N_("The Section 46 minimum of {year}'s gifts, in NIS"),
    "report.locale": N_("The language of documents when none is chosen (en, he or ar)"),
    "ledger.home_currency": N_("The currency of the books (default ILS)"),
    "ledger.reporting_currency": N_("The second currency of reports (default USD)"),
    "rates.max_age_days": N_("How many days a rate stays in force after its date (default 7)"),
    "web.idle_minutes": N_("Minutes without a request after which a web session ends (default 30)"),
    "web.secure_cookies": N_("on: the session cookie is sent over HTTPS only (default off)"),
}
ORDER = {key: place for place, key in enumerate(MEANINGS)}
# Read once when the web server starts (app.py): a change takes effect at its restart. (The
# organisation's names: in the pages' header; documents read them afresh.)
AT_RESTART = frozenset({"web.idle_minutes", "web.secure_cookies", "organisation.name.en",
                        "organisation.name.he", "organisation.name.ar"})  # fmt: skip


@bp.route("")
def index() -> ResponseReturnValue:
    return _page()


def _page(status: int = 200, **values: object) -> ResponseReturnValue:
    actor = db.current_actor()
    # In the order the meanings are declared (the organisation's details first, the web's
    # last), not by key as `settings show` lists them: the related settings stay together.
    shown = sorted(
        db.run(lambda session, _: settings_shown(session, actor)),
        key=lambda each: (ORDER.get(_declared(each.key), len(ORDER)), each.key),
    )
    # Translated here: a yearly key's meaning names its year.
    meanings = {each.key: _(MEANINGS[_declared(each.key)], year=each.key.rsplit(".", 1)[1])
                if _declared(each.key) in MEANINGS else each.meaning for each in shown}  # fmt: skip
    return render("settings.html", status, settings=shown, meanings=meanings,
                  at_restart=AT_RESTART, server_only=SERVER_ONLY,
                  logo_most=LARGEST_LOGO_BYTES // 1024, **values)  # fmt: skip


@bp.route("", methods=["POST"])
def change() -> ResponseReturnValue:
    """`settings set KEY VALUE`, or `settings unset KEY` with the "clear" button."""
    actor, form = db.current_actor(), request.form
    key = form.get("key", "")
    # The logo is uploaded, below; a server-only key is refused by set_setting, saying why.
    if declaration(key) is None or key == "organisation.logo":
        return _page(422, error_key=None, error=_("Choose a setting from the list."))
    value = None if form.get("clear") is not None else form.get("value", "")
    try:
        db.run(lambda session, context: set_setting(session, context, key, value, actor),
               write=True)  # fmt: skip
    except PermissionDenied:
        raise
    except FundledgerError as error:  # the value refused by the setting's check
        return _page(422, error_key=key, error=str(error), typed=form.get("value", ""))
    if key in RULE_KEYS:
        # The stored summaries were derived under the old rule: derived again now, in a
        # transaction of their own, not by the next page that reads them (seconds on 1M).
        refresh(db.engine(), db.command_context)
    if value is None:
        flash(_("Cleared {key}.", key=key))
    else:
        flash(_("Saved {key}.", key=key))
    return redirect(url_for("settings.index", _anchor=_anchor(key)), 303)


@bp.route("/logo", methods=["POST"])
def logo() -> ResponseReturnValue:
    """The organisation.logo setting from an uploaded image."""
    actor = db.current_actor()
    upload = request.files.get("logo")
    if upload is None or not upload.filename:
        # The page shown again is an admin's (settings_shown): anyone else gets 403 here too.
        return _page(422, error_key="organisation.logo", error=_("Choose the logo's file."))
    # One byte more than allowed tells a file too large without reading all of it.
    data = upload.stream.read(LARGEST_LOGO_BYTES + 1)
    name = upload.filename
    try:
        db.run(lambda session, context: set_logo(session, context, data, name, actor),
               write=True)  # fmt: skip
    except PermissionDenied:
        raise
    except FundledgerError as error:  # not a PNG or JPEG, too large, damaged
        return _page(422, error_key="organisation.logo", error=str(error))
    flash(_("Saved the logo: the documents issued from now on carry it."))
    return redirect(url_for("settings.index", _anchor=_anchor("organisation.logo")), 303)


def _declared(key: str) -> str:
    """The key `key` is declared as: itself, or its yearly key (….YEAR)."""
    declared = declaration(key)
    return declared.key if declared is not None else key


def _anchor(key: str) -> str:
    return "s-" + key.replace(".", "-")
