"""Organisation settings, kept in the ledger: what its documents say about the organisation.

Each key is declared in `SETTINGS` with what it means and how its value is checked. Setting a
key appends a row (and an audit event); the latest row of a key is its value. Three keys change
the rules themselves (home and reporting currency, the longest a rate stays in force): every
command reads them through `ledger_settings` into its `CommandContext`."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, Setting
from fundledger.adapters.images import Logo, load_logo, logo_from_bytes
from fundledger.adapters.mail import MAIL_SECURITY, sender_address
from fundledger.adapters.rate_sources import BOI_URL, ECB_URL
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.dates import iso_date, today_in_israel
from fundledger.domain.errors import FundledgerError, InvalidAmount
from fundledger.domain.money import Money, currency_in_use
from fundledger.domain.settings import REPORT_LOCALES, LedgerSettings
from fundledger.domain.text import control_problem
from fundledger.services.context import CommandContext, now, record_audit

REPORT_FROM = "2026-01-01"  # the first day gifts are reported to "Israel Donations" (the law)
NAME_LENGTH = 200
LINE_LENGTH = 300
LONGEST_RATE_AGE_DAYS = 31
LONGEST_IDLE_MINUTES = 24 * 60


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


def _line(value: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise FundledgerError("a value must not be empty (`fundledger settings unset` clears it)")
    if len(text) > LINE_LENGTH:
        raise FundledgerError(f"longer than {LINE_LENGTH} characters: {text[:40]!r}…")
    return text


def _registration(value: str) -> str:
    """An amuta's registration number: nine digits (58-012345-6 is read as 580123456)."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"[0-9]{9}", digits):
        raise FundledgerError(f"{value!r} is not a registration number: write its nine digits, "
                              "e.g. 580123456")  # fmt: skip
    return digits


def _approval(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"[0-9A-Za-z/-]{1,32}", text):
        raise FundledgerError(f"{value!r} is not an approval number: digits (and / or -), "
                              "as on the Tax Authority's letter")  # fmt: skip
    return text


def _iso_date(value: str) -> str:
    try:
        return iso_date(value).isoformat()
    except ValueError:
        raise FundledgerError(f"{value!r} is not a date: write it as YYYY-MM-DD") from None


def _currency(value: str) -> str:
    return currency_in_use(value)


def _rate_age(value: str) -> str:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= LONGEST_RATE_AGE_DAYS:
        raise FundledgerError(f"{value!r} is not a number of days from 0 to "
                              f"{LONGEST_RATE_AGE_DAYS}")  # fmt: skip
    return str(int(text))


def _receipt_prefix(value: str) -> str:
    text = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,8}", text):
        raise FundledgerError(f"{value!r} is not a receipt prefix: one to eight letters A-Z or "
                              "digits, e.g. R or DLA")  # fmt: skip
    return text


def _minimum(value: str) -> str:
    """An amount in shekels (the law's currency): exact, never a float, more than zero."""
    try:
        amount = Money.parse(value, "ILS")
    except InvalidAmount as error:
        raise FundledgerError(f"{value!r} is not an amount in NIS: {error}") from None
    if amount.amount <= 0:
        raise FundledgerError(f"{value!r}: the Section 46 minimum is more than zero")
    return format(amount.quantized(), "f")


def _minutes(value: str) -> str:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= LONGEST_IDLE_MINUTES:
        raise FundledgerError(f"{value!r} is not a number of minutes from 1 to "
                              f"{LONGEST_IDLE_MINUTES}")  # fmt: skip
    return str(int(text))


def _on_off(value: str) -> str:
    text = value.strip().lower()
    if text not in ("on", "off"):
        raise FundledgerError(f"{value!r} is neither on nor off")
    return text


def _home_currency_is_unused(session: Session, value: str | None) -> None:
    """The books are kept in the home currency: it cannot change under recorded gifts."""
    reporting = current_settings(session).get(
        "ledger.reporting_currency", LedgerSettings().reporting_currency
    )
    if value == reporting:
        raise FundledgerError(f"{value} is the reporting currency: change that first")
    if session.scalar(select(Donation.id).limit(1)) is not None:
        raise FundledgerError(
            "the home currency cannot change once gifts are recorded: every total, receipt "
            "and rate check of this ledger is in it"
        )


def _not_the_home_currency(session: Session, value: str | None) -> None:
    home = current_settings(session).get("ledger.home_currency", LedgerSettings().home_currency)
    if value == home:
        raise FundledgerError(f"{value} is the home currency: the reporting currency is the "
                              "second currency reports show beside it")  # fmt: skip


def _rates_url(value: str) -> str:
    """An address `rates fetch` may download from: HTTPS, or plain HTTP to this machine only
    (a test server or a local mirror): rates over plain HTTP from elsewhere could be changed on
    the way."""
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FundledgerError(f"{value!r} is not a web address: write it as https://host/path")
    if parts.query or parts.fragment:
        raise FundledgerError(f"{value!r}: give the address without ?query or #part (the "
                              "series and dates are added to it)")  # fmt: skip
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise FundledgerError(f"{value!r}: plain http:// is taken for this machine only "
                              "(localhost); rates from elsewhere come over https://")  # fmt: skip
    return text.rstrip("/")


def _host(value: str) -> str:
    text = value.strip().lower()
    if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]+\]", text):
        raise FundledgerError(f"{value!r} is not a host name: write it as smtp.example.org "
                              "(no smtp:// and no port)")  # fmt: skip
    return text


def _port(value: str) -> str:
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise FundledgerError(f"{value!r} is not a port: a number from 1 to 65535, e.g. 587")
    return str(int(text))


def _security(value: str) -> str:
    text = value.strip().lower()
    if text not in MAIL_SECURITY:
        raise FundledgerError(f"{value!r} is not a way to secure mail: use one of "
                              f"{', '.join(MAIL_SECURITY)}")  # fmt: skip
    return text


def _sender(value: str) -> str:
    text = " ".join(value.split())
    if sender_address(text) is None:
        raise FundledgerError(f"{value!r} is not an e-mail address: write it as "
                              'receipts@example.org or "Name <receipts@example.org>"')  # fmt: skip
    return text


def _logo(value: str) -> str:
    return load_logo(value).to_text()


@dataclass(frozen=True, slots=True)
class SettingKey:
    key: str
    meaning: str
    check: Callable[[str], str]
    # Whether the ledger allows the change now (a value, or None to clear it).
    allowed: Callable[[Session, str | None], None] | None = None
    # How a person sees the value, when not as stored.
    shown: Callable[[str], str] | None = None
    # A key ending in YEAR_PART stands for one key a year ("tax.section46.minimum.2026"), each
    # set and unset on its own; `defaults` holds the years the law itself gives a value for.
    defaults: tuple[tuple[int, str], ...] = ()

    @property
    def yearly(self) -> bool:
        return self.key.endswith(YEAR_PART)

    def of_year(self, year: int) -> str:
        return self.key.removesuffix(YEAR_PART) + f".{year:04d}"

    def meaning_of(self, key: str) -> str:
        """What `key` (this one, or one year of a yearly key) means."""
        if not self.yearly:
            return self.meaning
        year = int(key.rsplit(".", 1)[1])
        default = dict(self.defaults).get(year)
        return self.meaning.replace("YEAR", str(year)) + (
            f" (default {default})" if default is not None else " (none unless set)"
        )


YEAR_PART = ".YEAR"
_YEARLY_KEY = re.compile(r"(.+)\.((?:19|20|21)[0-9]{2})")
MINIMUM_KEY = "tax.section46.minimum.YEAR"


SETTINGS = {
    entry.key: entry
    for entry in (
        SettingKey("organisation.name.en", "the organisation's name in English", _name),
        SettingKey("organisation.name.he", "the organisation's name in Hebrew", _name),
        SettingKey("organisation.name.ar", "the organisation's name in Arabic", _name),
        SettingKey("organisation.address.en", "the postal address, in English", _line),
        SettingKey("organisation.address.he", "the postal address, in Hebrew", _line),
        SettingKey("organisation.address.ar", "the postal address, in Arabic", _line),
        SettingKey("organisation.contact", "phone, e-mail or website, as printed", _line),
        SettingKey("organisation.logo", "a PNG or JPEG file, drawn at the head of documents "
                   "(the image is kept in the ledger)", _logo,
                   shown=lambda value: Logo.from_text(value).describe()),
        SettingKey("organisation.registration", "the amuta registration number (9 digits)",
                   _registration),
        SettingKey("organisation.section46.approval",
                   "the Section 46 approval number for donation receipts", _approval),
        SettingKey("organisation.section46.valid_until",
                   "the last day of the Section 46 approval (YYYY-MM-DD)", _iso_date),
        SettingKey("receipt.prefix", "what receipt numbers begin with (default R)",
                   _receipt_prefix),
        SettingKey("tax.require_report_number", "on: with a Section 46 approval, a donation "
                   "receipt is issued only with the Tax Authority's report number and the "
                   "donor's valid Israeli ID number (default off)", _on_off),
        SettingKey("tax.report_from", "gifts dated on or after this day are reported to the "
                   f"Tax Authority (default {REPORT_FROM})", _iso_date),
        # The Authority updates the minimum every year: one key a year, kept as it says.
        SettingKey(MINIMUM_KEY, "the Section 46 minimum of YEAR's gifts, in NIS", _minimum,
                   defaults=((2026, "207"),)),
        SettingKey("report.locale", "the language of reports when --locale is not given", _locale),
        SettingKey("ledger.home_currency", "the currency of the books (default ILS)", _currency,
                   _home_currency_is_unused),
        SettingKey("ledger.reporting_currency", "the second currency of reports (default USD)",
                   _currency, _not_the_home_currency),
        SettingKey("rates.max_age_days",
                   "how many days a rate stays in force after its date (default 7)", _rate_age),
        SettingKey("rates.boi.url", "where `rates fetch` asks the Bank of Israel (default "
                   f"{BOI_URL})", _rates_url),
        SettingKey("rates.ecb.url", f"where `rates fetch` asks the ECB (default {ECB_URL})",
                   _rates_url),
        SettingKey("web.idle_minutes", "minutes without a request after which a web session "
                   "ends (default 30)", _minutes),
        SettingKey("web.secure_cookies", "on: the session cookie is sent over HTTPS only (turn "
                   "on behind an HTTPS proxy; default off)", _on_off),
        SettingKey("mail.smtp.host", "the mail server receipts and statements are sent "
                   "through, e.g. smtp.example.org", _host),
        SettingKey("mail.smtp.port", "its port (default: 587, or 465 with mail.smtp.security "
                   "tls, 25 with none)", _port),
        SettingKey("mail.smtp.security", "none, starttls or tls (default starttls)", _security),
        SettingKey("mail.smtp.user", "the user to log in as (none: no login)", _line),
        SettingKey("mail.smtp.password_file", "a file holding the password, read at each send "
                   "(FUNDLEDGER_SMTP_PASSWORD, when set, comes first); never kept in the ledger",
                   _line),
        SettingKey("mail.from", "the sender of the e-mails, e.g. \"Peace Coalition "
                   "<receipts@example.org>\"", _sender),
    )
}  # fmt: skip


def set_setting(
    session: Session,
    context: CommandContext,
    key: str,
    value: str | None,
    actor: Actor | None = None,
) -> str | None:
    """Give `key` a new value (None clears it), checked by its declaration; returns the value
    as stored. `actor`: the signed-in user a web request acts for, who needs the admin role
    (None: the terminal, whose user holds the ledger and acts as an admin)."""
    if actor is not None:
        require(actor, Role.ADMIN, "change a setting")
        if key in SERVER_ONLY:
            raise FundledgerError(
                f"{key} says where the mail password goes: it is set on the server only "
                f"(fundledger settings set {key} VALUE), not from the web"
            )
    declared = declaration(key)
    if declared is None:
        raise FundledgerError(
            f"unknown setting {key!r}: the settings are {', '.join(sorted(SETTINGS))} (YEAR: "
            "four digits)"
        )
    # Line breaks and tabs are allowed: the values that may hold them are put on one line.
    if value is not None and (problem := control_problem(value, multiline=True)):
        raise FundledgerError(f"the value of {key} {problem}")
    checked = declared.check(value) if value is not None else None
    if declared.allowed is not None:
        declared.allowed(session, checked)
    return _store(session, context, key, checked)


def set_logo(
    session: Session, context: CommandContext, data: bytes, name: str, actor: Actor | None = None
) -> str:
    """The organisation's logo from a file's bytes (the web's upload), checked as the
    organisation.logo setting checks a file (`load_logo`): PNG or JPEG by content, its size,
    the whole picture decodable. `actor` as in `set_setting` (an admin)."""
    if actor is not None:
        require(actor, Role.ADMIN, "change a setting")
    stored = logo_from_bytes(data, name).to_text()
    _store(session, context, "organisation.logo", stored)
    return stored


def _store(session: Session, context: CommandContext, key: str, checked: str | None) -> str | None:
    session.add(Setting(key=key, value=checked, recorded_at=now(), recorded_by=context.actor))
    session.flush()
    shown = shown_value(key, checked) if checked is not None else None
    record_audit(session, context, "setting.set", entity="setting",
                 details={"key": key, "value": shown})  # fmt: skip
    return checked


def declaration(key: str) -> SettingKey | None:
    """The declaration of `key`: its own, or that of the yearly key it is one year of."""
    if (declared := SETTINGS.get(key)) is not None:
        return None if declared.yearly else declared
    found = _YEARLY_KEY.fullmatch(key)
    if found is None:
        return None
    yearly = SETTINGS.get(found[1] + YEAR_PART)
    return yearly if yearly is not None and yearly.yearly else None


def section46_minimum(settings: dict[str, str], year: int, home_currency: str) -> Money | None:
    """The Section 46 minimum of `year` in NIS (the setting, else the law's value for that
    year), or None when none is known or the books are not kept in NIS (`home_currency`: a
    total in another currency cannot be held against it): a statement then says nothing."""
    if home_currency != "ILS":
        return None
    declared = SETTINGS[MINIMUM_KEY]
    value = settings.get(declared.of_year(year)) or dict(declared.defaults).get(year)
    return Money.parse(value, "ILS") if value is not None else None


def report_from(settings: dict[str, str]) -> date:
    return date.fromisoformat(settings.get("tax.report_from", REPORT_FROM))


def current_settings(session: Session, keys: Collection[str] | None = None) -> dict[str, str]:
    """Every key (or each of `keys`) that has a value now."""
    latest = select(func.max(Setting.id)).group_by(Setting.key)
    if keys is not None:
        latest = latest.where(Setting.key.in_(keys))
    rows = session.execute(select(Setting.key, Setting.value).where(Setting.id.in_(latest)))
    return {key: value for key, value in rows if value is not None}


def report_locale(
    settings: dict[str, str], requested: str | None, preferred: str | None = None
) -> str:
    """The language asked for (--locale), else the one the document's reader prefers (a
    donor's language, for their receipts and statements), else the report.locale setting,
    else English."""
    return requested or preferred or settings.get("report.locale", "en")


def shown_value(key: str, value: str) -> str:
    """A setting's value as a person reads it (a logo as its kind and size)."""
    declared = declaration(key)
    shown = declared.shown if declared is not None else None
    return shown(value) if shown is not None else value


def organisation_logo(settings: dict[str, str]) -> Logo | None:
    value = settings.get("organisation.logo")
    return Logo.from_text(value) if value else None


def logo_by_digest(session: Session, digest: str) -> Logo | None:
    """A logo the organisation has used, by the SHA-256 a receipt names it with: the setting's
    history keeps every one."""
    for value in session.scalars(
        select(Setting.value).where(Setting.key == "organisation.logo", Setting.value.is_not(None))
    ):
        if value is not None:
            logo = Logo.from_text(value)
            if logo.digest == digest:
                return logo
    return None


def organisation_name(settings: dict[str, str], language: str) -> str | None:
    """The organisation's name for readers of `language`, else its English name."""
    return settings.get(f"organisation.name.{language}") or settings.get("organisation.name.en")


# The settings that change the rules, read by every command (never the whole table: the
# logo alone can be a few hundred kilobytes).
RULE_KEYS = ("ledger.home_currency", "ledger.reporting_currency", "rates.max_age_days")

# Set on the server only (`fundledger settings set`), never from the web: the mail password
# (FUNDLEDGER_SMTP_PASSWORD, or the file mail.smtp.password_file names, read by the server)
# goes to the server these name, so an admin who could change them from a browser could have
# the password, or any file the server reads, sent to a host of their choosing.
SERVER_ONLY = frozenset({"mail.smtp.host", "mail.smtp.port", "mail.smtp.security",
                         "mail.smtp.user", "mail.smtp.password_file"})  # fmt: skip


def ledger_settings(settings: dict[str, str]) -> LedgerSettings:
    """The rules' settings: the ledger's own values over the defaults."""
    ruled = LedgerSettings()
    if "ledger.home_currency" in settings:
        ruled = replace(ruled, home_currency=settings["ledger.home_currency"])
    if "ledger.reporting_currency" in settings:
        ruled = replace(ruled, reporting_currency=settings["ledger.reporting_currency"])
    if "rates.max_age_days" in settings:
        ruled = replace(ruled, max_rate_age_days=int(settings["rates.max_age_days"]))
    return ruled


@dataclass(frozen=True, slots=True)
class SettingShown:
    """A setting as `settings show` lists it: its key, value as a person reads it (None:
    unset) and what it means."""

    key: str
    value: str | None
    meaning: str


def settings_shown(session: Session, actor: Actor | None = None) -> list[SettingShown]:
    """Every setting, by key, as `settings show` lists them. `actor` as in `set_setting`: the
    settings page is an admin's (it offers every change)."""
    if actor is not None:
        require(actor, Role.ADMIN, "manage the settings")
    values = current_settings(session)
    return [SettingShown(key, shown_value(key, values[key]) if key in values else None,
                         meaning_of(key)) for key in sorted(listed_keys(values))]  # fmt: skip


def listed_keys(values: Collection[str]) -> set[str]:
    """Every plain key, and of each yearly key the years that have a value (`values`: the
    keys set), a default, or are this year or the next (so that a page of settings offers
    the year to set before its first gift)."""
    keys = set()
    this_year = today_in_israel().year
    for key, declared in SETTINGS.items():
        if not declared.yearly:
            keys.add(key)
            continue
        years = {this_year, this_year + 1, *(year for year, _ in declared.defaults)}
        keys |= {declared.of_year(year) for year in years}
        keys |= {each for each in values if declaration(each) is declared}
    return keys


def meaning_of(key: str) -> str:
    declared = declaration(key)
    if declared is None:
        raise KeyError(key)
    return declared.meaning_of(key)
