"""Payment platforms' exports (PayPal, Stripe), read as donation files.

A platform's export is a ledger of its own: payments, refunds, fees, withdrawals, currency
conversions, pending and failed attempts. Its reader (`translate`) sorts the rows: a gift
becomes a row of a plain donation file (design.md §4) written at the same line number as in
the export, so every check, content key and message of the donation reader applies and names
the export's own lines; a refund is kept aside for the importer to reverse the gift it names;
every other row is counted by its kind, never an error. The written file is the export's
stand-in for one import: its identity in the audit trail is the export's SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fundledger.adapters.date_evidence import WRITTEN, DateEvidence, evidence
from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import (
    DonationFile,
    DonationFileError,
    RowProblem,
    reading_encoding,
)
from fundledger.domain.dates import ISRAEL

OUTPUT_COLUMNS = ("date", "amount", "currency", "donor", "email", "method", "reference", "note")


@dataclass(frozen=True, slots=True)
class Refund:
    """A refund row: it gives back `amount` of the gift whose reference is `gift_reference`."""

    line: int
    reference: str  # the refund's own transaction id
    gift_reference: str
    amount: Decimal
    currency: str
    platform: str


@dataclass(frozen=True, slots=True)
class FileGift:
    line: int
    amount: Decimal
    currency: str


@dataclass
class Translation:
    """What a platform's export holds, sorted (see the module's docstring)."""

    platform: str
    sha256: str
    path: Path  # the plain donation file written
    gifts: dict[str, FileGift] = field(default_factory=dict)  # by reference
    refunds: list[Refund] = field(default_factory=list)
    others: Counter[str] = field(default_factory=Counter)  # rows that are no gifts, by kind
    problems: list[RowProblem] = field(default_factory=list)
    dates: DateEvidence | None = None
    date_format: DateFormat = "ISO"
    rows: int = 0


class Reader:
    """One export's rows as dictionaries by header name, with their first lines."""

    def __init__(self, path: Path, encoding: str) -> None:
        self.path = path
        self.encoding = reading_encoding(encoding)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        try:
            with self.path.open(encoding=self.encoding, newline="") as text:
                head = text.read(64 * 1024)
                text.seek(0)
                first = head.splitlines()[0] if head.strip() else ""
                delimiter = max((",", ";", "\t"), key=first.count)
                reader = csv.reader(text, delimiter=delimiter, strict=True)
                header = [cell.strip().lstrip("\ufeff") for cell in next(reader, [])]
                if not header:
                    raise DonationFileError(f"{self.path.name} is empty")
                self.header = header
                line = reader.line_num + 1
                for cells in reader:
                    if any(cell.strip() for cell in cells):
                        yield line, {name: cells[index].strip() if index < len(cells) else ""
                                     for index, name in enumerate(header)}  # fmt: skip
                    line = reader.line_num + 1
        except csv.Error as error:
            raise DonationFileError(f"{self.path.name}: {error}") from None
        except UnicodeDecodeError:
            raise DonationFileError(
                f"{self.path.name}: not {self.encoding} text; give the file's encoding with "
                "--encoding"
            ) from None

    def require(self, columns: tuple[str, ...], platform: str) -> None:
        missing = [column for column in columns if column not in self.header]
        if missing:
            raise DonationFileError(
                f"{self.path.name}:1: not {platform}'s export as the profile knows it: it lacks "
                f"{', '.join(repr(column) for column in missing)} (found "
                f"{', '.join(repr(column) for column in self.header[:10])})"
            )


def decimal_amount(text: str) -> Decimal | None:
    """ "1,234.50", "-20.00" as a Decimal; None when it is no amount."""
    cleaned = text.replace(",", "").replace("\u00a0", "").replace(" ", "")
    if not re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


# Zone abbreviations exports write. IST is Israel's here (not India's or Ireland's): the
# ledger is an Israeli organisation's, and PayPal writes IST/IDT for Israeli accounts.
ZONE_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "EET": 2,
    "EEST": 3, "IST": 2, "IDT": 3, "MSK": 3, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6,
    "CST": -6, "CDT": -5, "EST": -5, "EDT": -4, "AKST": -9, "AKDT": -8, "HST": -10, "JST": 9,
    "AEST": 10, "AEDT": 11,
}  # fmt: skip
_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])([0-9]{1,2})(?::?([0-9]{2}))?")


def zone(text: str) -> timezone | ZoneInfo | None:
    """A time zone as exports name it: an abbreviation, an offset (GMT+02:00, +0300) or a
    zone name (Europe/Berlin); None when it is none of these."""
    name = text.strip()
    if name.upper() in ZONE_HOURS:
        return timezone(timedelta(hours=ZONE_HOURS[name.upper()]))
    if match := _OFFSET.fullmatch(name):
        minutes = int(match[2]) * 60 + int(match[3] or 0)
        return timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))
    if "/" in name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return None
    return None


_DAY = re.compile(r"([0-9]{1,4})[/.\-]([0-9]{1,2})[/.\-]([0-9]{1,4})")
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")


def israel_date(day_text: str, time_text: str, zone_text: str, fmt: DateFormat) -> date | str:
    """The date in Israel of a moment an export writes as a date, a time of day and a zone;
    or what is wrong with it."""
    match = _DAY.fullmatch(day_text.strip())
    if match is None:
        return f"{day_text!r} is not a date"
    numbers = int(match[1]), int(match[2]), int(match[3])
    if len(match[1]) == 4:
        year, month, day = numbers
    elif fmt == "MDY":
        month, day, year = numbers
    else:
        day, month, year = numbers
    clock = _TIME.fullmatch(time_text.strip()) if time_text.strip() else None
    if time_text.strip() and clock is None:
        return f"{time_text!r} is not a time of day"
    where = zone(zone_text) if zone_text.strip() else ISRAEL
    if where is None:
        return f"{zone_text!r} is not a time zone fundledger knows (write it as GMT+02:00)"
    try:
        moment = datetime(year, month, day,
                          int(clock[1]) if clock else 12, int(clock[2]) if clock else 0,
                          int(clock[3] or 0) if clock else 0, tzinfo=where)  # fmt: skip
    except ValueError:
        shown = f"{day_text} (as {WRITTEN[fmt]})" if len(match[1]) != 4 else day_text
        return f"{shown!r} is not a date; give the export's format with --date-format"
    return moment.astimezone(ISRAEL).date()


class Writer:
    """The plain donation file: each gift on the line it had in the export (blank lines
    between), so that the donation reader's messages name the export's lines."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.csv = csv.writer(out, lineterminator="\n")
        self.csv.writerow(OUTPUT_COLUMNS)
        self.line = 2

    def gift(self, line: int, values: dict[str, str]) -> None:
        if line > self.line:
            self.out.write("\n" * (line - self.line))
            self.line = line
        # One physical line a row: a note's line breaks become spaces.
        self.csv.writerow([" ".join(values.get(column, "").split()) for column in OUTPUT_COLUMNS])
        self.line += 1


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as binary:
        for block in iter(lambda: binary.read(1 << 20), b""):
            if b"\0" in block:
                raise DonationFileError(
                    f"{path.name}: not a text file (it holds NUL bytes; a file saved as UTF-16 "
                    "must be saved as UTF-8)"
                )
            digest.update(block)
    return digest.hexdigest()


def proven_format(
    dates: list[tuple[int, str]], given: DateFormat | None, default: DateFormat
) -> tuple[DateFormat, DateEvidence | None]:
    """The export's date format: the one its dates prove, else the one given, else the
    platform's usual one."""
    found = evidence(dates)
    if found is not None and found.format is not None:
        return found.format, found
    return given or default, found


class TranslatedFile(DonationFile):
    """The plain donation file written for an export, known by the export's name and bytes."""

    def __init__(self, translation: Translation, name: str, **options: object) -> None:
        super().__init__(translation.path, **options)  # type: ignore[arg-type]
        self.name = name
        self.export_sha256 = translation.sha256

    def _scan(self, binary: IO[bytes]) -> None:
        super()._scan(binary)
        self.sha256 = self.export_sha256


Translate = Callable[[Path, Path, str, "DateFormat | None"], Translation]


def translate(
    platform: str, path: Path, folder: Path, encoding: str, date_format: DateFormat | None
) -> Translation:
    """The export at `path` sorted by the reader of `platform`, its gifts written into `folder`."""
    from fundledger.adapters.platforms import paypal, stripe

    readers: dict[str, Translate] = {"paypal": paypal.translate, "stripe": stripe.translate}
    return readers[platform](path, folder, encoding, date_format)


def open_output(folder: Path, path: Path) -> io.TextIOWrapper:
    return (folder / (path.stem + ".donations.csv")).open("w", encoding="utf-8", newline="")


# A platform's sorting of one row (line, cells by header) into the translation and the file.
SortRow = Callable[[int, dict[str, str], Translation, Writer], None]


def sorted_export(
    platform: str,
    sha256: str,
    path: Path,
    folder: Path,
    rows: list[tuple[int, dict[str, str]]],
    sort: SortRow,
    *,
    dates: DateEvidence | None = None,
    date_format: DateFormat = "ISO",
) -> Translation:
    """The export's `rows`, each sorted by the platform's `sort`, its gifts written into
    `folder` (what every platform's `translate` does once it has read and checked them)."""
    with open_output(folder, path) as out:
        result = Translation(platform, sha256, Path(out.name), dates=dates,
                             date_format=date_format, rows=len(rows))  # fmt: skip
        writer = Writer(out)
        for line, row in rows:
            sort(line, row, result, writer)
    return result
