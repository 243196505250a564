"""The donation CSV (shared/design.md §4) as real exports write it.

`date,amount,currency,donor,email,method,reference,note[,anonymous][,campaign]` and the
donor's details `[,language][,tax_id][,address][,phone]` (adapters/donor_columns.py), header
names matched case-insensitively, other columns ignored, and `--map "Their column=field"` for
exports that name them otherwise. Accepts a UTF-8 BOM or another encoding by name (cp1255 for
Hebrew Excel), `,` `;` or tab delimiters (sniffed from the header), quoted fields with
newlines, amounts such as `1,234.50`, `₪1,234` or `$50`, ISO dates (or DD/MM/YYYY,
MM/DD/YYYY) and timestamps, which become their calendar date in Asia/Jerusalem. A gift is
dated on or before today, a currency is one in use today, and text holds no control
characters.

A column the file has but the import does not read is listed (`ignored_columns`). A file
with such columns must say where its currency and its donors are: a column for each, or
`currency=` (every gift without one is in that currency) and `anonymous=True` stated by the
caller; otherwise it is refused, naming the column that likely holds them.

A row without a reference is known by its content (`content_key`): its parsed values, not
the text of its cells, so that the same export re-saved (other date format, "1,000.00" for
"1000", an e-mail in capitals, an added `anonymous` column) is the same rows again.

Every row is checked; a bad row becomes a `RowProblem` naming its line and field, and reading
goes on so that all of them can be reported at once. Problems with the file as a whole (not
text, no header, missing columns) raise `DonationFileError`.
"""

from __future__ import annotations

import _csv
import codecs
import csv
import dataclasses
import hashlib
import io
import re
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import compress, repeat
from pathlib import Path
from typing import IO, NamedTuple, TypeVar, cast

from fundledger.adapters.db.spill import SpillingMap
from fundledger.adapters.donation_cells import DateFormat, read_amount, read_date
from fundledger.adapters.donor_columns import DETAIL_FIELDS, HEADER_ALIASES, DonorColumns
from fundledger.domain.canonical import donation_fields
from fundledger.domain.donors import matching_keys, normalize_name
from fundledger.domain.errors import FundledgerError, UnknownCurrency
from fundledger.domain.methods import stored_method
from fundledger.domain.money import (
    MAX_AMOUNT_MINOR,
    currency_in_use,
    minor_unit_digits,
)
from fundledger.domain.text import CONTROLS, control_problem

T = TypeVar("T")
FIELDS = ("date", "amount", "currency", "donor", "email", "method", "reference", "note",
          "anonymous", "campaign", *DETAIL_FIELDS)  # fmt: skip
# A gift's own: its campaign is where it goes, not what it is, and the rest are its donor's.
GIFT_FIELDS = FIELDS[:9]
REQUIRED = ("date", "amount")
LIMITS = {"donor": 200, "email": 254, "method": 32, "reference": 200}
MEMO_ENTRIES = 200_000
BATCH_ROWS = 10_000
SNIFF_BYTES = 64 * 1024

# A row's reference when the file gives none: "gift:<digest of its content>:<occurrence>".
CONTENT_REFERENCE = "gift:"
# Header names that likely hold a field the mapping left out, for the advice of a refusal.
LIKELY_NAMES = {
    "currency": ("currency", "curr", "ccy", "coin", "devise", "moneda", "מטבע", "عملة"),
    "donor": ("name", "donor", "payer", "contact", "full name", "שם", "תורם", "اسم", "متبرع"),
}
# Before content keys, a row without a reference was known by the text of its cells, as
# "row:<digest>:<occurrence>"; a ledger may hold such rows (see `legacy_keys`).
LEGACY_REFERENCE = "row:"
TRUE_WORDS = {"1", "true", "yes", "y", "x", "כן", "نعم"}
FALSE_WORDS = {"", "0", "false", "no", "n", "לא", "لا"}

# A plain numeral with at most so many decimals, by the currency's minor-unit digits.
_PLAIN_AMOUNTS = {
    digits: re.compile(r"[0-9]{1,15}" + (rf"(?:\.[0-9]{{1,{digits}}})?" if digits else ""))
    for digits in range(10)
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _csv_problem(error: csv.Error) -> str:
    """What Python's csv module found wrong, as a person can act on it."""
    text = str(error)
    if "field larger than field limit" in text:
        return (
            f"a field is longer than {csv.field_size_limit():,} characters: is a quote left "
            "open, or is this not a donation file?"
        )
    if "unexpected end of data" in text:
        return 'a quoted field that starts on this line is never closed (a " is missing)'
    return text


class DonationFileError(FundledgerError):
    """The file as a whole cannot be read as donations."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    field: str
    message: str

    def describe(self, name: str) -> str:
        return f"{name}:{self.line}: {self.field}: {self.message}"


@dataclass(slots=True)
class DonationBatch:
    """Consecutive checked rows of a file, column by column (the importer handles a million
    rows as a hundred batches, with work per column rather than per row), and the problems
    found among them. Text columns hold "" for an empty donor or e-mail."""

    lines: list[int]
    days: list[date]
    day_texts: list[str]  # ISO, as SQLite stores a date
    amounts_minor: list[int]
    currencies: list[str]
    donors: list[str]
    emails: list[str]
    methods: list[str | None]
    references: list[str]
    notes: list[str | None]
    anonymous: list[bool]
    donor_keys: list[str]  # see fundledger.domain.donors.matching_keys
    campaigns: list[str]  # the slug in the file's campaign column, "" for none
    # Each row's part of its canonical encoding (fundledger.domain.canonical.donation_fields),
    # made here so that a reading child process does this work, not the writing parent.
    chain_fields: list[str]
    problems: list[RowProblem]
    last_line: int  # the last line read, for progress
    # Whether each row's reference was made from its content (the file gave none).
    by_content: list[bool] = dataclasses.field(default_factory=list)
    # Each row's reference as fundledger made it before content keys (LEGACY_REFERENCE), ""
    # for a row with a reference of its own; empty unless asked for (`legacy_keys`).
    legacy_references: list[str] = dataclasses.field(default_factory=list)
    # The donor's details each row gives (adapters/donor_columns.py), by field, for the
    # fields the file has a column for ("" for an empty cell): not part of the gift or its
    # content key.
    details: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)

    def rows(self) -> Iterator[DonationRow]:
        return map(DonationRow._make, zip(
            self.lines, self.days, self.amounts_minor, self.currencies,
            [donor or None for donor in self.donors], [email or None for email in self.emails],
            self.methods, self.references, self.notes, self.anonymous, strict=True,
        ))  # fmt: skip

    def without(self, indexes: set[int]) -> DonationBatch:
        """The batch less the rows at these positions."""
        keep = [index not in indexes for index in range(len(self.lines))]
        return DonationBatch(
            lines=list(compress(self.lines, keep)),
            days=list(compress(self.days, keep)),
            day_texts=list(compress(self.day_texts, keep)),
            amounts_minor=list(compress(self.amounts_minor, keep)),
            currencies=list(compress(self.currencies, keep)),
            donors=list(compress(self.donors, keep)),
            emails=list(compress(self.emails, keep)),
            methods=list(compress(self.methods, keep)),
            references=list(compress(self.references, keep)),
            notes=list(compress(self.notes, keep)),
            anonymous=list(compress(self.anonymous, keep)),
            donor_keys=list(compress(self.donor_keys, keep)),
            campaigns=list(compress(self.campaigns, keep)),
            chain_fields=list(compress(self.chain_fields, keep)),
            problems=self.problems,
            last_line=self.last_line,
            by_content=list(compress(self.by_content, keep)),
            legacy_references=list(compress(self.legacy_references, keep)),
            details={field: list(compress(values, keep)) for field, values in self.details.items()},
        )


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
    reference: str  # the file's, or "" until the batch gives it one (`CONTENT_REFERENCE`)
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


def reading_encoding(encoding: str) -> str:
    """The codec a file said to be in `encoding` is read with, or DonationFileError: a CSV
    file's lines must be ASCII-compatible. UTF-8 is read as utf-8-sig: a BOM is dropped, not
    read as text."""
    try:
        # Unknown names and byte codecs (base64, rot13) raise LookupError here; UTF-16
        # gives another newline.
        codec = codecs.lookup(encoding).name
        newline = "\n".encode(codec)
    except LookupError:
        codec, newline = "", b""
    if codec == "utf-8-sig":
        newline = b"\n"  # the BOM aside, UTF-8
    if newline != b"\n":
        raise DonationFileError(
            f"{encoding!r} is not a text encoding fundledger reads (try utf-8 or cp1255)"
        )
    return "utf-8-sig" if codec in ("utf-8", "utf-8-sig") else encoding


class DonationFile:
    """Reads one donation file; iterate `rows()` for DonationRow and RowProblem items."""

    ignore: frozenset[str] = frozenset()  # columns (lower case) left unread on purpose (--ignore)

    def __init__(
        self,
        path: Path,
        *,
        home_currency: str,
        encoding: str = "utf-8",
        date_format: DateFormat = "ISO",
        mapping: dict[str, str] | None = None,
        currency: str | None = None,
        anonymous: bool = False,
    ) -> None:
        """`currency`: the currency of gifts the file gives none for, stated by the user
        (else the home currency, if the file has no column that could give it); `anonymous`:
        every gift anonymous, stated by the user."""
        self.path = path
        self.name = path.name
        self.home_currency = home_currency
        self.stated_currency = currency_in_use(currency) if currency else None
        self.default_currency = self.stated_currency or home_currency
        self.all_anonymous = anonymous
        self.date_format = date_format
        self.mapping = mapping or {}
        # The campaign of rows that name none (the importer's SLUG): part of a row's content.
        self.default_campaign = ""
        self.ignored_columns: list[str] = []
        # Whether to give rows without a reference their pre-content-key reference as well
        # (`DonationBatch.legacy_references`): set by the importer for a ledger that has such.
        self.legacy_keys = False
        self.encoding = reading_encoding(encoding)
        self.encoding_name = encoding
        self.sha256 = ""
        # What `_checked_row` found valid, by the text of its cell (see `_row`).
        self._known_days: dict[str, date] = {}
        self._known_currencies: dict[str, tuple[str, int]] = {}
        self._known_names: dict[str, str] = {"": ""}
        self._known_emails: set[str] = {""}
        self._donor_columns = DonorColumns()

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
        ignored: list[str] = []
        for index, raw in enumerate(header):
            name = raw.strip().lstrip("\ufeff").lower()
            field = self.mapping.get(name, name)
            if field not in FIELDS and name not in self.ignore:
                field = HEADER_ALIASES.get(name, field)  # "ת.ז.", "Phone number" ...
            if field in FIELDS:
                if field in found:
                    raise DonationFileError(
                        f"{self.name}:1: two columns are read as {field} ({header[found[field]]!r} "
                        f"and {raw!r}); remove one or map it to another field"
                    )
                found[field] = index
            elif raw.strip() and name not in self.ignore:  # not read on purpose: unsaid
                ignored.append(raw.strip().lstrip("\ufeff"))
        missing = [field for field in REQUIRED if field not in found]
        if missing:
            shown = ", ".join(repr(column.strip()) for column in header[:12])
            raise DonationFileError(
                f"{self.name}:1: header lacks the {'column' if len(missing) == 1 else 'columns'} "
                f"{', '.join(missing)} (found {shown}); "
                f'name yours with --map, e.g. --map "Sum={missing[0]}"'
            )
        self.ignored_columns = ignored
        if ignored:
            self._require_stated(found, ignored)
        return found

    def _require_stated(self, found: dict[str, int], ignored: list[str]) -> None:
        """A file with columns left unread must say where its currency and donors are: an
        unread column may hold them, and reading every gift as shekels or as anonymous
        would change the money or the donors without a word."""
        if "currency" not in found and self.stated_currency is None:
            raise DonationFileError(self._unstated(
                "currency", ignored, f"if every gift is in one currency, say which with "
                f"--currency {self.home_currency}",
            ))  # fmt: skip
        if "donor" not in found and "email" not in found and not self.all_anonymous:
            raise DonationFileError(self._unstated(
                "donor", ignored, "if the file names no donors, say so with --anonymous",
            ))  # fmt: skip

    def _unstated(self, field: str, ignored: list[str], otherwise: str) -> str:
        likely = [
            column
            for column in ignored
            if any(word in column.lower() for word in LIKELY_NAMES[field])
        ]
        listed = ", ".join(repr(column) for column in ignored[:8])
        guess = likely[0] if likely else ignored[0]
        which = f"{guess!r} likely holds it" if likely else f"if {guess!r} holds it"
        return (
            f"{self.name}:1: no column gives the {field}, and the file has columns that are "
            f'not read ({listed}): {which}, add --map "{guess}={field}"; {otherwise}'
        )

    def batches(
        self, size: int = BATCH_ROWS, *, scanned: bool = False
    ) -> Generator[DonationBatch, None, None]:
        """The file's rows, checked, `size` rows at a time (and every problem found). The file
        is scanned first (`scan`) unless it was, here or, `scanned`, by the caller itself."""
        with self._open() as binary:
            if not self.sha256 and not scanned:
                self._scan(binary)
            reader = self._reader(binary)
            line = 1  # where the row being read starts (a row may span lines)
            # What is remembered of every row, in bounded memory (adapters/db/spill.py): the
            # line of each reference, and how often each content key and legacy key occurred.
            self._seen_references = SpillingMap()
            self._occurrences = SpillingMap()
            self._legacy_occurrences = SpillingMap()
            try:
                header = next(reader, None)
                if header is None:
                    raise DonationFileError(f"{self.name} is empty")
                columns = self._columns(header)
                width = len(header)
                rows: list[list[str]] = []
                lines: list[int] = []
                problems: list[RowProblem] = []
                line = reader.line_num + 1  # where the next row starts (a row may span lines)
                for row in reader:
                    if len(row) == width:
                        rows.append(row)
                        lines.append(line)
                    elif any(cell.strip() for cell in row):
                        problems.append(RowProblem(
                            line, "row", f"has {len(row)} fields but the header has {width}; "
                            "is a comma inside an unquoted value?"
                        ))  # fmt: skip
                    line = reader.line_num + 1
                    if len(rows) == size:
                        yield self._batch(rows, lines, problems, columns, line)
                        rows, lines, problems = [], [], []
                if rows or problems:
                    yield self._batch(rows, lines, problems, columns, line)
            except csv.Error as error:
                raise DonationFileError(f"{self.name}:{line}: {_csv_problem(error)}") from None
            except UnicodeDecodeError:
                binary.seek(0)
                line = self._first_undecodable_line(binary)
                raise DonationFileError(
                    f"{self.name}:{line}: not {self.encoding_name} text; give the file's "
                    "encoding with --encoding (cp1255 for Hebrew Excel)"
                ) from None
            finally:
                for remembered in (self._seen_references, self._occurrences,
                                   self._legacy_occurrences):  # fmt: skip
                    remembered.close()

    def _batch(
        self,
        rows: list[list[str]],
        lines: list[int],
        problems: list[RowProblem],
        columns: dict[str, int],
        next_line: int,
    ) -> DonationBatch:
        """Checks rows of the header's width, a column at a time.

        A file repeats its dates, currencies, donors and e-mails many times over: each distinct
        text is checked once, by `_checked_row` (the authority on what is wrong), and
        remembered. A row whose every part is known, whose amount is a plain numeral and whose
        reference is new is accepted by the column checks of `_suspects`; every other row goes
        through `_checked_row`. A million rows then cost a few passes over each column rather
        than a million calls. The line of each reference read before is asked for once, for
        this batch's references (`earlier`), and those of this batch told at its end."""
        if not rows:
            return DonationBatch([], [], [], [], [], [], [], [], [], [], [], [], [], [], problems,
                                 next_line - 1)  # fmt: skip
        by_column = list(zip(*rows, strict=True))
        fields = [
            list(map(str.strip, by_column[columns[field]]))
            if field in columns
            else [""] * len(rows)
            for field in FIELDS
        ]
        keep = list(map(any, zip(*fields, strict=True)))
        if not all(keep):  # blank rows (only separators) are no rows
            fields = [list(compress(values, keep)) for values in fields]
            lines = list(compress(lines, keep))
        _, _, _, _, emails, methods, references, notes, _, campaigns = fields[:10]
        gift_fields = fields[: len(GIFT_FIELDS)]
        legacy = self._legacy_references(gift_fields, references) if self.legacy_keys else []
        days = list(map(self._known_days.get, fields[0]))
        currencies = list(map(self._known_currencies.get, fields[2]))
        names = list(map(self._known_names.get, fields[3]))
        earlier = self._seen_references.found(references)
        suspect = self._suspects(fields, days, currencies, names, earlier)
        amounts = self._plain_amounts(fields[1], currencies, suspect)
        codes = [currency[0] if currency else "" for currency in currencies]
        donors = [name or "" for name in names]
        anonymous = [self.all_anonymous or not name for name in donors]
        rejected: set[int] = set()
        known = dict(earlier)  # and those of this batch's suspects found valid, in line order
        for index in sorted(suspect):
            checked = self._checked_row(
                lines[index], [values[index] for values in gift_fields], known
            )
            if type(checked) is RowProblem:
                problems.append(checked)
                rejected.add(index)
                continue
            assert type(checked) is DonationRow
            days[index], amounts[index], codes[index] = (
                checked.day, checked.amount_minor, checked.currency
            )  # fmt: skip
            donors[index], emails[index] = checked.donor or "", checked.email or ""
            anonymous[index] = checked.anonymous
        details, found = self._donor_columns.read(
            {field: fields[FIELDS.index(field)] for field in DETAIL_FIELDS if field in columns},
            rejected,
        )
        problems.extend(RowProblem(lines[index], field, text) for index, field, text in found)
        self._remember_references(references, lines, suspect, earlier, known)
        # A file has few distinct dates. (None: a row with a problem, dropped below.)
        iso = {day: day.isoformat() if day else "" for day in set(days)}
        day_texts = list(map(iso.__getitem__, days))
        optional_methods = [method or None for method in methods]
        optional_notes = [note or None for note in notes]
        batch = DonationBatch(
            lines=lines,
            days=cast(list[date], days),
            day_texts=day_texts,
            amounts_minor=amounts,
            currencies=codes,
            donors=donors,
            emails=emails,
            methods=optional_methods,
            references=references,
            notes=optional_notes,
            anonymous=anonymous,
            donor_keys=matching_keys(donors, emails),
            campaigns=campaigns,
            chain_fields=[],  # once every row has its reference, below
            problems=problems,
            last_line=next_line - 1,
            by_content=[not reference for reference in references],
            legacy_references=legacy,
            details=details,
        )
        if rejected:
            batch = batch.without(rejected)
        self._give_content_references(batch)
        # Stored as codes once the rows are keyed: a key holds each method as given.
        as_stored = {method: stored_method(method) for method in set(batch.methods)}
        batch.methods = list(map(as_stored.__getitem__, batch.methods))
        batch.chain_fields = donation_fields(
            batch.day_texts, batch.amounts_minor, batch.currencies, batch.methods,
            batch.references, batch.anonymous, batch.notes,
        )  # fmt: skip
        return batch

    def _remember_references(
        self,
        references: list[str],
        lines: list[int],
        suspect: set[int],
        earlier: dict[str, int],
        known: dict[str, int],
    ) -> None:
        """Tells `_seen_references` the line of each reference of the batch's rows that the
        column checks accepted, and of those of its suspects that `_checked_row` found valid
        (in `known`, after the `earlier` ones)."""
        if not suspect and all(references):  # the common case, zipped in C
            self._seen_references.update(zip(references, lines, strict=True))
            return
        new = {reference: line for reference, line in known.items() if reference not in earlier}
        new.update(
            (references[index], lines[index]) for index in range(len(lines))
            if references[index] and index not in suspect
        )  # fmt: skip
        self._seen_references.update(new)

    def _give_content_references(self, batch: DonationBatch) -> None:
        """A reference for each row that has none: a digest of its parsed, normalised content
        (date, amount in minor units, currency, e-mail and name without case, method,
        campaign, anonymity), and which occurrence of that content in the file it is. The
        same export again, re-saved or reformatted, or one overlapping an earlier one, then
        adds nothing twice; two identical gifts in one file stay two. The note (its spacing
        aside) is part of it: "table 1" and "table 2" of an evening's cash are other gifts.
        The method is keyed as the file gives it (without case), not as the code it is stored
        as: rows keyed before methods had codes keep their keys, and a name added to the known
        methods later changes no key either."""
        references = batch.references
        unreferenced = [index for index, reference in enumerate(references) if not reference]
        digests = []
        for index in unreferenced:
            content = "\x1f".join((
                " ".join((batch.notes[index] or "").split()),
                batch.day_texts[index], str(batch.amounts_minor[index]), batch.currencies[index],
                batch.emails[index].casefold(), batch.donors[index].casefold(),
                (batch.methods[index] or "").casefold(),
                batch.campaigns[index] or self.default_campaign,
                "anonymous" if batch.anonymous[index] else "named",
            ))  # fmt: skip
            digests.append(hashlib.sha256(content.encode()).hexdigest()[:24])
        occurrences = self._occurrences_of(self._occurrences, digests)
        for index, digest, occurrence in zip(unreferenced, digests, occurrences, strict=True):
            references[index] = f"{CONTENT_REFERENCE}{digest}:{occurrence}"

    def _legacy_references(self, cells: list[list[str]], references: list[str]) -> list[str]:
        """The references fundledger gave rows without one before content keys: a digest of
        the text of the row's cells and its occurrence in the file ("" for other rows)."""
        unreferenced = [index for index, reference in enumerate(references) if not reference]
        digests = [
            hashlib.sha256("\x1f".join(values[index] for values in cells).encode()).hexdigest()[:20]
            for index in unreferenced
        ]
        occurrences = self._occurrences_of(self._legacy_occurrences, digests)
        legacy = [""] * len(references)
        for index, digest, occurrence in zip(unreferenced, digests, occurrences, strict=True):
            legacy[index] = f"{LEGACY_REFERENCE}{digest}:{occurrence}"
        return legacy

    @staticmethod
    def _occurrences_of(remembered: SpillingMap, digests: list[str]) -> list[int]:
        """Which occurrence in the file each of these digests is, in order (1: its first),
        counting those of earlier batches that `remembered` holds, and told to it."""
        if not digests:
            return []
        counts = remembered.found(digests)
        occurrences = []
        for digest in digests:
            counts[digest] = occurrence = counts.get(digest, 0) + 1
            occurrences.append(occurrence)
        remembered.update(counts)
        return occurrences

    def _suspects(
        self,
        fields: list[list[str]],
        days: list[date | None],
        currencies: list[tuple[str, int] | None],
        names: list[str | None],
        seen: dict[str, int],
    ) -> set[int]:
        """Rows the column checks cannot accept: an unknown date, currency, name or e-mail,
        an anonymity flag, an over-long method or reference, a reference seen before, or a
        control character in a method, reference or note."""
        _, _, _, _, emails, methods, references, notes, flags = fields[:9]
        suspect: set[int] = set()
        for known in (days, currencies, names):
            if None in known:
                suspect.update(index for index, value in enumerate(known) if value is None)
        if any(flags):
            suspect.update(index for index, flag in enumerate(flags) if flag)
        if not self._known_emails.issuperset(emails):
            suspect.update(
                index for index, email in enumerate(emails) if email not in self._known_emails
            )
        for texts, limit in ((methods, LIMITS["method"]), (references, LIMITS["reference"])):
            if texts and max(map(len, texts)) > limit:
                suspect.update(index for index, text in enumerate(texts) if len(text) > limit)
        if len(set(references)) < len(references) or not seen.keys().isdisjoint(references):
            repeated = Counter(references)
            suspect.update(
                index
                for index, reference in enumerate(references)
                if reference and (repeated[reference] > 1 or reference in seen)
            )
        for texts in (methods, references, notes):
            if CONTROLS.search("".join(texts)):  # one search per column, in C
                suspect.update(index for index, text in enumerate(texts) if CONTROLS.search(text))
        return suspect

    @staticmethod
    def _plain_amounts(
        texts: list[str], currencies: list[tuple[str, int] | None], suspect: set[int]
    ) -> list[int]:
        """Amounts in minor units, for the rows not suspect; the rows whose amount is not a
        plain numeral within range join the suspects. (Values at suspect rows are fillers.)"""
        by_digits = Counter(currency[1] for currency in currencies if currency)
        digits = by_digits.most_common(1)[0][0] if by_digits else 0
        if len(by_digits) > 1:  # a JPY gift among shekels: checked on its own
            suspect.update(
                index
                for index, currency in enumerate(currencies)
                if currency and currency[1] != digits
            )
        plain = _PLAIN_AMOUNTS[digits].fullmatch
        suspect.update(index for index, match in enumerate(map(plain, texts)) if match is None)
        numerals = texts.copy()
        for index in suspect:
            numerals[index] = "1"
        # Exact: each numeral is digits with at most `digits` decimals (checked just above).
        amounts = list(map(int, map(Decimal.scaleb, map(Decimal, numerals), repeat(digits))))
        if amounts and (min(amounts) <= 0 or max(amounts) > MAX_AMOUNT_MINOR):
            suspect.update(
                index for index, minor in enumerate(amounts) if not 0 < minor <= MAX_AMOUNT_MINOR
            )
        return amounts

    def _reader(self, binary: IO[bytes]) -> _csv.Reader:
        """The file's rows as text cells, its delimiter sniffed from its first bytes."""
        delimiter = self._sniff(binary.read(SNIFF_BYTES))
        binary.seek(0)
        text = io.TextIOWrapper(binary, encoding=self.encoding, newline="")
        # strict: an unclosed quote is an error, not the rest of the file inside one cell
        return csv.reader(text, delimiter=delimiter, strict=True)

    def header(self) -> list[str]:
        """The file's header line, cell by cell as written (the import wizard maps them), or
        DonationFileError saying why it cannot be read in this encoding."""
        with self._open() as binary:
            try:
                cells = next(self._reader(binary), [])
            except UnicodeDecodeError:
                raise DonationFileError(
                    f"{self.name}: not readable as {self.encoding_name} (choose the encoding "
                    "it was saved in: cp1255 for Hebrew Excel, else utf-8)"
                ) from None
            except csv.Error as error:
                raise DonationFileError(f"{self.name}:1: {_csv_problem(error)}") from None
        header = [cell.strip().lstrip("\ufeff") for cell in cells]
        if not any(header):
            raise DonationFileError(f"{self.name} is empty: it needs a header line and donations")
        return header

    def header_fields(self) -> set[str]:
        """The fields the file's header gives (read from its first line alone)."""
        with self._open() as binary:
            try:
                header = next(self._reader(binary), [])
            except (csv.Error, UnicodeDecodeError):
                return set()  # reading the file says what is wrong
        return set(self._columns(header)) if header else set()

    def scan(self) -> None:
        """Reads the bytes of the file once, for its SHA-256, refusing a binary file
        (see `_scan`). `batches` does it unless done before."""
        with self._open() as binary:
            self._scan(binary)

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

    def _first_undecodable_line(self, binary: IO[bytes]) -> int:
        """Where decoding fails, found line by line (only once a failure is known)."""
        decode = codecs.getdecoder(self.encoding)
        for number, raw in enumerate(binary, start=1):
            try:
                decode(raw)
            except UnicodeDecodeError:
                return number
        return 0

    @staticmethod
    def _remember(memo: dict[str, T], text: str, value: T) -> None:
        if len(memo) < MEMO_ENTRIES:  # a bound on memory, whatever the file
            memo[text] = value

    def _checked_row(
        self, line: int, cells: list[str], seen: dict[str, int]
    ) -> DonationRow | RowProblem:
        day_text, amount_text, currency_text, donor_text, email, method, reference, note, flag = (
            cells
        )
        for field, value in (("donor", donor_text), ("email", email), ("method", method),
                             ("reference", reference), ("note", note)):  # fmt: skip
            if problem := control_problem(value, multiline=field == "note"):
                return RowProblem(line, field, problem)
        if currency_text:
            try:
                currency_text = currency_in_use(currency_text)
            except UnknownCurrency as error:
                return RowProblem(line, "currency", str(error))
        code = currency_text or self.default_currency
        self._remember(self._known_currencies, cells[2], (code, minor_unit_digits(code)))
        amount = read_amount(amount_text, currency_text, self.default_currency)
        if isinstance(amount, str):
            return RowProblem(line, "amount", amount)
        amount_minor, currency = amount
        day = read_date(day_text, self.date_format)
        if isinstance(day, str):
            return RowProblem(line, "date", day)
        self._remember(self._known_days, day_text, day)
        donor = normalize_name(donor_text)
        for field, value in (("donor", donor), ("email", email), ("method", method),
                             ("reference", reference)):  # fmt: skip
            if len(value) > LIMITS[field]:
                return RowProblem(line, field, f"longer than {LIMITS[field]} characters")
        self._remember(self._known_names, donor_text, donor)
        if email:
            if not _EMAIL.fullmatch(email):
                return RowProblem(line, "email", f"{email!r} is not an e-mail address")
            # A donor given by e-mail alone is named by it, and a name is shorter than an
            # e-mail may be (PostgreSQL would refuse the donor, SQLite keep an over-long name).
            if len(email) > LIMITS["donor"]:
                if not donor:
                    return RowProblem(line, "email", (
                        f"{len(email)} characters and no donor name: a donor known by e-mail "
                        f"alone is named by it, at most {LIMITS['donor']} characters; give "
                        "the donor's name"))  # fmt: skip
            elif len(self._known_emails) < MEMO_ENTRIES:  # a long one is checked every time
                self._known_emails.add(email)
        flag = flag.lower()
        if flag in FALSE_WORDS:
            anonymous = False
        elif flag in TRUE_WORDS:
            anonymous = True
        else:
            return RowProblem(line, "anonymous", f"{flag!r} is neither yes nor no")
        if reference:  # a row without one is known by its content (`_give_content_references`)
            earlier = seen.get(reference)
            if earlier is not None:
                return RowProblem(
                    line, "reference", f"{reference!r} already appears on line {earlier}"
                )
            seen[reference] = line
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
            # An empty donor is an anonymous gift (design.md §4).
            self.all_anonymous or anonymous or not donor,
        )
