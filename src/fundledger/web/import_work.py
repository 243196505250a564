"""The import wizard's jobs: the dry run (the check) and the import of an upload, each through
the same service as the CLI's `import donations` in a transaction of its own, off the request
thread (import_jobs.py's runner), their progress and outcome written to the upload's job file
for any server process to show."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import CONTENT_REFERENCE, DonationRow, RowProblem
from fundledger.domain.access import Actor
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.context import CommandContext
from fundledger.services.donation_import import DonationImportRefused
from fundledger.services.import_profiles import (
    ImportOutcome,
    ImportRequest,
    first_rows,
    run_import,
)
from fundledger.services.schema import require_current_schema
from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings
from fundledger.services.summary_store import refresh
from fundledger.web import db
from fundledger.web.i18n import N_
from fundledger.web.i18n import gettext as _
from fundledger.web.import_jobs import JOB_FILE, Progress, data_path, locked, read_json, write_json

log = logging.getLogger(__name__)

PREVIEW_ROWS = 10
# A running job writes its progress once a batch (10,000 rows, well under a minute) and a
# queued one waits for those before it: a job file this old belongs to a job that was lost.
STALE_AFTER_SECONDS = 15 * 60
PROBLEMS_SHOWN = 500  # a file refused whole may have a problem a line: the first are enough
LOST = N_("This job stopped with the server process that ran it (a restart?), or waited too "
          "long behind others; nothing was recorded. Upload the file again.")  # fmt: skip


def import_request(meta: Mapping[str, Any]) -> ImportRequest:
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


@dataclass
class ImportJob:
    """The dry run (`dry_run`) or the import of the upload at `place`, for the runner (`run`):
    its own transaction, its progress and outcome in the job's file, which it writes only
    while the file is still its own (`state["id"]`)."""

    engine: Engine
    place: Path
    meta: dict[str, Any]
    actor: Actor
    command: str
    state: dict[str, Any]
    dry_run: bool

    @property
    def path(self) -> Path:
        # Kept under the name it was uploaded with: the audit trail and the messages name it so.
        return data_path(self.place, self.meta["name"])

    @property
    def job_file(self) -> Path:
        return self.place / JOB_FILE

    def context_of(self, session: Session) -> CommandContext:
        rules = ledger_settings(current_settings(session, RULE_KEYS))
        return CommandContext(command=self.command, actor=db.ACTOR_PREFIX + self.actor.name,
                              settings=rules)  # fmt: skip

    def run(self) -> None:
        running = self._begin()
        if running is None:
            return
        outcome = None
        result: dict[str, Any]
        try:
            with transaction(self.engine, write=True, commit=not self.dry_run) as session:
                require_current_schema(session.connection())
                outcome = run_import(session, self.context_of(session), self.meta.get("campaign"),
                                     self.path, import_request(self.meta),
                                     progress=Progress(self.job_file, running),
                                     actor=self.actor, check=self.dry_run)  # fmt: skip
            result = {"state": "done", **_outcome(outcome)}
        except DonationImportRefused as refused:
            result = {"state": "refused", "problems": refused.problems[:PROBLEMS_SHOWN],
                      "problems_total": refused.total}  # fmt: skip
        except FundledgerError as error:  # no such campaign, no campaign column, a viewer ...
            result = {"state": "failed", "error": str(error)}
        except Exception as error:  # the database failed: rolled back, nothing written
            log.exception("import job of %s failed", self.meta["name"])
            # Its words may hold SQL or the server's paths: the log keeps them, not the page.
            result = {"state": "failed", "error": type(error).__name__, "crashed": True}
        if self.dry_run and result["state"] != "failed":
            result["rows_shown"] = self._rows_shown()
        self._finish(result)  # recorded (or refused) as soon as it is: the upkeep is not it
        if not self.dry_run and outcome is not None:
            self._after_import(outcome)

    def _begin(self) -> dict[str, Any] | None:
        """The job's file marked running, or None when the job is not to run."""
        with locked(self.place):
            current = read_json(self.job_file) or {}
            if current.get("id") != self.state["id"]:
                return None  # replaced while it waited: not this job's upload any more
            if time.time() - current["queued_at"] > STALE_AFTER_SECONDS:
                # Its page has said for a while that it was lost: it is, rather than run late.
                write_json(self.job_file, {**self.state, "state": "failed", "error": LOST})
                return None
            running = {**self.state, "state": "running"}
            write_json(self.job_file, running)
            return running

    def _finish(self, result: dict[str, Any]) -> None:
        with locked(self.place):
            if (read_json(self.job_file) or {}).get("id") == self.state["id"]:
                write_json(self.job_file, {**self.state, "done": self.state["total"], **result})

    def _rows_shown(self) -> list[dict[str, Any]]:
        """The first rows as read, for a dry run's page (refused or not): read apart, after
        the dry run's transaction, so that a row it refuses is shown with its problem."""
        try:
            with transaction(self.engine) as session:
                return _rows(first_rows(session, self.context_of(session), self.path,
                                        import_request(self.meta), PREVIEW_ROWS))  # fmt: skip
        except FundledgerError:  # the file's header itself is refused: the refusal says why
            return []
        except Exception:  # the preview is a courtesy: the check's outcome stands
            log.exception("the first rows of %s could not be shown", self.meta["name"])
            return []

    def _after_import(self, outcome: ImportOutcome) -> None:
        try:
            if outcome.summary.imported or outcome.reversed:
                refresh(self.engine, self.context_of)  # the stored summaries count the gifts
            self.path.unlink(missing_ok=True)  # imported: the file is no longer needed
        except Exception:  # the gifts are recorded; a report brings the summaries up to date
            log.exception("after importing %s", self.meta["name"])


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


def job_state(place: Path) -> dict[str, Any] | None:
    """The job's file; a job that has not written it for STALE_AFTER_SECONDS was lost with
    its server process (a restart): said so, as its transaction wrote nothing."""
    job = read_json(place / JOB_FILE)
    if job is not None and job.get("error") == LOST:
        return {**job, "error": _(LOST)}
    if job is None or job["state"] not in ("queued", "running"):
        return job
    if time.time() - (place / JOB_FILE).stat().st_mtime > STALE_AFTER_SECONDS:
        return {**job, "state": "failed", "error": LOST}
    return job


def importable(job: Mapping[str, Any]) -> bool:
    """Whether a dry run's outcome offers an import: not a file imported before, and
    something to add."""
    return not job.get("earlier") and bool(job.get("imported") or job.get("reversed"))
