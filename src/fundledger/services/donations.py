"""Donations: record, reverse, correct (never edit or delete), list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.models import Campaign, Donation, DonationCorrection, Donor
from fundledger.adapters.db.queries import current_donors
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.dates import past_date_problem
from fundledger.domain.errors import AmountNotPositive, DateNotPossible, FundledgerError
from fundledger.domain.methods import method_code, stored_method
from fundledger.domain.money import Money, currency_in_use, format_money
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.donors import LanguageChange, match_or_add_donor, offer_language
from fundledger.services.receipts import ReceiptDocument, credit_receipt_of, issue_credit_receipt
from fundledger.services.reports import campaign_summary
from fundledger.services.validation import bounded_text, required_text


@dataclass(frozen=True, slots=True)
class DonationEntry:
    """One ledger line as the treasurer sees it."""

    id: int
    campaign: str
    date: date
    amount: Money
    donor: str | None
    email: str | None
    anonymous: bool
    method: str | None
    reference: str | None
    note: str | None
    reverses: int | None
    reversed_by: int | None
    # What a language given with the gift did to its donor's (`record_donation`).
    donor_language: LanguageChange | None = None
    corrects: int | None = None  # the gift this one corrects (`correct_donation`)
    donor_id: int | None = None
    # A gift recorded by name alone that took an existing donor of that name (`record_donation`).
    matched_by_name: bool = False

    @property
    def reversed(self) -> bool:
        return self.reversed_by is not None


def _entry(
    donation: Donation,
    campaign: str,
    donor: Donor | None,
    reversed_by: int | None,
    correction: DonationCorrection | None = None,
) -> DonationEntry:
    return DonationEntry(
        id=donation.id,
        campaign=campaign,
        date=donation.donation_date,
        amount=Money.from_minor(donation.amount_minor, donation.currency),
        donor=donor.name if donor else None,
        email=donor.email if donor else None,
        anonymous=donation.anonymous,
        method=method_code(donation.method),  # a value stored before the codes, as its code
        # A correction keeps the reference of the gift it corrects, in its link.
        reference=donation.reference if correction is None else correction.reference,
        note=donation.note,
        reverses=donation.reverses_id,
        reversed_by=reversed_by,
        corrects=None if correction is None else correction.corrects_id,
        donor_id=donation.donor_id,
    )


def record_donation(
    session: Session,
    context: CommandContext,
    *,
    campaign_slug: str,
    on: date,
    amount: Money,
    donor_name: str | None = None,
    donor_email: str | None = None,
    anonymous: bool = False,
    method: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    language: str | None = None,
    actor: Actor | None = None,
) -> DonationEntry:
    """Record a gift. It is recorded even when no rate is in force yet: the gift happened.
    `language`: the donor's, for their documents; a donor who has one keeps it
    (donors.offer_language). `actor`: the signed-in user a web request acts for, who needs
    the treasurer role (None: whoever runs the command, who holds the ledger)."""
    if actor is not None:
        require(actor, Role.TREASURER, "record a gift")
    if amount.amount <= 0:
        raise AmountNotPositive(
            f"a donation must be a positive amount, not {format_money(amount)}; "
            "to correct a gift, reverse it with `fundledger donation reverse ID --reason ...`"
        )
    currency_in_use(amount.currency)
    if problem := past_date_problem(on, "gift"):
        raise DateNotPossible(f"the gift's date (--date): {problem}", day=on)
    campaign = get_campaign(session, campaign_slug)
    reference = bounded_text("reference", reference, Donation.reference)
    # A known method is stored as its code ("Credit Card" as card), any other as given.
    method = stored_method(bounded_text("method", method, Donation.method))
    note = bounded_text("note", note, Donation.note)
    if reference is not None:
        existing = session.scalar(select(Donation).where(Donation.reference == reference))
        if existing is not None:
            raise FundledgerError(
                f"reference {reference!r} is already donation #{existing.id} "
                f"({format_money(Money.from_minor(existing.amount_minor, existing.currency))} on "
                f"{existing.donation_date}); references are unique"
            )
    has_donor = bool((donor_name or "").strip() or (donor_email or "").strip())
    if language is not None and not has_donor:
        raise FundledgerError("a language (--language) belongs to a donor: give --donor or "
                              "--email with it")  # fmt: skip
    match = (
        match_or_add_donor(session, context, name=donor_name, email=donor_email)
        if has_donor
        else None
    )
    donor = match.donor if match is not None else None
    change = (
        offer_language(session, context, donor_id=donor.id, language=language)
        if donor is not None and language is not None
        else None
    )
    donation = Donation(
        campaign_id=campaign.id,
        donor_id=donor.id if donor else None,
        donation_date=on,
        amount_minor=amount.to_minor(),
        currency=amount.currency,
        method=method,
        reference=reference,
        # An empty donor name makes the gift anonymous even when an e-mail identifies them.
        anonymous=anonymous or not (donor_name or "").strip(),
        note=note,
        reverses_id=None,
        recorded_at=now(),
        recorded_by=context.actor,
    )
    session.add(donation)
    session.flush()
    record_audit(
        session,
        context,
        "donation.add",
        entity="donation",
        entity_id=donation.id,
        details={
            "campaign": campaign.slug,
            "date": on,
            "amount": str(amount),
            "donor_id": donation.donor_id,
            "anonymous": donation.anonymous,
            "method": donation.method,
            "reference": reference,
        },
    )
    return replace(_entry(donation, campaign.slug, donor, None), donor_language=change,
                   matched_by_name=match is not None and match.by_name)  # fmt: skip


REVERSAL_REASON = "the reason for a reversal (--reason)"


def reverse_donation(
    session: Session,
    context: CommandContext,
    *,
    donation_id: int,
    reason: str,
    locale: str | None = None,
    actor: Actor | None = None,
) -> DonationEntry:
    """Append the exact negation of a gift. Both then drop out of every count and total. A
    gift that had a receipt gets a credit receipt cancelling it, in the same transaction,
    in `locale` if given (else see receipts.issue_credit_receipt). `actor`: as for
    `record_donation`."""
    if actor is not None:
        require(actor, Role.TREASURER, "reverse a gift")
    reason = required_text(REVERSAL_REASON, reason, Donation.note)
    # Locked, as receipts lock it: its receipt, if one is being issued, is then seen below.
    original = session.get(Donation, donation_id, with_for_update=True)
    if original is None:
        raise FundledgerError(f"no donation #{donation_id}")
    if original.reverses_id is not None:
        raise FundledgerError(
            f"donation #{donation_id} is itself the reversal of #{original.reverses_id}; "
            "record the gift again if it was reversed by mistake"
        )
    earlier = session.scalar(select(Donation).where(Donation.reverses_id == donation_id))
    if earlier is not None:
        raise FundledgerError(
            f"donation #{donation_id} was already reversed by #{earlier.id} "
            f"on {earlier.recorded_at:%Y-%m-%d}; a donation can be reversed once"
        )
    reversal = Donation(
        campaign_id=original.campaign_id,
        donor_id=original.donor_id,
        # Same date, so the same rates convert it: the pair nets to exactly zero.
        donation_date=original.donation_date,
        amount_minor=-original.amount_minor,
        currency=original.currency,
        method=original.method,
        reference=None,
        anonymous=original.anonymous,
        note=reason,
        reverses_id=original.id,
        recorded_at=now(),
        recorded_by=context.actor,
    )
    session.add(reversal)
    try:
        session.flush()
    except IntegrityError as error:  # another treasurer reversed it a moment ago
        raise FundledgerError(f"donation #{donation_id} was already reversed") from error
    record_audit(
        session,
        context,
        "donation.reverse",
        entity="donation",
        entity_id=reversal.id,
        details={
            "reverses": original.id,
            "amount": str(Money.from_minor(reversal.amount_minor, reversal.currency)),
        },
        reason=reason,
    )
    issue_credit_receipt(session, context, reversal, locale)
    campaign = session.get_one(Campaign, original.campaign_id)
    return _entry(reversal, campaign.slug, _donor_as_recorded(session, original.donor_id), None)


@dataclass(frozen=True, slots=True)
class Reversal:
    """What `reverse_with_totals` recorded: the reversal, the credit receipt it needed (if
    the gift had a receipt), and the campaign's totals before and after (as `Correction`)."""

    reversal: DonationEntry
    credit: ReceiptDocument | None
    before: CampaignTotals | None
    after: CampaignTotals | None
    totals_problem: str | None = None


def reverse_with_totals(
    session: Session,
    context: CommandContext,
    *,
    donation_id: int,
    reason: str,
    locale: str | None = None,
    actor: Actor | None = None,
    totals: bool = True,
) -> Reversal:
    """`reverse_donation`, with what it does to the campaign's totals: for a confirmation
    that shows them (run it in a transaction rolled back). `totals=False` (the confirmed
    write) leaves them out: they are summed from every gift of the campaign, twice, which
    takes seconds on a large ledger."""
    if totals and actor is not None:  # before the sums: a viewer's preview costs nothing
        require(actor, Role.TREASURER, "reverse a gift")
    gift = session.get(Donation, donation_id)
    if gift is None:
        raise FundledgerError(f"no donation #{donation_id}")
    slug = session.get_one(Campaign, gift.campaign_id).slug
    before = _totals(session, context, slug) if totals else None
    # The actor's role is checked there too, before anything is written.
    entry = reverse_donation(session, context, donation_id=donation_id, reason=reason,
                             locale=locale, actor=actor)  # fmt: skip
    after = _totals(session, context, slug) if totals else None
    return Reversal(
        reversal=entry,
        credit=credit_receipt_of(session, entry.id),
        before=before if isinstance(before, CampaignTotals) else None,
        after=after if isinstance(after, CampaignTotals) else None,
        totals_problem=_totals_problem(before, after),
    )


def list_donations(session: Session, campaign_slug: str) -> list[DonationEntry]:
    campaign = get_campaign(session, campaign_slug)
    reversal = aliased(Donation)
    rows = session.execute(
        select(Donation, Donor, reversal.id, DonationCorrection)
        .outerjoin(Donor, Donor.id == Donation.donor_id)
        .outerjoin(reversal, reversal.reverses_id == Donation.id)
        .outerjoin(DonationCorrection, DonationCorrection.donation_id == Donation.id)
        .where(Donation.campaign_id == campaign.id)
        .order_by(Donation.donation_date, Donation.id)
    ).all()
    return [
        _entry(donation, campaign.slug, donor, reversed_by, correction)
        for donation, donor, reversed_by, correction in rows
    ]


@dataclass(frozen=True, slots=True)
class CampaignTotals:
    """A campaign's counted gifts in the home and reporting currencies."""

    gifts: int
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class Correction:
    """What `correct_donation` recorded: the reversal of the gift, the gift as corrected, the
    credit receipt the reversal needed (if the gift had a receipt), what changed (field:
    (before, after), as text), and the campaign's totals before and after (None when a gift
    of the campaign has no rate yet: `totals_problem` says which)."""

    original: DonationEntry
    reversal: DonationEntry
    corrected: DonationEntry
    changes: dict[str, tuple[str, str]]
    credit: ReceiptDocument | None
    before: CampaignTotals | None
    after: CampaignTotals | None
    totals_problem: str | None = None
    matched_by_name: bool = False


def correct_donation(
    session: Session,
    context: CommandContext,
    *,
    donation_id: int,
    reason: str,
    on: date | None = None,
    amount: str | None = None,
    currency: str | None = None,
    donor_name: str | None = None,
    donor_email: str | None = None,
    method: str | None = None,
    note: str | None = None,
    anonymous: bool | None = None,
    locale: str | None = None,
    actor: Actor | None = None,
    totals: bool = True,
) -> Correction:
    """Reverse gift `donation_id` (with its credit receipt if it had a receipt, as
    `reverse_donation`) and record it again as it should have been, in one transaction: under
    the same reference (a platform's export finds it again), linked to the gift it corrects
    (donation_correction). What is not given is kept from the gift. A correction may itself be
    corrected, or reversed. Refused: a gift reversed already, a reversal, a correction that
    changes nothing. `actor`: as for `record_donation`. `totals=False` leaves the campaign's
    totals before and after out (a confirmed write after a preview that showed them: each is
    summed from every gift of the campaign)."""
    if actor is not None:
        require(actor, Role.TREASURER, "correct a gift")
    reason = required_text("the reason for a correction (--reason)", reason,
                           DonationCorrection.reason)  # fmt: skip
    original = session.get(Donation, donation_id, with_for_update=True)
    if original is None:
        raise FundledgerError(f"no donation #{donation_id} (see `fundledger donation list SLUG`)")
    if original.reverses_id is not None:
        raise FundledgerError(
            f"donation #{donation_id} is the reversal of #{original.reverses_id}, not a gift: "
            f"correct the gift, `fundledger donation correct {original.reverses_id} ...`, if "
            "it was not reversed"
        )
    reversed_by = session.scalar(select(Donation.id).where(Donation.reverses_id == donation_id))
    if reversed_by is not None:
        later = session.scalar(
            select(DonationCorrection.donation_id).where(
                DonationCorrection.corrects_id == donation_id
            )
        )
        hint = (f"correct #{later}, the gift that corrected it, instead" if later is not None
                else "a reversed gift no longer counts: record the gift anew with `fundledger "
                "donation add` if it should")  # fmt: skip
        raise FundledgerError(f"donation #{donation_id} was reversed by #{reversed_by}; {hint}")
    campaign = session.get_one(Campaign, original.campaign_id)
    link = session.scalar(
        select(DonationCorrection).where(DonationCorrection.donation_id == donation_id)
    )
    was = _entry(original, campaign.slug, _donor_as_recorded(session, original.donor_id), None,
                 link)  # fmt: skip
    fields = _corrected_fields(
        session, context, original, was, on=on, amount=amount, currency=currency,
        donor_name=donor_name, donor_email=donor_email, method=method, note=note,
        anonymous=anonymous,
    )  # fmt: skip
    changes = _changes(session, original, was, fields)
    if not changes:
        raise FundledgerError(
            f"nothing to correct: donation #{donation_id} already has what was given; give "
            "what differs (--date, --amount, --currency, --donor, --email, --method, --note, "
            "--anonymous/--named)"
        )
    before = _totals(session, context, campaign.slug) if totals else None
    reversal = reverse_donation(session, context, donation_id=donation_id,
                                reason=f"corrected: {reason}", locale=locale)  # fmt: skip
    corrected = Donation(
        campaign_id=original.campaign_id,
        donor_id=fields.donor.id if fields.donor is not None else None,
        donation_date=fields.day,
        amount_minor=fields.money.to_minor(),
        currency=fields.money.currency,
        method=fields.method,
        reference=None,  # the gift's reference is kept with the link below
        anonymous=fields.anonymous,
        note=fields.note,
        reverses_id=None,
        recorded_at=now(),
        recorded_by=context.actor,
    )
    session.add(corrected)
    session.flush()
    correction = DonationCorrection(
        donation_id=corrected.id,
        corrects_id=original.id,
        reference=was.reference,
        reason=reason,
        recorded_at=corrected.recorded_at,
        recorded_by=context.actor,
    )
    session.add(correction)
    try:
        session.flush()
    except IntegrityError as error:  # another treasurer corrected it a moment ago
        raise FundledgerError(f"donation #{donation_id} was already corrected") from error
    record_audit(
        session,
        context,
        "donation.correct",
        entity="donation",
        entity_id=corrected.id,
        details={
            "corrects": original.id,
            "reversal": reversal.id,
            "reference": was.reference,
            # After "corrects" in the sorted details, which `audit` cuts short.
            "fields": {
                field: {"before": old, "after": new} for field, (old, new) in changes.items()
            },
        },
        reason=reason,
    )
    after = _totals(session, context, campaign.slug) if totals else None
    problem = _totals_problem(before, after)
    return Correction(
        original=was,
        reversal=reversal,
        corrected=_entry(corrected, campaign.slug, fields.donor, None, correction),
        changes=changes,
        credit=credit_receipt_of(session, reversal.id),
        before=before if isinstance(before, CampaignTotals) else None,
        after=after if isinstance(after, CampaignTotals) else None,
        totals_problem=problem,
        matched_by_name=fields.matched_by_name,
    )


@dataclass(frozen=True, slots=True)
class _Fields:
    """A corrected gift's fields."""

    day: date
    money: Money
    method: str | None
    note: str | None
    donor: Donor | None
    anonymous: bool
    matched_by_name: bool


def _corrected_fields(
    session: Session,
    context: CommandContext,
    original: Donation,
    was: DonationEntry,
    *,
    on: date | None,
    amount: str | None,
    currency: str | None,
    donor_name: str | None,
    donor_email: str | None,
    method: str | None,
    note: str | None,
    anonymous: bool | None,
) -> _Fields:
    """The corrected gift, field by field: as given, else as the gift had it."""
    new_currency = currency_in_use(currency) if currency is not None else original.currency
    money = (
        Money.parse(amount, new_currency)
        if amount is not None
        else Money.from_minor(original.amount_minor, new_currency)
    )
    if money.amount <= 0:
        raise AmountNotPositive(f"a gift must be a positive amount, not {format_money(money)} "
                              "(--amount); to cancel it, `fundledger donation reverse "
                              f"{original.id} --reason ...`")  # fmt: skip
    day = on if on is not None else original.donation_date
    if on is not None and (problem := past_date_problem(on, "gift")):
        raise DateNotPossible(f"the gift's date (--date): {problem}", day=on)
    new_method = (
        stored_method(bounded_text("method", method, Donation.method))
        if method is not None
        else original.method
    )
    new_note = bounded_text("note", note, Donation.note) if note is not None else original.note
    match = None
    donor_id = original.donor_id
    if donor_name is not None and not donor_name.strip() and donor_email is None:
        donor_id = None  # `--donor ""`: given by no one known (anonymous, as below)
    elif donor_name is not None or donor_email is not None:
        # A name alone is another donor by that name; an e-mail alone keeps the gift's name
        # for a donor new to the ledger.
        name = donor_name if donor_name is not None else (was.donor if donor_email else None)
        email = donor_email if donor_email is not None else (None if donor_name else was.email)
        match = match_or_add_donor(session, context, name=name, email=email)
        donor_id = match.donor.id
    new_anonymous = original.anonymous if anonymous is None else anonymous
    if donor_name is not None and not donor_name.strip():
        new_anonymous = True
    if not new_anonymous and donor_id is None:
        raise FundledgerError(f"donation #{original.id} has no donor to name (--named): give "
                              "--donor or --email with it")  # fmt: skip
    new_donor = _donor_as_recorded(session, donor_id)
    return _Fields(day, money, new_method, new_note, new_donor, new_anonymous,
                   match is not None and match.by_name)  # fmt: skip


def _donor_as_recorded(session: Session, donor_id: int | None) -> Donor | None:
    return session.get(Donor, donor_id) if donor_id is not None else None


def _changes(
    session: Session, original: Donation, was: DonationEntry, fields: _Fields
) -> dict[str, tuple[str, str]]:
    """What a correction changes, field by field, as text (before, after)."""

    def name_of(donor_id: int | None) -> str:
        if donor_id is None:
            return ""
        current = current_donors()
        name = session.scalar(select(current.c.name).where(current.c.id == donor_id))
        return f"#{donor_id} {name}"

    pairs = {
        "date": (original.donation_date.isoformat(), fields.day.isoformat()),
        "amount": (format_money(was.amount), format_money(fields.money)),
        "donor": (name_of(original.donor_id), name_of(fields.donor.id if fields.donor else None)),
        "anonymous": (str(original.anonymous).lower(), str(fields.anonymous).lower()),
        "method": (original.method or "", fields.method or ""),
        "note": (original.note or "", fields.note or ""),
    }
    return {field: pair for field, pair in pairs.items() if pair[0] != pair[1]}


def _totals(session: Session, context: CommandContext, slug: str) -> CampaignTotals | str:
    """The campaign's totals as this transaction sees them, or why they cannot be had."""
    session.flush()
    try:
        summary = campaign_summary(session, context, slug, stored=False)
    except FundledgerError as error:
        return str(error)
    return CampaignTotals(summary.donation_count, summary.total_home, summary.total_reporting)


def _totals_problem(
    before: CampaignTotals | str | None, after: CampaignTotals | str | None
) -> str | None:
    """Why totals before and after cannot both be had (`_totals`), or None (also when they
    were not asked for: None)."""
    if isinstance(before, str):
        return before
    return after if isinstance(after, str) else None
