"""Payment methods: known names in en/he/ar, however spelled, are one code; others stay as given."""

from __future__ import annotations

import pytest

from fundledger.domain.methods import (
    METHODS,
    grouping_key,
    known_method,
    method_code,
    method_key,
    stored_method,
)
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.page import method_name


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("PayPal", "paypal"), ("paypal", "paypal"), ("  PAYPAL ", "paypal"),
        ("card", "card"), ("Credit Card", "card"), ("credit  card", "card"),
        ("כרטיס אשראי", "card"), ("אשראי", "card"), ("بطاقة ائتمان", "card"),
        ("bank", "bank_transfer"), ("Bank Transfer", "bank_transfer"),
        ("bank_transfer", "bank_transfer"), ("bank-transfer", "bank_transfer"),
        ("העברה בנקאית", "bank_transfer"), ("تحويل بنكي", "bank_transfer"),
        ("تحويل مصرفي", "bank_transfer"),
        ("cash", "cash"), ("מזומן", "cash"), ("نقدا", "cash"), ("نقدًا", "cash"),
        ("cheque", "cheque"), ("check", "cheque"), ("צ'ק", "cheque"), ("צ׳ק", "cheque"),
        ("צ’ק", "cheque"), ("שיק", "cheque"), ("شيك", "cheque"),
        ("standing order", "standing_order"), ("הוראת קבע", "standing_order"),
        ('הו"ק', "standing_order"), ("הו״ק", "standing_order"), ("أمر دائم", "standing_order"),
        ("امر دائم", "standing_order"), ("Direct Debit", "standing_order"),
        ("Bit", "bit"), ("ביט", "bit"), ("PayBox", "paybox"), ("פייבוקס", "paybox"),
        ("other", "other"), ("אחר", "other"), ("أخرى", "other"),
        ("\u200fמזומן\u200f", "cash"),  # a right-to-left mark an RTL spreadsheet left
        ("ＰａｙＰａｌ", "paypal"),  # full-width letters, folded by NFKC
        ("نقـدا", "cash"),  # with a tatweel
    ],
)  # fmt: skip
def test_a_known_name_however_spelled_is_its_code(given: str, code: str) -> None:
    method = known_method(given)
    assert method is not None
    assert method.code == code
    assert stored_method(given) == code


@pytest.mark.parametrize("given", ["Venmo", "crypto", "Zelle", "card-ish", "ביטוח"])
def test_an_unknown_method_is_kept_as_given(given: str) -> None:
    assert known_method(given) is None
    assert stored_method(f"  {given} ") == given
    assert method_code(given) == given


def test_blank_is_no_method() -> None:
    assert stored_method(None) is None
    assert stored_method("   ") is None
    assert method_code(None) is None
    assert grouping_key(None) is None


def test_unknown_spellings_of_one_method_group_together() -> None:
    assert grouping_key("Venmo") == grouping_key(" venmo") == "venmo"
    assert grouping_key("Credit Card") == grouping_key("card") == grouping_key("אשראי") == "card"


def test_every_method_has_its_three_names_and_each_reads_back_as_it() -> None:
    """What a document prints, an import reads back as the same method."""
    codes = [method.code for method in METHODS]
    assert len(set(codes)) == len(codes)
    assert {"card", "bank_transfer", "cash", "cheque", "paypal", "standing_order", "bit",
            "other"} <= set(codes)  # fmt: skip
    for method in METHODS:
        assert set(method.names) == {"en", "he", "ar"}
        for language in ("en", "he", "ar"):
            assert known_method(method.name(language)) is method
        assert len(method.code) <= 32  # donation.method


def test_the_key_ignores_case_spacing_and_marks_but_not_letters() -> None:
    assert method_key("  Bank\u00a0 Transfer ") == "bank transfer"
    assert method_key("Chèque") == "cheque"
    assert method_key("כַּרְטִיס") == "כרטיס"
    assert method_key("בית") != method_key("ביט")


@pytest.mark.parametrize(
    ("stored", "en", "he", "ar"),
    [
        ("cash", "Cash", "מזומן", "نقدًا"),
        ("bank", "Bank transfer", "העברה בנקאית", "تحويل مصرفي"),  # stored before the codes
        ("Credit Card", "Card", "כרטיס אשראי", "بطاقة ائتمان"),
        ("check", "Cheque", "שיק", "شيك"),
        ("standing_order", "Standing order", "הוראת קבע", "أمر دائم"),
        ("Venmo", "Venmo", "Venmo", "Venmo"),  # not known: as recorded
        (None, "Not recorded", "לא נרשם", "غير مسجلة"),
    ],
)
def test_a_stored_method_prints_in_the_readers_language(
    stored: str | None, en: str, he: str, ar: str
) -> None:
    assert [method_name(stored, Reader(language)) for language in ("en", "he", "ar")] == [
        en, he, ar]  # fmt: skip
