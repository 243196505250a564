"""The import wizard's second step: which field each column of the file is read as. The first
guess (a column's own name, a profile's mapping, the usual headers in en/he/ar) and the checks
of the treasurer's choice; pure functions of the file's header, tested apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fundledger.adapters.donation_csv import FIELDS
from fundledger.adapters.donor_columns import HEADER_ALIASES
from fundledger.adapters.import_profiles import ImportProfile
from fundledger.domain.errors import FundledgerError
from fundledger.web.i18n import N_
from fundledger.web.i18n import gettext as _

IGNORE = "ignore"
# The fields a column may be read as, named in the page's language.
FIELD_LABELS = {
    "date": N_("Date"), "amount": N_("Amount"), "currency": N_("Currency"), "donor": N_("Donor"),
    "email": N_("E-mail"), "method": N_("Method"), "reference": N_("Reference"),
    "note": N_("Note"), "anonymous": N_("Anonymous"), "campaign": N_("Campaign"),
    "language": N_("Language"), "tax_id": N_("ID number"), "address": N_("Address"),
    "phone": N_("Phone"), "refund": N_("Refund"),
}  # fmt: skip

# The wizard's guesses for headers a spreadsheet often has, in en/he/ar: only offered on the
# map page, where the treasurer sees and may change each (the CLI reads a column by its own
# name, or as --map says).
SUGGESTED = {
    **dict.fromkeys(("gift date", "donation date", "תאריך", "תאריך תרומה", "التاريخ", "تاريخ"),
                    "date"),
    **dict.fromkeys(("sum", "total", "amount paid", "סכום", "סכום התרומה", "المبلغ", "مبلغ"),
                    "amount"),
    **dict.fromkeys(("מטבע", "العملة"), "currency"),
    **dict.fromkeys(("name", "full name", "donor name", "שם", "שם מלא", "שם התורם", "الاسم",
                     "اسم المتبرع"), "donor"),
    **dict.fromkeys(("e-mail", "mail", "email address", "e-mail address", 'דוא"ל', "דוא״ל",
                     "אימייל", "מייל", "البريد الإلكتروني", "بريد إلكتروني"), "email"),
    **dict.fromkeys(("payment method", "אמצעי תשלום", "طريقة الدفع"), "method"),
    **dict.fromkeys(("ref", "reference number", "transaction id", "אסמכתא", "מספר אסמכתא",
                     "المرجع", "رقم المرجع"), "reference"),
    **dict.fromkeys(("notes", "comment", "הערה", "הערות", "ملاحظة", "ملاحظات"), "note"),
}  # fmt: skip


def prefilled(meta: Mapping[str, Any], profile: ImportProfile | None) -> list[str]:
    """Each header column's field: as chosen before, else the profile's, else its name's, else
    a guess from it (SUGGESTED) that no other column takes."""
    if meta.get("columns"):
        return list(meta["columns"])
    chosen: list[str] = []
    guessed: dict[int, str] = {}
    for index, column in enumerate(meta["header"]):
        key = column.lower()
        if profile is not None and key in profile.mapping:
            chosen.append(profile.mapping[key])
        elif profile is not None and key in profile.ignore:
            chosen.append(IGNORE)
        elif key in FIELDS:
            chosen.append(key)
        elif key in HEADER_ALIASES:
            chosen.append(HEADER_ALIASES[key])
        else:
            chosen.append(IGNORE)
            if key in SUGGESTED:
                guessed[index] = SUGGESTED[key]
    for index, field in guessed.items():
        if field not in chosen:  # a column of the field's own name (or a guess before) wins
            chosen[index] = field
    return chosen


def checked_mapping(header: list[str], columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """{column (lower case): field} and the columns ignored, or the first mistake."""
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    taken: dict[str, str] = {}
    for column, field in zip(header, columns, strict=True):
        key = column.lower()
        if field == IGNORE:
            if key in FIELDS:  # the reader takes a column by its name: it cannot go unread
                raise FundledgerError(_(
                    "The column {column} is read as {field} by its name; to leave it unread, "
                    "rename it in the file.", column=column, field=key))  # fmt: skip
            if key:
                ignored.append(key)
            continue
        if field not in FIELDS:
            raise FundledgerError(_("Choose a field from the list for the column {column}.",
                                    column=column))  # fmt: skip
        if field in taken:
            raise FundledgerError(_("Two columns are read as {field}: {first} and {second}; "
                                    "choose one.", field=field, first=taken[field],
                                    second=column))  # fmt: skip
        taken[field] = column
        mapping[key] = field
    missing = [field for field in ("date", "amount") if field not in taken]
    if missing:
        raise FundledgerError(_("Choose the column read as {field}.", field=missing[0]))
    return mapping, ignored
