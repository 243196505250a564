"""What every rate-file reader shares: rows that know their line, errors that name it, and the
checks every format makes of a date and a currency code."""

from __future__ import annotations

import csv
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO

from fundledger.domain.dates import EARLIEST, iso_date, past_date_problem, today_in_israel
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import currency_in_use
from fundledger.domain.rates import Rate, parse_rate, rate_from_text

# What a zip file starts with (a local file header, or the end record of an empty archive).
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Longest cell text quoted back in an error; a 100,000-character cell is shown by its start.
_SHOWN = 40
# No currency code, alias or sign is longer than this ('ש"ח' is 3).
_LONGEST_CODE = 8
MAX_UNIT_MULT = 6  # quotes per up to a million units
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class RateFileError(FundledgerError):
    """A rate file that cannot be read: which file, which line, what is wrong."""


@dataclass(frozen=True, slots=True)
class RateRow:
    line: int
    rate: Rate


class RateRows(Iterator[RateRow]):
    """A file's rates, read lazily, and the rates it skipped by currency: the ECB history
    still has columns for currencies no longer in use (CYP, TRL, ...), which no gift needs."""

    def __init__(self, rows: Iterator[RateRow], skipped: Counter[str]) -> None:
        self._rows = rows
        self.skipped = skipped

    def __next__(self) -> RateRow:
        return next(self._rows)


def shown(text: str) -> str:
    """A cell quoted in a message: its start only when long, control characters escaped."""
    cleaned = text.strip()
    if len(cleaned) <= _SHOWN:
        return repr(cleaned)
    return f"{cleaned[:_SHOWN]!r}… ({len(cleaned):,} characters)"


def csv_rows(lines: Iterable[str], name: str) -> Iterator[tuple[int, list[str]]]:
    """Each CSV row with the line it starts on (a quoted cell can span lines). What the csv
    module cannot read (a cell past its 131,072-character limit, a NUL byte, a lone carriage
    return) is a RateFileError naming that line."""
    reader = csv.reader(lines)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise RateFileError(f"{name}: line {start}: {_csv_problem(error)}") from None
        yield start, row


def _csv_problem(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return (
            f"a field is larger than {csv.field_size_limit():,} characters, too large for a "
            'rate file (is a quote (") left open?)'
        )
    if "new-line character" in text:
        return (
            "a carriage return (CR) ends a line on its own; save the file with ordinary "
            "line ends (LF or CRLF)"
        )
    if "NUL" in text:
        return "holds a NUL byte: this is not a text CSV file"
    return f"not readable as CSV ({text})"


def header_fields(header_line: str, name: str) -> list[str]:
    """The fields of line 1."""
    for _, fields in csv_rows([header_line], name):
        return fields
    return []


def check_width(row: list[str], header: list[str], name: str, line: int) -> None:
    """A row with more fields than its header hides a shifted column (a decimal comma, say)."""
    if len(row) > len(header):
        raise RateFileError(
            f"{name}: line {line} has {len(row)} fields but the header has {len(header)}; "
            "is a decimal comma splitting a value?"
        )


def sdmx_table(
    lines: Iterable[str], name: str, required: Sequence[str], publisher: str
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """An SDMX CSV as the Bank of Israel and the ECB publish it: its header (names upper-cased,
    `required` columns present, else an error naming `publisher`'s missing ones) and its data
    rows with their lines, blank lines skipped, each exactly as wide as the header."""
    rows = csv_rows(lines, name)
    header = [field.strip().upper() for field in next(rows, (1, []))[1]]
    missing = [column for column in required if column not in header]
    if missing:
        raise RateFileError(
            f"{name}: line 1 lacks the {publisher} "
            f"{'column' if len(missing) == 1 else 'columns'} {', '.join(missing)}"
        )

    def data() -> Iterator[tuple[int, list[str]]]:
        for line, row in rows:
            if not any(field.strip() for field in row):
                continue
            check_width(row, header, name, line)
            if len(row) < len(header):
                raise RateFileError(
                    f"{name}: line {line} has {len(row)} fields but the header has {len(header)}"
                )
            yield line, row

    return header, data()


class FieldChecks:
    """The checks every format makes of a rate's cells (date, currencies, value), each error
    naming the file, the line and the column. Today is read once per file; each distinct
    currency text is checked once (a 200,000-row file names a few dozen)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.today = today_in_israel()
        self._codes: dict[str, str] = {}

    def error(self, line: int, column: str, problem: object) -> RateFileError:
        return RateFileError(f"{self.name}: line {line}, column {column}: {problem}")

    def rate_date(self, text: str, line: int, column: str) -> date:
        """A rate's date: YYYY-MM-DD, not before 1900 nor after today in Israel."""
        try:
            day = iso_date(text)
        except ValueError:
            raise self.error(line, column, f"{shown(text)} is not a date (YYYY-MM-DD)") from None
        self.check_date(day, line, column)
        return day

    def check_date(self, day: date, line: int, column: str) -> None:
        if EARLIEST <= day <= self.today:
            return
        problem = past_date_problem(day, "rate")
        if problem:
            raise self.error(line, column, problem)

    def currency(self, text: str, line: int, column: str) -> str:
        """A currency in use today (NIS and ₪ are ILS); a code no longer in use is refused,
        naming the one to use."""
        code = self._codes.get(text)
        if code is None:
            cleaned = text.strip()
            try:
                if len(cleaned) > _LONGEST_CODE:
                    raise FundledgerError(f"{shown(cleaned)} is not a currency code")
                code = self._codes[text] = currency_in_use(cleaned)
            except FundledgerError as error:
                raise self.error(line, column, error) from None
        return code

    def unit_mult(self, text: str, line: int, column: str = "UNIT_MULT") -> int:
        """The power of ten an SDMX value is quoted per (0: per unit; 2: per 100, as the Bank
        of Israel quotes JPY); empty is 0."""
        if not text:
            return 0
        if not _WHOLE_NUMBER.fullmatch(text):  # int() would also take "1_0" or Arabic digits
            raise self.error(line, column, f"{shown(text)} is not a whole number")
        # int() refuses text over 4,300 digits; nothing that long is in range anyway.
        unit_mult = int(text) if len(text) <= 3 else MAX_UNIT_MULT + 1
        if not 0 <= unit_mult <= MAX_UNIT_MULT:
            raise self.error(line, column, f"{shown(text)} is outside 0-{MAX_UNIT_MULT}")
        return unit_mult

    def value(self, text: str, line: int, column: str) -> Decimal:
        """A rate exactly as written: positive, at most 10 decimals, no exponent."""
        try:
            return parse_rate(rate_from_text(text))
        except FundledgerError as error:
            raise self.error(line, column, error) from None


@contextmanager
def open_text(path: Path) -> Iterator[Iterator[str]]:
    """The lines of the CSV itself, or of the single CSV inside a zip (as the ECB distributes
    its history). Damage to the file or its encoding becomes a RateFileError."""
    with ExitStack() as stack:
        archive: zipfile.ZipFile | None = None
        try:
            binary: IO[bytes] = stack.enter_context(open(path, "rb"))
            if binary.read(4) in _ZIP_MAGIC or path.suffix.lower() == ".zip":
                archive, binary = _zip_member(stack, path, binary)
            else:
                binary.seek(0)
        except OSError as error:
            raise RateFileError(f"cannot read {path.name}: {error.strerror or error}") from None
        try:
            yield _decoded(binary, path.name)
        except RateFileError:
            # Damage inside a zip can decompress to lines that read as nonsense (a row of 54
            # fields) before the checksum at its end says why: the archive answers first.
            if archive is not None and not _intact(archive):
                raise RateFileError(
                    f"{path.name}: the zip file is damaged: download it again"
                ) from None
            raise


def _intact(archive: zipfile.ZipFile) -> bool:
    try:
        return archive.testzip() is None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return False


def _zip_member(
    stack: ExitStack, path: Path, binary: IO[bytes]
) -> tuple[zipfile.ZipFile, IO[bytes]]:
    """The single CSV inside a zip; a truncated or damaged archive (or a file named .zip that
    is none) is one clear error."""
    damaged = f"{path.name}: the zip file is damaged or cut short (or is no zip file)"
    try:
        binary.seek(0)
        archive = stack.enter_context(zipfile.ZipFile(binary))
        return archive, stack.enter_context(archive.open(_csv_member(archive, path)))
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise RateFileError(f"{damaged}: download it again ({error})") from None
    except (RuntimeError, NotImplementedError) as error:  # encrypted, unknown compression
        raise RateFileError(
            f"cannot read {path.name}: {error}; unpack it and import the CSV inside"
        ) from None


def _csv_member(archive: zipfile.ZipFile, path: Path) -> str:
    members = [
        member
        for member in archive.namelist()
        if member.lower().endswith(".csv") and not member.startswith("__MACOSX/")
    ]
    if not members:
        raise RateFileError(
            f"{path.name}: the zip file holds no CSV file (is it a spreadsheet? save it as CSV)"
        )
    if len(members) != 1:
        listed = ", ".join(members[:5]) + (", ..." if len(members) > 5 else "")
        raise RateFileError(
            f"{path.name}: the zip file holds {len(members)} CSV files ({listed}); import "
            "them one at a time"
        )
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
        raise RateFileError(
            f"{name}: the file is damaged near line {number + 1}: download it again ({error})"
        ) from None


def count_lines(path: Path) -> int:
    """Lines in the file, for a progress bar."""
    with open_text(path) as lines:
        return sum(1 for _ in lines)
