"""What the import wizard keeps between its steps, and the runner of its long work.

An upload is kept server-side in a private folder (mode 0700, owned by the server's user and
refused otherwise; never under static/): beside a SQLite ledger (LEDGER.imports, as its web
secret key), else under $XDG_STATE_HOME/fundledger/imports (~/.local/state), one per ledger;
FUNDLEDGER_IMPORT_DIR (the environment or Flask's config) names another. A random token names
its own folder, which holds the file as uploaded
(mode 0600), the wizard's choices (`meta.json`) and the state of its job (`job.json`: done and
total lines, then the outcome). Every write of those JSON files is atomic (a new file renamed
over the old), so that any process of the server on this machine (`serve` may run several)
reads a whole one: the progress page answers from whichever worker gets the request. The file
is removed once imported; a folder older than a day goes at the next upload. The steps that
change an upload's state (a mapping checked, an import confirmed, a job's writes) hold the
upload's lock (flock: every process of this machine), so that a double click or two tabs
never start two jobs of one upload, nor a job write over another's outcome.

The dry run and the import run off the request thread, one at a time per server process: a
100,000-row file takes seconds, which a request must not hold (nor the pages of other users
waiting behind it). The job opens its own transaction through the same service as the CLI
(`run_import`, audited with the signed-in user), so a refusal or a failing database leaves
nothing half-written. Tests inject a runner they step themselves (`HeldRunner`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import queue
import re
import secrets
import shutil
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy.engine import make_url

from fundledger.domain.errors import FundledgerError

log = logging.getLogger(__name__)

TOKEN_BYTES = 16
KEPT_FOR = timedelta(days=1)
DATA_FOLDER = "file"  # holds the upload under its own name (imports.py _kept_name)
META_FILE = "meta.json"
JOB_FILE = "job.json"
LOCK_FILE = "lock"
TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(TOKEN_BYTES)
# The progress file is rewritten at most this often (the service calls back once a batch).
PROGRESS_EVERY_SECONDS = 0.25

Job = Callable[[], None]


class Runner(Protocol):
    def submit(self, job: Job) -> None: ...


class ThreadRunner:
    """One worker thread per server process, started at the first job, taking jobs in turn."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Job) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="fundledger-imports",
                                                daemon=True)  # fmt: skip
                self._thread.start()
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except Exception:  # the job records its own failure; this is a bug's last net
                log.exception("import job failed")


class HeldRunner:
    """Jobs kept until the caller runs them (`run_next`, `run_all`): tests see a job's
    progress page while it waits, with no sleeps."""

    def __init__(self) -> None:
        self.held: list[Job] = []

    def submit(self, job: Job) -> None:
        self.held.append(job)

    def run_next(self) -> None:
        self.held.pop(0)()

    def run_all(self) -> None:
        while self.held:
            self.run_next()


class UploadsFolderError(FundledgerError):
    """The uploads' folder is not this user's alone: nothing is kept in it."""


def default_folder(database_url: str) -> Path:
    """The uploads' folder of the ledger at `database_url`: the same for every process of the
    server on this machine, in a place of the server's user (never the shared temporary
    folder, where another user could make it first)."""
    given = os.environ.get("FUNDLEDGER_IMPORT_DIR")
    if given:
        return Path(given)
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        ledger = Path(str(parsed.database))
        return ledger.with_name(ledger.name + ".imports")
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    ledger_key = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return state / "fundledger" / "imports" / ledger_key


def data_path(place: Path, name: str) -> Path:
    return place / DATA_FOLDER / name


def write_json(path: Path, data: dict[str, Any]) -> None:
    """`data` as `path`, atomically (a reader sees the old file or the new, whole)."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except FileNotFoundError:
        return None


class Uploads:
    """The private folder of the uploads, one sub-folder per token."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _ensure(self) -> None:
        """The folder, made private if missing; one that is a link, another user's, or open
        to others is refused (donors' names and e-mails are kept in it)."""
        self.folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with suppress(FileExistsError):
            self.folder.mkdir(mode=0o700)
        found = os.lstat(self.folder)
        if (not stat.S_ISDIR(found.st_mode) or found.st_uid != os.geteuid()
                or found.st_mode & 0o077):  # fmt: skip
            raise UploadsFolderError(
                f"{self.folder} is not a private folder of this server's user (a link, "
                "another user's, or open to others): remove it, or name another with "
                "FUNDLEDGER_IMPORT_DIR"
            )

    def create(self, data: IO[bytes], name: str, meta: dict[str, Any]) -> str:
        """Keeps the upload `data` (a file object) as `name`, with `meta`; returns its token."""
        self._ensure()
        self.sweep()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        place = self.folder / token
        place.mkdir(mode=0o700)
        (place / DATA_FOLDER).mkdir(mode=0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        descriptor = os.open(data_path(place, name), flags, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            shutil.copyfileobj(data, file, 1 << 20)
        write_json(place / META_FILE, {**meta, "created": datetime.now(UTC).isoformat()})
        return token

    def place(self, token: str) -> Path | None:
        """The folder of `token`, or None for a token that names none (or is malformed)."""
        if not TOKEN.fullmatch(token):
            return None
        place = self.folder / token
        return place if (place / META_FILE).is_file() else None

    def sweep(self) -> None:
        """Removes the uploads older than KEPT_FOR (abandoned wizards and old results)."""
        if not self.folder.is_dir():
            return
        oldest = time.time() - KEPT_FOR.total_seconds()
        for place in self.folder.iterdir():
            try:
                if place.is_dir() and place.stat().st_mtime < oldest:
                    shutil.rmtree(place, ignore_errors=True)
            except FileNotFoundError:
                continue  # another process swept it first


@contextmanager
def locked(place: Path) -> Iterator[None]:
    """The upload's lock, across the processes of this machine, until the block ends."""
    descriptor = os.open(place / LOCK_FILE, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # the lock goes with it


class Progress:
    """The `progress` callback of `run_import`: done lines written to the job's file, now
    and then (each call is a batch of thousands of lines)."""

    def __init__(self, path: Path, state: dict[str, Any]) -> None:
        self.path = path
        self.state = state
        self._last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_SECONDS:
            self._last = now
            write_json(self.path, {**self.state, "done": min(done, self.state["total"])})
