"""CSV that is safe to open in a spreadsheet.

A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel and LibreOffice ("CSV injection"): a donor named `=HYPERLINK(...)` must stay text. Such
text cells get a leading apostrophe, which spreadsheets show as text and hide. Numbers written
as plain decimals ("-250.00") are left alone, so amount columns stay numeric.

Two flavours. The default is for scripts and stays as it has always been: UTF-8 without a
byte-order mark (Python's csv module would otherwise read "\ufeffid" as the first column's
name), lines ending in LF, booleans as Python writes them (True, False). `excel` is for people:
a byte-order mark, without which Excel reads UTF-8 as the local code page and Hebrew and Arabic
names come out as mojibake; CRLF line ends (RFC 4180, as spreadsheets write CSV); booleans as
"yes" and "no", which a spreadsheet keeps as written whatever its language (TRUE and FALSE
become booleans only where the spreadsheet's language names them so), and which the donation
importer reads back. Amounts stay plain decimals in both."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"
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


def for_people(value: Any) -> Any:
    """A cell of the `excel` flavour: a boolean in words, anything else as `spreadsheet_safe`."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return spreadsheet_safe(value)


def write_csv(
    stream: TextIO,
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    *,
    excel: bool = False,
) -> None:
    """CSV for scripts, or with `excel` for a spreadsheet (see the module's note)."""
    if excel:
        stream.write(BYTE_ORDER_MARK)
    writer = csv.writer(stream, lineterminator="\r\n" if excel else "\n")
    cell = for_people if excel else spreadsheet_safe
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
