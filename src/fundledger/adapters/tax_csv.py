"""The file of numbers the Tax Authority returned, for `fundledger tax import`: a CSV with a
header row naming the gift (`gift`: its id, `reference`, or `receipt`: its receipt number, a
credit receipt's naming the cancellation) and the `number`. UTF-8, with or without the BOM a
spreadsheet writes. Only reading here: what the rows mean is services/tax.py's."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from fundledger.domain.errors import FundledgerError

IDENTIFYING = ("gift", "reference", "receipt")
LARGEST_FILE = 16 << 20  # a year's numbers of a large organisation fit in far less


@dataclass(frozen=True, slots=True)
class NumberRow:
    line: int  # in the file, the header being line 1
    names: tuple[tuple[str, str], ...]  # (column, value) of each identifying column filled
    number: str


@dataclass(frozen=True, slots=True)
class NumbersFile:
    name: str
    sha256: str
    rows: tuple[NumberRow, ...]
    problems: tuple[tuple[int, str], ...]  # (line, "file, line N: what is wrong; what to do")


def read_numbers(path: Path) -> NumbersFile:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FundledgerError(f"cannot read {path}: {error.strerror or error}") from None
    if len(data) > LARGEST_FILE:
        raise FundledgerError(f"{path.name} is larger than {LARGEST_FILE >> 20} MiB: not a file "
                              "of report numbers")  # fmt: skip
    name = path.name
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FundledgerError(f"{name}: not UTF-8 (byte {error.start + 1}); save it as CSV "
                              "UTF-8") from None  # fmt: skip
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    columns = [cell.strip().lower() for cell in header or []]
    if "number" not in columns or not any(column in columns for column in IDENTIFYING):
        raise FundledgerError(
            f"{name}, line 1: the header needs a `number` column and one of `gift`, "
            f"`reference` or `receipt` (found: {', '.join(columns) or 'nothing'})"
        )
    rows: list[NumberRow] = []
    problems: list[tuple[int, str]] = []
    for values in reader:
        line = reader.line_num
        cells = dict(zip(columns, (value.strip() for value in values), strict=False))
        if not any(cells.values()):
            continue  # a blank line a spreadsheet left
        names = tuple((column, cells[column]) for column in IDENTIFYING if cells.get(column))
        number = cells.get("number", "")
        if not names:
            problems.append((line, f"{name}, line {line}: no gift named; fill in its gift id, "
                                   "reference or receipt number"))  # fmt: skip
        elif not number:
            problems.append((line, f"{name}, line {line}: no number; fill in the number the "
                                   "Tax Authority returned, or remove the line"))  # fmt: skip
        else:
            rows.append(NumberRow(line, names, number))
    return NumbersFile(name, digest, tuple(rows), tuple(problems))
