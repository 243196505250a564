"""CSV that is safe to open in a spreadsheet.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel and LibreOffice ("CSV injection"): a donor named `=HYPERLINK(...)` must stay text. Such
text cells get a leading apostrophe, which spreadsheets show as text and hide. Numbers written
as plain decimals ("-250.00") are left alone, so amount columns stay numeric."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def spreadsheet_safe(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(stream: TextIO, rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_safe(row.get(column)) for column in columns])
