"""Donors: matched by e-mail (case-insensitive) when given, else by normalized name. A donor
row is never changed: a change of details is a new revision (donor_revision), and a donor's
details as they stand are read through queries.current_donors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, Donor, DonorMerge, DonorRevision, Receipt
from fundledger.adapters.db.queries import (
    counted_donations,
    current_donors,
    effective_donor,
    merges_in_force,
)
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.donors import (
    email_key,
    israeli_id,
    language_problem,
    loose_name,
    name_key,
    normalize_name,
    preferred_language,
)
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.validation import bounded_text, required_text

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class DonorMatch:
    """The donor a gift's name and e-mail led to. `by_name`: an existing donor, found by the
    name alone (no e-mail was given): perhaps another person of the same name, so the
    commands say so ("give --email to tell them apart")."""

    donor: Donor
    by_name: bool = False


def match_or_add_donor(
    session: Session, context: CommandContext, *, name: str | None, email: str | None
) -> DonorMatch:
    """The donor with this e-mail (as first recorded or as edited since), else, without an
    e-mail, the oldest donor of this name known by name alone; else a new donor."""
    clean_name = bounded_text("the donor's name", normalize_name(name or ""), Donor.name) or ""
    clean_email = bounded_text("the donor's e-mail", email, Donor.email)
    if clean_email and not _EMAIL.fullmatch(clean_email):
        raise FundledgerError(f"{clean_email!r} is not an e-mail address")
    if clean_email:
        found = donor_with_email(session, clean_email)
        if found is not None:
            return DonorMatch(found)
    elif clean_name:
        # Those of the name, then the first without an e-mail: asked for both in SQL, SQLite
        # (no statistics) walks the index of e-mails over every donor without one (16,711 of
        # 50,000: 5 ms of a gift saved through the form).
        found = next((donor for donor in session.scalars(
            select(Donor).where(Donor.name_key == name_key(clean_name)).order_by(Donor.id))
            if donor.email_key is None), None)  # fmt: skip
        if found is not None:
            return DonorMatch(found, by_name=True)
    if not clean_name and not clean_email:
        raise FundledgerError("a donor needs a name or an e-mail address")
    donor = Donor(
        name=clean_name or clean_email or "",
        email=clean_email,
        email_key=email_key(clean_email) if clean_email else None,
        name_key=name_key(clean_name or clean_email or ""),
        loose_key=loose_name(clean_name or clean_email or ""),
        created_at=now(),
    )
    session.add(donor)
    session.flush()
    record_audit(
        session,
        context,
        "donor.add",
        entity="donor",
        entity_id=donor.id,
        details={"name": donor.name, "email": donor.email},
    )
    return DonorMatch(donor)


def donor_with_email(session: Session, email: str) -> Donor | None:
    """The donor of this e-mail: as first recorded, else as given since by `donor edit` (it
    lives in a revision only); compared as `email_key` does."""
    found = session.scalar(select(Donor).where(Donor.email_key == email_key(email)))
    if found is None:
        owner = _current_email_owner(session, email)
        found = session.get(Donor, owner) if owner is not None else None
    return found


def donor_id_of(session: Session, reference: str | None) -> int:
    """The donor a command names by number or e-mail address (as recorded, or as `donor edit`
    gave it). A number is not looked up: the service it goes to refuses one that is not there."""
    text = (reference or "").strip()
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        return int(text)
    if "@" in text:
        found = donor_with_email(session, text)
        if found is None:
            raise FundledgerError(f"no donor with the e-mail {text}")
        return found.id
    raise FundledgerError(f"{text!r} is neither a donor number nor an e-mail address: "
                          "`fundledger donor list` shows them")  # fmt: skip


def _current_email_owner(session: Session, email: str, *, but: int | None = None) -> int | None:
    """The donor whose e-mail as it stands (their latest revision, else as recorded) is
    `email`, compared as `email_key` does, other than donor `but`. The revisions that ever
    gave the e-mail name the candidates (few; the revisions are few beside the donors)."""
    key = email_key(email)
    candidates = set(session.scalars(
        select(DonorRevision.donor_id).where(func.lower(DonorRevision.email) == email.lower())
    ))  # fmt: skip
    candidates.update(session.scalars(select(Donor.id).where(Donor.email_key == key)))
    candidates.discard(but)
    if not candidates:
        return None
    current = current_donors()
    for donor_id, current_email in session.execute(
        select(current.c.id, current.c.email).where(current.c.id.in_(sorted(candidates)))
        .order_by(current.c.id)
    ):  # fmt: skip
        if current_email is not None and email_key(current_email) == key:
            return int(donor_id)
    return None


@dataclass(frozen=True, slots=True)
class DonorSummary:
    id: int
    name: str
    email: str | None
    gifts: int
    first_gift: date | None
    last_gift: date | None
    merged_into: int | None  # the donor whose gifts these are counted with
    language: str | None = None  # the language of their documents (en, he, ar), if they chose
    merge_id: int | None = None  # the merge in force that made them `merged_into` (unmerge it)


def list_donors(session: Session) -> list[DonorSummary]:
    """Every donor with the number and dates of their gifts (reversals and reversed gifts
    left out), by name. A merged donor's gifts count under the donor it was merged into."""
    owner = effective_donor(Donation.donor_id).label("owner")
    counted = select(owner, Donation.donation_date).where(counted_donations()).subquery("counted")
    gifts = (
        select(
            counted.c.owner,
            func.count().label("gifts"),
            func.min(counted.c.donation_date).label("first_gift"),
            func.max(counted.c.donation_date).label("last_gift"),
        )
        .group_by(counted.c.owner)
        .subquery("gifts")
    )
    merges = merges_in_force()
    current = current_donors()
    rows = session.execute(
        select(Donor.id, current.c.name, current.c.email, gifts.c.gifts, gifts.c.first_gift,
               gifts.c.last_gift, merges.c.into_donor_id, current.c.language,
               merges.c.id.label("merge_id"))
        .join(current, current.c.id == Donor.id)
        .outerjoin(gifts, gifts.c.owner == Donor.id)
        .outerjoin(merges, merges.c.merged_donor_id == Donor.id)
        .order_by(Donor.name_key, Donor.id)
    ).all()  # fmt: skip
    return [
        DonorSummary(row.id, row.name, row.email, int(row.gifts or 0), row.first_gift,
                     row.last_gift, row.into_donor_id, row.language, row.merge_id)
        for row in rows
    ]  # fmt: skip


def _merge_in_force(session: Session, donor_id: int) -> DonorMerge | None:
    merges = merges_in_force()
    merge_id = session.scalar(select(merges.c.id).where(merges.c.merged_donor_id == donor_id))
    return session.get(DonorMerge, merge_id) if merge_id is not None else None


def _donor(session: Session, donor_id: int) -> Row[Any]:
    """The donor's details as they stand (queries.current_donors)."""
    current = current_donors()
    donor = session.execute(select(current).where(current.c.id == donor_id)).first()
    if donor is None:
        raise FundledgerError(f"no donor #{donor_id} (see `fundledger donor list`)")
    return donor


def merge_donors(
    session: Session,
    context: CommandContext,
    *,
    merged_id: int,
    into_id: int,
    reason: str,
    actor: Actor | None = None,
) -> DonorMerge:
    """Record that donor `merged_id` is the same person as `into_id`. Nothing is rewritten:
    reports count the gifts of both as one donor's until the merge is undone. `actor`: the
    signed-in user a web request acts for (None: whoever runs the command)."""
    if actor is not None:
        require(actor, Role.TREASURER, "merge donors")
    reason = required_text("the reason for a merge (--reason)", reason, DonorMerge.reason)
    if merged_id == into_id:
        raise FundledgerError(f"donor #{merged_id} cannot be merged into itself")
    merged, into = _donor(session, merged_id), _donor(session, into_id)
    earlier = _merge_in_force(session, merged_id)
    if earlier is not None:
        raise FundledgerError(
            f"donor #{merged_id} is already merged into #{earlier.into_donor_id} (merge "
            f"#{earlier.id}); undo that with `fundledger donor unmerge {earlier.id}` first"
        )
    onward = _merge_in_force(session, into_id)
    if onward is not None:
        raise FundledgerError(
            f"donor #{into_id} is itself merged into #{onward.into_donor_id}: merge into "
            f"#{onward.into_donor_id} instead"
        )
    merges = merges_in_force()
    following = session.scalars(
        select(merges.c.merged_donor_id).where(merges.c.into_donor_id == merged_id)
    ).all()
    if following:
        donors, are, those, them = (("donor", "is", "that", "it") if len(following) == 1
                                    else ("donors", "are", "those", "them"))  # fmt: skip
        raise FundledgerError(
            f"{donors} {', '.join(f'#{n}' for n in following)} {are} merged into "
            f"#{merged_id}: merge #{merged_id} into #{into_id} after undoing {those}, or merge "
            f"{them} into #{into_id} directly"
        )
    merge = DonorMerge(
        merged_donor_id=merged_id,
        into_donor_id=into_id,
        undoes_id=None,
        reason=reason,
        recorded_at=now(),
        recorded_by=context.actor,
    )
    session.add(merge)
    session.flush()
    record_audit(
        session,
        context,
        "donor.merge",
        entity="donor_merge",
        entity_id=merge.id,
        details={"merged": f"#{merged.id} {merged.name}", "into": f"#{into.id} {into.name}"},
        reason=reason,
    )
    return merge


def undo_merge(
    session: Session,
    context: CommandContext,
    *,
    merge_id: int,
    reason: str,
    actor: Actor | None = None,
) -> DonorMerge:
    """Undo a merge by appending its reversal; the donors count apart again. `actor`: as for
    `merge_donors`."""
    if actor is not None:
        require(actor, Role.TREASURER, "undo a donor merge")
    reason = required_text("the reason for undoing a merge (--reason)", reason, DonorMerge.reason)
    merge = session.get(DonorMerge, merge_id)
    if merge is None or merge.into_donor_id is None:
        raise FundledgerError(f"no donor merge #{merge_id}")
    undone = session.scalar(select(DonorMerge.id).where(DonorMerge.undoes_id == merge_id))
    if undone is not None:
        raise FundledgerError(f"donor merge #{merge_id} was already undone by #{undone}")
    undo = DonorMerge(
        merged_donor_id=merge.merged_donor_id,
        into_donor_id=None,
        undoes_id=merge.id,
        reason=reason,
        recorded_at=now(),
        recorded_by=context.actor,
    )
    session.add(undo)
    session.flush()
    record_audit(
        session,
        context,
        "donor.unmerge",
        entity="donor_merge",
        entity_id=undo.id,
        details={"undoes": merge.id, "donor": merge.merged_donor_id},
        reason=reason,
    )
    return undo


def set_tax_id(
    session: Session,
    context: CommandContext,
    *,
    donor_id: int,
    tax_id: str | None,
    reason: str | None = None,
) -> str | None:
    """Record (or, with None, clear) the identity number a donor's receipts will state, as a
    revision of the donor's details. Receipts already issued keep what they said."""
    donor = _donor(session, donor_id)
    checked = None
    if tax_id is not None:
        checked = israeli_id(tax_id)
        if checked is None:
            raise FundledgerError(f"{tax_id!r} is not an Israeli identity number: nine digits "
                                  "whose last is the check digit")  # fmt: skip
    reason = bounded_text("the reason (--reason)", reason, DonorRevision.reason)
    revision = DonorRevision(**_revised(donor, context, reason, now(), tax_id=checked))
    session.add(revision)
    session.flush()
    # The trail says that the number changed, not the number: it is read more widely.
    record_audit(session, context, "donor.tax_id", entity="donor", entity_id=donor.id,
                 details={"before": _masked(donor.tax_id), "after": _masked(checked),
                          "revision": revision.id}, reason=reason)  # fmt: skip
    return checked


# The details a revision carries: every one a person may edit (models.DonorRevision).
_REVISED = ("name", "email", "tax_id", "address", "phone", "language")


def _revised(
    donor: Row[Any], context: CommandContext, reason: str | None, at: datetime, **changes: Any
) -> dict[str, Any]:
    """The column values of a revision of `donor` (a row of `current_donors`) that makes
    `changes` and carries every other detail over as it stands."""
    unknown = set(changes) - set(_REVISED)
    if unknown:
        raise ValueError(f"a donor revision has no {sorted(unknown)}")
    details = {field: changes.get(field, getattr(donor, field)) for field in _REVISED}
    return {"donor_id": donor.id, **details, "reason": reason, "recorded_at": at,
            "recorded_by": context.actor}  # fmt: skip


def _masked(tax_id: str | None) -> str | None:
    return None if tax_id is None else "*****" + tax_id[-4:]


def donor_language(text: str) -> str:
    """The code (en, he, ar) of a language given by its code or its name in any of the three;
    anything else is refused, naming the choices."""
    code = preferred_language(text)
    if code is None:
        raise FundledgerError(language_problem(text))
    return code


@dataclass(frozen=True, slots=True)
class LanguageChange:
    """A donor's language before and after a command: `changed` False when nothing was
    written (it was already so, or the donor keeps the one they chose)."""

    donor_id: int
    before: str | None
    after: str | None
    changed: bool


def set_language(
    session: Session,
    context: CommandContext,
    *,
    donor_id: int,
    language: str | None,
    reason: str | None = None,
) -> LanguageChange:
    """Record the language (or, with None, clear it) that the donor's receipts and statements
    are written in, as a revision of the donor's details. Documents already issued keep
    theirs. The same language again writes nothing."""
    donor = _donor(session, donor_id)
    code = donor_language(language) if language is not None else None
    reason = bounded_text("the reason (--reason)", reason, DonorRevision.reason)
    if (merge := _merge_in_force(session, donor_id)) is not None:
        # Their gifts' documents go out under the donor they were merged into, in that
        # donor's language: a language set here would change nothing.
        into = merge.into_donor_id
        raise FundledgerError(f"donor #{donor_id} is merged into #{into}, whose language their "
                              f"documents take: `fundledger donor set-language {into} "
                              f"{code or 'LANG'}`")  # fmt: skip
    if code == donor.language:
        return LanguageChange(donor.id, donor.language, code, changed=False)
    _write_language(session, context, donor, code, reason)
    return LanguageChange(donor.id, donor.language, code, changed=True)


def offer_language(
    session: Session, context: CommandContext, *, donor_id: int, language: str
) -> LanguageChange:
    """The language a newly recorded gift gives for its donor (`donation add --language`): a
    donor without one takes it; a donor who has one keeps it (`donor set-language` changes
    it), so that a form filled in one day in another language does not overrule them."""
    donor = _donor(session, donor_id)
    code = donor_language(language)
    if donor.language is not None:
        return LanguageChange(donor.id, donor.language, donor.language, changed=False)
    _write_language(session, context, donor, code, "given with a gift")
    return LanguageChange(donor.id, None, code, changed=True)


def _write_language(
    session: Session, context: CommandContext, donor: Row[Any], code: str | None, reason: str | None
) -> None:
    revision = DonorRevision(**_revised(donor, context, reason, now(), language=code))
    session.add(revision)
    session.flush()
    record_audit(session, context, "donor.language", entity="donor", entity_id=donor.id,
                 details={"before": donor.language, "after": code, "revision": revision.id},
                 reason=reason)  # fmt: skip


# What `donor edit` may change, and how each is named on the command line.
EDITABLE = ("name", "email", "address", "phone", "language", "tax_id")


@dataclass(frozen=True, slots=True)
class DonorEdit:
    """What `edit_donor` recorded: the revision, and each detail changed (before, after)."""

    donor_id: int
    revision_id: int
    changes: dict[str, tuple[str | None, str | None]]


def edit_donor(
    session: Session,
    context: CommandContext,
    *,
    donor_id: int,
    reason: str,
    **given: str | None,
) -> DonorEdit:
    """Record a revision of the donor's details with the `given` ones (of EDITABLE; "" clears
    one, None keeps it) and every other carried over. Documents issued earlier keep what they
    printed (a receipt freezes its content). Refused: a merged donor (their documents go out
    under the donor they were merged into: edit that one), an e-mail another donor has (they
    are perhaps the same person: `donor merge`), a change that changes nothing."""
    unknown = set(given) - set(EDITABLE)
    if unknown:
        raise ValueError(f"a donor has no {sorted(unknown)} to edit")
    reason = required_text("the reason for an edit (--reason)", reason, DonorRevision.reason)
    donor = _donor(session, donor_id)
    if (merge := _merge_in_force(session, donor_id)) is not None:
        into = merge.into_donor_id
        raise FundledgerError(f"donor #{donor_id} is merged into #{into} (merge #{merge.id}), "
                              f"whose details their documents print: edit #{into} "
                              f"(`fundledger donor edit {into} ...`), or undo the merge first "
                              f"(`fundledger donor unmerge {merge.id} --reason ...`)")  # fmt: skip
    wanted = {field: _edited(field, value) for field, value in given.items() if value is not None}
    if "email" in wanted and wanted["email"] is not None:
        _refuse_taken_email(session, donor_id, wanted["email"])
    changes = {field: (getattr(donor, field), value) for field, value in wanted.items()
               if getattr(donor, field) != value}  # fmt: skip
    if not changes:
        raise FundledgerError(f"nothing to change: donor #{donor_id} already has what was given "
                              f"(see `fundledger donor show {donor_id}`)")  # fmt: skip
    afters = {field: after for field, (_, after) in changes.items()}
    revision = DonorRevision(**_revised(donor, context, reason, now(), **afters))
    session.add(revision)
    session.flush()
    # The trail says that an identity number changed, not the number (as `donor set-id`).
    told = {field: {"before": _masked(before) if field == "tax_id" else before,
                    "after": _masked(after) if field == "tax_id" else after}
            for field, (before, after) in changes.items()}  # fmt: skip
    record_audit(session, context, "donor.edit", entity="donor", entity_id=donor_id,
                 details={**told, "revision": revision.id}, reason=reason)  # fmt: skip
    return DonorEdit(donor_id, revision.id, changes)


def edit_donor_as(
    actor: Actor,
    session: Session,
    context: CommandContext,
    *,
    donor_id: int,
    reason: str,
    **given: str | None,
) -> DonorEdit:
    """`edit_donor` for the signed-in user a web request acts for, who needs the treasurer
    role (contact details and ID numbers are for those who keep the books)."""
    require(actor, Role.TREASURER, "edit a donor's details")
    return edit_donor(session, context, donor_id=donor_id, reason=reason, **given)


def _edited(field: str, value: str) -> str | None:
    """A detail as `donor edit` was given it, checked; "" clears it (but the name)."""
    text = value.strip()
    if field == "name":
        name = normalize_name(text)
        if not name:
            raise FundledgerError("a donor's name (--name) cannot be empty")
        return bounded_text("the donor's name (--name)", name, DonorRevision.name)
    if not text:
        return None
    if field == "email":
        checked = bounded_text("the donor's e-mail (--email)", text, DonorRevision.email)
        if checked is None or not _EMAIL.fullmatch(checked):
            raise FundledgerError(f"{text!r} is not an e-mail address (--email)")
        return checked
    if field == "tax_id":
        number = israeli_id(text)
        if number is None:
            raise FundledgerError(f"{text!r} is not an Israeli identity number (--tax-id): nine "
                                  "digits whose last is the check digit")  # fmt: skip
        return number
    if field == "language":
        return donor_language(text)
    column = DonorRevision.address if field == "address" else DonorRevision.phone
    return bounded_text(f"the donor's {field} (--{field})", text, column)


def _refuse_taken_email(session: Session, donor_id: int, email: str) -> None:
    """Refuses an e-mail another donor has now, or was recorded with (gifts with it would go
    to them), naming them."""
    other = _current_email_owner(session, email, but=donor_id)
    if other is None:
        other = session.scalar(
            select(Donor.id).where(Donor.email_key == email_key(email), Donor.id != donor_id)
        )
    if other is not None:
        name = _donor(session, other).name
        raise FundledgerError(
            f"{email!r} is the e-mail of donor #{other} {name}: if they are the same person "
            f"as #{donor_id}, `fundledger donor merge {donor_id} {other} --reason ...` "
            f"(or {other} {donor_id}) instead"
        )


@dataclass(frozen=True, slots=True)
class DonorRevisionLine:
    """One step of a donor's history: as first recorded (`revision_id` None), or a revision
    with the details it changed (before, after) and why."""

    revision_id: int | None
    recorded_at: datetime
    recorded_by: str | None
    reason: str | None
    changes: dict[str, tuple[str | None, str | None]]


@dataclass(frozen=True, slots=True)
class DonorReceipt:
    number: str
    kind: str  # donation or credit
    donation_id: int
    issued_on: date
    locale: str


@dataclass(frozen=True, slots=True)
class DonorDetails:
    """A donor as `donor show` prints them: the details as they stand, merges, gifts counted
    (their own and those of donors merged into them: reversed gifts and reversals left out)
    with totals by currency, receipts of their gifts, and the history of their details."""

    id: int
    name: str
    email: str | None
    tax_id: str | None
    address: str | None
    phone: str | None
    language: str | None
    created_at: datetime
    merged_into: int | None
    merge_id: int | None
    merged_from: tuple[tuple[int, int], ...]  # (donor, merge) merged into this one
    gifts: int
    totals: tuple[Money, ...]
    receipts: tuple[DonorReceipt, ...]
    history: tuple[DonorRevisionLine, ...]


def donor_details(session: Session, donor_id: int, *, actor: Actor) -> DonorDetails:
    """Donor `donor_id` whole, for `actor`, who needs the treasurer role: the details hold
    contact details and ID numbers, and their history holds the earlier ones (a viewer reads
    a donor's page through services/browse.py, which leaves them out)."""
    require(actor, Role.TREASURER, "see a donor's contact details and ID number")
    donor = _donor(session, donor_id)
    recorded = session.get_one(Donor, donor_id)
    merge = _merge_in_force(session, donor_id)
    merges = merges_in_force()
    merged_from = tuple(
        (int(merged), int(merge_id))
        for merged, merge_id in session.execute(
            select(merges.c.merged_donor_id, merges.c.id)
            .where(merges.c.into_donor_id == donor_id)
            .order_by(merges.c.merged_donor_id)
        )
    )
    whose = [donor_id, *(merged for merged, _ in merged_from)]
    sums = session.execute(
        select(Donation.currency, func.count(), func.sum(Donation.amount_minor))
        .where(Donation.donor_id.in_(whose), counted_donations())
        .group_by(Donation.currency)
        .order_by(Donation.currency)
    ).all()
    receipts = tuple(
        DonorReceipt(f"{series}-{year:04d}-{number:05d}", kind, gift, issued_on, locale)
        for series, year, number, kind, gift, issued_on, locale in session.execute(
            select(Receipt.series, Receipt.year, Receipt.number, Receipt.kind,
                   Receipt.donation_id, Receipt.issued_on, Receipt.locale)
            .join(Donation, Donation.id == Receipt.donation_id)
            .where(Donation.donor_id.in_(whose))
            .order_by(Receipt.issued_on, Receipt.id)
        )
    )  # fmt: skip
    return DonorDetails(
        id=donor.id, name=donor.name, email=donor.email, tax_id=donor.tax_id,
        address=donor.address, phone=donor.phone, language=donor.language,
        created_at=recorded.created_at,
        merged_into=merge.into_donor_id if merge else None,
        merge_id=merge.id if merge else None,
        merged_from=merged_from,
        gifts=sum(int(count) for _, count, _ in sums),
        totals=tuple(Money.from_minor(int(minor), currency) for currency, _, minor in sums),
        receipts=receipts,
        history=_history(session, recorded),
    )  # fmt: skip


def _history(session: Session, recorded: Donor) -> tuple[DonorRevisionLine, ...]:
    state: dict[str, str | None] = {"name": recorded.name, "email": recorded.email,
                                    "tax_id": recorded.tax_id, "address": None, "phone": None,
                                    "language": None}  # fmt: skip
    lines = [DonorRevisionLine(None, recorded.created_at, None, None,
                               {field: (None, value) for field, value in state.items()
                                if value is not None})]  # fmt: skip
    for revision in session.scalars(
        select(DonorRevision)
        .where(DonorRevision.donor_id == recorded.id)
        .order_by(DonorRevision.id)
    ):
        after = {field: getattr(revision, field) for field in _REVISED}
        changes = {field: (state[field], value) for field, value in after.items()
                   if state[field] != value}  # fmt: skip
        lines.append(DonorRevisionLine(revision.id, revision.recorded_at, revision.recorded_by,
                                       revision.reason, changes))  # fmt: skip
        state = after
    return tuple(lines)
