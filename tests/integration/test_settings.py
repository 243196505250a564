"""Organisation settings: checked, kept as a history (the latest value counts), audited, and
shown on the documents in the reader's language."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, Setting
from fundledger.domain.errors import FundledgerError
from fundledger.domain.settings import LedgerSettings
from fundledger.services.settings import (
    current_settings,
    ledger_settings,
    organisation_name,
    set_setting,
)
from tests.ledger_helpers import campaign, gift, run


def settings_now(engine: Engine) -> dict[str, str]:
    return run(engine, lambda s, _: current_settings(s))


def test_the_latest_value_counts_and_the_history_stays(ledger_engine: Engine) -> None:
    for value in ("Peace Coalition", "  The Peace Coalition  "):
        run(ledger_engine, lambda s, c, value=value: set_setting(
            s, c, "organisation.name.en", value))  # fmt: skip
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.he", "הקואליציה"))
    assert settings_now(ledger_engine) == {
        "organisation.name.en": "The Peace Coalition",
        "organisation.name.he": "הקואליציה",
    }
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.he", None))
    assert settings_now(ledger_engine) == {"organisation.name.en": "The Peace Coalition"}

    def counts(session: Session) -> tuple[int, int]:
        rows = session.scalar(select(func.count()).select_from(Setting))
        audits = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "setting.set")
        )
        return int(rows or 0), int(audits or 0)

    assert run(ledger_engine, lambda s, _: counts(s)) == (4, 4)


def test_a_name_for_each_language_else_the_english_one() -> None:
    names = {"organisation.name.en": "Peace Coalition", "organisation.name.he": "הקואליציה"}
    assert organisation_name(names, "he") == "הקואליציה"
    assert organisation_name(names, "ar") == "Peace Coalition"
    assert organisation_name({}, "en") is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("organisation.name", "x", "unknown setting 'organisation.name': the settings are"),
        ("report.locale", "fr", "'fr' is not a report locale: use one of en, he, ar"),
        ("organisation.name.en", "   ", "a name must not be empty"),
        ("organisation.name.en", "x" * 201, "a name is longer than 200 characters"),
        ("organisation.registration", "58012345", "is not a registration number"),
        ("organisation.registration", "58-0123456-x", "is not a registration number"),
        ("organisation.section46.approval", "12 34", "is not an approval number"),
        ("organisation.section46.valid_until", "31/12/2026", "is not a date"),
        ("organisation.address.he", " \t ", "must not be empty"),
        ("receipt.prefix", "R-", "is not a receipt prefix"),
        ("receipt.prefix", "TOOLONGPX", "is not a receipt prefix"),
        ("ledger.home_currency", "XYZ", "unknown currency code 'XYZ'"),
        ("ledger.home_currency", "USD", "USD is the reporting currency: change that first"),
        ("ledger.reporting_currency", "ILS", "ILS is the home currency"),
        ("rates.max_age_days", "32", "not a number of days from 0 to 31"),
        ("rates.max_age_days", "-1", "not a number of days from 0 to 31"),
        ("rates.max_age_days", "²", "not a number of days from 0 to 31"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    ledger_engine: Engine, key: str, value: str, message: str
) -> None:
    with pytest.raises(FundledgerError, match=message):
        run(ledger_engine, lambda s, c: set_setting(s, c, key, value))
    assert settings_now(ledger_engine) == {}


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("organisation.registration", "58-012345-6", "580123456"),
        ("organisation.section46.approval", " 4512/2024 ", "4512/2024"),
        ("organisation.section46.valid_until", "2026-12-31", "2026-12-31"),
        ("organisation.address.en", "  12 Peace St,\n  Haifa ", "12 Peace St, Haifa"),
        ("receipt.prefix", "dla", "DLA"),
        ("ledger.reporting_currency", "eur", "EUR"),
        ("rates.max_age_days", "03", "3"),
    ],
)
def test_values_are_stored_in_one_canonical_form(
    ledger_engine: Engine, key: str, value: str, stored: str
) -> None:
    run(ledger_engine, lambda s, c: set_setting(s, c, key, value))
    assert settings_now(ledger_engine) == {key: stored}


def test_the_rules_settings_reach_every_command_over_the_defaults() -> None:
    assert ledger_settings({}) == LedgerSettings()
    ruled = ledger_settings({"ledger.home_currency": "EUR", "ledger.reporting_currency": "ILS",
                             "rates.max_age_days": "3", "organisation.contact": "x"})  # fmt: skip
    assert (ruled.home_currency, ruled.reporting_currency, ruled.max_rate_age_days) == (
        "EUR", "ILS", 3)  # fmt: skip


def test_the_home_currency_is_fixed_once_a_gift_is_recorded(ledger_engine: Engine) -> None:
    run(ledger_engine, lambda s, c: set_setting(s, c, "ledger.home_currency", "EUR"))
    campaign(ledger_engine)
    gift(ledger_engine, "2025-07-03 10.00 EUR")
    with pytest.raises(FundledgerError, match="cannot change once gifts are recorded"):
        run(ledger_engine, lambda s, c: set_setting(s, c, "ledger.home_currency", "ILS"))
    assert settings_now(ledger_engine) == {"ledger.home_currency": "EUR"}
