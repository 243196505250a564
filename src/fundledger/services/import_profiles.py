"""Import profiles, saved and built in, and the import of a file through one.

`run_import` is what `fundledger import donations` (and the web interface next) calls: it
takes the command's options and perhaps a profile, reads a platform's export through its
reader (adapters/platforms), imports the gifts (donation_import.import_donations), reverses
the gifts the export's refunds name, and says how the file's dates were read (or, when they
fail in the format given, which format the file proves, once).

With `check` (a dry run) it says the same and writes nothing: import_donations checks the
file (ImportCheck), and the refunds are matched to the gifts they would reverse.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundledger.adapters.date_evidence import WRITTEN, DateEvidence, file_evidence
from fundledger.adapters.db.models import Donation
from fundledger.adapters.db.models import ImportProfile as SavedProfile
from fundledger.adapters.db.queries import gifts_under_reference
from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import DonationFile, DonationRow, RowProblem
from fundledger.adapters.import_profiles import (
    BUILTIN,
    ImportProfile,
    ProfileError,
    profile_from_json,
    profile_name,
)
from fundledger.adapters.platforms import Refund, TranslatedFile, Translation, translate
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.money import Money, format_money, minor_unit_digits
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.donation_import import (
    CheckNotExact,
    DonationImportRefused,
    ImportCheck,
    ImportSummary,
    import_donations,
)
from fundledger.services.donations import REVERSAL_REASON, reverse_donation
from fundledger.services.validation import bounded_text, required_text


def saved_profiles(session: Session) -> dict[str, ImportProfile]:
    """The profiles saved in the ledger and not removed, by name."""
    latest: dict[str, str | None] = {}
    for name, definition in session.execute(
        select(SavedProfile.name, SavedProfile.definition).order_by(SavedProfile.id)
    ):
        latest[name] = definition
    return {name: profile_from_json(name, text) for name, text in sorted(latest.items()) if text}


def list_profiles(session: Session) -> list[ImportProfile]:
    """Built-in profiles first, then the ledger's own, by name."""
    return [*BUILTIN.values(), *saved_profiles(session).values()]


def get_profile(session: Session, name: str) -> ImportProfile:
    key = name.strip().lower()
    if key in BUILTIN:
        return BUILTIN[key]
    found = saved_profiles(session).get(key)
    if found is None:
        known = ", ".join(profile.name for profile in list_profiles(session))
        raise ProfileError(
            f"no import profile {name!r} (there are: {known}); save one with `fundledger "
            f'import profile add {key or "NAME"} --map "COLUMN=FIELD" ...`'
        )
    return found


def save_profile(
    session: Session,
    context: CommandContext,
    profile: ImportProfile,
    reason: str | None = None,
    *,
    actor: Actor | None = None,
) -> bool:
    """Saves `profile` (a revision when one of its name exists); True when it replaced one.
    `actor`: the signed-in user a web request acts for (None: whoever runs the command)."""
    if actor is not None:
        require(actor, Role.TREASURER, "save an import profile")
    earlier = saved_profiles(session).get(profile.name)
    if earlier is not None and earlier.to_json() == profile.to_json():
        return True
    reason = bounded_text("the reason (--reason)", reason, SavedProfile.reason)
    row = SavedProfile(name=profile.name, definition=profile.to_json(), reason=reason,
                       recorded_at=now(), recorded_by=context.actor)  # fmt: skip
    session.add(row)
    session.flush()
    record_audit(session, context, "import_profile.save", entity="import_profile",
                 entity_id=row.id, details={"name": profile.name, "options": profile.options(),
                                            "replaces": earlier is not None},
                 reason=reason)  # fmt: skip
    return earlier is not None


def remove_profile(session: Session, context: CommandContext, name: str, reason: str) -> None:
    """A revision that removes a saved profile from then on (its history stays)."""
    key = profile_name(name)
    if key in BUILTIN:
        raise ProfileError(f"{key!r} is a built-in profile: it cannot be removed")
    get_profile(session, key)
    row = SavedProfile(name=key, definition=None, reason=reason, recorded_at=now(),
                       recorded_by=context.actor)  # fmt: skip
    session.add(row)
    session.flush()
    record_audit(session, context, "import_profile.remove", entity="import_profile",
                 entity_id=row.id, details={"name": key}, reason=reason)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ImportRequest:
    """The options of `import donations`; None and empty: not given on the command line."""

    encoding: str = "utf-8"
    date_format: DateFormat | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    currency: str | None = None
    anonymous: bool = False
    again: bool = False
    ignore: tuple[str, ...] = ()
    profile: str | None = None


@dataclass(frozen=True, slots=True)
class ReversedRefund:
    line: int
    refund: str  # the refund's transaction id
    donation_id: int
    reversal_id: int | None  # None: reversed before (or corrected for it), nothing written
    amount: Money


@dataclass
class ImportOutcome:
    summary: ImportSummary
    profile: str | None = None
    platform: str | None = None
    # The export's rows that are no gifts, by kind (a platform's export).
    others: Counter[str] = field(default_factory=Counter)
    reversed: list[ReversedRefund] = field(default_factory=list)
    dates: DateEvidence | None = None  # how the file's dates were read, when it proves it


def _effective(session: Session, request: ImportRequest) -> ImportProfile:
    chosen = get_profile(session, request.profile) if request.profile else ImportProfile("")
    return chosen.overridden(
        mapping=request.mapping,
        date_format=request.date_format,
        currency=request.currency,
        ignore=tuple(column.strip().lower() for column in request.ignore),
    )


def run_import(
    session: Session,
    context: CommandContext,
    campaign_slug: str | None,
    path: Path,
    request: ImportRequest,
    *,
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
    check: bool = False,
) -> ImportOutcome:
    """Imports `path` as `request` says (see the module's docstring); raises
    DonationImportRefused with every problem found, and then nothing is written. `actor`: the
    signed-in user a web request (or its job) acts for, who needs the treasurer role.

    `check`: the same outcome, or refusal, without writing (a dry run). The caller rolls the
    transaction back all the same: a file the check cannot answer for without writing
    (CheckNotExact) is imported in it instead."""
    if actor is not None:
        require(actor, Role.TREASURER, "import gifts")
    if check:
        try:
            return _run(session, context, campaign_slug, path, request, progress, ImportCheck())
        except CheckNotExact:
            pass
    return _run(session, context, campaign_slug, path, request, progress, None)


def _run(
    session: Session,
    context: CommandContext,
    campaign_slug: str | None,
    path: Path,
    request: ImportRequest,
    progress: Callable[[int], None] | None,
    check: ImportCheck | None,
) -> ImportOutcome:
    profile = _effective(session, request)
    if profile.platform is not None:
        return _platform_import(
            session, context, campaign_slug, path, request, profile, progress, check
        )
    date_format: DateFormat = profile.date_format or "ISO"
    source = _file_source(context, path, request, profile)
    try:
        summary = import_donations(session, context, campaign_slug, source, progress=progress,
                                   again=request.again, check=check)  # fmt: skip
    except DonationImportRefused as refused:
        raise _dates_told_once(refused, source, date_format) from None
    dates = file_evidence(source) if date_format != "ISO" and summary.earlier is None else None
    if dates is not None and dates.format != date_format:
        dates = None  # proves nothing, or the rows would have been refused
    return ImportOutcome(summary, profile.name or None, dates=dates)


def _file_source(
    context: CommandContext, path: Path, request: ImportRequest, profile: ImportProfile
) -> DonationFile:
    """The file as the import reads it: `request`'s options over `profile`'s (`_effective`)."""
    source = DonationFile(
        path, home_currency=context.settings.home_currency, encoding=request.encoding,
        date_format=profile.date_format or "ISO", mapping=profile.mapping,
        currency=profile.currency, anonymous=request.anonymous,
    )  # fmt: skip
    source.ignore = frozenset(profile.ignore)
    return source


def _translated_source(
    context: CommandContext, translation: Translation, path: Path, request: ImportRequest
) -> TranslatedFile:
    """A platform's export as the import reads it: its gifts, as its reader translated them."""
    return TranslatedFile(translation, path.name, home_currency=context.settings.home_currency,
                          anonymous=request.anonymous)  # fmt: skip


def first_rows(
    session: Session, context: CommandContext, path: Path, request: ImportRequest, count: int = 10
) -> list[DonationRow | RowProblem]:
    """The file's first `count` rows as `run_import` reads them with `request` (a platform's
    export: its gifts, as its reader translates them), in line order: the rows as they will be
    recorded, or the problem of each line that cannot be. Reads the file, writes nothing."""
    profile = _effective(session, request)
    with tempfile.TemporaryDirectory(prefix="fundledger-import-") as folder:
        source: DonationFile
        if profile.platform is not None:
            translation = translate(
                profile.platform, path, Path(folder), request.encoding, profile.date_format
            )
            source = _translated_source(context, translation, path, request)
        else:
            source = _file_source(context, path, request, profile)
        batches = source.batches(count)
        try:
            batch = next(batches, None)
        finally:
            batches.close()
    if batch is None:
        return []
    shown: list[DonationRow | RowProblem] = [*batch.rows(), *batch.problems]
    return sorted(shown, key=lambda row: row.line)[:count]


_FORMAT_FAILURE = re.compile(r": date: .* is not a date as (ISO|DMY|MDY) \(")


def _dates_told_once(
    refused: DonationImportRefused, source: DonationFile, given: DateFormat
) -> DonationImportRefused:
    """The refusal with its lines whose dates fail in the format given told as one: the
    format the file's dates prove, with the option that reads them."""
    failed = [problem for problem in refused.problems if _FORMAT_FAILURE.search(problem)]
    if len(failed) < 2:
        return refused
    found = file_evidence(source)
    if found is None or found.format == given:
        return refused
    if found.format is not None:
        told = (
            f"{source.name}: {len(failed):,} dates are not {WRITTEN[given]}: the file writes "
            f"{WRITTEN[found.format]} (line {found.line} has {found.text}); add --date-format "
            f"{found.format}"
        )
    else:
        told = (
            f"{source.name}: {len(failed):,} dates are not {WRITTEN[given]} but DD/MM or MM/DD "
            f"(line {found.line} has {found.text}), and no day above 12 shows which: add "
            "--date-format DMY (Israeli exports) or --date-format MDY (American ones)"
        )
    others = [problem for problem in refused.problems if problem not in set(failed)]
    total = refused.total - len(failed) + 1
    return DonationImportRefused(source.name, [told, *others], total)


def _platform_import(
    session: Session,
    context: CommandContext,
    campaign_slug: str | None,
    path: Path,
    request: ImportRequest,
    profile: ImportProfile,
    progress: Callable[[int], None] | None,
    check: ImportCheck | None,
) -> ImportOutcome:
    assert profile.platform is not None
    with tempfile.TemporaryDirectory(prefix="fundledger-import-") as folder:
        translation = translate(
            profile.platform, path, Path(folder), request.encoding, profile.date_format
        )
        problems = translation.problems + _refund_problems(session, translation)
        source = _translated_source(context, translation, path, request)
        told = [problem.describe(path.name) for problem in problems]
        if check is not None:  # the ids of the gifts the refunds name, should the file add them
            check.watched = frozenset(refund.gift_reference for refund in translation.refunds)
        try:
            summary = import_donations(session, context, campaign_slug, source,
                                       progress=progress, again=request.again,
                                       check=check)  # fmt: skip
        except DonationImportRefused as refused:
            every = sorted(refused.problems + told, key=_line_of)
            raise DonationImportRefused(path.name, every, refused.total + len(told)) from None
        if told:
            raise DonationImportRefused(path.name, told, len(told))
        if check is None:
            reversed_ = [
                _reverse(session, context, refund, path.name) for refund in translation.refunds
            ]
        else:
            reversed_ = _would_reverse(session, translation.refunds, path.name, check)
    dates = translation.dates if translation.dates and translation.dates.format else None
    return ImportOutcome(summary, profile.name, profile.platform, translation.others, reversed_,
                         dates)  # fmt: skip


def _line_of(problem: str) -> int:
    match = re.search(r":([0-9]+): ", problem)
    return int(match[1]) if match else 0


def _minor(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(minor_unit_digits(currency)))


def _ledger_gift(
    session: Session, reference: str, reversed_since: frozenset[int] = frozenset()
) -> tuple[Donation | None, bool]:
    """The gift the ledger holds under `reference` (the latest not reversed, else the latest:
    a corrected gift's correction), and whether it was reversed (or is among `reversed_since`,
    those a check would have reversed)."""
    gifts = gifts_under_reference(session, reference)
    if not gifts:
        return None, False
    reversed_ids = reversed_since | set(session.scalars(
        select(Donation.reverses_id).where(Donation.reverses_id.in_([g.id for g in gifts]))
    ))  # fmt: skip
    standing = [gift for gift in gifts if gift.id not in reversed_ids]
    return (standing[-1], False) if standing else (gifts[-1], True)


def _refund_problems(session: Session, translation: Translation) -> list[RowProblem]:
    """A refund of a gift neither in the export nor in the ledger, or of part of one."""
    problems = []
    for refund in translation.refunds:
        in_file = translation.gifts.get(refund.gift_reference)
        gift, was_reversed = _ledger_gift(session, refund.gift_reference)
        if in_file is not None:
            whole, currency, donation_id = in_file.amount, in_file.currency, None
            if gift is not None:
                donation_id = gift.id
        elif gift is not None:
            whole = Money.from_minor(gift.amount_minor, gift.currency).amount
            currency, donation_id = gift.currency, gift.id
            if was_reversed:
                continue
            if _minor(whole, currency) == _minor(refund.amount, refund.currency):
                continue
        else:
            problems.append(RowProblem(refund.line, "refund", (
                f"refunds {refund.gift_reference!r}, which is neither in this file nor in the "
                "ledger: import the export that holds that payment first, then this one"
            )))  # fmt: skip
            continue
        if currency != refund.currency or refund.amount != whole:
            if gift is not None and not was_reversed and gift.currency == currency and (
                    gift.amount_minor == _minor(whole - refund.amount, currency)):  # fmt: skip
                continue  # corrected for this refund already (`donation correct`)
            part, of = Money(refund.amount, refund.currency), Money(whole, currency)
            gift_id = str(donation_id) if donation_id else "ID"
            first = "" if donation_id else "import this file without this line, then "
            problems.append(RowProblem(refund.line, "refund", (
                f"refunds {format_money(part)} of the {format_money(of)} gift "
                f"{refund.gift_reference!r}: a partial refund is no reversal; {first}record it "
                f"with `fundledger donation correct {gift_id} --amount {whole - refund.amount} "
                f'--reason "refund {refund.reference}"`')))  # fmt: skip
    return problems


def _reverse(
    session: Session, context: CommandContext, refund: Refund, name: str
) -> ReversedRefund:
    gift, was_reversed = _ledger_gift(session, refund.gift_reference)
    assert gift is not None  # `_refund_problems` refused the file otherwise
    amount = Money(refund.amount, refund.currency)
    if was_reversed or gift.amount_minor != _minor(refund.amount, refund.currency):
        return ReversedRefund(refund.line, refund.reference, gift.id, None, amount)
    reversal = reverse_donation(
        session, context, donation_id=gift.id, reason=_refund_reason(refund, name)
    )
    return ReversedRefund(refund.line, refund.reference, gift.id, reversal.id, amount)


def _refund_reason(refund: Refund, name: str) -> str:
    return f"refunded on {refund.platform}: {refund.reference} ({name} line {refund.line})"


def _would_reverse(
    session: Session, refunds: list[Refund], name: str, check: ImportCheck
) -> list[ReversedRefund]:
    """What `_reverse` would do for each refund after the import `check` made, writing
    nothing: a refund of a gift of the same file names the id the gift would take, and one
    reversal is counted before the next refund of the same gift is seen."""
    done: list[ReversedRefund] = []
    reversed_now: set[int] = set()
    for refund in refunds:
        amount = Money(refund.amount, refund.currency)
        gift, was_reversed = _ledger_gift(session, refund.gift_reference, frozenset(reversed_now))
        if gift is not None:
            gift_id, amount_minor = gift.id, gift.amount_minor
        else:
            gift_id = check.gift_ids[refund.gift_reference]  # `_refund_problems`: in the file
            was_reversed = gift_id in reversed_now
            # The file's gift, whose amount and currency the refund's matched.
            amount_minor = _minor(refund.amount, refund.currency)
        if was_reversed or amount_minor != _minor(refund.amount, refund.currency):
            done.append(ReversedRefund(refund.line, refund.reference, gift_id, None, amount))
            continue
        required_text(REVERSAL_REASON, _refund_reason(refund, name), Donation.note)
        reversed_now.add(gift_id)
        done.append(ReversedRefund(refund.line, refund.reference, gift_id, check.next_gift_id,
                                   amount))  # fmt: skip
        check.next_gift_id += 1
    return done
