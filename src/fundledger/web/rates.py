"""The rates page: every pair with its latest rate (value, date, source), and the gaps (gifts
without a rate in force), each with the command that mends it.

For treasurers, the writes of `fundledger rates`: fetch the published rates (`rates fetch`:
the Bank of Israel's, or the ECB's), add one rate (`rates add`) and import a rate file
(`rates import`: Bank of Israel, ECB or plain CSV, by content as the CLI detects it), each
through the same service in one transaction: a file with one bad line, or a download that
fails, writes nothing and the page says why. Rates change gifts' values, so the stored
summaries are brought up to date after each."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Literal, cast

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from fundledger.adapters.http_client import Downloader, Retrying
from fundledger.adapters.rate_files import FORMATS, RateFormat, read_rate_file
from fundledger.adapters.rate_sources import PUBLISHERS
from fundledger.domain.access import PermissionDenied, Role, require
from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import currency_in_use
from fundledger.domain.rates import Rate, rate_from_text
from fundledger.reports.i18n import Reader
from fundledger.services.context import CommandContext
from fundledger.services.rate_fetch import FetchOutcome, fetch_rates
from fundledger.services.rate_import import MANUAL_SOURCE, RateImport, add_rate, import_rates
from fundledger.services.rate_overview import rate_overview
from fundledger.services.summary_store import refresh
from fundledger.web import db
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language, ngettext
from fundledger.web.listing import render
from fundledger.web.messages import service_message

bp = Blueprint("rates", __name__, url_prefix="/rates")
# The ECB's whole history since 1999 is about 2 MB unpacked (a few hundred KB zipped), a Bank
# of Israel download far less: 16 MB holds any real rate file and keeps a mistaken upload (a
# video, a backup) from filling the server's memory.
RATE_FILE_MOST = 16 * 1024 * 1024
# A page waits for its answer: a fetch gives up sooner than the CLI's (30 s, three tries), and
# all its downloads together stop at 25 s, under the 30-60 s after which proxies in front of a
# server give up on a request.
FETCH_TIMEOUT_SECONDS = 10.0
FETCH_BUDGET_SECONDS = 25.0
FETCH_RETRYING = Retrying(attempts=2, first_wait=1.0, longest_wait=5.0)


@bp.route("")
def index() -> ResponseReturnValue:
    return _page()


def _page(status: int = 200, **values: object) -> ResponseReturnValue:
    today = today_in_israel()
    overview = db.run(lambda session, context: rate_overview(session, context, today=today))
    values.setdefault("form", {})
    return render("rates.html", status, overview=overview, formats=FORMATS,
                  manual=MANUAL_SOURCE, publishers=sorted(PUBLISHERS), **values)  # fmt: skip


@bp.route("", methods=["POST"])
def add() -> ResponseReturnValue:
    """`rates add DATE BASE QUOTE RATE [--source] [--supersede] [--confirm]`."""
    actor, form = db.current_actor(), request.form
    # Before the form is read too (the service asks again): a viewer's request gets 403,
    # never a message about what it typed.
    require(actor, Role.TREASURER, "record exchange rates")
    try:
        on = _date(form.get("date", ""))
        typed = Rate(on, currency_in_use(form.get("base", "")), currency_in_use(
            form.get("quote", "")), rate_from_text(form.get("rate", "")),
            form.get("source", "").strip() or MANUAL_SOURCE)  # fmt: skip
        result = db.run(lambda session, context: add_rate(
            session, context, typed, supersede=form.get("supersede") is not None,
            confirm=form.get("confirm") is not None, actor=actor),
            write=True, summaries=True)  # fmt: skip
    except PermissionDenied:
        raise
    except FundledgerError as error:  # not a date, a currency, a rate; a contradiction
        return _page(422, add_error=service_message(error), form=form)
    reader = Reader.for_locale(language())
    shown = _("1 {base} = {rate} {quote} on {date} ({source})", base=typed.base,
              rate=reader.rate(typed.value), quote=typed.quote, date=reader.date(typed.rate_date),
              source=typed.source)  # fmt: skip
    if result.corrections:
        flash(_("Recorded {rate}, correcting the value stored before.", rate=shown))
    elif result.new:
        flash(_("Recorded {rate}.", rate=shown))
    else:
        flash(_("Already recorded: {rate}; nothing added.", rate=shown))
    return redirect(url_for("rates.index", _anchor="main"), 303)


@bp.route("/import", methods=["POST"])
def import_file() -> ResponseReturnValue:
    """`rates import FILE [--format] [--source] [--supersede] [--confirm]`, the file uploaded."""
    actor, form = db.current_actor(), request.form
    require(actor, Role.TREASURER, "record exchange rates")  # before the upload is read
    upload = request.files.get("file")
    chosen = form.get("format") or "auto"
    if upload is None or not upload.filename:
        return _page(422, import_error=_("Choose the rate file to import."), form=form)
    if chosen != "auto" and chosen not in FORMATS:
        return _page(422, import_error=_("Choose the file's format from the list."), form=form)
    data = upload.stream.read(RATE_FILE_MOST + 1)
    if len(data) > RATE_FILE_MOST:
        return _page(413, form=form, import_error=_(
            "The file is larger than {most} MB, more than any rate file: check that it is the "
            "right file, or import it with `fundledger rates import` at the server.",
            most=RATE_FILE_MOST // (1024 * 1024)))  # fmt: skip
    # The readers take a path and tell a zip (the ECB's) by its name: the upload is saved
    # under its own name in a private folder, removed at once.
    name = secure_filename(upload.filename) or "rates.csv"
    source = form.get("source", "").strip() or None
    try:
        with tempfile.TemporaryDirectory(prefix="fundledger-web-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            # Read and checked before the transaction, as the CLI does: a SQLite ledger's
            # write lock is held only while rows are written.
            with read_rate_file(path, cast(RateFormat | Literal["auto"], chosen), source) as (
                detected, rows):  # fmt: skip
                parsed = list(rows)
                skipped = rows.skipped

            def work(session: Session, context: CommandContext) -> RateImport:
                return import_rates(session, context, parsed, origin=f"{name} ({detected})",
                                    supersede=form.get("supersede") is not None,
                                    confirm=form.get("confirm") is not None, skipped=skipped,
                                    actor=actor)  # fmt: skip

            result = db.run(work, write=True)
    except PermissionDenied:
        raise
    except FundledgerError as error:  # a bad line (named), a contradiction, an empty file
        return _page(422, import_error=str(error), form=form)
    refresh(db.engine(), db.command_context)
    flash(_imported(name, result))
    return redirect(url_for("rates.index", _anchor="main"), 303)


@bp.route("/fetch", methods=["POST"])
def fetch() -> ResponseReturnValue:
    """`rates fetch [--source] [--from] [--supersede] [--confirm]`: the pairs the gifts need,
    downloaded while the treasurer waits (no transaction is open meanwhile), then recorded at
    once."""
    actor, form = db.current_actor(), request.form
    require(actor, Role.TREASURER, "record exchange rates")
    source = form.get("source") or None
    if source is not None and source not in PUBLISHERS:
        return _page(422, form=form, fetch_error=_("Choose who publishes the rates from the list."))
    try:
        first = _date(form["from"]) if form.get("from", "").strip() else None
        with Downloader(timeout=FETCH_TIMEOUT_SECONDS, budget=FETCH_BUDGET_SECONDS,
                        retrying=FETCH_RETRYING, longer="") as downloader:  # fmt: skip
            outcome = fetch_rates(db.run, downloader, source=source, first=first,
                                  supersede=form.get("supersede") is not None,
                                  confirm=form.get("confirm") is not None, actor=actor)  # fmt: skip
    except PermissionDenied:
        raise
    except FundledgerError as error:  # a download that failed, a contradiction, a bad date
        return _page(422, form=form, fetch_error=service_message(error),
                     fetch_failed=_("Nothing was recorded."))  # fmt: skip
    if outcome.imports:
        refresh(db.engine(), db.command_context)
    flash(_fetched(outcome))
    return redirect(url_for("rates.index", _anchor="main"), 303)


def _fetched(outcome: FetchOutcome) -> str:
    reader = Reader.for_locale(language())
    names = {"boi": _("Bank of Israel"), "ecb": _("European Central Bank")}
    parts = []
    for item in outcome.fetched:
        request = item.request
        if item.silent:
            parts.append(_("{pair} from the {publisher}: nothing published from {first} to "
                           "{last}; has the series stopped?", pair=request.pair,
                           publisher=names[request.publisher.code],
                           first=reader.date(request.first),
                           last=reader.date(request.last)))  # fmt: skip
        elif item.rows:
            latest = max(row.rate.rate_date for row in item.rows)
            parts.append(ngettext(
                "{pair} from the {publisher}: {n} rate, the latest of {date}.",
                "{pair} from the {publisher}: {n} rates, the latest of {date}.", len(item.rows),
                pair=request.pair, publisher=names[request.publisher.code],
                date=reader.date(latest)))  # fmt: skip
        else:
            parts.append(_("{pair} from the {publisher}: nothing published since {date}.",
                           pair=request.pair, publisher=names[request.publisher.code],
                           date=reader.date(request.first)))  # fmt: skip
    for done in outcome.plan.up_to_date:
        parts.append(_("{pair} from the {publisher}: up to date (the latest rate is of {date}).",
                       pair=done.pair, publisher=names[done.publisher.code],
                       date=reader.date(done.latest)))  # fmt: skip
    for pair in outcome.plan.unpublished:
        parts.append(_("{pair}: not published where it was asked for; add its rates by hand or "
                       "import a file.", pair=pair))  # fmt: skip
    new = sum(result.new for result in outcome.imports)
    present = sum(result.present for result in outcome.imports)
    corrected = sum(len(result.corrections) for result in outcome.imports)
    if outcome.imports:
        parts.append(_("Recorded: {new} new, {present} already present.",
                       new=reader.number(new), present=reader.number(present)))  # fmt: skip
    else:
        parts.append(_("Nothing new to record."))
    if corrected:
        parts.append(ngettext("{n} rate corrects the value stored before.",
                              "{n} rates correct the values stored before.",
                              corrected))  # fmt: skip
    return " ".join(parts)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FundledgerError(
            _(
                "The rate's date: {value} is not a date; write it as "
                "2025-07-03 (year, month, day).",
                value=text,
            )
        ) from None


def _imported(name: str, result: RateImport) -> str:
    reader = Reader.for_locale(language())
    text = _("Imported {file}: {new} new, {present} already present.", file=name,
             new=reader.number(result.new), present=reader.number(result.present))  # fmt: skip
    if result.corrections:
        text += " " + ngettext("{n} rate corrects the value stored before.",
                               "{n} rates correct the values stored before.",
                               len(result.corrections))  # fmt: skip
    if result.skipped:
        count = sum(number for _code, number in result.skipped)
        text += " " + ngettext(
            "{n} rate skipped (currencies no longer in use: {codes}).",
            "{n} rates skipped (currencies no longer in use: {codes}).", count,
            codes=", ".join(code for code, _number in result.skipped))  # fmt: skip
    return text
