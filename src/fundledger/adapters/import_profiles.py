"""Import profiles: how one kind of export is read, saved under a name so that a treasurer
types `--profile NAME` instead of the same `--map` options every month.

A profile is the options of `import donations` (`--map`, `--date-format`, `--currency`,
`--ignore`), or, for a built-in profile of a payment platform, a `platform` whose reader
(adapters/platforms) turns the platform's export into gifts, refunds and rows that are no
gifts. Saved profiles are kept in the ledger as JSON (models.ImportProfile); built-in ones
live here, are listed beside them and cannot be overwritten.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any, cast

from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import DonationFileError, parse_mapping
from fundledger.domain.money import currency_in_use

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
DATE_FORMATS: tuple[DateFormat, ...] = ("ISO", "DMY", "MDY")
PLATFORMS = ("paypal", "stripe")


class ProfileError(DonationFileError):
    """A profile that cannot be saved or used as given."""


@dataclass(frozen=True, slots=True)
class ImportProfile:
    name: str
    mapping: dict[str, str] = field(default_factory=dict)  # their column (lower case): field
    date_format: DateFormat | None = None  # None: the command's default (ISO)
    currency: str | None = None
    ignore: tuple[str, ...] = ()  # columns read by nothing, on purpose (lower case)
    platform: str | None = None  # a platform reader's name (built-in profiles only)
    builtin: bool = False
    description: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {"map": self.mapping, "date_format": self.date_format, "currency": self.currency,
             "ignore": list(self.ignore), "description": self.description},
            ensure_ascii=False, sort_keys=True,
        )  # fmt: skip

    def options(self) -> list[str]:
        """The profile as the command-line options it stands for."""
        shown = [f"--map {_quoted(f'{column}={field}')}" for column, field in self.mapping.items()]
        if self.date_format:
            shown.append(f"--date-format {self.date_format}")
        if self.currency:
            shown.append(f"--currency {self.currency}")
        shown.extend(f"--ignore {_quoted(column)}" for column in self.ignore)
        return shown

    def overridden(
        self,
        *,
        mapping: dict[str, str],
        date_format: DateFormat | None,
        currency: str | None,
        ignore: tuple[str, ...],
    ) -> ImportProfile:
        """The profile with the command line's options added: a column mapped there is read
        as it says, a format or currency given there replaces the profile's."""
        merged = {column: field for column, field in self.mapping.items() if column not in ignore}
        merged.update(mapping)
        ignored = tuple(dict.fromkeys(
            [column for column in self.ignore if column not in mapping] + list(ignore)
        ))  # fmt: skip
        return replace(
            self,
            mapping=merged,
            date_format=date_format or self.date_format,
            currency=currency or self.currency,
            ignore=ignored,
        )


def _quoted(text: str) -> str:
    """Quoted as a shell reads it back: 'דוא"ל=email' keeps its gershayim."""
    return f"'{text}'" if '"' in text else f'"{text}"'


def profile_name(text: str) -> str:
    name = text.strip().lower()
    if not NAME.fullmatch(name):
        raise ProfileError(
            f"{text!r} is not a profile name: use up to 64 lower-case letters, digits, - and _ "
            "(e.g. bank-leumi)"
        )
    return name


def parse_profile(
    name: str,
    *,
    mappings: tuple[str, ...],
    date_format: str | None,
    currency: str | None,
    ignore: tuple[str, ...],
    description: str = "",
) -> ImportProfile:
    """A profile from the options of `import profile add`, checked as `import donations`
    checks them; one that says nothing is refused."""
    checked = profile_name(name)
    if checked in BUILTIN:
        raise ProfileError(
            f"{checked!r} is a built-in profile and cannot be replaced: save yours under another "
            f"name (e.g. {checked}-ours)"
        )
    mapping = parse_mapping(mappings)
    fmt = cast(DateFormat | None, date_format.upper() if date_format else None)
    if fmt is not None and fmt not in DATE_FORMATS:
        raise ProfileError(f"--date-format {date_format!r} must be one of ISO, DMY, MDY")
    code = currency_in_use(currency) if currency else None
    ignored = tuple(dict.fromkeys(column.strip().lower() for column in ignore if column.strip()))
    both = sorted(set(mapping) & set(ignored))
    if both:
        raise ProfileError(f"column {both[0]!r} is both mapped (--map) and ignored (--ignore)")
    if not (mapping or fmt or code or ignored):
        raise ProfileError(
            f"profile {checked!r} says nothing: give it --map, --date-format, --currency or "
            "--ignore"
        )
    return ImportProfile(checked, mapping, fmt, code, ignored,
                         description=" ".join(description.split()))  # fmt: skip


def profile_from_json(name: str, text: str) -> ImportProfile:
    """A saved profile as the ledger holds it (`ImportProfile.to_json`)."""
    data: dict[str, Any] = json.loads(text)
    return ImportProfile(
        name,
        dict(data.get("map") or {}),
        cast(DateFormat | None, data.get("date_format")),
        data.get("currency"),
        tuple(data.get("ignore") or ()),
        description=data.get("description") or "",
    )


# IsraelGives' donations export, from its documented column list (we have seen no real file):
# Hebrew headers, dates as DD/MM/YYYY HH:MM in Israel time.
ISRAELGIVES_MAP = {
    "מספר תרומה": "reference",
    "תאריך": "date",
    "סכום": "amount",
    "מטבע": "currency",
    "שם התורם": "donor",
    'דוא"ל': "email",
    "טלפון": "phone",
    "ת.ז.": "tax_id",
    "כתובת": "address",
    "סוג כרטיס": "method",
    "הקדשה": "note",
}
ISRAELGIVES_IGNORE = ("מספר תשלומים", "עמלה", "נטו", "דף תרומה")

BUILTIN: dict[str, ImportProfile] = {
    profile.name: profile
    for profile in (
        ImportProfile(
            "paypal", date_format="DMY", platform="paypal", builtin=True,
            description="PayPal's activity download (CSV): completed incoming payments are "
            "gifts, a refund reverses the gift it names, other rows are listed",
        ),
        ImportProfile(
            "stripe", platform="stripe", builtin=True,
            description="Stripe's payments export (unified_payments.csv): paid charges are "
            "gifts, a refunded one is recorded and reversed, failed ones are listed",
        ),
        ImportProfile(
            "israelgives", mapping=ISRAELGIVES_MAP, date_format="DMY",
            ignore=ISRAELGIVES_IGNORE, builtin=True,
            description="IsraelGives' donations export (Hebrew headers, DD/MM/YYYY HH:MM)",
        ),
    )
}  # fmt: skip
