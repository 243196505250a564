"""Which way round a file writes its dates, as the file itself proves it.

03/07/2025 is the 3rd of July in Israel and March 7th in the United States; only a day above
12 settles it (23/07/2025 can only be DD/MM). The importer says which format the dates were
read as and on what evidence, and when they fail in the format given, it names the one the
file proves, once, rather than one error per line.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass

from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import DonationFile, DonationFileError

_NUMERIC = re.compile(r"\s*([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})\b")
WRITTEN = {"DMY": "DD/MM/YYYY", "MDY": "MM/DD/YYYY", "ISO": "YYYY-MM-DD"}
SCAN_ROWS = 200_000  # a file whose first so many dates prove nothing is not read further


@dataclass(frozen=True, slots=True)
class DateEvidence:
    """`format` is proven by the date `text` on `line`; None: the file writes its dates as
    numbers (DD/MM or MM/DD), and no day above 12 shows which way round."""

    format: DateFormat | None
    line: int
    text: str

    def describe(self) -> str:
        return f"dates read as {WRITTEN[self.format or 'ISO']} (line {self.line} has {self.text})"


def evidence(dates: Iterable[tuple[int, str]]) -> DateEvidence | None:
    """The first date (line, text) that can only be DD/MM or only MM/DD; else, when some
    are numeric, a DateEvidence without a format; None when none is."""
    first_numeric: tuple[int, str] | None = None
    for count, (line, text) in enumerate(dates):
        match = _NUMERIC.match(text)
        if match is None:
            continue
        first, second = int(match[1]), int(match[2])
        if first > 12 >= second >= 1:
            return DateEvidence("DMY", line, text.strip())
        if second > 12 >= first >= 1:
            return DateEvidence("MDY", line, text.strip())
        if first_numeric is None:
            first_numeric = (line, text.strip())
        if count >= SCAN_ROWS:
            break
    if first_numeric is None:
        return None
    return DateEvidence(None, *first_numeric)


def file_evidence(source: DonationFile) -> DateEvidence | None:
    """`evidence` for the date column of a donation file (None if it cannot be read: the
    import says why)."""
    try:
        with source._open() as binary:
            reader = source._reader(binary)
            header = next(reader, None)
            if header is None:
                return None
            column = source._columns(header).get("date")
            if column is None:
                return None

            def dates() -> Iterable[tuple[int, str]]:
                line = reader.line_num + 1
                for row in reader:
                    if len(row) > column:
                        yield line, row[column]
                    line = reader.line_num + 1

            return evidence(dates())
    except (csv.Error, UnicodeDecodeError, OSError, ValueError, DonationFileError):
        return None
