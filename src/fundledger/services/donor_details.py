"""The details of donors that an import's columns give (adapters/donor_columns.py): their
language, Israeli identity number, address and phone.

A donor without a detail takes the first the file gives them; a donor who has one (or has just
taken one from an earlier line) keeps it against any other, and is listed so that a person can
change it (`donor edit`, `donor set-language`): a file is one source among several, and a form
filled in one day does not overrule what the donor told the organisation. Whatever a donor
takes from one file is one revision of their details (services/donors.py), not one per column.

The details go to each row's donor, found by e-mail or name as the gift's is: an anonymous gift
(no name, or marked so) given with an e-mail gives them to the donor of that e-mail, since
anonymity hides a gift in public reports and leaves the donor's own record whole
(shared/design.md §1); a row with neither name nor e-mail has no donor and gives nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.chain import with_chain_hashes
from fundledger.adapters.db.models import DonorRevision
from fundledger.adapters.db.queries import current_donors
from fundledger.adapters.donor_columns import DETAIL_FIELDS, LABELS
from fundledger.services.context import CommandContext, now
from fundledger.services.donors import _revised

_BATCH = 5_000


@dataclass(frozen=True, slots=True)
class KeptDetail:
    """A donor who keeps a detail they have (`theirs`), though a file offered others."""

    donor_id: int
    name: str
    field: str  # language, tax_id, address or phone
    theirs: str
    offered: tuple[str, ...]


class UnwrittenDonor(NamedTuple):
    """A donor a check of an import would add (services/donation_import.py), by the id it
    would take: as the ledger would hold it, with no details of its own yet."""

    id: int
    name: str
    email: str | None
    loose_key: str
    tax_id: None = None
    address: None = None
    phone: None = None
    language: None = None


@dataclass
class TakenDetails:
    """What donors took from a file: how many took each detail, the languages taken (by
    code), and who kept what they had against it, by donor number, then by field."""

    fields: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    kept: list[KeptDetail] = field(default_factory=list)


class OfferedDetails:
    """The details a file offers each of its donors, in the order of its lines, each once."""

    def __init__(self) -> None:
        self.by_donor: dict[int, dict[str, list[str]]] = {}

    def __bool__(self) -> bool:
        return bool(self.by_donor)

    def add(self, details: dict[str, list[str]], donor_ids: list[int | None]) -> None:
        """Adds the rows' details (DonationBatch.details) to those offered to their donors; a
        row without a donor or a value offers none."""
        for name, values in details.items():
            if not any(values):
                continue
            for value, donor_id in zip(values, donor_ids, strict=True):
                if value and donor_id is not None:
                    given = self.by_donor.setdefault(donor_id, {}).setdefault(name, [])
                    if value not in given and not any(
                        same_detail(name, value, earlier) for earlier in given
                    ):
                        given.append(value)


def same_detail(name: str, one: str, other: str) -> bool:
    """Whether two values of a detail say the same: a phone by its digits (050-1234567 is
    0501234567), an address without case or spacing, others exactly (kept normalised)."""
    if name == "phone":
        return _digits(one) == _digits(other)
    if name == "address":
        return " ".join(one.casefold().split()) == " ".join(other.casefold().split())
    return one == other


def _digits(phone: str) -> str:
    return "".join(character for character in phone if character.isdigit() or character == "+")


def revision_reason(fields: list[str], file_name: str) -> str:
    """Why a revision was written: "the language column of gifts.csv", "the ID number,
    address and phone columns of export.csv"."""
    labels = [LABELS[name] for name in DETAIL_FIELDS if name in fields]
    listed = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    return f"the {listed} column{'s' if len(labels) > 1 else ''} of {file_name}"


def adopt_details(
    session: Session,
    context: CommandContext,
    offered: OfferedDetails,
    file_name: str,
    unwritten: dict[int, UnwrittenDonor] | None = None,
    *,
    write: bool = True,
) -> TakenDetails:
    """Gives each donor the details they lack from those `offered` (the first of each), as
    one revision of their details; notes who keeps another they have. Unless `write`, only
    says what would be given (a check of an import), to its donors in the ledger and to those
    it would add, `unwritten`.

    The revisions are written in bulk (an import may bring 50,000 new donors) and record no
    audit event of their own: the caller's event, recorded after them, covers them."""
    unwritten = unwritten or {}
    if write:
        session.flush()  # pending rows first: the revisions' chain follows them
    current = current_donors()
    taken = TakenDetails()
    recorded_at = now()
    table = DonorRevision.metadata.tables[DonorRevision.__tablename__]
    connection = session.connection()
    ids = sorted(offered.by_donor)
    for start in range(0, len(ids), _BATCH):
        wanted = ids[start : start + _BATCH]
        rows = []
        donors: list[Any] = list(session.execute(
            select(current).where(current.c.id.in_(wanted)).order_by(current.c.id)
        ))  # fmt: skip
        donors.extend(unwritten[donor_id] for donor_id in wanted if donor_id in unwritten)
        for donor in donors:
            changes: dict[str, str] = {}
            for name, values in offered.by_donor[donor.id].items():
                theirs = getattr(donor, name) or values[0]
                if getattr(donor, name) is None:
                    changes[name] = theirs
                others = tuple(value for value in values if not same_detail(name, value, theirs))
                if others:
                    taken.kept.append(KeptDetail(donor.id, donor.name, name, theirs, others))
            if changes:
                taken.fields.update(changes.keys())
                if "language" in changes:
                    taken.languages[changes["language"]] += 1
                if write:
                    reason = revision_reason(list(changes), file_name)
                    rows.append(_revised(donor, context, reason, recorded_at, **changes))
        if rows:
            session.execute(insert(table), with_chain_hashes(connection, table, rows))
    taken.kept.sort(key=lambda kept: (kept.donor_id, DETAIL_FIELDS.index(kept.field)))
    return taken
