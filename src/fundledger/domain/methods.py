"""Payment methods: a known list of codes, each with its name in every report language and the
spellings people and exports use for it.

A gift's method is stored as its code when the text given is one of a method's names or
aliases ("Credit Card", "כרטיס אשראי", "بطاقة ائتمان" are all `card`), and as given when it is
none (a "Venmo" stays "Venmo"). Texts are compared by `method_key`: NFKC, without case,
diacritics (niqqud, harakat, accents), tatweel or invisible marks, with one kind of apostrophe
and quote, and with spaces, hyphens and underscores alike. Values stored before the codes
("bank", "check", "Credit Card") are read through the same table, so they print and total
as their method.

Why `standing_order` has no `direct_debit` beside it: in Israel a "הוראת קבע" is either a
bank's standing order or a direct debit authorisation (הרשאה לחיוב חשבון) and organisations
report both as one line; a card charged monthly is a `card` gift."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "BY_CODE", "METHODS", "PaymentMethod", "grouping_key", "known_method", "method_code",
    "method_key", "stored_method",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    code: str
    names: Mapping[str, str]  # by report language (en, he, ar): what a document prints
    aliases: tuple[str, ...] = ()  # other spellings read as this method (names and code too)

    def name(self, language: str) -> str:
        """The method's name in `language`, else in English."""
        return self.names.get(language) or self.names["en"]

    def spellings(self) -> Iterable[str]:
        return (self.code, *self.names.values(), *self.aliases)


def _method(code: str, en: str, he: str, ar: str, *aliases: str) -> PaymentMethod:
    return PaymentMethod(code, MappingProxyType({"en": en, "he": he, "ar": ar}), aliases)


# Never "credit" alone, nor "זיכוי": in bank and PayPal exports they mean money credited to the
# account (a refund, PayPal Credit), not a card.
METHODS: tuple[PaymentMethod, ...] = (
    _method("card", "Card", "כרטיס אשראי", "بطاقة ائتمان",
            "credit card", "creditcard", "debit card", "visa", "mastercard",
            "isracard", "amex", "american express", "diners", "כרטיס", "אשראי", "כ. אשראי",
            "ויזה", "מאסטרקארד", "ישראכרט", "بطاقة", "بطاقة اعتماد", "كرت", "كرت ائتمان",
            "فيزا"),
    _method("bank_transfer", "Bank transfer", "העברה בנקאית", "تحويل مصرفي",
            "bank", "transfer", "wire", "wire transfer", "bank wire", "eft", "העברה",
            "העברת בנק", "העברה לבנק", "تحويل", "تحويل بنكي", "حوالة",
            "حوالة بنكية", "حوالة مصرفية"),
    _method("cash", "Cash", "מזומן", "نقدًا",
            "מזומנים", "نقد", "نقدي", "كاش"),
    _method("cheque", "Cheque", "שיק", "شيك",
            "check", "cheques", "checks", "צ'ק", "צ'קים", "שק", "שיקים", "המחאה", "شيكات"),
    _method("paypal", "PayPal", "PayPal", "PayPal",
            "pay pal", "פייפאל", "פייפל", "باي بال", "بايبال"),
    _method("standing_order", "Standing order", "הוראת קבע", "أمر دائم",
            "direct debit", 'הו"ק', "הוק", "הרשאה לחיוב חשבון", "أمر ثابت", "خصم مباشر",
            "تحويل دائم"),
    _method("bit", "Bit", "ביט", "Bit",
            "bit app", "אפליקציית ביט", "بيت", "تطبيق بيت"),
    _method("paybox", "PayBox", "PayBox", "PayBox",
            "pay box", "פייבוקס", "פיי בוקס", "باي بوكس"),
    _method("other", "Other", "אחר", "أخرى",
            "אחרת", "اخر", "غير ذلك"),
)  # fmt: skip

# Apostrophes and quotes as keyboards and word processors write them: a Hebrew geresh (צ׳ק),
# a typographic apostrophe (צ’ק) and a plain one (צ'ק) are the same spelling.
_MARKS = str.maketrans({"\u05f3": "'", "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'",
                        "\u02bc": "'", "\u05f4": '"', "\u201c": '"', "\u201d": '"',
                        "_": " ", "-": " ", "\u05be": " ", ".": " "})  # fmt: skip
_TATWEEL = "\u0640"


def method_key(text: str) -> str:
    """`text` as method names are compared: see the module's docstring."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(character for character in decomposed
                   if not unicodedata.combining(character) and character != _TATWEEL
                   and unicodedata.category(character) != "Cf")  # fmt: skip
    folded = unicodedata.normalize("NFKC", kept).casefold().translate(_MARKS)
    return " ".join(folded.split())


def _by_key() -> dict[str, PaymentMethod]:
    found: dict[str, PaymentMethod] = {}
    for method in METHODS:
        for spelling in method.spellings():
            key = method_key(spelling)
            if found.setdefault(key, method) is not method:
                raise AssertionError(f"{spelling!r} names both {found[key].code} and {method.code}")
    return found


_BY_KEY = _by_key()
BY_CODE: Mapping[str, PaymentMethod] = MappingProxyType({method.code: method for method in METHODS})


def known_method(text: str | None) -> PaymentMethod | None:
    """The method `text` names (a code, a name or an alias, however spelled), or None."""
    if not text:
        return None
    return _BY_KEY.get(method_key(text))


def method_code(text: str | None) -> str | None:
    """The code of the method `text` names, else `text` itself (None stays None): how a
    stored value, old or new, is shown in lists and exports."""
    method = known_method(text)
    return method.code if method is not None else text


def stored_method(text: str | None) -> str | None:
    """What the ledger stores for a method given as `text` (stripped; None or blank: none):
    its code when it is a known method, else the text as given."""
    text = (text or "").strip()
    if not text:
        return None
    return method_code(text)


def grouping_key(text: str | None) -> str | None:
    """Which gifts are of one method: a known method's code, else the text compared as
    `method_key` does ("Venmo" and "venmo " are one); None: not recorded."""
    if text is None:
        return None
    method = known_method(text)
    return method.code if method is not None else method_key(text)
