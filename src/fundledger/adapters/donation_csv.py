"""The donation CSV (shared/design.md §4) as real exports write it.

`date,amount,currency,donor,email,method,reference,note[,anonymous]`, header names matched
case-insensitively, other columns ignored, and `--map "Their column=field"` for exports that
name them otherwise. Accepts a UTF-8 BOM or another encoding by name (cp1255 for Hebrew Excel),
`,` `;` or tab delimiters (sniffed from the header), quoted fields with newlines, amounts such
as `1,234.50`, `₪1,234` or `$50`, ISO dates (or DD/MM/YYYY, MM/DD/YYYY) and timestamps, which
become their calendar date in Asia/Jerusalem.

Every row is checked; a bad row becomes a `RowProblem` naming its line and field, and reading
goes on so that all of them can be reported at once. Problems with the file as a whole (not
text, no header, missing columns) raise `DonationFileError`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Literal, NamedTuple
from zoneinfo import ZoneInfo

from fundledger.domain.donors import normalize_name
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import MAX_AMOUNT_MINOR, known_currencies, minor_unit_digits

ISRAEL = ZoneInfo("Asia/Jerusalem")
DateFormat = Literal["ISO", "DMY", "MDY"]
FIELDS = ("date", "amount", "currency", "donor", "email", "method", "reference", "note",
          "anonymous")  # fmt: skip
REQUIRED = ("date", "amount")
LIMITS = {"donor": 200, "email": 254, "method": 32, "reference": 200}
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
LONGEST_AMOUNT = 40
SNIFF_BYTES = 64 * 1024

CURRENCY_SIGNS = {"₪": "ILS", "$": "USD", "€": "EUR", "£": "GBP", "NIS": "ILS"}
TRUE_WORDS = {"1", "true", "yes", "y", "x", "כן", "نعم"}
FALSE_WORDS = {"", "0", "false", "no", "n", "לא", "لا"}

_AMOUNT = re.compile(
    r"(?P<sign_before>[₪$€£]|NIS|[A-Z]{3})?\s*(?P<minus>-)?\s*"
    r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<fraction>[0-9]+))?"
    r"\s*(?P<sign_after>[₪$€£]|NIS|[A-Z]{3})?"
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# DD/MM/YYYY (or MM/DD), one separator throughout, with an optional local time of day.
_NUMERIC_DATE = re.compile(
    r"([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)


class DonationFileError(FundledgerError):
    """The file as a whole cannot be read as donations."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    field: str
    message: str

    def describe(self, name: str) -> str:
        return f"{name}:{self.line}: {self.field}: {self.message}"


class DonationRow(NamedTuple):
    """One valid line of the file, ready for the ledger. (A named tuple: a million of them
    are built per large import, three times faster than a frozen dataclass.)"""

    line: int
    day: date
    amount_minor: int
    currency: str
    donor: str | None
    email: str | None
    method: str | None
    reference: str  # the file's, or "row:<content digest>:<occurrence>" when it has none
    note: str | None
    anonymous: bool


def parse_mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--map "Transaction Date=date"` pairs as {their column (lower case): our field}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, equals, field = pair.rpartition("=")
        field = field.strip().lower()
        if not equals or not column.strip() or field not in FIELDS:
            raise DonationFileError(
                f"--map {pair!r} must be COLUMN=FIELD with FIELD one of {', '.join(FIELDS)}"
            )
        mapping[column.strip().lower()] = field
    return mapping


class DonationFile:
    """Reads one donation file; iterate `rows()` for DonationRow and RowProblem items."""

    def __init__(
        self,
        path: Path,
        *,
        home_currency: str,
        encoding: str = "utf-8",
        date_format: DateFormat = "ISO",
        mapping: dict[str, str] | None = None,
    ) -> None:
        self.path = path
        self.name = path.name
        self.home_currency = home_currency
        self.date_format = date_format
        self.mapping = mapping or {}
        try:
            # Unknown names and byte codecs (base64, rot13) raise LookupError here; UTF-16
            # gives another newline: CSV lines must be ASCII-compatible.
            newline = "\n".encode(encoding)
        except LookupError:
            newline = b""
        if newline != b"\n":
            raise DonationFileError(
                f"{encoding!r} is not a text encoding fundledger reads (try utf-8 or cp1255)"
            )
        self.encoding_name = encoding
        utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
        self.encoding = "utf-8-sig" if utf8 else encoding  # a BOM is dropped, not read as text
        self.sha256 = ""
        self._digits = {code: minor_unit_digits(code) for code in known_currencies()}

    def _open(self) -> io.BufferedReader:
        try:
            return open(self.path, "rb")
        except OSError as error:
            raise DonationFileError(f"cannot read {self.path}: {error.strerror or error}") from None

    def _sniff(self, head: bytes) -> str:
        text = head.decode(self.encoding, errors="replace")
        first_line = text.splitlines()[0] if text.strip() else ""
        if not first_line.strip():
            raise DonationFileError(f"{self.name} is empty: it needs a header line and donations")
        counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
        return max(counts, key=lambda delimiter: counts[delimiter])

    def _columns(self, header: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for index, raw in enumerate(header):
            name = raw.strip().lstrip("\ufeff").lower()
            field = self.mapping.get(name, name)
            if field in FIELDS:
                if field in found:
                    raise DonationFileError(
                        f"{self.name}:1: two columns are read as {field} ({header[found[field]]!r} "
                        f"and {raw!r}); remove one or map it to another field"
                    )
                found[field] = index
        missing = [field for field in REQUIRED if field not in found]
        if missing:
            shown = ", ".join(repr(column.strip()) for column in header[:12])
            raise DonationFileError(
                f"{self.name}:1: header lacks the column(s) {', '.join(missing)} (found {shown}); "
                f'name yours with --map, e.g. --map "Sum={missing[0]}"'
            )
        return found

    def rows(self) -> Iterator[DonationRow | RowProblem]:
        with self._open() as binary:
            self._scan(binary)
            delimiter = self._sniff(binary.read(SNIFF_BYTES))
            binary.seek(0)
            text = io.TextIOWrapper(binary, encoding=self.encoding, newline="")
            # strict: an unclosed quote is an error, not the rest of the file inside one cell
            reader = csv.reader(text, delimiter=delimiter, strict=True)
            try:
                header = next(reader, None)
                if header is None:
                    raise DonationFileError(f"{self.name} is empty")
                columns = self._columns(header)
                # One itemgetter picks every field; a column the file lacks reads the empty
                # cell appended to each row.
                pick = operator.itemgetter(*(columns.get(field, -1) for field in FIELDS))
                seen_references: dict[str, int] = {}
                self._occurrences: dict[str, int] = {}
                width = len(header)
                line = reader.line_num + 1  # where the next row starts (a row may span lines)
                for row in reader:
                    if len(row) != width:
                        if any(cell.strip() for cell in row):
                            yield RowProblem(
                                line, "row", f"has {len(row)} fields but the header has "
                                f"{width}; is a comma inside an unquoted value?"
                            )  # fmt: skip
                        line = reader.line_num + 1
                        continue
                    row.append("")
                    cells = [cell.strip() for cell in pick(row)]
                    if any(cells):
                        yield self._row(line, cells, seen_references)
                    line = reader.line_num + 1
            except csv.Error as error:
                raise DonationFileError(f"{self.name}:{reader.line_num}: {error}") from None
            except UnicodeDecodeError:
                binary.seek(0)
                line = self._first_undecodable_line(binary)
                raise DonationFileError(
                    f"{self.name}:{line}: not {self.encoding_name} text; give the file's "
                    "encoding with --encoding (cp1255 for Hebrew Excel)"
                ) from None

    def _scan(self, binary: IO[bytes]) -> None:
        """One pass over the bytes: the file's SHA-256 (its identity in the audit trail), and a
        refusal of any NUL byte, which means a binary file (or one saved as UTF-16)."""
        binary.seek(0)
        digest = hashlib.sha256()
        lines = 1
        for block in iter(lambda: binary.read(1 << 20), b""):
            position = block.find(b"\0")
            if position >= 0:
                lines += block.count(b"\n", 0, position)
                raise DonationFileError(
                    f"{self.name}:{lines}: not a text file (it holds NUL bytes; a file saved as "
                    "UTF-16 must be saved as UTF-8)"
                )
            lines += block.count(b"\n")
            digest.update(block)
        self.sha256 = digest.hexdigest()
        binary.seek(0)

    def _content_reference(self, cells: list[str]) -> str:
        """A reference for a row that has none: its content, and which occurrence of that
        content in the file it is. The same file again, re-saved, or an export overlapping
        an earlier one then adds nothing twice; two identical gifts in one file stay two."""
        digest = hashlib.sha256("\x1f".join(cells).encode()).hexdigest()[:20]
        occurrence = self._occurrences.get(digest, 0) + 1
        self._occurrences[digest] = occurrence
        return f"row:{digest}:{occurrence}"

    def _first_undecodable_line(self, binary: IO[bytes]) -> int:
        """Where decoding fails, found line by line (only once a failure is known)."""
        decode = codecs.getdecoder(self.encoding)
        for number, raw in enumerate(binary, start=1):
            try:
                decode(raw)
            except UnicodeDecodeError:
                return number
        return 0

    def _row(self, line: int, cells: list[str], seen: dict[str, int]) -> DonationRow | RowProblem:
        """A checked row. Rows of the common shape (plain amount, ISO date, no flag) are
        accepted by the quick test below; anything else goes through `_checked_row`, which
        is the authority on what is wrong."""
        day_text, amount_text, currency_text, donor, email, method, reference, note, flag = cells
        currency = currency_text.upper() if currency_text else self.home_currency
        digits = self._digits.get(currency)
        whole, dot, fraction = amount_text.partition(".")
        if (
            digits is not None
            and not flag
            and self.date_format == "ISO"
            and len(day_text) == 10
            and len(whole) < 16
            and whole.isdigit()
            and whole.isascii()
            and (not dot or (fraction.isdigit() and fraction.isascii()))
            and len(fraction) <= digits
            and len(donor) <= LIMITS["donor"]
            and len(email) <= LIMITS["email"]
            and len(method) <= LIMITS["method"]
            and 0 < len(reference) <= LIMITS["reference"]
            and reference not in seen
            and (not email or _EMAIL.fullmatch(email))
        ):
            minor = int(whole) * 10**digits + (int(fraction.ljust(digits, "0")) if fraction else 0)
            try:
                day: date | None = date.fromisoformat(day_text)
            except ValueError:
                day = None  # not a date: the full check below says what is wrong
            if 0 < minor <= MAX_AMOUNT_MINOR and day is not None and EARLIEST <= day <= LATEST:
                seen[reference] = line
                donor = normalize_name(donor)
                return DonationRow(line, day, minor, currency, donor or None, email or None,
                                   method or None, reference, note or None,
                                   not donor)  # fmt: skip
        return self._checked_row(line, cells, seen)

    def _checked_row(
        self, line: int, cells: list[str], seen: dict[str, int]
    ) -> DonationRow | RowProblem:
        day_text, amount_text, currency_text, donor, email, method, reference, note, flag = cells
        currency_text = currency_text.upper()
        if currency_text and currency_text not in known_currencies():
            alias = CURRENCY_SIGNS.get(currency_text)
            if alias is None:
                return RowProblem(line, "currency", f"unknown currency code {currency_text!r}")
            currency_text = alias
        amount = self._amount(line, amount_text, currency_text)
        if isinstance(amount, RowProblem):
            return amount
        amount_minor, currency = amount
        day = self._date(line, day_text)
        if isinstance(day, RowProblem):
            return day
        donor = normalize_name(donor)
        for field, value in (("donor", donor), ("email", email), ("method", method),
                             ("reference", reference)):  # fmt: skip
            if len(value) > LIMITS[field]:
                return RowProblem(line, field, f"longer than {LIMITS[field]} characters")
        if email and not _EMAIL.fullmatch(email):
            return RowProblem(line, "email", f"{email!r} is not an e-mail address")
        flag = flag.lower()
        if flag in FALSE_WORDS:
            anonymous = False
        elif flag in TRUE_WORDS:
            anonymous = True
        else:
            return RowProblem(line, "anonymous", f"{flag!r} is neither yes nor no")
        if reference:
            earlier = seen.get(reference)
            if earlier is not None:
                return RowProblem(
                    line, "reference", f"{reference!r} already appears on line {earlier}"
                )
            seen[reference] = line
        else:
            reference = self._content_reference(cells)
        return DonationRow(
            line,
            day,
            amount_minor,
            currency,
            donor or None,
            email or None,
            method or None,
            reference,
            note or None,
            anonymous or not donor,  # an empty donor is an anonymous gift (design.md §4)
        )

    def _amount(self, line: int, text: str, currency: str) -> tuple[int, str] | RowProblem:
        if not text:
            return RowProblem(line, "amount", "missing")
        if len(text) > LONGEST_AMOUNT:
            return RowProblem(line, "amount", f"{text[:20]!r}… is too long to be an amount")
        whole, dot, fraction = text.partition(".")
        if whole.isascii() and whole.isdigit() and (not dot or (fraction.isascii() and
                                                              fraction.isdigit())):  # fmt: skip
            # The common case, "1250" or "99.50", without the regular expression.
            currency = currency or self.home_currency
            digits = minor_unit_digits(currency)
            if len(fraction) <= digits:
                minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
                if 0 < minor <= MAX_AMOUNT_MINOR:
                    return minor, currency
        match = _AMOUNT.fullmatch(text)
        if match is None:
            return RowProblem(line, "amount", f"{text!r} is not an amount (write it like 1,234.50)")
        signs = {sign for sign in (match["sign_before"], match["sign_after"]) if sign}
        if len(signs) > 1:
            return RowProblem(line, "amount", f"{text!r} names two currencies")
        if signs:
            (sign,) = signs
            named = CURRENCY_SIGNS.get(sign, sign)
            if named not in known_currencies():
                return RowProblem(line, "amount", f"{text!r}: unknown currency {sign!r}")
            if currency and currency != named:
                return RowProblem(
                    line,
                    "amount",
                    f"{text!r} is in {named} but the currency column says {currency}",
                )
            currency = named
        currency = currency or self.home_currency
        digits = minor_unit_digits(currency)
        fraction = match["fraction"] or ""
        if len(fraction) > digits:
            return RowProblem(
                line, "amount", f"{text!r} has more than {digits} decimal places for {currency}"
            )
        minor = int(match["whole"].replace(",", "")) * 10**digits + int(
            fraction.ljust(digits, "0") or "0"
        )
        if match["minus"] or minor == 0:
            return RowProblem(
                line, "amount", f"{text!r}: a donation must be more than zero (record a "
                "correction with `fundledger donation reverse`)"
            )  # fmt: skip
        if minor > MAX_AMOUNT_MINOR:
            return RowProblem(line, "amount", f"{text!r} is larger than the ledger accepts")
        return minor, currency

    def _date(self, line: int, text: str) -> date | RowProblem:
        if not text:
            return RowProblem(line, "date", "missing")
        try:
            day = self._parse_date(text)
        except (ValueError, OverflowError):
            example = {"ISO": "2025-07-03", "DMY": "03/07/2025", "MDY": "07/03/2025"}
            return RowProblem(
                line, "date", f"{text!r} is not a date as {self.date_format} "
                f"(e.g. {example[self.date_format]}; see --date-format)"
            )  # fmt: skip
        if not EARLIEST <= day <= LATEST:
            return RowProblem(line, "date", f"{text!r} is outside {EARLIEST.year}–{LATEST.year}")
        return day

    def _parse_date(self, text: str) -> date:
        if self.date_format == "ISO":
            if len(text) == 10:
                return date.fromisoformat(text)
            moment = datetime.fromisoformat(text)
            # A timestamp with a zone is a moment: its date is the date in Israel then.
            return moment.astimezone(ISRAEL).date() if moment.tzinfo else moment.date()
        match = _NUMERIC_DATE.fullmatch(text)
        if match is None:
            raise ValueError(text)
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        day, month = (first, second) if self.date_format == "DMY" else (second, first)
        if match[5] is not None and not (int(match[5]) < 24 and int(match[6]) < 60
                                         and int(match[7] or 0) < 60):  # fmt: skip
            raise ValueError(text)  # a local time of day, which does not change the date
        return date(year, month, day)
