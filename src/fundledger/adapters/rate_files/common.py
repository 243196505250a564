"""What every rate-file reader shares: rows that know their line, errors that name it."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

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


def open_text(path: Path) -> io.TextIOWrapper:
    """The CSV itself, or the single CSV inside a zip (as the ECB distributes its history)."""
    try:
        if zipfile.is_zipfile(path):
            archive = zipfile.ZipFile(path)
            members = [member for member in archive.namelist() if member.lower().endswith(".csv")]
            if len(members) != 1:
                raise RateFileError(
                    f"{path}: expected one CSV file inside the zip, found {members}"
                )
            return io.TextIOWrapper(archive.open(members[0]), encoding="utf-8-sig", newline="")
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as error:
        raise RateFileError(f"cannot read {path}: {error.strerror or error}") from None
