"""The ledger's tables (SQLAlchemy 2). Names are singular and stable: auditors query them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from fundledger.adapters.db.chain import chain_rows_of
from fundledger.adapters.db.types import ExactDecimal, Identifier, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Tables that only ever grow: database triggers refuse UPDATE and DELETE on them.
APPEND_ONLY_TABLES = (
    "donation", "exchange_rate", "audit_event", "donor_merge", "setting", "receipt",
    "campaign", "donor", "donor_revision", "campaign_name", "import_profile", "donation_correction",
    "app_user", "tax_report", "delivery",
)  # fmt: skip


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("(goal_minor IS NULL) = (goal_currency IS NULL)", name="goal_has_currency"),
        CheckConstraint("goal_minor IS NULL OR goal_minor > 0", name="goal_positive"),
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR start_date <= end_date",
            name="dates_in_order",
        ),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    goal_minor: Mapped[int | None] = mapped_column(BigInteger)
    goal_currency: Mapped[str | None] = mapped_column(String(3))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    partner: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class CampaignName(Base):
    """A campaign's name in one report language (en, he, ar) from `recorded_at` on: the
    documents a reader of that language gets print it instead of the campaign's own name.
    `name` None: no name of its own from then on. Never changed or deleted: the latest row
    of a campaign and language is in force. A table of its own, not columns of `campaign`,
    because a chained table's columns cannot change once rows are hashed."""

    __tablename__ = "campaign_name"
    __table_args__ = (
        Index("ix_campaign_name_campaign_id_language_id", "campaign_id", "language", "id"),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class ImportProfile(Base):
    """A saved import profile (`fundledger import profile add`): how a kind of export is read,
    as JSON (adapters/import_profiles.py). Never changed or deleted: the latest row of a name
    is in force; `definition` None: removed from then on."""

    __tablename__ = "import_profile"
    __table_args__ = (Index("ix_import_profile_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    definition: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class Donor(Base):
    """A donor as first recorded. Never changed: a change of their details is a DonorRevision,
    and readers take a donor's details as they stand from queries.current_donors."""

    __tablename__ = "donor"

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Matching keys: e-mail compared case-insensitively, name after NFC and space collapsing.
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(String(254), unique=True)
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    # The name without case, spaces, punctuation or diacritics: finds likely duplicates.
    loose_key: Mapped[str] = mapped_column(String(200), index=True)
    # The Israeli identity number (9 digits) a Section 46 receipt states, when the donor gave it.
    tax_id: Mapped[str | None] = mapped_column(String(9))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class DonorRevision(Base):
    """A donor's details as they stand from `recorded_at` on: every field a person may edit,
    changed or not, so that a donor's latest revision alone is their current details (a donor
    without one has the details it was recorded with). Never changed or deleted: a later
    revision supersedes it.

    `donor edit` (and `donor set-id`, `donor set-language`) write revisions, and so does an
    import whose columns give donors details they lack (services/donor_details.py). The
    matching keys (e-mail, name) are derived from the details, so they are not stored here:
    whoever lets a revision change an e-mail derives them again."""

    __tablename__ = "donor_revision"
    __table_args__ = (Index("ix_donor_revision_donor_id_id", "donor_id", "id"),)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    tax_id: Mapped[str | None] = mapped_column(String(9))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class Donation(Base):
    """A gift, or the reversal of one (negative amount, `reverses_id` set)."""

    __tablename__ = "donation"
    __table_args__ = (
        CheckConstraint(
            "(reverses_id IS NULL AND amount_minor > 0)"
            " OR (reverses_id IS NOT NULL AND amount_minor < 0)",
            name="sign_matches_kind",
        ),
        Index("ix_donation_campaign_date", "campaign_id", "donation_date"),
        # A search by dates and value reads this alone (services/search.py; migration 0017).
        Index("ix_donation_date_value", "donation_date", "currency", "amount_minor"),
        # A donation is reversed at most once; the index holds only reversals (partial), so
        # the gifts themselves cost it nothing. Its WHERE is given for a dialect when an
        # engine of it is made (`declare_partial_indexes`), not here: naming both dialects
        # imports both of their packages, with all their drivers, with the models (40 ms of
        # every command's start, 25 of them PostgreSQL's on a SQLite ledger).
        Index("uq_donation_reverses_id", "reverses_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"), index=True)
    donation_date: Mapped[date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str | None] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(200), unique=True)
    anonymous: Mapped[bool] = mapped_column(Boolean(create_constraint=True, name="anonymous"))
    note: Mapped[str | None] = mapped_column(Text)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("donation.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class DonationCorrection(Base):
    """Gift `donation_id` corrects gift `corrects_id`, which was reversed in the same
    transaction (`donation correct`): it is that gift as it should have been, under the same
    `reference` (the one the gift it corrects had, kept here: the corrected gift's own
    `donation.reference` stays NULL, because `donation.reference` is unique among gifts as
    first recorded and a file re-imported must find the gift it brought in once). A gift is
    corrected at most once (`corrects_id` unique) and a correction may be corrected again: a
    chain of corrections, at most one of them not reversed. A table of its own, not a column
    of `donation`: donation is chained, and a column added to it would change the encoding
    of every row hashed before it. Never changed or deleted."""

    __tablename__ = "donation_correction"

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), unique=True)
    corrects_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), unique=True)
    reference: Mapped[str | None] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class DonorMerge(Base):
    """`merged_donor_id` is the same person as `into_donor_id`: their gifts count as one
    donor's. Undone by a later row whose `undoes_id` points here; never changed or deleted."""

    __tablename__ = "donor_merge"
    __table_args__ = (
        CheckConstraint("merged_donor_id <> into_donor_id", name="two_donors"),
        CheckConstraint("(undoes_id IS NULL) = (into_donor_id IS NOT NULL)", name="merge_or_undo"),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    merged_donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"), index=True)
    into_donor_id: Mapped[int | None] = mapped_column(ForeignKey("donor.id"))
    undoes_id: Mapped[int | None] = mapped_column(ForeignKey("donor_merge.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class Setting(Base):
    """An organisation setting: `key` took `value` (None: cleared) at `recorded_at`. Never
    changed or deleted; the latest row of a key is its value, the rows before it its history."""

    __tablename__ = "setting"
    __table_args__ = (Index("ix_setting_key_id", "key", "id"),)

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class ReceiptCounter(Base):
    """The last number given in one receipt series of one year. It changes only by one upward
    step, in the transaction that records the receipt (triggers refuse any other change, and
    deleting it). On PostgreSQL the UPDATE locks the row, so treasurers
    issuing at once take turns; a rolled-back issue gives its number back."""

    __tablename__ = "receipt_counter"
    __table_args__ = (CheckConstraint("last_number >= 0", name="not_negative"),)

    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Receipt(Base):
    """A donation receipt as issued: number `series`-`year`-`number`, for one gift (or, for
    a credit receipt, for the reversal that cancels a receipted gift). `content` holds every
    word and figure the document shows (canonical JSON), so a reprint is the same document."""

    __tablename__ = "receipt"
    __table_args__ = (
        UniqueConstraint("series", "year", "number", name="uq_receipt_series_year_number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("kind IN ('donation', 'credit')", name="kind_known"),
        CheckConstraint("(kind = 'credit') = (credits_id IS NOT NULL)", name="credit_refers"),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    series: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    # A gift has one receipt; its reversal has the credit receipt.
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"), unique=True)
    credits_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"), unique=True)
    issued_on: Mapped[date] = mapped_column(Date)
    locale: Mapped[str] = mapped_column(String(8))
    content: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class TaxReport(Base):
    """The number the Tax Authority's "Israel Donations" system returned for gift
    `donation_id` reported to it, or, when `donation_id` is a reversal, for the cancellation
    of the gift it reverses. Never changed or deleted: a number recorded wrongly is followed
    by another row for the same gift, with the `reason`; the latest row of a gift is in
    force. A table of its own: donation is chained, and a column added to it would change
    the encoding of every row hashed before it."""

    __tablename__ = "tax_report"
    __table_args__ = (
        Index("ix_tax_report_donation_id_id", "donation_id", "id"),
        Index("ix_tax_report_number", "number"),  # is a number in force for another gift?
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donation.id"))
    number: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)  # why a number recorded before is replaced
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class Delivery(Base):
    """One attempt to send a document by e-mail: a receipt (`receipt_id`) or a donor's
    statement of a `year`, to `recipient`, with what the mail server answered. Each attempt
    is two rows: its claim (`outcome` sending), written before the server is spoken to, then
    its outcome (sent or failed); a claim with no outcome after it was cut off, and may have
    reached the donor. `attachment_sha256` names the PDF that went with it, byte for byte.
    Never changed or deleted: a retry is another attempt."""

    __tablename__ = "delivery"
    __table_args__ = (
        CheckConstraint("document IN ('receipt', 'statement')", name="document_known"),
        CheckConstraint("outcome IN ('sending', 'sent', 'failed')", name="outcome_known"),
        CheckConstraint("(document = 'receipt') = (receipt_id IS NOT NULL)",
                        name="receipt_named"),
        CheckConstraint("(document = 'statement') = (year IS NOT NULL)", name="year_named"),
        Index("ix_delivery_receipt_id", "receipt_id"),
        Index("ix_delivery_donor_id_year", "donor_id", "year"),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    document: Mapped[str] = mapped_column(String(16))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipt.id"))
    donor_id: Mapped[int] = mapped_column(ForeignKey("donor.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    outcome: Mapped[str] = mapped_column(String(8))
    answer: Mapped[str] = mapped_column(Text)  # the server's reply, or what went wrong
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempted_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class AppUser(Base):
    """One revision of a person who signs in to the web interface (`fundledger user`). Never
    changed or deleted: the latest revision of a name (compared case-insensitively through
    `name_key`) is in force. `password_revision` is the revision that set the password now in
    force, so a session signed in before a change of password can tell it is stale (a rehash
    with new Argon2 parameters keeps it)."""

    __tablename__ = "app_user"
    __table_args__ = (
        UniqueConstraint("name_key", "revision", name="uq_app_user_name_key_revision"),
        CheckConstraint("role IN ('viewer', 'treasurer', 'admin')", name="known_role"),
        CheckConstraint(
            "revision >= 1 AND password_revision BETWEEN 1 AND revision", name="revisions_in_order"
        ),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    password_revision: Mapped[int] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean(create_constraint=True, name="disabled"))
    language: Mapped[str | None] = mapped_column(String(8))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class ExchangeRate(Base):
    """On `rate_date`, 1 `base` = `rate` `quote`, as published by `source`."""

    __tablename__ = "exchange_rate"
    __table_args__ = (
        CheckConstraint("base <> quote", name="two_currencies"),
        Index("ix_exchange_rate_pair_date", "base", "quote", "rate_date"),
        # "Which rates could be in force between two dates" reads by date alone.
        Index("ix_exchange_rate_date", "rate_date"),
    )

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    rate_date: Mapped[date] = mapped_column(Date)
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal)
    source: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class AuditEvent(Base):
    """Who did what, when and why; written in the same transaction as the change itself."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    command: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    chain_hash: Mapped[str | None] = mapped_column(String(64))  # adapters/db/chain.py


class CheckRun(Base):
    """One run of `fundledger check`: when, by whom, and its outcome. What a page shows as
    the ledger's health ("last checked 3 days ago: clean"), since a full check of a million
    gifts takes far too long to run for a page. A note about the record, not part of it:
    neither chained nor append-only, and writing it adds no audit event, so `check` leaves
    the audit trail (and the anchor it prints) as it found it."""

    __tablename__ = "check_run"

    id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    checked_by: Mapped[str] = mapped_column(String(100))
    passed: Mapped[bool] = mapped_column(Boolean(create_constraint=True, name="passed"))
    failed: Mapped[str] = mapped_column(Text)  # the names of the checks that failed, by spaces
    problems: Mapped[int] = mapped_column(Integer)  # problems found by them, in all
    # The last audit event when the check ran: what was written since is not covered by it.
    last_event_id: Mapped[int | None] = mapped_column(BigInteger)


# Stored summaries (fundledger.services.summary_store): derived from the tables above, never
# the record. Rebuilt from them at will; neither chained nor append-only; `check` compares them
# with the gifts. They let a report read a few thousand rows instead of every gift.


class SummaryState(Base):
    """What the stored summaries include: every donation up to `donation_id`, valued with the
    rates up to `rate_id`, derived under `derived_under` (the rule settings, the size bands
    and the version of the derivation, as text). One row."""

    __tablename__ = "summary_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    donation_id: Mapped[int] = mapped_column(BigInteger)
    rate_id: Mapped[int] = mapped_column(BigInteger)
    derived_under: Mapped[str] = mapped_column(Text)


class SummaryFactor(Base):
    """The conversion factors the stored values were computed with, per (date, currency) of
    the gifts, as exact fractions in decimal text; the largest gift of each; the rates."""

    __tablename__ = "summary_factor"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    largest_minor: Mapped[int] = mapped_column(BigInteger)
    home_numerator: Mapped[str] = mapped_column(Text)
    home_denominator: Mapped[str] = mapped_column(Text)
    reporting_numerator: Mapped[str] = mapped_column(Text)
    reporting_denominator: Mapped[str] = mapped_column(Text)
    # The rates in force behind the factors: sources and pairs one per line, their dates.
    rate_sources: Mapped[str] = mapped_column(Text)
    rate_pairs: Mapped[str] = mapped_column(Text)
    first_rate_date: Mapped[date | None] = mapped_column(Date)
    last_rate_date: Mapped[date | None] = mapped_column(Date)


class SummaryCell(Base):
    """Counted gifts of one campaign (campaign 0: of all), date, currency, payment method (''
    when not recorded) and size band: how many, how many anonymous, and their sums."""

    __tablename__ = "summary_cell"

    campaign_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    method: Mapped[str] = mapped_column(String(32), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    gifts: Mapped[int] = mapped_column(BigInteger)
    anonymous: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    home_minor: Mapped[int] = mapped_column(BigInteger)
    reporting_minor: Mapped[int] = mapped_column(BigInteger)


class SummaryDonor(Base):
    """A donor's counted gifts given by name to one campaign (campaign 0: to all), under the
    donor's own id: merges are applied when a report reads them."""

    __tablename__ = "summary_donor"

    campaign_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    donor_id: Mapped[int] = mapped_column(Identifier, primary_key=True)
    gifts: Mapped[int] = mapped_column(BigInteger)
    home_minor: Mapped[int] = mapped_column(BigInteger)
    reporting_minor: Mapped[int] = mapped_column(BigInteger)


class SummaryGift(Base):
    """Each counted gift's home value, in value order per campaign and overall: the median
    is one index seek."""

    __tablename__ = "summary_gift"
    __table_args__ = (
        Index("ix_summary_gift_campaign_home", "campaign_id", "home_minor"),
        Index("ix_summary_gift_home", "home_minor"),
    )

    donation_id: Mapped[int] = mapped_column(Identifier, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(Identifier)
    home_minor: Mapped[int] = mapped_column(BigInteger)


SUMMARY_MODELS: tuple[type[Base], ...] = (
    SummaryState, SummaryFactor, SummaryCell, SummaryDonor, SummaryGift,
)  # fmt: skip


# Tables whose rows are chained by hash (adapters/db/chain.py). The ORM's inserts are chained
# by a mapper event; the bulk writers (donation and rate imports, the donors an import adds)
# call `chain.extend`. Each is append-only (APPEND_ONLY_TABLES).
CHAINED_MODELS: tuple[type[Base], ...] = (
    Donation, ExchangeRate, DonorMerge, Setting, Receipt, AuditEvent, Campaign, Donor,
    DonorRevision, CampaignName, ImportProfile, DonationCorrection, AppUser, TaxReport, Delivery,
)  # fmt: skip
for _model in CHAINED_MODELS:
    chain_rows_of(_model)


REVERSALS_ONLY = "reverses_id IS NOT NULL"  # the partial index's WHERE (migration 0001)


def declare_partial_indexes(dialect_name: str) -> None:
    """The WHERE of the partial index, for `dialect_name` (sqlite, postgresql), as migration
    0001 made it: for anything that builds the index from the models."""
    table = cast(Table, Donation.__table__)
    for index in table.indexes:
        if index.name == "uq_donation_reverses_id":
            options = index.dialect_options[dialect_name]
            if options.get("where") is None:
                options["where"] = text(REVERSALS_ONLY)
