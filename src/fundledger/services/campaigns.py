"""Campaigns: create, find, list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Campaign, Donation
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


def campaign_info(campaign: Campaign, entry_count: int = 0) -> CampaignInfo:
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
) -> CampaignInfo:
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 64:
        raise FundledgerError(
            f"campaign slug {slug!r} must be lowercase letters, digits and single hyphens, "
            "e.g. dont-look-away"
        )
    name = required_text("the campaign's name (--name)", name, Campaign.name)
    partner = bounded_text("the partner's name (--partner)", partner, Campaign.partner)
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
        },
    )
    return campaign_info(campaign)


def get_campaign(session: Session, slug: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        known = session.scalars(select(Campaign.slug).order_by(Campaign.slug).limit(10)).all()
        hint = (
            f"; known campaigns: {', '.join(known)}"
            if known
            else "; add it with `fundledger campaign add`"
        )
        raise FundledgerError(f"no campaign {slug!r}{hint}")
    return campaign


def list_campaigns(session: Session) -> list[CampaignInfo]:
    entry_count = (
        select(Donation.campaign_id, func.count().label("entries"))
        .group_by(Donation.campaign_id)
        .subquery()
    )
    rows = session.execute(
        select(Campaign, func.coalesce(entry_count.c.entries, 0))
        .outerjoin(entry_count, entry_count.c.campaign_id == Campaign.id)
        .order_by(Campaign.start_date.desc().nulls_last(), Campaign.slug)
    ).all()
    return [campaign_info(campaign, int(count)) for campaign, count in rows]
