"""The import wizard's first guess of each column's field (web/import_mapping.py `prefilled`): a
column's own name first, a profile's mapping, then the usual headers in en/he/ar, never two
columns guessed into one field."""

from __future__ import annotations

from fundledger.adapters.import_profiles import ImportProfile
from fundledger.web.import_mapping import IGNORE, prefilled


def test_usual_headers_in_three_languages_are_guessed() -> None:
    header = ["תאריך", "סכום", "מטבע", "שם מלא", "דוא״ל", "אסמכתא", "הערות"]
    assert prefilled({"header": header}, None) == [
        "date", "amount", "currency", "donor", "email", "reference", "note"]  # fmt: skip
    header = ["التاريخ", "المبلغ", "الاسم", "البريد الإلكتروني", "ת.ז."]
    assert prefilled({"header": header}, None) == [
        "date", "amount", "donor", "email", "tax_id"]  # fmt: skip


def test_a_guess_never_takes_a_field_another_column_has() -> None:
    # "Amount" is read by its name; "Sum" would be a second amount: left unread.
    assert prefilled({"header": ["Sum", "Amount", "Name", "Full name"]}, None) == [
        IGNORE, "amount", "donor", IGNORE]  # fmt: skip
    profile = ImportProfile("sheet", mapping={"total": "amount"})
    assert prefilled({"header": ["Total", "Sum"]}, profile) == ["amount", IGNORE]
    # A mapping chosen before, on this upload, stays as it was.
    assert prefilled({"header": ["Sum"], "columns": ["note"]}, None) == ["note"]
