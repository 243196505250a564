"""A campaign report as one service call: `report campaign` (JSON, CSV, PDF), `report period`
and the web's campaign pages each make one call and get one plain value holding everything they
show, read in one transaction under the settings of that transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from fundledger.adapters.images import Logo
from fundledger.domain.period import Period
from fundledger.domain.rates import FixedRate
from fundledger.domain.settings import REPORT_LOCALES, LedgerSettings
from fundledger.services.context import CommandContext
from fundledger.services.reports import CampaignSummary, campaign_summary
from fundledger.services.settings import (
    current_settings,
    ledger_settings,
    organisation_logo,
    organisation_name,
    report_locale,
)


@dataclass(frozen=True, slots=True)
class CampaignReport:
    """The summary and what its documents need besides: the language chosen, the
    organisation's name in each language it has one in, its logo, and the rules (currencies,
    rates' age) the figures were made under. The JSON and CSV are functions of `summary`
    alone, so every interface prints the same figures for the same request."""

    summary: CampaignSummary
    locale: str  # the language asked for, else the report.locale setting, else en
    organisation_names: Mapping[str, str]  # language -> the name its readers see
    logo: Logo | None
    settings: LedgerSettings

    @property
    def organisation(self) -> str | None:
        """The organisation's name in the report's language (else its English name)."""
        return self.organisation_names.get(self.locale)

    @property
    def max_rate_age_days(self) -> int:
        return self.settings.max_rate_age_days


def campaign_report(
    session: Session,
    context: CommandContext,
    slug: str | None,
    *,
    locale: str | None = None,
    period: Period | None = None,
    fixed_rate: str | None = None,
    stored: bool = True,
) -> CampaignReport:
    """The report of campaign `slug` (None: of all campaigns together), of the gifts dated
    within `period` if given, with the total restated at `fixed_rate` ("1 ILS = 0.2911 USD",
    either direction) if given; in `locale`, else the ledger's report language.

    The settings are read once, here, and rule the whole report: `context`'s own settings
    are replaced by them (they are of the same transaction, and may have been read without
    the organisation's)."""
    values = current_settings(session)
    settings = ledger_settings(values)
    summary = campaign_summary(
        session,
        replace(context, settings=settings),
        slug,
        parse_fixed_rate(fixed_rate, settings),
        stored=stored,
        period=period,
    )
    names = {
        language: name
        for language in REPORT_LOCALES
        if (name := organisation_name(values, language)) is not None
    }
    return CampaignReport(
        summary=summary,
        locale=report_locale(values, locale),
        organisation_names=names,
        logo=organisation_logo(values),
        settings=settings,
    )


def parse_fixed_rate(text: str | None, settings: LedgerSettings) -> FixedRate | None:
    """A --fixed-rate (or the web's `fixed_rate`) as a rate between the ledger's home and
    reporting currencies; a clear error naming them when it is not one."""
    if not text:
        return None
    return FixedRate.parse(text, settings.home_currency, settings.reporting_currency)
