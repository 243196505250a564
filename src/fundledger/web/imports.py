"""The import wizard: `fundledger import donations` in four steps, on the same service.

1. upload (GET /imports/new, POST /imports): the file, its campaign (or none: a campaign
   column), encoding, date format and a profile, or "map the columns myself";
2. map (/imports/<token>/map): each header column read as a field or ignored, prefilled from
   the profile or the header's names; the mapping may be saved as a profile (`import profile
   add`, audited);
3. preview (/imports/<token>): the dry run, as `--dry-run` (the import's check, which writes
   nothing, in a transaction that is rolled back all the same): the first rows as read,
   every problem with its line and field, the columns not read, what is already present,
   the totals it would add; a file imported before says when and by whom;
4. confirm (POST /imports/<token>/confirm): the import, then the result.

The dry run and the import are jobs off the request thread (import_jobs.py); their pages
refresh themselves until the job is done. Every step is a treasurer's: asked first, and the
service asks again for the writes (the import, saving a profile).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import time
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from fundledger.adapters.donation_csv import (
    FIELDS,
    DonationFile,
)
from fundledger.adapters.import_profiles import DATE_FORMATS, ImportProfile, parse_profile
from fundledger.domain.access import Actor, PermissionDenied, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money, currency_in_use
from fundledger.reports.i18n import Reader
from fundledger.services.campaigns import list_campaigns
from fundledger.services.context import CommandContext
from fundledger.services.import_profiles import (
    get_profile,
    list_profiles,
    save_profile,
)
from fundledger.web import db
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language
from fundledger.web.import_jobs import (
    JOB_FILE,
    META_FILE,
    Runner,
    ThreadRunner,
    Uploads,
    UploadsFolderError,
    data_path,
    default_folder,
    locked,
    read_json,
    write_json,
)
from fundledger.web.import_mapping import FIELD_LABELS, IGNORE, checked_mapping, prefilled
from fundledger.web.import_work import ImportJob, importable, job_state
from fundledger.web.listing import render
from fundledger.web.security import MOST_REQUEST_BYTES

log = logging.getLogger(__name__)
bp = Blueprint("imports", __name__, url_prefix="/imports")
RUNNER = "fundledger_import_runner"
DOING = "import gifts"
# The encodings offered: what Israeli and Arab treasurers' spreadsheets save CSV files in.
ENCODINGS = ("utf-8", "cp1255", "cp1256", "iso-8859-8", "cp1252")
LONGEST_NAME = 60  # characters kept of an upload's name, its end: at most 240 bytes


def init_imports(app: Any, database_url: str) -> None:
    """The uploads' folder (config FUNDLEDGER_IMPORT_DIR, else one per ledger under the
    system's temporary folder) and the job runner (FUNDLEDGER_IMPORT_RUNNER for tests)."""
    folder = app.config.get("FUNDLEDGER_IMPORT_DIR") or default_folder(database_url)
    app.extensions["fundledger_uploads"] = Uploads(Path(folder))
    app.extensions[RUNNER] = app.config.get("FUNDLEDGER_IMPORT_RUNNER") or ThreadRunner()


def file_name(name: str) -> Markup:
    """A file's name inside a sentence: isolated, in the direction of its first letter (as
    the treasurer's own system shows it), so that its digits and ".csv" stay with it."""
    return Markup("<bdi>%s</bdi>") % name


def _uploads() -> Uploads:
    return current_app.extensions["fundledger_uploads"]  # type: ignore[no-any-return]


def _runner() -> Runner:
    return current_app.extensions[RUNNER]  # type: ignore[no-any-return]


def _treasurer() -> Actor:
    actor = db.current_actor()
    require(actor, Role.TREASURER, DOING)  # before anything is read or kept: 403
    return actor


def _upload(token: str, actor: Actor) -> tuple[Path, dict[str, Any]]:
    """The upload `token` names, if it is this user's (another's is no address for them)."""
    place = _uploads().place(token)
    meta = read_json(place / META_FILE) if place is not None else None
    if place is None or meta is None or meta.get("owner") != actor.name:
        abort(404)
    return place, meta


# Step 1: the upload.


def _choices_page(status: int = 200, **values: Any) -> ResponseReturnValue:
    def work(session: Session, _context: CommandContext) -> tuple[list[Any], list[ImportProfile]]:
        return list_campaigns(session, entry_counts=False), list_profiles(session)

    campaigns, profiles = db.run(work)
    values.setdefault("form", {})
    return render("imports/new.html", status, campaigns=campaigns, profiles=profiles,
                  encodings=ENCODINGS, date_formats=DATE_FORMATS, **values)  # fmt: skip


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> ResponseReturnValue:
    """A file over the server's limit, refused before it is read (security.py): what to do
    with it, rather than the general message."""
    most = (MOST_REQUEST_BYTES - 1024 * 1024) // (1024 * 1024)  # the form's share aside
    return render_template("error.html", status=413, title=_("Too large"), text=_(
        "The file is larger than {most} MB, more than the browser may send. Split it into "
        "smaller files (each with the header line), or import it at the server with "
        "`fundledger import donations`.", most=most)), 413  # fmt: skip


@bp.get("/new")
def new() -> ResponseReturnValue:
    """The upload form; ?campaign= chooses the campaign, ?from=TOKEN keeps an upload's
    choices (the file fixed and uploaded again)."""
    actor = _treasurer()
    form: dict[str, Any] = {"campaign": request.args.get("campaign", "")}
    earlier = request.args.get("from", "")
    if earlier:
        _place, meta = _upload(earlier, actor)
        form = {key: meta.get(key) or "" for key in ("campaign", "encoding", "date_format",
                                                      "profile")}  # fmt: skip
        form["from"] = earlier
    return _choices_page(form=form)


@bp.post("")
def upload() -> ResponseReturnValue:  # noqa: PLR0911 (each refusal returns the form)
    actor = _treasurer()
    form = request.form
    file = request.files.get("file")
    encoding = form.get("encoding", "utf-8")
    date_format = form.get("date_format", "")
    profile_name = form.get("profile", "")
    if file is None or not file.filename:
        return _choices_page(422, error=_("Choose the file to import."), form=form)
    if encoding not in ENCODINGS:
        return _choices_page(422, error=_("Choose the file's encoding from the list."), form=form)
    if date_format and date_format not in DATE_FORMATS:
        return _choices_page(422, error=_("Choose how the file writes dates from the list."),
                             form=form)  # fmt: skip
    name = _kept_name(file.filename)
    try:
        campaign, profile = db.run(lambda s, _c: _chosen(s, form.get("campaign", ""),
                                                         profile_name))  # fmt: skip
    except FundledgerError as error:
        return _choices_page(422, error=str(error), form=form)
    meta: dict[str, Any] = {"owner": actor.name, "name": name, "campaign": campaign,
                            "encoding": encoding, "date_format": date_format,
                            "profile": profile.name if profile else "",
                            "platform": bool(profile and profile.platform)}  # fmt: skip
    try:
        token = _uploads().create(file.stream, name, meta)
    except UploadsFolderError as error:  # the server's set-up: said to whoever can mend it
        log.error("%s", error)
        return _choices_page(500, error=str(error), form=form)
    place = _uploads().folder / token
    try:
        header = _read_header(data_path(place, name), name, encoding)
    except FundledgerError as error:
        _discard(place)  # nothing worth keeping: the form back, the file gone
        return _choices_page(422, error=str(error), form=form)
    meta["header"] = header
    meta["lines"] = _count_lines(data_path(place, name))
    earlier = _uploads().place(form.get("from", ""))
    earlier_meta = read_json(earlier / META_FILE) if earlier is not None else None
    if (earlier_meta and earlier_meta.get("owner") == actor.name
            and earlier_meta.get("header") == header and earlier_meta.get("columns")):  # fmt: skip
        # The same columns as the file it replaces: the mapping chosen then still holds.
        meta["columns"] = earlier_meta["columns"]
        meta["currency"] = earlier_meta.get("currency") or ""
    write_json(place / META_FILE, meta)
    if meta["platform"]:  # a platform's reader knows its columns: straight to the dry run
        return _start(token, place, meta, actor, dry_run=True)
    return redirect(url_for("imports.mapping", token=token), 303)


def _kept_name(sent: str) -> str:
    """The upload's name as the treasurer knows it ("תרומות יולי.csv"; werkzeug's
    secure_filename would leave "csv"), safe as the name of a file in its own folder: no
    folders, control characters or leading dots, at most LONGEST_NAME characters."""
    name = sent.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().lstrip(".").strip()[-LONGEST_NAME:]
    return name or "donations.csv"


def _chosen(session: Session, slug: str, profile: str) -> tuple[str | None, ImportProfile | None]:
    """The campaign (its slug, checked) and the profile the form names."""
    if slug and not any(each.slug == slug for each in list_campaigns(session, entry_counts=False)):
        raise FundledgerError(_("There is no campaign {slug}: choose one from the list.",
                                slug=slug))  # fmt: skip
    return slug or None, get_profile(session, profile) if profile else None


def _read_header(path: Path, name: str, encoding: str) -> list[str]:
    source = DonationFile(path, home_currency="ILS", encoding=encoding)
    source.name = name
    try:
        source.scan()  # a binary file (a spreadsheet saved as .xlsx, a PDF) is refused here
        return source.header()
    except FundledgerError as error:
        raise FundledgerError(_("{problem}. Save the file as CSV (comma-separated values), or "
                                "choose another encoding, and upload it again.",
                                problem=str(error).rstrip("."))) from None  # fmt: skip


def _count_lines(path: Path) -> int:
    with path.open("rb") as binary:
        return sum(block.count(b"\n") for block in iter(lambda: binary.read(1 << 20), b""))


def _discard(place: Path) -> None:
    shutil.rmtree(place, ignore_errors=True)


# Step 2: the mapping.


def _mapping_page(
    token: str,
    meta: dict[str, Any],
    status: int = 200,
    *,
    columns: list[str] | None = None,
    **values: Any,
) -> ResponseReturnValue:
    profile = None
    if meta.get("profile"):
        profile = db.run(lambda s, _c: get_profile(s, meta["profile"]))
    values.setdefault("form", {})
    return render("imports/map.html", status, token=token, meta=meta, fields=FIELDS,
                  file_name=file_name,
                  field_labels=FIELD_LABELS,
                  ignore=IGNORE, columns=columns or prefilled(meta, profile),
                  profile=profile, **values)  # fmt: skip


@bp.get("/<token>/map")
def mapping(token: str) -> ResponseReturnValue:
    actor = _treasurer()
    _place, meta = _upload(token, actor)
    if meta.get("platform"):
        return redirect(url_for("imports.status", token=token), 303)
    return _mapping_page(token, meta)


@bp.post("/<token>/map")
def map_columns(token: str) -> ResponseReturnValue:
    actor = _treasurer()
    place, _meta = _upload(token, actor)
    with locked(place):  # a second tab or a double click waits, then finds the job started
        _place, meta = _upload(token, actor)  # as it is now, under the lock
        if _busy_or_imported(place):  # a job of it runs, or it was imported: nothing to change
            return redirect(url_for("imports.status", token=token), 303)
        return _map_columns(token, place, meta, actor)


def _busy_or_imported(place: Path) -> bool:
    job = job_state(place)
    return job is not None and (job["state"] in ("queued", "running") or job["kind"] == "import")


def _map_columns(token: str, place: Path, meta: dict[str, Any], actor: Actor
                 ) -> ResponseReturnValue:  # fmt: skip
    form = request.form
    header: list[str] = meta["header"]
    columns = [form.get(f"column-{index}", IGNORE) for index in range(len(header))]
    try:
        mapping, ignored = checked_mapping(header, columns)
        currency = form.get("currency", "").strip()
        currency = currency_in_use(currency) if currency else ""
    except FundledgerError as error:
        return _mapping_page(token, meta, 422, columns=columns, error=str(error), form=form)
    meta.update(columns=columns, mapping=mapping, ignore=ignored, currency=currency)
    name = form.get("profile_name", "").strip()
    if name:
        pairs = tuple(f"{column}={field}" for column, field in mapping.items())
        try:
            profile = parse_profile(name, mappings=pairs, date_format=meta["date_format"] or None,
                                    currency=currency or None, ignore=tuple(ignored))  # fmt: skip
            reason = form.get("profile_reason", "").strip() or None
            db.run(lambda s, c: save_profile(s, c, profile, reason, actor=actor), write=True)
        except PermissionDenied:
            raise
        except FundledgerError as error:
            return _mapping_page(token, meta, 422, columns=columns, profile_error=str(error),
                                 form=form)  # fmt: skip
        meta["saved_profile"] = profile.name
    write_json(place / META_FILE, meta)
    return _start(token, place, meta, actor, dry_run=True)


# Steps 3 and 4: the jobs, their progress, the preview and the result.


def _start(token: str, place: Path, meta: dict[str, Any], actor: Actor, *,
           dry_run: bool) -> ResponseReturnValue:  # fmt: skip
    state = {"id": secrets.token_hex(8), "kind": "dry-run" if dry_run else "import",
             "state": "queued", "queued_at": time.time(), "done": 0,
             "total": max(int(meta.get("lines", 1)) - 1, 1)}  # fmt: skip
    write_json(place / JOB_FILE, state)
    engine = db.engine()
    command = f"web {request.method} {request.path}"
    _runner().submit(ImportJob(engine, place, meta, actor, command, state, dry_run=dry_run).run)
    return redirect(url_for("imports.status", token=token), 303)


@bp.get("/<token>")
def status(token: str) -> ResponseReturnValue:
    """The job's progress while it runs (the page refreshes itself), then the preview (a dry
    run) or the result (an import)."""
    actor = _treasurer()
    place, meta = _upload(token, actor)
    job = job_state(place)
    if job is None:
        return redirect(url_for("imports.mapping", token=token), 303)
    if job["state"] in ("queued", "running"):
        return render("imports/progress.html", token=token, meta=meta, job=job,
                      file_name=file_name)  # fmt: skip
    return render("imports/outcome.html", token=token, meta=meta, job=job, file_name=file_name,
                  field_labels=FIELD_LABELS, parse_moment=datetime.fromisoformat,
                  parse_day=date.fromisoformat, importable=importable(job),
                  money=lambda amount, currency: Money(Decimal(amount), currency),
                  totals=[(Money(Decimal(amount), currency), count)
                          for amount, currency, count in job.get("totals", [])])  # fmt: skip


@bp.get("/<token>/progress.json")
def progress(token: str) -> ResponseReturnValue:
    """The job's state for the progress page's script: done and total lines."""
    actor = _treasurer()
    place, _meta = _upload(token, actor)
    job = job_state(place) or {"state": "none", "done": 0, "total": 0}
    reader = Reader.for_locale(language())
    counts = {"done": reader.number(job["done"]), "total": reader.number(job["total"])}
    text = _("%(done)s of %(total)s lines read.") % counts  # the page's own message
    return jsonify(state=job["state"], done=job["done"], total=job["total"], text=text)


@bp.post("/<token>/confirm")
def confirm(token: str) -> ResponseReturnValue:
    actor = _treasurer()
    place, _meta = _upload(token, actor)
    with locked(place):  # a second press of the button waits, then finds the import begun
        _place, meta = _upload(token, actor)
        job = read_json(place / JOB_FILE)
        # Only a clean dry run with something to add leads here, of the mapping as it is
        # (a new mapping starts a new dry run, under this lock too).
        if job is None or job["kind"] != "dry-run" or job["state"] != "done" or not importable(job):
            return redirect(url_for("imports.status", token=token), 303)
        return _start(token, place, meta, actor, dry_run=False)
