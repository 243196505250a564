"""What every rate-file reader shares: rows that know their line, errors that name it."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fundledger.domain.errors import FundledgerError
from fundledger.domain.rates import Rate


class RateFileError(FundledgerError):
    """A rate file that cannot be read: which file, which line, what is wrong."""


@dataclass(frozen=True, slots=True)
class RateRow:
    line: int
    rate: Rate


def check_width(row: list[str], header: list[str], name: str, line: int) -> None:
    """A row with more fields than its header hides a shifted column (a decimal comma, say)."""
    if len(row) > len(header):
        raise RateFileError(
            f"{name}: line {line} has {len(row)} fields but the header has {len(header)}; "
            "is a decimal comma splitting a value?"
        )


@contextmanager
def open_text(path: Path) -> Iterator[Iterator[str]]:
    """The lines of the CSV itself, or of the single CSV inside a zip (as the ECB distributes
    its history). Damage to the file or its encoding becomes a RateFileError."""
    with ExitStack() as stack:
        try:
            if zipfile.is_zipfile(path):
                archive = stack.enter_context(zipfile.ZipFile(path))
                binary: IO[bytes] = stack.enter_context(archive.open(_csv_member(archive, path)))
            else:
                binary = stack.enter_context(open(path, "rb"))
        except (OSError, zipfile.BadZipFile) as error:
            raise RateFileError(f"cannot read {path.name}: {error}") from None
        yield _decoded(binary, path.name)


def _csv_member(archive: zipfile.ZipFile, path: Path) -> str:
    members = [
        member
        for member in archive.namelist()
        if member.lower().endswith(".csv") and not member.startswith("__MACOSX/")
    ]
    if len(members) != 1:
        raise RateFileError(f"{path.name}: expected one CSV file inside the zip, found {members}")
    return members[0]


def _decoded(binary: IO[bytes], name: str) -> Iterator[str]:
    """Lines decoded one at a time, so an encoding error names its exact line."""
    number = 0
    try:
        for number, raw in enumerate(binary, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise RateFileError(
                    f"{name}: line {number} is not UTF-8 text; save the file as UTF-8"
                ) from None
            yield line.removeprefix("\ufeff") if number == 1 else line
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise RateFileError(f"{name}: damaged near line {number + 1}: {error}") from None


def count_lines(path: Path) -> int:
    """Lines in the file, for a progress bar."""
    with open_text(path) as lines:
        return sum(1 for _ in lines)
