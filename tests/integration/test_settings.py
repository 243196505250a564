"""Organisation settings: checked, kept as a history (the latest value counts), audited, and
shown on the documents in the reader's language."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, Setting
from fundledger.domain.errors import FundledgerError
from fundledger.services.settings import current_settings, organisation_name, set_setting
from tests.ledger_helpers import run


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
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    ledger_engine: Engine, key: str, value: str, message: str
) -> None:
    with pytest.raises(FundledgerError, match=message):
        run(ledger_engine, lambda s, c: set_setting(s, c, key, value))
    assert settings_now(ledger_engine) == {}
