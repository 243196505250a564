"""Importing a donation file: all of it or nothing, every problem reported at once.

Rows are read and checked in chunks (memory stays flat for a million rows) inside one
transaction. While no problem has been found, each checked chunk is written; once one is found,
writing stops, checking goes on to the end so every bad line is reported, and the transaction
is rolled back. Donations are written with the database's fastest bulk path (executemany on
SQLite, COPY on PostgreSQL: adapters/db/bulk.py), never the ORM, which is ten times slower
for this. A large file is read and checked by a child process (`InChildProcess`) while this
one writes.

A check (`ImportCheck`: `import --dry-run`, the web wizard's check step) does all of that but
the writes: the donors the import would add get, in memory, the ids they would take, and
later rows find them as the import's own would; the gifts are counted, not written, and no
details or audit event are recorded. Nothing else the import decides depends on what it
wrote itself: a file's references are unique within it (the reader refuses a repeated one,
and content references count their occurrences), so no row can find an earlier row's gift
in the ledger, except where the file gives references of the forms fundledger makes itself
("gift:...", "row:..."). There the check stops (`CheckNotExact`) and the caller runs the
import itself, rolled back.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import compress
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.background import InChildProcess, fewer_collections
from fundledger.adapters.db.bulk import DonationWriter, one_of
from fundledger.adapters.db.chain import canonical, chained_columns, extend
from fundledger.adapters.db.engine import foreign_keys_checked
from fundledger.adapters.db.import_bulk import (
    donor_ids_by,
    insert_donors,
    next_id,
    stored_gift_rows,
)
from fundledger.adapters.db.models import (
    AuditEvent,
    Campaign,
    Donation,
    DonationCorrection,
    Donor,
    DonorRevision,
)
from fundledger.adapters.db.queries import current_donors, has_reference_starting
from fundledger.adapters.db.references import last_ids, referencing_tables, rows_without_parents
from fundledger.adapters.donation_csv import (
    BATCH_ROWS,
    CONTENT_REFERENCE,
    LEGACY_REFERENCE,
    DonationBatch,
    DonationFile,
    RowProblem,
)
from fundledger.domain.donors import email_key, loose_name, name_key
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import BY_CODE, grouping_key
from fundledger.domain.money import Money, format_money
from fundledger.domain.text import counted
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.donor_details import (
    KeptDetail,
    OfferedDetails,
    UnwrittenDonor,
    adopt_details,
)

T = TypeVar("T")
# The tables with foreign keys an import may write besides the gifts, which the gifts'
# writer checks itself (`DonationWriter.unreferenced`).
_OTHER_REFERENCING = [table for table in referencing_tables() if table.name != "donation"]
# A larger file is read and checked by a child process while this one writes: the child's
# start (about 0.3 s) is then hidden behind work it saves.
READ_IN_CHILD_FROM_BYTES = 4 << 20
LOAD_ALL_DONORS = 250_000


class DonationImportRefused(FundledgerError):
    """The file has problems; nothing was written. `problems` lists every one."""

    def __init__(self, name: str, problems: list[str], total: int) -> None:
        super().__init__(f"{name}: {counted(total, 'problem')}; nothing imported")
        self.problems = problems
        self.total = total


IMPORT_ACTION = "donations.import"
# References of the forms fundledger gives rows itself: given by a file, one could be that of
# another row of the same file, which a check cannot see without writing (the module's doc).
MADE_REFERENCES = (CONTENT_REFERENCE, LEGACY_REFERENCE)


class CheckNotExact(Exception):
    """A check met a file whose outcome it cannot tell without writing (the module's doc):
    the caller runs the import itself in a transaction it rolls back."""


@dataclass
class ImportCheck:
    """Asks `import_donations` to check the file as the import would, writing nothing. Filled
    in by it: the id the gift of each `watched` reference would take (a platform's refunds
    name gifts of the same file), and the id the next gift after the import's would take."""

    watched: frozenset[str] = frozenset()
    gift_ids: dict[str, int] = field(default_factory=dict)
    next_gift_id: int = 0


@dataclass(frozen=True, slots=True)
class EarlierImport:
    """The import that brought in the same bytes before: its audit event."""

    event_id: int
    occurred_at: datetime
    actor: str
    imported: int
    campaign: str | None


@dataclass
class ImportSummary:
    name: str
    ignored_columns: list[str] = field(default_factory=list)  # the file's, not read
    # Set when the file's bytes were imported before: nothing was read or written.
    earlier: EarlierImport | None = None
    rows: int = 0
    imported: int = 0
    present: int = 0
    present_by_content: int = 0  # of `present`, rows without a reference, known by content
    corrected: int = 0  # of `present`, gifts corrected since (`donation correct`)
    # Rows given by name alone that took a donor the ledger held (gifts, by donor number),
    # and those donors' names.
    matched_by_name: Counter[int] = field(default_factory=Counter)
    matched_names: dict[int, str] = field(default_factory=dict)
    new_donors: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    totals_minor: Counter[str] = field(default_factory=Counter)
    possible_duplicates: list[tuple[str, ...]] = field(default_factory=list)
    by_campaign: Counter[str] = field(default_factory=Counter)  # gifts imported, by slug
    # Gifts imported with a method that is none of the known ones, kept as given: by method.
    unknown_methods: Counter[str] = field(default_factory=Counter)
    # Donors who took the language the file gives for them, by language; those who kept
    # another they had (services/donor_details.py).
    languages_set: Counter[str] = field(default_factory=Counter)
    languages_kept: list[KeptDetail] = field(default_factory=list)
    # The same for the other details of donors (ID number, address, phone): donors who took
    # each, by field; those who kept theirs against the file's, by donor and field.
    details_set: Counter[str] = field(default_factory=Counter)
    details_kept: list[KeptDetail] = field(default_factory=list)

    def add(self, imported: DonationBatch, slugs: list[str]) -> None:
        self.imported += len(imported)
        self.by_campaign.update(slugs)
        for method, count in Counter(imported.methods).items():  # codes, but for the unknown
            if method is not None and method not in BY_CODE:
                self.unknown_methods[method] += count
        self.counts.update(imported.currencies)
        if len(self.counts) == 1:  # one currency so far: one sum per batch
            self.totals_minor[imported.currencies[0]] += sum(imported.amounts_minor)
            return
        for currency in set(imported.currencies):  # a few: one pass in C for each
            chosen = map(currency.__eq__, imported.currencies)
            self.totals_minor[currency] += sum(compress(imported.amounts_minor, chosen))

    def totals(self) -> list[tuple[Money, int]]:
        return [
            (Money.from_minor(minor, currency), self.counts[currency])
            for currency, minor in sorted(self.totals_minor.items())
        ]


class _DonorDirectory:
    """Donor ids by matching key (`matching_keys`), grown by the import. A ledger of up to
    LOAD_ALL_DONORS donors is read whole at the start (one query); a larger one as needed."""

    def __init__(self, session: Session, *, checking: bool = False) -> None:
        self.session = session
        self.ids: dict[str, int | None] = {"": None}
        self.created: list[int] = []
        # A check's new donors, by the ids they would take, kept here instead of written.
        self.checking = checking
        self.unwritten: dict[int, UnwrittenDonor] = {}
        count = session.scalar(select(func.count()).select_from(Donor)) or 0
        self.complete = count <= LOAD_ALL_DONORS
        if self.complete:
            # Newest first, so that the oldest donor of a name is the one remembered.
            for email, name, donor_id in session.execute(
                select(Donor.email_key, Donor.name_key, Donor.id).order_by(Donor.id.desc())
            ):
                self.ids[email or "\0" + name] = donor_id
        # E-mails given by `donor edit` since the donors were recorded (few): their rows go
        # to the donor who has the e-mail now.
        latest = select(func.max(DonorRevision.id)).group_by(DonorRevision.donor_id)
        for donor_id, email in session.execute(
            select(DonorRevision.donor_id, DonorRevision.email)
            .join(Donor, Donor.id == DonorRevision.donor_id)
            .where(DonorRevision.id.in_(latest), DonorRevision.email.is_not(None),
                   func.lower(DonorRevision.email) != func.coalesce(Donor.email_key, ""))
        ):  # fmt: skip
            self.ids[email_key(str(email))] = donor_id
        self.by_name: Counter[int] = Counter()  # rows matched by name alone to a donor held
        # The donors the ledger held before the import (those it adds come after).
        self.held_up_to = session.scalar(select(func.max(Donor.id))) or 0

    def known(self, batch: DonationBatch) -> list[int | None]:
        """The donor id of each row of the batch, None for a row whose donor the ledger does
        not hold (none is created)."""
        unknown = set(batch.donor_keys).difference(self.ids)
        if unknown and not self.complete:
            self._load(unknown)
        return list(map(self.ids.get, batch.donor_keys))

    def resolve(self, batch: DonationBatch) -> list[int | None]:
        """The donor id of each row of the batch, creating the donors the ledger lacks."""
        keys = batch.donor_keys
        unknown = set(keys).difference(self.ids)
        if unknown:
            if not self.complete:
                self._load(unknown)
            if missing := unknown.difference(self.ids):
                first_row = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))
                rows = sorted(first_row[key] for key in missing)
                self._create(batch, rows, [keys[row] for row in rows])
        ids = list(map(self.ids.__getitem__, keys))
        held = self.held_up_to
        self.by_name.update(
            donor_id for key, donor_id in zip(keys, ids, strict=True)
            if donor_id is not None and donor_id <= held and key.startswith("\0")
        )  # fmt: skip
        return ids

    def _load(self, keys: set[str]) -> None:
        emails = sorted(key for key in keys if not key.startswith("\0"))
        names = sorted(key[1:] for key in keys if key.startswith("\0"))
        for batch in _batches(emails):
            self.ids.update(self._ids_by(Donor.email_key, batch))
        for batch in _batches(names):
            # Only donors known by name alone; the oldest of a name wins, so it comes last.
            for key, donor_id in self._ids_by(Donor.name_key, batch, without_email=True):
                self.ids["\0" + key] = donor_id

    def _ids_by(
        self, column: Any, keys: list[str], *, without_email: bool = False
    ) -> Iterable[tuple[str, int]]:
        """(key, donor id) pairs for these keys, newest first."""
        return donor_ids_by(self.session, column, keys, without_email=without_email)

    def _create(self, batch: DonationBatch, rows: list[int], keys: list[str]) -> None:
        """New donors, one for each of these rows (each the first of its key), each with its
        chain hash (adapters/db/chain.py), as the ORM's inserts get theirs; in a check, only
        the ids they would take (in the same order: `insert_donors`), and what the summary
        says of them."""
        if self.checking:
            first = self.created[-1] + 1 if self.created else next_id(self.session, "donor")
            new_ids = list(range(first, first + len(rows)))
            for donor_id, row in zip(new_ids, rows, strict=True):
                name, email = batch.donors[row] or batch.emails[row], batch.emails[row] or None
                self.unwritten[donor_id] = UnwrittenDonor(donor_id, name, email, loose_name(name))
            self.ids.update(zip(keys, new_ids, strict=True))
            self.created.extend(new_ids)
            return
        created_at = now()
        table = Donor.metadata.tables["donor"]
        # Each donor's chained fields, in the table's order; a new donor has no tax_id yet.
        if chained_columns(table) != ["name", "email", "email_key", "name_key", "loose_key",
                                      "tax_id", "created_at"]:  # fmt: skip
            raise AssertionError("the donor table's columns changed: update _DonorDirectory")
        values = []
        for row in rows:
            donor, email = batch.donors[row], batch.emails[row] or None
            name = donor or batch.emails[row]
            values.append((
                name, email, email_key(email) if email else None, name_key(name),
                loose_name(name), None, created_at,
            ))  # fmt: skip
        # Hashed in the order the rows take their ids, and before they take them: on
        # PostgreSQL this holds the chains first, so no other writer takes an id between ours.
        hashes = extend(self.session.connection(), table, map(canonical, values))
        new_ids = insert_donors(self.session, values, hashes, created_at)
        self.ids.update(zip(keys, new_ids, strict=True))
        self.created.extend(new_ids)


class _CountingWriter:
    """A check's stand-in for DonationWriter: the ids the gifts would take, counted."""

    def __init__(self, session: Session, check: ImportCheck) -> None:
        self.check = check
        check.next_gift_id = next_id(session, "donation")

    def write(
        self, batch: DonationBatch, donor_ids: list[int | None], campaign_ids: list[int]
    ) -> None:
        check = self.check
        if check.watched:  # the rows take their ids in the file's order (DonationWriter)
            check.gift_ids.update(
                (reference, check.next_gift_id + offset)
                for offset, reference in enumerate(batch.references)
                if reference in check.watched
            )
        check.next_gift_id += len(batch)

    def unreferenced(self) -> list[str]:
        return []

    def finish(self) -> None:
        pass


def _gives_made_references(batch: DonationBatch) -> bool:
    """Whether the file gives one of these rows a reference of a form fundledger makes."""
    return any(
        reference.startswith(MADE_REFERENCES)
        for reference, by_content in zip(batch.references, batch.by_content, strict=True)
        if not by_content
    )


def _batches(items: list[T], size: int = 5_000) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_donations(
    session: Session,
    context: CommandContext,
    campaign_slug: str | None,
    source: DonationFile,
    *,
    progress: Callable[[int], None] | None = None,
    again: bool = False,
    check: ImportCheck | None = None,
) -> ImportSummary:
    """Import every row of `source`, or raise DonationImportRefused. A row goes to the
    campaign its `campaign` column names, else to `campaign_slug`. A file whose bytes were
    imported before adds nothing, whatever its mapping now, unless `again`: its rows are
    then checked against the ledger one by one, as any other file's. With `check`, the same
    summary or refusal, and nothing written (the module's doc); CheckNotExact for a file it
    cannot answer for so."""
    # The header, read here even when a child process reads the rows: it names the columns
    # left unread, and refuses a file that leaves its currency or donors unsaid.
    header = source.header_fields()
    if campaign_slug is None and "campaign" not in header:
        raise FundledgerError(
            f"{source.name} has no campaign column: name the campaign of its gifts, as in "
            f"`fundledger import donations SLUG {source.name}`"
        )
    campaigns = _CampaignDirectory(session, campaign_slug)
    source.default_campaign = campaigns.default  # part of each row's content (its key)
    # Gifts imported without a reference before content keys: a file's rows are then looked
    # up by their old references too, or an export overlapping one imported then would add
    # its gifts again.
    source.legacy_keys = has_reference_starting(session, LEGACY_REFERENCE)
    with _reading(source) as batches, fewer_collections():
        source.scan()  # its digest is recorded below (a reading child scans its own copy)
        if not again and (earlier := earlier_import(session, source.sha256)) is not None:
            return ImportSummary(source.name, source.ignored_columns, earlier)
        summary = ImportSummary(source.name, source.ignored_columns)
        # In a bulk load's transaction (engine.for_bulk_loading) nothing checks foreign keys
        # as rows are written: the gifts' writer checks its own at the end, and the rows
        # written otherwise (donors' details) are checked past these ids.
        unchecked_since = (
            {} if foreign_keys_checked(session.connection())
            else last_ids(session.connection(), _OTHER_REFERENCING)
        )  # fmt: skip
        donors = _DonorDirectory(session, checking=check is not None)
        problems: list[RowProblem] = []
        writer: DonationWriter | _CountingWriter = (
            DonationWriter(session.connection(), now(), context.actor) if check is None
            else _CountingWriter(session, check)
        )  # fmt: skip
        # A ledger without donations can hold none of the file's references: no need to look.
        ledger_was_empty = session.scalar(select(Donation.id).limit(1)) is None
        # The details (language, ID number ...) the file gives each donor, in the order of
        # its lines: those of rows already present too, so that such a column added to an
        # export imported before gives its donors their details (and adds no gift: it is no
        # part of a gift).
        offered = OfferedDetails()
        for batch in batches:
            summary.rows += len(batch) + len(batch.problems)
            problems.extend(batch.problems)
            placed, unplaced = campaigns.place(batch)
            problems.extend(unplaced)
            if check is not None and _gives_made_references(placed):
                raise CheckNotExact(source.name)
            fresh, clashes, corrected = (
                (placed, [], 0) if ledger_was_empty else _split_known(session, campaigns, placed)
            )
            problems.extend(clashes)
            summary.corrected += corrected
            summary.present += len(placed) - len(fresh) - len(clashes)
            summary.present_by_content += sum(placed.by_content) - sum(fresh.by_content)
            if not problems and fresh:
                slugs = campaigns.slugs(fresh)
                writer.write(fresh, donors.resolve(fresh), campaigns.ids(slugs))
                summary.add(fresh, slugs)
            if not problems and any(map(any, placed.details.values())):
                offered.add(placed.details, donors.known(placed))
            if progress is not None:
                progress(batch.last_line)
    if problems:  # the transaction is rolled back: dropped indexes come back with it
        shown = [problem.describe(source.name) for problem in sorted(problems, key=_by_line)]
        raise DonationImportRefused(source.name, shown, len(problems))
    _refuse_unreferenced(source.name, writer.unreferenced())
    writer.finish()
    summary.new_donors = len(donors.created)
    summary.possible_duplicates = _possible_duplicates(
        session, donors.created, donors.unwritten, donors.held_up_to
    )
    told = {**_give_details(session, context, source, summary, offered, donors.unwritten,
                            write=check is None),
            **_note_matches(session, summary, donors)}  # fmt: skip
    _refuse_unreferenced(source.name, [
        problem for table in _OTHER_REFERENCING if table.name in unchecked_since
        for problem in rows_without_parents(session.connection(), table,
                                            unchecked_since[table.name])
    ])  # fmt: skip
    if check is None:  # the audit event says what was written: a check wrote nothing
        _record_import(session, context, source, summary, campaigns, told)
    return summary


def _refuse_unreferenced(name: str, problems: list[str]) -> None:
    """Refuses the import (it is rolled back) when rows written without foreign keys refer to
    rows the ledger lacks, as the keys would have: never from a file, only from a fault of
    fundledger or of whatever changed the ledger past it."""
    if problems:
        raise DonationImportRefused(
            name, [f"{name}: {problem}; nothing was imported" for problem in problems],
            len(problems),
        )  # fmt: skip


def _record_import(
    session: Session,
    context: CommandContext,
    source: DonationFile,
    summary: ImportSummary,
    campaigns: _CampaignDirectory,
    told: dict[str, Any],
) -> None:
    """The import's audit event, one per campaign its gifts went to."""
    for slug, imported in sorted(summary.by_campaign.items()):
        details: dict[str, Any] = {
            "file": source.name,
            "sha256": source.sha256,
            "rows": summary.rows,
            "imported": imported,
            "already_present": summary.present,
            "new_donors": summary.new_donors,
            **told,
        }
        if summary.unknown_methods:
            details["methods_kept_as_given"] = dict(sorted(summary.unknown_methods.items()))
        if len(summary.by_campaign) == 1:
            details["totals"] = {str(money.currency): str(money) for money, _ in summary.totals()}
        else:
            details["imported_from_file"] = summary.imported
        record_audit(session, context, IMPORT_ACTION, entity="campaign",
                     entity_id=campaigns.by_slug[slug].id, details=details)  # fmt: skip


def _note_matches(
    session: Session, summary: ImportSummary, donors: _DonorDirectory
) -> dict[str, int]:
    """Notes in the summary the gifts already corrected and the rows matched by name alone to
    donors the ledger held (by the ten most matched, named); what the audit event says."""
    summary.matched_by_name = donors.by_name
    summary.matched_names = _names(session, [donor for donor, _ in donors.by_name.most_common(10)])
    told = {"already_corrected": summary.corrected,
            "matched_by_name": sum(donors.by_name.values())}  # fmt: skip
    return {key: value for key, value in told.items() if value}


def _give_details(
    session: Session,
    context: CommandContext,
    source: DonationFile,
    summary: ImportSummary,
    offered: OfferedDetails,
    unwritten: dict[int, UnwrittenDonor],
    *,
    write: bool,
) -> dict[str, Any]:
    """The details the file offered its donors, given (donor_details.adopt_details) and noted
    in the summary; what the import's audit event says of them (counts: the trail names no
    identity number). Unless `write`, only noted: a check's new donors are `unwritten`."""
    if not offered:
        return {}
    taken = adopt_details(session, context, offered, source.name, unwritten, write=write)
    summary.languages_set = taken.languages
    summary.languages_kept = [kept for kept in taken.kept if kept.field == "language"]
    summary.details_set = Counter({name: count for name, count in taken.fields.items()
                                   if name != "language"})  # fmt: skip
    summary.details_kept = [kept for kept in taken.kept if kept.field != "language"]
    told: dict[str, Any] = {}
    if summary.languages_set or summary.languages_kept:
        told["donor_languages"] = {"set": dict(sorted(summary.languages_set.items())),
                                   "kept": len(summary.languages_kept)}  # fmt: skip
    if summary.details_set or summary.details_kept:
        told["donor_details"] = {"set": dict(sorted(summary.details_set.items())),
                                 "kept": len(summary.details_kept)}  # fmt: skip
    if write and not summary.by_campaign and taken.fields:
        # No gift, yet revisions: an event of their own, found again as this file's import.
        record_audit(session, context, IMPORT_ACTION, details={
            "file": source.name, "sha256": source.sha256, "rows": summary.rows, "imported": 0,
            "already_present": summary.present, "new_donors": 0, **told})  # fmt: skip
    return told


def earlier_import(session: Session, sha256: str) -> EarlierImport | None:
    """The first import of a file with these bytes, from the audit trail."""
    found = session.execute(
        select(AuditEvent.id, AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.details)
        .where(AuditEvent.action == IMPORT_ACTION,
               AuditEvent.details.contains(f'"sha256": "{sha256}"'))
        .order_by(AuditEvent.id)
        .limit(1)
    ).first()  # fmt: skip
    if found is None:
        return None
    event_id, occurred_at, actor, details = found
    recorded = json.loads(details)
    imported = recorded.get("imported_from_file", recorded.get("imported", 0))
    slug = None if "imported_from_file" in recorded else _campaign_slug(session, event_id)
    return EarlierImport(event_id, occurred_at, actor, int(imported), slug)


def _campaign_slug(session: Session, event_id: int) -> str | None:
    return session.scalar(
        select(Campaign.slug)
        .join(AuditEvent, AuditEvent.entity_id == Campaign.id)
        .where(AuditEvent.id == event_id, AuditEvent.entity == "campaign")
    )


class _CampaignDirectory:
    """The ledger's campaigns by slug, and the one a file's rows go to when they name none."""

    def __init__(self, session: Session, default_slug: str | None) -> None:
        self.default = get_campaign(session, default_slug).slug if default_slug else ""
        self.by_slug = {campaign.slug: campaign for campaign in session.scalars(select(Campaign))}
        self.id_of = {slug: campaign.id for slug, campaign in self.by_slug.items()}

    def place(self, batch: DonationBatch) -> tuple[DonationBatch, list[RowProblem]]:
        """The batch less its rows whose campaign is unknown, and a problem for each of them."""
        named = set(batch.campaigns)
        if self.default:
            named.discard("")
        if named <= self.id_of.keys():  # "" stays without a default: no campaign has it
            return batch, []
        unplaced: set[int] = set()
        problems = []
        for index, slug in enumerate(batch.campaigns):
            if not slug and not self.default:
                problems.append(RowProblem(batch.lines[index], "campaign", (
                    "empty: name the gift's campaign, or the campaign of every gift without "
                    "one, as in `fundledger import donations SLUG FILE`")))  # fmt: skip
            elif slug and slug not in self.id_of:
                problems.append(RowProblem(batch.lines[index], "campaign", (
                    f"no campaign {slug!r} in the ledger: add it with `fundledger campaign add "
                    f"{slug} --name NAME`, or correct the line")))  # fmt: skip
            else:
                continue
            unplaced.add(index)
        return batch.without(unplaced), problems

    def slugs(self, batch: DonationBatch) -> list[str]:
        """The campaign of each row of a placed batch."""
        if not any(batch.campaigns):
            return [self.default] * len(batch)
        return [slug or self.default for slug in batch.campaigns]

    def ids(self, slugs: list[str]) -> list[int]:
        return list(map(self.id_of.__getitem__, slugs))


def _reading(source: DonationFile) -> AbstractContextManager[Iterator[DonationBatch]]:
    """The file's batches; a large file's from a child process, started now."""
    try:
        large = source.path.stat().st_size >= READ_IN_CHILD_FROM_BYTES
    except OSError:
        large = False  # reading it says what is wrong
    if large:
        # The child reads on at once: this process scans the file meanwhile (`import_donations`),
        # before it takes the first batch.
        return InChildProcess(partial(DonationFile.batches, scanned=True), source)
    return closing(source.batches())


def _by_line(problem: RowProblem) -> int:
    return problem.line


class StoredGift(NamedTuple):
    reference: str
    id: int
    donation_date: date
    amount_minor: int
    currency: str
    anonymous: bool
    method: str | None
    note: str | None
    slug: str
    email_key: str | None
    name_key: str | None


def _stored_gifts(session: Session, references: list[str]) -> Iterable[StoredGift]:
    """The stored gifts with these references, with their campaign and donor keys. On SQLite
    straight through the driver, as for donors (this query runs once per chunk)."""
    rows = stored_gift_rows(session, references)
    if rows is not None:
        return [StoredGift._make(row) for row in rows]
    return _gifts_by(session, Donation.reference, references)


def _corrections(session: Session, references: list[str]) -> list[StoredGift]:
    """The gifts recorded by `donation correct` under these references (few, if any)."""
    return _gifts_by(session, DonationCorrection.reference, references)


def _gifts_by(session: Session, reference: Any, references: list[str]) -> list[StoredGift]:
    """The gifts whose `reference` (the donation's own, or the one its correction keeps) is
    one of `references`, as StoredGift."""
    query = (
        select(
            reference, Donation.id, Donation.donation_date, Donation.amount_minor,
            Donation.currency, Donation.anonymous, Donation.method, Donation.note,
            Campaign.slug, Donor.email_key, Donor.name_key,
        )
        .select_from(Donation)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .outerjoin(Donor, Donor.id == Donation.donor_id)
        .where(one_of(session, reference, references))
    )  # fmt: skip
    if reference.class_ is DonationCorrection:
        query = query.join(DonationCorrection, DonationCorrection.donation_id == Donation.id)
    return [StoredGift._make(found) for found in session.execute(query)]


def _split_known(
    session: Session, campaigns: _CampaignDirectory, batch: DonationBatch
) -> tuple[DonationBatch, list[RowProblem], int]:
    """The rows whose reference the ledger lacks; the same gift stored already is skipped, a
    different gift under the same reference is a problem naming both. A gift corrected since
    (`donation correct`) is present as it was first recorded and as corrected: either skips
    the row, counted (the third value) as already corrected."""
    stored: dict[str, StoredGift] = {}
    wanted = batch.references + [legacy for legacy in batch.legacy_references if legacy]
    corrections: dict[str, list[StoredGift]] = defaultdict(list)
    any_corrections = session.scalar(select(DonationCorrection.id).limit(1)) is not None
    for references in _batches(wanted, size=BATCH_ROWS):
        for found in _stored_gifts(session, references):
            stored[found.reference] = found
        if any_corrections:
            for found in _corrections(session, references):
                corrections[found.reference].append(found)
    if not stored:
        return batch, [], 0
    corrected = 0
    known: set[int] = set()
    clashes: list[RowProblem] = []
    slugs = campaigns.slugs(batch)
    legacy = batch.legacy_references or [""] * len(batch)
    for index, row in enumerate(batch.rows()):
        gift = stored.get(row.reference) or stored.get(legacy[index])
        if gift is None:
            continue
        known.add(index)
        later = corrections.get(gift.reference, [])
        corrected += bool(later)
        if batch.by_content[index]:
            continue  # the same content (or, before content keys, the same cells): the same gift

        def differs(gift: StoredGift, row: Any = row, index: int = index) -> bool:
            donor_matches = (
                gift.email_key == row.email.casefold()
                if row.email
                else (gift.name_key == row.donor.casefold() if row.donor else gift.name_key is None)
            )
            # A method compares as the method it names: "Credit Card" stored before the codes
            # is the `card` this row now gives.
            return (gift.slug, gift.donation_date, gift.amount_minor, gift.currency,
                    gift.anonymous, grouping_key(gift.method), gift.note) != (
                    slugs[index], row.day, row.amount_minor, row.currency, row.anonymous,
                    grouping_key(row.method), row.note) or not donor_matches  # fmt: skip

        if differs(gift) and all(map(differs, later)):
            before = Money.from_minor(gift.amount_minor, gift.currency)
            here = Money.from_minor(row.amount_minor, row.currency)
            clashes.append(
                RowProblem(
                    row.line,
                    "reference",
                    f"{row.reference!r} is already donation #{gift.id} ({format_money(before)} "
                    f"on {gift.donation_date} in {gift.slug}); this line differs "
                    f"({format_money(here)} on "
                    f"{row.day} in {slugs[index]}, donor, method, note or anonymity)",
                )
            )
    return batch.without(known), clashes, corrected


def _names(session: Session, donor_ids: list[int]) -> dict[int, str]:
    """The names (as they stand) of these donors."""
    current = current_donors()
    return dict(session.execute(
        select(current.c.id, current.c.name).where(current.c.id.in_(donor_ids))
    ).all())  # fmt: skip


def _possible_duplicates(
    session: Session, created: list[int], unwritten: dict[int, UnwrittenDonor], held_up_to: int
) -> list[tuple[str, ...]]:
    """Groups of donors, one of them new, whose names match loosely: listed, never merged.
    A check's new donors are `unwritten`: matched with the ledger's by their keys, and among
    themselves (they come after the ledger's, by the ids they would take)."""
    groups: dict[str, list[tuple[int, str, str | None]]] = defaultdict(list)
    found: Iterable[Any]
    if unwritten:
        # The ledger's donors of the new donors' keys (none to look for in an empty ledger).
        keys = sorted({donor.loose_key for donor in unwritten.values()}) if held_up_to else []
        found = [
            *(row for batch in _batches(keys) for row in session.execute(
                select(Donor.id, Donor.loose_key, Donor.name, Donor.email)
                .where(Donor.loose_key.in_(batch))
                .order_by(Donor.id)
            )),
            *((donor.id, donor.loose_key, donor.name, donor.email)
              for donor in sorted(unwritten.values())),
        ]  # fmt: skip
    else:
        found = (
            row
            for batch in _batches(created)
            for row in session.execute(
                select(Donor.id, Donor.loose_key, Donor.name, Donor.email)
                .where(Donor.loose_key.in_(select(Donor.loose_key).where(Donor.id.in_(batch))))
                .order_by(Donor.id)
            )
        )
    for donor_id, key, name, email in found:
        if (donor_id, name, email) not in groups[key]:
            groups[key].append((donor_id, name, email))
    return sorted(
        tuple(f"{name} <{email}>" if email else name for _, name, email in members)
        for members in groups.values()
        if len(members) > 1
    )
