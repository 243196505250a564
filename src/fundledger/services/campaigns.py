"""Campaigns: create, find, list; their names in the report languages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import false, func, select, true
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Campaign, CampaignName, Donation
from fundledger.domain.donors import language_problem, preferred_language
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money, format_money
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.validation import bounded_text, required_text

SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True, slots=True)
class CampaignInfo:
    id: int
    slug: str
    name: str
    goal: Money | None
    start: date | None
    end: date | None
    partner: str | None
    entry_count: int = 0
    # Its name in a report language, where it has one of its own (campaign_name).
    names: Mapping[str, str] = field(default_factory=dict)

    def name_in(self, language: str) -> str:
        """The name a reader of `language` gets: the campaign's name in it, else its own."""
        return self.names.get(language) or self.name

    def in_language(self, language: str) -> CampaignInfo:
        """The campaign as a document in `language` names it."""
        return replace(self, name=self.name_in(language))


def campaign_info(
    campaign: Campaign, entry_count: int = 0, names: Mapping[str, str] | None = None
) -> CampaignInfo:
    goal = (
        Money.from_minor(campaign.goal_minor, campaign.goal_currency)
        if campaign.goal_minor is not None and campaign.goal_currency is not None
        else None
    )
    return CampaignInfo(
        id=campaign.id,
        slug=campaign.slug,
        name=campaign.name,
        goal=goal,
        start=campaign.start_date,
        end=campaign.end_date,
        partner=campaign.partner,
        entry_count=entry_count,
        names=dict(names or {}),
    )


def add_campaign(
    session: Session,
    context: CommandContext,
    *,
    slug: str,
    name: str,
    goal: Money | None = None,
    start: date | None = None,
    end: date | None = None,
    partner: str | None = None,
    names: Mapping[str, str | None] | None = None,
) -> CampaignInfo:
    """A new campaign, with its `names` in report languages (by language; blank: none)."""
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 64:
        raise FundledgerError(
            f"campaign slug {slug!r} must be lowercase letters, digits and single hyphens, "
            "e.g. dont-look-away"
        )
    name = required_text("the campaign's name (--name)", name, Campaign.name)
    partner = bounded_text("the partner's name (--partner)", partner, Campaign.partner)
    given = {_checked_language(language): _checked_name(language, text)
             for language, text in (names or {}).items()}  # fmt: skip
    own_names = {language: text for language, text in given.items() if text is not None}
    if start and end and end < start:
        raise FundledgerError(f"campaign ends ({end}) before it starts ({start})")
    if goal is not None and goal.amount <= 0:
        raise FundledgerError(f"the goal must be a positive amount, not {format_money(goal)}")
    if session.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
        raise FundledgerError(
            f"a campaign {slug!r} already exists (see `fundledger campaign list`)"
        )
    campaign = Campaign(
        slug=slug,
        name=name,
        goal_minor=goal.to_minor() if goal else None,
        goal_currency=goal.currency if goal else None,
        start_date=start,
        end_date=end,
        partner=partner,
        created_at=now(),
    )
    session.add(campaign)
    session.flush()
    for language, text in sorted(own_names.items()):
        session.add(CampaignName(campaign_id=campaign.id, language=language, name=text,
                                 recorded_at=now(), recorded_by=context.actor))  # fmt: skip
    record_audit(
        session,
        context,
        "campaign.add",
        entity="campaign",
        entity_id=campaign.id,
        details={
            "slug": slug,
            "name": name,
            "goal": str(goal) if goal else None,
            "start": start,
            "end": end,
            "partner": campaign.partner,
            **({"names": dict(sorted(own_names.items()))} if own_names else {}),
        },
    )
    return campaign_info(campaign, names=own_names)


@dataclass(frozen=True, slots=True)
class NameChange:
    campaign: CampaignInfo
    language: str
    before: str | None  # the campaign's name in `language` before (None: none of its own)
    changed: bool  # False: it was so already, and nothing was written


def set_campaign_name(
    session: Session, context: CommandContext, slug: str, language: str, name: str | None
) -> NameChange:
    """Campaign `slug`'s name in `language` from now on (None or blank: none of its own, so
    documents in that language use the campaign's own name): a new campaign_name row."""
    campaign = get_campaign(session, slug)
    language = _checked_language(language)
    text = _checked_name(language, name)
    names = campaign_names(session, [campaign.id]).get(campaign.id, {})
    before = names.get(language)
    if before == text:
        return NameChange(campaign_info(campaign, names=names), language, before, changed=False)
    session.add(CampaignName(campaign_id=campaign.id, language=language, name=text,
                             recorded_at=now(), recorded_by=context.actor))  # fmt: skip
    session.flush()
    record_audit(session, context, "campaign.name", entity="campaign", entity_id=campaign.id,
                 details={"slug": campaign.slug, "language": language, "name": text,
                          "before": before})  # fmt: skip
    after = {key: value for key, value in {**names, language: text}.items() if value}
    return NameChange(campaign_info(campaign, names=after), language, before, changed=True)


def campaign_names(
    session: Session, campaign_ids: Iterable[int] | None = None
) -> dict[int, dict[str, str]]:
    """The names in force, by campaign id and language: of each (campaign, language), the
    latest campaign_name row, unless it cleared the name. Only these campaigns, if given."""
    latest = select(func.max(CampaignName.id)).group_by(CampaignName.campaign_id,
                                                         CampaignName.language)  # fmt: skip
    if campaign_ids is not None:
        latest = latest.where(CampaignName.campaign_id.in_(list(campaign_ids)))
    found: dict[int, dict[str, str]] = {}
    for campaign_id, language, name in session.execute(
        select(CampaignName.campaign_id, CampaignName.language, CampaignName.name).where(
            CampaignName.id.in_(latest)
        )
    ):
        if name is not None:  # else the name was cleared
            found.setdefault(campaign_id, {})[language] = name
    return found


def _checked_language(language: str) -> str:
    code = preferred_language(language)
    if code is None:
        raise FundledgerError(f"a campaign's name: {language_problem(language)}")
    return code


def _checked_name(language: str, name: str | None) -> str | None:
    return bounded_text(f"the campaign's name in {_checked_language(language)}", name,
                        CampaignName.name)  # fmt: skip


class NoSuchCampaign(FundledgerError):
    """No campaign of that slug (the web answers 404)."""


def get_campaign(session: Session, slug: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        known = session.scalars(select(Campaign.slug).order_by(Campaign.slug).limit(10)).all()
        hint = (
            f"; known campaigns: {', '.join(known)}"
            if known
            else "; add it with `fundledger campaign add`"
        )
        raise NoSuchCampaign(f"no campaign {slug!r}{hint}")
    return campaign


def list_campaigns(session: Session, *, entry_counts: bool = True) -> list[CampaignInfo]:
    """Every campaign, newest first; without `entry_counts` each counts 0 entries (counting
    reads an index entry per gift: 0.1 s on a million, which `campaign_totals` spares)."""
    entry_count = (
        select(Donation.campaign_id, func.count().label("entries"))
        .where(true() if entry_counts else false())
        .group_by(Donation.campaign_id)
        .subquery()
    )
    rows = session.execute(
        select(Campaign, func.coalesce(entry_count.c.entries, 0))
        .outerjoin(entry_count, entry_count.c.campaign_id == Campaign.id)
        .order_by(Campaign.start_date.desc().nulls_last(), Campaign.slug)
    ).all()
    names = campaign_names(session)
    return [campaign_info(campaign, int(count), names.get(campaign.id)) for campaign, count in rows]
