"""Readers of published exchange-rate files: Bank of Israel SDMX CSV, ECB reference rates
(the eurofxref files, or the data API's SDMX csvdata), and the plain
`date,base,quote,rate[,source]` CSV. `read_rate_file` picks the reader."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from fundledger.adapters.rate_files.boi import BOI_SOURCE, is_boi_header, read_boi_rates
from fundledger.adapters.rate_files.common import (
    RateFileError,
    RateRow,
    RateRows,
    count_lines,
    header_fields,
    open_text,
    shown,
)
from fundledger.adapters.rate_files.ecb import ECB_SOURCE, is_ecb_header, read_ecb_rates
from fundledger.adapters.rate_files.ecb_sdmx import is_ecb_sdmx_header, read_ecb_sdmx_rates
from fundledger.adapters.rate_files.plain_csv import is_plain_header, read_plain_rates

RateFormat = Literal["boi", "ecb", "csv"]
FORMATS: tuple[RateFormat, ...] = ("boi", "ecb", "csv")
# Control characters no CSV header holds (a tab, CR and LF may be there).
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

__all__ = [
    "FORMATS",
    "RateFileError",
    "RateFormat",
    "RateRow",
    "RateRows",
    "count_lines",
    "detect_format",
    "read_rate_file",
]


def detect_format(header_line: str, name: str) -> RateFormat:
    if _BINARY.search(header_line):
        raise RateFileError(
            f"{name}: line 1 holds control characters: this is not a CSV text file (a "
            "spreadsheet or a compressed file? save or unpack it as CSV)"
        )
    fields = header_fields(header_line, name)
    if is_plain_header(fields):
        return "csv"
    if is_boi_header(fields):
        return "boi"
    if is_ecb_header(fields) or is_ecb_sdmx_header(fields):
        return "ecb"
    separator = next((mark for mark in ";\t|" if mark in header_line and len(fields) == 1), None)
    hint = f"; its fields seem separated by {separator!r}: save it with commas" if separator else ""
    raise RateFileError(
        f"{name}: cannot tell the format from line 1 ({shown(header_line[:200])}){hint}; "
        "expected a Bank of Israel SDMX CSV, an ECB eurofxref or SDMX csvdata file, or "
        "date,base,quote,rate[,source] (or say which with --format)"
    )


@contextmanager
def read_rate_file(
    path: Path, file_format: RateFormat | Literal["auto"] = "auto", source: str | None = None
) -> Iterator[tuple[RateFormat, RateRows]]:
    """Open a rate file and yield its format and its rows (read lazily, checked as read; what
    was skipped is counted in `rows.skipped` once they are read)."""
    name = path.name
    with open_text(path) as text:
        header = next(text, "")
        if not header.strip():
            raise RateFileError(f"{name} is empty: it holds no rates")
        chosen: RateFormat = detect_format(header, name) if file_format == "auto" else file_format
        lines = itertools.chain([header], text)
        skipped: Counter[str] = Counter()
        # `source` overrides the publisher's name; a plain CSV falls back to its own column.
        if chosen == "boi":
            rows = read_boi_rates(lines, name=name, source=source or BOI_SOURCE)
        elif chosen == "ecb" and is_ecb_sdmx_header(header_fields(header, name)):
            rows = read_ecb_sdmx_rates(lines, name=name, source=source or ECB_SOURCE)
        elif chosen == "ecb":
            rows = read_ecb_rates(lines, name=name, source=source or ECB_SOURCE, skipped=skipped)
        else:
            rows = read_plain_rates(lines, name=name, source=source)
        yield chosen, RateRows(rows, skipped)
