"""Organisation settings, kept in the ledger: what its documents say about the organisation.

Each key is declared in `SETTINGS` with what it means and how its value is checked. Setting a
key appends a row (and an audit event); the latest row of a key is its value. More keys come
with receipts (issue #6): registration numbers, address, receipt series."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Setting
from fundledger.domain.errors import FundledgerError
from fundledger.domain.settings import REPORT_LOCALES
from fundledger.services.context import CommandContext, now, record_audit

NAME_LENGTH = 200


def _name(value: str) -> str:
    text = value.strip()
    if not text:
        raise FundledgerError("a name must not be empty (`fundledger settings unset` clears it)")
    if len(text) > NAME_LENGTH:
        raise FundledgerError(f"a name is longer than {NAME_LENGTH} characters: {text[:40]!r}…")
    return text


def _locale(value: str) -> str:
    if value not in REPORT_LOCALES:
        raise FundledgerError(f"{value!r} is not a report locale: use one of "
                              f"{', '.join(REPORT_LOCALES)}")  # fmt: skip
    return value


@dataclass(frozen=True, slots=True)
class SettingKey:
    key: str
    meaning: str
    check: Callable[[str], str]


SETTINGS = {
    entry.key: entry
    for entry in (
        SettingKey("organisation.name.en", "the organisation's name in English", _name),
        SettingKey("organisation.name.he", "the organisation's name in Hebrew", _name),
        SettingKey("organisation.name.ar", "the organisation's name in Arabic", _name),
        SettingKey("report.locale", "the language of reports when --locale is not given", _locale),
    )
}


def set_setting(session: Session, context: CommandContext, key: str, value: str | None) -> None:
    """Give `key` a new value (None clears it), checked by its declaration."""
    declared = SETTINGS.get(key)
    if declared is None:
        raise FundledgerError(
            f"unknown setting {key!r}: the settings are {', '.join(sorted(SETTINGS))}"
        )
    checked = declared.check(value) if value is not None else None
    session.add(Setting(key=key, value=checked, recorded_at=now(), recorded_by=context.actor))
    session.flush()
    record_audit(session, context, "setting.set", entity="setting",
                 details={"key": key, "value": checked})  # fmt: skip


def current_settings(session: Session) -> dict[str, str]:
    """Every key that has a value now."""
    latest = select(func.max(Setting.id)).group_by(Setting.key)
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.id.in_(latest)))
    return {key: value for key, value in rows if value is not None}


def organisation_name(settings: dict[str, str], language: str) -> str | None:
    """The organisation's name for readers of `language`, else its English name."""
    return settings.get(f"organisation.name.{language}") or settings.get("organisation.name.en")
