"""The edges of a command: the files it writes, the streams it prints to, the signals that stop
it.

Files: each is written first to a temporary file beside its target (`.NAME.PID.partial`), all
moved into place once the command has succeeded (its transaction committed), none if it failed
or was interrupted. A failed or interrupted command never leaves half a file, nor destroys the
previous one; a path that is the ledger's own file, a folder or a device is refused before any
work. Streams: standard output that cannot be written (a full disk, a reader that closed the
pipe) stops the command, never with a traceback (cli.main decides its exit status); standard
error only ever carries news, so its failures are ignored. Signals: SIGINT, SIGTERM and SIGHUP
become an exception, so the usual clean-up runs (the transaction rolls back, staged files go),
until the command starts to make its work permanent; from then on it finishes first."""

from __future__ import annotations

import errno
import io
import os
import re
import signal
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, TextIO, cast

import click

from fundledger.domain.errors import FundledgerError
from fundledger.domain.text import printable

if TYPE_CHECKING:  # cli.common imports this module
    from fundledger.cli.common import Ledger

PARTIAL = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]{1,10})\.partial")


def partial_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.partial")


def check_output(target: Path, ledger: Ledger) -> None:
    """Refuse to write `target` when it is one of the ledger's own files (by path, or the same
    file under another name: a link), a folder, or anything else that is not a regular file
    (a device, a pipe, a socket): replacing it would destroy the ledger or the device node."""
    try:
        found: os.stat_result | None = target.stat()
    except FileNotFoundError:
        found = None
    except (OSError, RuntimeError) as error:  # RuntimeError: a loop of symbolic links
        raise FundledgerError(f"cannot write {target}: {_reason(error)}") from None
    _refuse_ledger_paths(target, found, ledger, f"cannot write {target}")
    if found is None or stat.S_ISREG(found.st_mode):
        return
    if stat.S_ISDIR(found.st_mode):
        raise FundledgerError(f"cannot write {target}: it is a folder")
    raise FundledgerError(f"cannot write {target}: it is {_kind(found)}, not a regular file")


def check_folder(folder: Path, ledger: Ledger) -> None:
    """Refuse a folder to write files into that exists but is not a folder, or that is (or
    would be made) where the ledger keeps its files."""
    try:
        found: os.stat_result | None = folder.stat()
    except FileNotFoundError:
        found = None
    except (OSError, RuntimeError) as error:
        raise FundledgerError(f"cannot write into {folder}: {_reason(error)}") from None
    _refuse_ledger_paths(folder, found, ledger, f"cannot write into {folder}")
    if found is not None and not stat.S_ISDIR(found.st_mode):
        raise FundledgerError(f"cannot write into {folder}: it is not a folder")


def _refuse_ledger_paths(
    path: Path, found: os.stat_result | None, ledger: Ledger, cannot: str
) -> None:
    """Refuse `path` when it is one of the ledger's files, or lies under one of their names
    (`-o ledger.db-wal/x.pdf` would make a folder where SQLite keeps its log)."""
    own_files = ledger.own_files()
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        resolved = path.absolute()
    for own in own_files:
        what = "the ledger itself" if own == own_files[0] else "one of the ledger's files"
        try:
            own_resolved = own.resolve()
        except (OSError, RuntimeError):
            own_resolved = own.absolute()
        if resolved == own_resolved or (found is not None and _same_file(found, own)):
            raise FundledgerError(f"{cannot}: it is {what} ({own})")
        if own_resolved in resolved.parents:
            raise FundledgerError(f"{cannot}: {own} is {what}, not a folder")


def check_streams(ledger: Ledger) -> None:
    """Refuse to run with standard output or error appended to the ledger's own file (`>>`):
    every line printed would be written into the database file."""
    for name, stream in (("standard output", sys.stdout), ("standard error", sys.stderr)):
        try:
            found = os.fstat(stream.fileno())
        except (AttributeError, OSError, ValueError):
            continue  # no stream, or not a file (a test's capture)
        own = ledger.own_files()
        if stat.S_ISREG(found.st_mode) and any(_same_file(found, path) for path in own):
            raise FundledgerError(f"{name} is the ledger's own file: send it elsewhere")


def _reason(error: BaseException) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


def _same_file(found: os.stat_result, path: Path) -> bool:
    try:
        return os.path.samestat(found, path.stat())
    except OSError:
        return False


def _kind(found: os.stat_result) -> str:
    mode = found.st_mode
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


class StagedFiles:
    """The files of one command: each written beside its target, then all put in place (or
    all discarded) at the end."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._staged: list[tuple[Path, Path, bool]] = []
        self._swept: set[Path] = set()
        self._made: list[Path] = []  # folders made for the files, removed with them if empty

    def stage(self, target: Path, *, replace: bool = True) -> Path:
        """Where to write what will become `target`; without `replace`, `target` must not exist
        when it is published (a backup never overwrites a file)."""
        check_output(target, self._ledger)
        temporary = partial_name(target)
        # Listed before it exists: an interruption between the two still discards it.
        self._staged.append((temporary, target, replace))
        try:
            self._make_folder(target.parent)
            self._sweep(target.parent)
            temporary.touch()
        except OSError as error:
            raise FundledgerError(f"cannot write {target}: {error.strerror or error}") from None
        return temporary

    def _make_folder(self, folder: Path) -> None:
        missing = [folder, *folder.parents]
        missing = missing[: next((at for at, path in enumerate(missing) if path.exists()), 0)]
        folder.mkdir(parents=True, exist_ok=True)
        self._made.extend(missing)

    def _sweep(self, folder: Path) -> None:
        """Remove the partial files of commands that were killed (SIGKILL cannot be handled,
        so they could not clean up): those whose process no longer runs."""
        if folder in self._swept:
            return
        self._swept.add(folder)
        with suppress(OSError), os.scandir(folder) as entries:
            for entry in entries:
                found = PARTIAL.fullmatch(entry.name)
                if found and not _running(int(found["pid"])):
                    with suppress(OSError):
                        os.unlink(entry.path)

    def publish(self) -> None:
        # Every file in place or, after a failure, none of the rest: a signal waits until the
        # end (Interrupts.hold), as the command then counts as done.
        Interrupts.hold()
        for temporary, target, replace in self._staged:
            try:
                check_output(target, self._ledger)  # still: it was checked before the work
                if replace:
                    os.replace(temporary, target)
                else:
                    _link_new(temporary, target)
            except OSError as error:
                raise FundledgerError(f"cannot write {target}: {error.strerror or error}") from None
            self._ledger.record_change()

    def discard(self) -> None:
        for temporary, _, _ in self._staged:
            with suppress(OSError):
                temporary.unlink(missing_ok=True)
        for folder in sorted(self._made, key=lambda made: len(made.parts), reverse=True):
            with suppress(OSError):  # not empty: a file was published into it
                folder.rmdir()

    def describe(self, error: OSError) -> str:
        """A failure while writing the staged files, in one line."""
        reason = error.strerror or str(error)
        ours = {str(temporary) for temporary, _, _ in self._staged}
        if error.filename is not None and str(error.filename) not in ours:
            return f"{reason}: {error.filename}"
        if not self._staged:
            return f"cannot write the output: {reason}"
        return f"cannot write {self._staged[-1][1]}: {reason}"


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process, or not a process number: leave its file alone
    return True


def _link_new(temporary: Path, target: Path) -> None:
    """Move `temporary` to `target` only if nothing is there (a rename would replace it)."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise FundledgerError(f"{target} exists already: it is not overwritten") from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise FundledgerError(f"{target} exists already: it is not overwritten") from None
        os.replace(temporary, target)
        return
    temporary.unlink()


@contextmanager
def staged_files(ledger: Ledger) -> Iterator[StagedFiles]:
    """Files published when the block ends normally, discarded when it raises (a full disk
    while writing one becomes one line)."""
    files = StagedFiles(ledger)
    try:
        yield files
        files.publish()
    except OSError as error:
        raise FundledgerError(files.describe(error)) from None
    finally:
        files.discard()


@contextmanager
def writing(target: Path, ledger: Ledger) -> Iterator[Path]:
    """One file written whole or not at all."""
    with staged_files(ledger) as files:
        yield files.stage(target)


def warn_undrawable(undrawable: set[str], what: str) -> None:
    """Say which characters the PDF font could not draw (each printed as U+FFFD)."""
    if not undrawable:
        return
    listed = ", ".join(
        f"{printable(character)} (U+{ord(character):04X})" for character in sorted(undrawable)
    )
    click.echo(
        f"Warning: the {what} font has no glyph for {listed}; each is printed as \ufffd. "
        "Check the names and notes that contain them.",
        err=True,
    )


class OutputLost(BaseException):
    """Standard output could not be written (a full disk, a closed pipe): the command stops.
    Not an Exception, as SystemExit is not: libraries that catch every Exception (click's own
    probes of a stream among them) must not swallow it."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or str(error))
        self.error = error

    @property
    def closed_pipe(self) -> bool:
        return self.error.errno == errno.EPIPE


class GuardedStream:
    """A standard stream whose failures are caught where they happen. After one, the stream's
    file descriptor points at /dev/null, so nothing it still holds (and no flush at exit) can
    fail again; on standard output (`fatal`) the first failure raises OutputLost. On a terminal
    (`escape`), control characters other than line breaks and tabs are shown escaped: ledger
    text never reaches a terminal as escape sequences, whichever command prints it."""

    def __init__(self, stream: TextIO, *, fatal: bool, escape: bool) -> None:
        self._stream = stream
        self.fatal = fatal
        self._escape = escape
        self.failure: OSError | None = None
        try:
            self._descriptor: int | None = stream.fileno()
        except (OSError, ValueError, AttributeError):
            self._descriptor = None

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # refused as a text stream refuses it (click probes)
            return self._stream.write(text)
        if self.failure is not None or not text:
            # Nothing to write is not written: /dev/full refuses even an empty write(), and
            # click probes a stream with one.
            return len(text)
        shown = terminal_safe(text) if self._escape else text
        try:
            if self._descriptor is None:
                self._stream.write(shown)
            else:
                self._stream.flush()  # anything written past the guard goes first
                data = shown.encode(self._stream.encoding, self._stream.errors or "strict")
                _write_all(self._descriptor, data)
        except OSError as error:
            self._fail(error)
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self.failure is not None:
            return
        try:
            self._stream.flush()
        except OSError as error:
            self._fail(error)

    def _fail(self, error: OSError) -> None:
        self.failure = error
        with suppress(OSError, ValueError, AttributeError):
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, self._stream.fileno())
            os.close(quiet)
        if self.fatal:
            raise OutputLost(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _write_all(descriptor: int, data: bytes) -> None:
    """Every byte, or an error. (A buffered stream handed more than its buffer holds can
    return after writing part of it when the pipe's reader goes away, and the text layer above
    it ignores the count: the rest would be lost without an error, and the command exit 0.)"""
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def terminal_safe(text: str) -> str:
    if "\n" not in text:
        return printable(text)
    return "\n".join(printable(line) for line in text.split("\n"))


class _Closed(io.TextIOBase):
    """A standard stream the command was started without (`>&-`, `2>&-`): Python then has none,
    and click would print into nothing and report success, or put errors on stdout."""

    encoding = "utf-8"

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, f"{self._name} is closed")

    def fileno(self) -> int:
        raise OSError(errno.EBADF, f"{self._name} is closed")


def guard_streams() -> tuple[GuardedStream, GuardedStream]:
    """Put the guards in front of sys.stdout and sys.stderr."""
    guards: list[GuardedStream] = []
    for name, fatal in (("stdout", True), ("stderr", False)):
        closed = _Closed(f"standard {'output' if fatal else 'error'}")
        stream: TextIO = getattr(sys, name) or cast(TextIO, closed)
        try:
            # Standard error shows progress bars, drawn with escape sequences of our own.
            escape = fatal and stream.isatty()
        except (OSError, ValueError):
            escape = False
        guard = GuardedStream(stream, fatal=fatal, escape=escape)
        setattr(sys, name, cast(TextIO, guard))
        guards.append(guard)
    return guards[0], guards[1]


class Interrupted(SystemExit):
    """SIGINT, SIGTERM or SIGHUP arrived: the command stops, cleaning up as for any error. A
    SystemExit, so `except Exception` never swallows it and drivers cancel what they wait on
    (psycopg cancels the query)."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


class Interrupts:
    """The process's handler of SIGINT, SIGTERM and SIGHUP (one per process, as signal
    handlers are). The first signal raises Interrupted, unless the command is making its work
    permanent (`hold`): then it finishes, and exits as it would have. Later signals wait, so
    that the clean-up is not cut short."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    installed: ClassVar[Interrupts | None] = None

    def __init__(self) -> None:
        self.holding = False
        self.received: int | None = None

    @classmethod
    def install(cls) -> Interrupts:
        handler = cls()
        for signum in cls.SIGNALS:
            # A signal the caller ignores stays ignored: `nohup` ignores SIGHUP, a shell
            # script's background job SIGINT.
            if signal.getsignal(signum) != signal.SIG_IGN:
                signal.signal(signum, handler._handle)
        cls.installed = handler
        return handler

    @classmethod
    def hold(cls) -> None:
        """From now on a signal no longer stops the command (a no-op without a handler)."""
        if cls.installed is not None:
            cls.installed.holding = True

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.holding or self.received is not None:
            self.received = self.received or signum
            return
        self.received = signum
        raise Interrupted(signum)

    @staticmethod
    def die(signum: int) -> None:
        """End the process by `signum` itself, so its parent (a shell loop) sees how it
        ended."""
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        sys.exit(128 + signum)  # in case the signal is blocked
