"""What the import wizard keeps between its steps, and the runner of its long work.

An upload is kept server-side in a private folder (mode 0700, one per ledger and system user,
never under static/): a random token names its own folder, which holds the file as uploaded
(mode 0600), the wizard's choices (`meta.json`) and the state of its job (`job.json`: done and
total lines, then the outcome). Every write of those JSON files is atomic (a new file renamed
over the old), so that any process of the server on this machine (`serve` may run several)
reads a whole one: the progress page answers from whichever worker gets the request. The file
is removed once imported; a folder older than a day goes at the next upload.

The dry run and the import run off the request thread, one at a time per server process: a
100,000-row file takes seconds, which a request must not hold (nor the pages of other users
waiting behind it). The job opens its own transaction through the same service as the CLI
(`run_import`, audited with the signed-in user), so a refusal or a failing database leaves
nothing half-written. Tests inject a runner they step themselves (`HeldRunner`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

TOKEN_BYTES = 16
KEPT_FOR = timedelta(days=1)
DATA_FOLDER = "file"  # holds the upload under its own (secure_filename) name
META_FILE = "meta.json"
JOB_FILE = "job.json"
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


def default_folder(database_url: str) -> Path:
    """The uploads' folder of the ledger at `database_url` for this system user: the same
    for every process of the server on this machine."""
    ledger = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"fundledger-imports-{os.getuid()}-{ledger}"


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
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # made before by another umask: private all the same

    def create(self, data: Any, name: str, meta: dict[str, Any]) -> str:
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
        if not token or not all(ch.isalnum() or ch in "-_" for ch in token):
            return None
        place = self.folder / token
        return place if (place / META_FILE).is_file() else None

    def sweep(self) -> None:
        """Removes the uploads older than KEPT_FOR (abandoned wizards and old results)."""
        oldest = time.time() - KEPT_FOR.total_seconds()
        for place in self.folder.iterdir():
            try:
                if place.is_dir() and place.stat().st_mtime < oldest:
                    shutil.rmtree(place, ignore_errors=True)
            except FileNotFoundError:
                continue  # another process swept it first


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
