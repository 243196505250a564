"""Donations: record, reverse (never edit or delete), list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.models import Campaign, Donation, Donor
from fundledger.domain.dates import past_date_problem
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import method_code, stored_method
from fundledger.domain.money import Money, currency_in_use, format_money
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.donors import LanguageChange, find_or_add_donor, offer_language
from fundledger.services.receipts import issue_credit_receipt
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

    @property
    def reversed(self) -> bool:
        return self.reversed_by is not None


def _entry(
    donation: Donation, campaign: str, donor: Donor | None, reversed_by: int | None
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
        reference=donation.reference,
        note=donation.note,
        reverses=donation.reverses_id,
        reversed_by=reversed_by,
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
) -> DonationEntry:
    """Record a gift. It is recorded even when no rate is in force yet: the gift happened.
    `language`: the donor's, for their documents; a donor who has one keeps it
    (donors.offer_language)."""
    if amount.amount <= 0:
        raise FundledgerError(
            f"a donation must be a positive amount, not {format_money(amount)}; "
            "to correct a gift, reverse it with `fundledger donation reverse ID --reason ...`"
        )
    currency_in_use(amount.currency)
    if problem := past_date_problem(on, "gift"):
        raise FundledgerError(f"the gift's date (--date): {problem}")
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
    donor = (
        find_or_add_donor(session, context, name=donor_name, email=donor_email)
        if has_donor
        else None
    )
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
    return replace(_entry(donation, campaign.slug, donor, None), donor_language=change)


def reverse_donation(
    session: Session,
    context: CommandContext,
    *,
    donation_id: int,
    reason: str,
    locale: str | None = None,
) -> DonationEntry:
    """Append the exact negation of a gift. Both then drop out of every count and total. A
    gift that had a receipt gets a credit receipt cancelling it, in the same transaction,
    in `locale` if given (else see receipts.issue_credit_receipt)."""
    reason = required_text("the reason for a reversal (--reason)", reason, Donation.note)
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
    donor = session.get(Donor, original.donor_id) if original.donor_id else None
    return _entry(reversal, campaign.slug, donor, None)


def list_donations(session: Session, campaign_slug: str) -> list[DonationEntry]:
    campaign = get_campaign(session, campaign_slug)
    reversal = aliased(Donation)
    rows = session.execute(
        select(Donation, Donor, reversal.id)
        .outerjoin(Donor, Donor.id == Donation.donor_id)
        .outerjoin(reversal, reversal.reverses_id == Donation.id)
        .where(Donation.campaign_id == campaign.id)
        .order_by(Donation.donation_date, Donation.id)
    ).all()
    return [
        _entry(donation, campaign.slug, donor, reversed_by) for donation, donor, reversed_by in rows
    ]
