"""Files a command writes: each first to a temporary file beside its target, all moved into
place once the command has succeeded (its transaction committed), none if it failed. A failed
or interrupted command never leaves half a file, nor destroys the previous one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from fundledger.domain.errors import FundledgerError


class StagedFiles:
    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []

    def stage(self, target: Path) -> Path:
        """Where to write what will become `target`."""
        temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.touch()
        except OSError as error:
            raise FundledgerError(f"cannot write {target}: {error.strerror or error}") from None
        self._staged.append((temporary, target))
        return temporary

    def publish(self) -> None:
        for temporary, target in self._staged:
            try:
                os.replace(temporary, target)
            except OSError as error:
                raise FundledgerError(f"cannot write {target}: {error.strerror or error}") from None

    def discard(self) -> None:
        for temporary, _ in self._staged:
            temporary.unlink(missing_ok=True)


@contextmanager
def staged_files() -> Iterator[StagedFiles]:
    """Files published when the block ends normally, discarded when it raises."""
    files = StagedFiles()
    try:
        yield files
        files.publish()
    finally:
        files.discard()


@contextmanager
def writing(target: Path) -> Iterator[Path]:
    """One file written whole or not at all."""
    with staged_files() as files:
        yield files.stage(target)


def warn_undrawable(undrawable: set[str], what: str) -> None:
    """Say which characters the PDF font could not draw (each printed as U+FFFD)."""
    if not undrawable:
        return
    listed = ", ".join(f"{character} (U+{ord(character):04X})" for character in sorted(undrawable))
    click.echo(
        f"Warning: the {what} font has no glyph for {listed}; each is printed as \ufffd. "
        "Check the names and notes that contain them.",
        err=True,
    )
