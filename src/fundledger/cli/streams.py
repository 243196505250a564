"""The standard streams a command prints to. Standard output that cannot be written (a full
disk, a reader that closed the pipe) stops the command, never with a traceback (cli.main decides
its exit status); standard error only ever carries news, so its failures are ignored. On a
terminal, ledger text never arrives as escape sequences."""

from __future__ import annotations

import errno
import io
import os
import sys
from contextlib import suppress
from typing import Any, TextIO, cast

from fundledger.domain.text import printable


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
