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
import shutil
import time
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

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
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import (
    CONTENT_REFERENCE,
    FIELDS,
    DonationFile,
    DonationRow,
    RowProblem,
)
from fundledger.adapters.donor_columns import HEADER_ALIASES
from fundledger.adapters.import_profiles import DATE_FORMATS, ImportProfile, parse_profile
from fundledger.domain.access import Actor, PermissionDenied, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money, currency_in_use
from fundledger.reports.i18n import Reader
from fundledger.services.campaigns import list_campaigns
from fundledger.services.context import CommandContext
from fundledger.services.donation_import import DonationImportRefused
from fundledger.services.import_profiles import (
    ImportOutcome,
    ImportRequest,
    first_rows,
    get_profile,
    list_profiles,
    run_import,
    save_profile,
)
from fundledger.services.schema import require_current_schema
from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings
from fundledger.services.summary_store import refresh
from fundledger.web import db
from fundledger.web.i18n import N_, language
from fundledger.web.i18n import gettext as _
from fundledger.web.import_jobs import (
    JOB_FILE,
    META_FILE,
    Progress,
    Runner,
    ThreadRunner,
    Uploads,
    data_path,
    default_folder,
    read_json,
    write_json,
)
from fundledger.web.listing import render
from fundledger.web.security import MOST_REQUEST_BYTES

log = logging.getLogger(__name__)
bp = Blueprint("imports", __name__, url_prefix="/imports")
RUNNER = "fundledger_import_runner"
DOING = "import gifts"
# The encodings offered: what Israeli and Arab treasurers' spreadsheets save CSV files in.
ENCODINGS = ("utf-8", "cp1255", "cp1256", "iso-8859-8", "cp1252")
IGNORE = "ignore"
PREVIEW_ROWS = 10
LONGEST_NAME = 60  # characters kept of an upload's name, its end: at most 240 bytes
# A running job writes its progress once a batch (10,000 rows, well under a minute) and a
# queued one waits for those before it: a job file this old belongs to a job that was lost.
STALE_AFTER_SECONDS = 15 * 60
PROBLEMS_SHOWN = 500  # a file refused whole may have a problem a line: the first are enough
# The fields a column may be read as, named in the page's language.
FIELD_LABELS = {
    "date": N_("Date"), "amount": N_("Amount"), "currency": N_("Currency"), "donor": N_("Donor"),
    "email": N_("E-mail"), "method": N_("Method"), "reference": N_("Reference"),
    "note": N_("Note"), "anonymous": N_("Anonymous"), "campaign": N_("Campaign"),
    "language": N_("Language"), "tax_id": N_("ID number"), "address": N_("Address"),
    "phone": N_("Phone"), "refund": N_("Refund"),
}  # fmt: skip


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
    token = _uploads().create(file.stream, name, meta)
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


# The wizard's guesses for headers a spreadsheet often has, in en/he/ar: only offered on the
# map page, where the treasurer sees and may change each (the CLI reads a column by its own
# name, or as --map says).
SUGGESTED = {
    **dict.fromkeys(("gift date", "donation date", "תאריך", "תאריך תרומה", "التاريخ", "تاريخ"),
                    "date"),
    **dict.fromkeys(("sum", "total", "amount paid", "סכום", "סכום התרומה", "المبلغ", "مبلغ"),
                    "amount"),
    **dict.fromkeys(("מטבע", "العملة"), "currency"),
    **dict.fromkeys(("name", "full name", "donor name", "שם", "שם מלא", "שם התורם", "الاسم",
                     "اسم المتبرع"), "donor"),
    **dict.fromkeys(("e-mail", "mail", "email address", "e-mail address", 'דוא"ל', "דוא״ל",
                     "אימייל", "מייל", "البريد الإلكتروني", "بريد إلكتروني"), "email"),
    **dict.fromkeys(("payment method", "אמצעי תשלום", "طريقة الدفع"), "method"),
    **dict.fromkeys(("ref", "reference number", "transaction id", "אסמכתא", "מספר אסמכתא",
                     "المرجع", "رقم المرجع"), "reference"),
    **dict.fromkeys(("notes", "comment", "הערה", "הערות", "ملاحظة", "ملاحظات"), "note"),
}  # fmt: skip


def _prefilled(meta: Mapping[str, Any], profile: ImportProfile | None) -> list[str]:
    """Each header column's field: as chosen before, else the profile's, else its name's, else
    a guess from it (SUGGESTED) that no other column takes."""
    if meta.get("columns"):
        return list(meta["columns"])
    chosen: list[str] = []
    guessed: dict[int, str] = {}
    for index, column in enumerate(meta["header"]):
        key = column.lower()
        if profile is not None and key in profile.mapping:
            chosen.append(profile.mapping[key])
        elif profile is not None and key in profile.ignore:
            chosen.append(IGNORE)
        elif key in FIELDS:
            chosen.append(key)
        elif key in HEADER_ALIASES:
            chosen.append(HEADER_ALIASES[key])
        else:
            chosen.append(IGNORE)
            if key in SUGGESTED:
                guessed[index] = SUGGESTED[key]
    for index, field in guessed.items():
        if field not in chosen:  # a column of the field's own name (or a guess before) wins
            chosen[index] = field
    return chosen


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
                  ignore=IGNORE, columns=columns or _prefilled(meta, profile),
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
    place, meta = _upload(token, actor)
    form = request.form
    header: list[str] = meta["header"]
    columns = [form.get(f"column-{index}", IGNORE) for index in range(len(header))]
    try:
        mapping, ignored = _checked_mapping(header, columns)
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


def _checked_mapping(header: list[str], columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """{column (lower case): field} and the columns ignored, or the first mistake."""
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    taken: dict[str, str] = {}
    for column, field in zip(header, columns, strict=True):
        key = column.lower()
        if field == IGNORE:
            if key in FIELDS:  # the reader takes a column by its name: it cannot go unread
                raise FundledgerError(_(
                    "The column {column} is read as {field} by its name; to leave it unread, "
                    "rename it in the file.", column=column, field=key))  # fmt: skip
            if key:
                ignored.append(key)
            continue
        if field not in FIELDS:
            raise FundledgerError(_("Choose a field from the list for the column {column}.",
                                    column=column))  # fmt: skip
        if field in taken:
            raise FundledgerError(_("Two columns are read as {field}: {first} and {second}; "
                                    "choose one.", field=field, first=taken[field],
                                    second=column))  # fmt: skip
        taken[field] = column
        mapping[key] = field
    missing = [field for field in ("date", "amount") if field not in taken]
    if missing:
        raise FundledgerError(_("Choose the column read as {field}.", field=missing[0]))
    return mapping, ignored


# Steps 3 and 4: the jobs, their progress, the preview and the result.


def _request(meta: Mapping[str, Any]) -> ImportRequest:
    date_format = cast(DateFormat | None, meta.get("date_format") or None)
    if meta.get("platform"):
        return ImportRequest(encoding=meta["encoding"], date_format=date_format,
                             profile=meta["profile"])  # fmt: skip
    return ImportRequest(encoding=meta["encoding"], date_format=date_format,
                         mapping=dict(meta.get("mapping") or {}),
                         ignore=tuple(meta.get("ignore") or ()),
                         currency=meta.get("currency") or None,
                         # The profile's date format when none is chosen; its columns are
                         # those of the map step.
                         profile=meta.get("profile") or None)  # fmt: skip


def _start(token: str, place: Path, meta: dict[str, Any], actor: Actor, *,
           dry_run: bool) -> ResponseReturnValue:  # fmt: skip
    state = {"kind": "dry-run" if dry_run else "import", "state": "queued", "done": 0,
             "total": max(int(meta.get("lines", 1)) - 1, 1)}  # fmt: skip
    write_json(place / JOB_FILE, state)
    engine = db.engine()
    command = f"web {request.method} {request.path}"
    job = _job(engine, place, meta, actor, command, state, dry_run=dry_run)
    _runner().submit(job)
    return redirect(url_for("imports.status", token=token), 303)


def _job(engine: Engine, place: Path, meta: dict[str, Any], actor: Actor, command: str,
         state: dict[str, Any], *, dry_run: bool) -> Any:  # fmt: skip
    """The dry run or the import of the upload at `place`, as a function of no arguments for
    the runner: its own transaction, its progress and outcome in the job's file."""
    # Kept under the name it was uploaded with: the audit trail and the messages name it so.
    path, job_file = data_path(place, meta["name"]), place / JOB_FILE
    import_request = _request(meta)

    def context_of(session: Session) -> CommandContext:
        rules = ledger_settings(current_settings(session, RULE_KEYS))
        return CommandContext(command=command, actor=db.ACTOR_PREFIX + actor.name,
                              settings=rules)  # fmt: skip

    def shown_rows() -> list[dict[str, Any]]:
        """The first rows as read, for a dry run's page (refused or not): read apart, after
        the dry run's transaction, so that a row it refuses is shown with its problem."""
        if not dry_run:
            return []
        try:
            with transaction(engine) as session:
                return _rows(first_rows(session, context_of(session), path, import_request,
                                        PREVIEW_ROWS))  # fmt: skip
        except FundledgerError:  # the file's header itself is refused: the refusal says why
            return []

    def run() -> None:
        running = {**state, "state": "running"}
        write_json(job_file, running)
        progress = Progress(job_file, running)
        result: dict[str, Any]
        try:
            with transaction(engine, write=True, commit=not dry_run) as session:
                require_current_schema(session.connection())
                outcome = run_import(session, context_of(session), meta.get("campaign"), path,
                                     import_request, progress=progress, actor=actor,
                                     check=dry_run)  # fmt: skip
            result = {"state": "done", **_outcome(outcome), "rows_shown": shown_rows()}
            if not dry_run:
                if outcome.summary.imported or outcome.reversed:
                    refresh(engine, context_of)  # the stored summaries count the new gifts
                path.unlink(missing_ok=True)  # imported: the file is no longer needed
        except DonationImportRefused as refused:
            result = {"state": "refused", "problems": refused.problems[:PROBLEMS_SHOWN],
                      "problems_total": refused.total, "rows_shown": shown_rows()}  # fmt: skip
        except PermissionDenied as error:
            result = {"state": "failed", "error": str(error)}
        except FundledgerError as error:  # no such campaign, no campaign column ...
            result = {"state": "failed", "error": str(error)}
        except Exception as error:  # the database failed: rolled back, nothing written
            log.exception("import job of %s failed", meta["name"])
            result = {"state": "failed", "error": f"{type(error).__name__}: {error}"[:500],
                      "crashed": True}  # fmt: skip
        write_json(job_file, {**state, "done": state["total"], **result})

    return run


def _outcome(outcome: ImportOutcome) -> dict[str, Any]:
    summary = outcome.summary
    earlier = summary.earlier
    return {
        "ignored_columns": summary.ignored_columns,
        "earlier": None if earlier is None else {
            "event_id": earlier.event_id, "occurred_at": earlier.occurred_at.isoformat(),
            "actor": earlier.actor, "imported": earlier.imported, "campaign": earlier.campaign,
        },
        "rows": summary.rows,
        "imported": summary.imported,
        "present": summary.present,
        "present_by_content": summary.present_by_content,
        "corrected": summary.corrected,
        "new_donors": summary.new_donors,
        "totals": [[str(money.amount), money.currency, count] for money, count in summary.totals()],
        "by_campaign": dict(sorted(summary.by_campaign.items())),
        "possible_duplicates": [list(group) for group in summary.possible_duplicates[:50]],
        "unknown_methods": dict(summary.unknown_methods),
        "reversed": sum(1 for each in outcome.reversed if each.reversal_id is not None),
        "others": dict(outcome.others),
        "dates": outcome.dates.describe() if outcome.dates is not None else None,
    }  # fmt: skip


def _rows(rows: list[DonationRow | RowProblem]) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    for row in rows:
        if isinstance(row, RowProblem):
            shown.append({"line": row.line, "field": row.field, "problem": row.message})
            continue
        money = Money.from_minor(row.amount_minor, row.currency)
        reference = "" if row.reference.startswith(CONTENT_REFERENCE) else row.reference
        shown.append({"line": row.line, "date": row.day.isoformat(), "amount": str(money.amount),
                      "currency": row.currency, "donor": row.donor or "", "email": row.email or "",
                      "method": row.method or "", "reference": reference,
                      "anonymous": row.anonymous})  # fmt: skip
    return shown


def _job_state(place: Path) -> dict[str, Any] | None:
    """The job's file; a job that has not written it for STALE_AFTER_SECONDS was lost with
    its server process (a restart): said so, as its transaction wrote nothing."""
    job = read_json(place / JOB_FILE)
    if job is None or job["state"] not in ("queued", "running"):
        return job
    if time.time() - (place / JOB_FILE).stat().st_mtime > STALE_AFTER_SECONDS:
        return {**job, "state": "failed", "error": _(
            "This job stopped with the server process that ran it (a restart?); nothing was "
            "recorded. Upload the file again.")}  # fmt: skip
    return job


@bp.get("/<token>")
def status(token: str) -> ResponseReturnValue:
    """The job's progress while it runs (the page refreshes itself), then the preview (a dry
    run) or the result (an import)."""
    actor = _treasurer()
    place, meta = _upload(token, actor)
    job = _job_state(place)
    if job is None:
        return redirect(url_for("imports.mapping", token=token), 303)
    if job["state"] in ("queued", "running"):
        return render("imports/progress.html", token=token, meta=meta, job=job,
                      file_name=file_name)  # fmt: skip
    return render("imports/outcome.html", token=token, meta=meta, job=job, file_name=file_name,
                  field_labels=FIELD_LABELS, parse_moment=datetime.fromisoformat,
                  parse_day=date.fromisoformat,
                  money=lambda amount, currency: Money(Decimal(amount), currency),
                  totals=[(Money(Decimal(amount), currency), count)
                          for amount, currency, count in job.get("totals", [])])  # fmt: skip


@bp.get("/<token>/progress.json")
def progress(token: str) -> ResponseReturnValue:
    """The job's state for the progress page's script: done and total lines."""
    actor = _treasurer()
    place, _meta = _upload(token, actor)
    job = _job_state(place) or {"state": "none", "done": 0, "total": 0}
    reader = Reader.for_locale(language())
    counts = {"done": reader.number(job["done"]), "total": reader.number(job["total"])}
    text = _("%(done)s of %(total)s lines read.") % counts  # the page's own message
    return jsonify(state=job["state"], done=job["done"], total=job["total"], text=text)


@bp.post("/<token>/confirm")
def confirm(token: str) -> ResponseReturnValue:
    actor = _treasurer()
    place, meta = _upload(token, actor)
    job = read_json(place / JOB_FILE)
    # Only a clean dry run with something to add leads here; a second press of the button
    # starts nothing more.
    if (job is None or job["kind"] != "dry-run" or job["state"] != "done" or job.get("earlier")
            or not (job.get("imported") or job.get("reversed"))):  # fmt: skip
        return redirect(url_for("imports.status", token=token), 303)
    return _start(token, place, meta, actor, dry_run=False)
