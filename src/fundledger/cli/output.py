"""The files a command writes. Each is written first to a temporary file beside its target
(`.NAME.PID.partial`), all moved into place once the command has succeeded (its transaction
committed), none if it failed or was interrupted (cli/signals.py). A failed or interrupted
command never leaves half a file, nor destroys the previous one; a path that is the ledger's
own file, a folder or a device is refused before any work. (What it prints: cli/streams.py.)"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import click

from fundledger.cli.signals import Interrupts
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
