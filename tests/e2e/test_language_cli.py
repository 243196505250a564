"""Each donor in their language, as a treasurer runs it: `donor set-language`, receipts and
statements written in each donor's language (the PDFs read back), a reprint in another
language marked COPY, and an import's language column."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of

SETTINGS = {
    "organisation.name.en": "Peace Coalition",
    "organisation.name.he": "קואליציית שלום",
    "organisation.name.ar": "ائتلاف السلام",
}
# pdftotext marks runs of either direction with embedding controls: words are compared
# without them.
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def words(path: Path) -> str:
    return _BIDI_CONTROLS.sub("", text_of(path))


@pytest.fixture
def speakers(quick_ledger: Shell) -> Shell:
    """In process, for speed; `installed` runs the same ledger through the real command."""
    ledger = quick_ledger
    for key, value in SETTINGS.items():
        ledger.run("settings", "set", key, value)
    for amount, currency, donor, language in (
        ("100", "USD", "Dana Levi", None),
        ("250", "ILS", "שירה כהן", "עברית"),
        ("180", "ILS", "سمير حداد", "Arabic"),
    ):
        ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount",
                   amount, "--currency", currency, "--donor", donor, "--method", "card",
                   *(["--language", language] if language else []))  # fmt: skip
    return ledger


def test_donor_set_language_is_listed_and_refuses_what_it_does_not_know(speakers: Shell) -> None:
    result = speakers.run("donor", "set-language", "1", "Hebrew", "--reason", "asked")
    assert result.stdout == "Donor #1: documents in he.\n"
    assert speakers.run("donor", "set-language", "1", "he").stdout == (
        "Donor #1's language is already he: nothing recorded.\n")  # fmt: skip
    assert speakers.run("donor", "set-language", "1", "الإنجليزية").stdout == (
        "Donor #1: documents in en (was he).\n")  # fmt: skip
    listed = list(csv.DictReader(io.StringIO(speakers.run("donor", "list", "--format",
                                                          "csv").stdout)))  # fmt: skip
    # A new column, at the end: scripts reading the others by position still do.
    assert list(listed[0]) == ["id", "name", "email", "gifts", "first_gift", "last_gift",
                               "merged_into", "language", "merge"]  # fmt: skip
    assert {row["name"]: row["language"] for row in listed} == {
        "Dana Levi": "en", "שירה כהן": "he", "سمير حداد": "ar"}  # fmt: skip
    as_json = json.loads(speakers.run("donor", "list", "--format", "json").stdout)
    assert [row["language"] for row in as_json] == [row["language"] for row in listed]
    table = speakers.run("donor", "list").stdout.splitlines()
    assert table[0].split()[-1] == "LANG"
    assert speakers.run("donor", "set-language", "1", "--clear").stdout.startswith(
        "Donor #1: language cleared (was en)")  # fmt: skip
    bad = speakers.run("donor", "set-language", "1", "Klingon", expect=2).stderr
    assert ("'Klingon' is not a language documents are written in: use en, he or ar (or "
            "English, Hebrew, Arabic, in any of the three)") in bad  # fmt: skip
    assert "give LANG, or --clear" in speakers.run("donor", "set-language", "1", expect=2).stderr
    assert "give LANG, or --clear" in speakers.run(
        "donor", "set-language", "1", "he", "--clear", expect=2).stderr  # fmt: skip
    assert speakers.fails("donor", "set-language", "9", "he") == (
        "Error: no donor #9 (see `fundledger donor list`)")  # fmt: skip
    assert speakers.run("check").returncode == 0


def test_a_gift_recorded_with_a_language_leaves_a_donors_own_alone(speakers: Shell) -> None:
    result = speakers.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                          "--amount", "5", "--donor", "שירה כהן", "--language", "ar")  # fmt: skip
    assert result.stdout.splitlines()[1] == (
        "Matched by name to donor #2 שירה כהן; give --email to tell apart two donors of one name."
    )
    assert result.stdout.splitlines()[2] == (
        "Donor #2 keeps their language, he (change it with `fundledger donor set-language 2 "
        "ar`).")  # fmt: skip
    refused = speakers.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                           "--amount", "5", "--language", "fr", expect=2).stderr  # fmt: skip
    assert "'fr' is not a language documents are written in" in refused


def test_a_batch_of_receipts_is_written_in_each_donors_language(speakers: Shell) -> None:
    installed = Shell(speakers.database_url, speakers.folder)
    result = installed.run("receipt", "issue", "--campaign", "dont-look-away",
                          "--all-unreceipted", "--date", "2025-08-01")  # fmt: skip
    assert result.stdout == ("Issued 3 receipts, R-2025-00001 to R-2025-00003, into "
                             "reports/receipts/: 1 in ar, 1 in en, 1 in he.\n")  # fmt: skip
    folder = speakers.folder / "reports" / "receipts"
    english, hebrew, arabic = (words(folder / f"R-2025-0000{n}.pdf") for n in (1, 2, 3))
    assert "Donation receipt" in english
    assert "Peace Coalition" in english
    assert "$100.00" in english
    assert "קבלה על תרומה" in hebrew
    assert "250.00" in hebrew
    # The Arabic receipt is in Arabic: its title, the organisation's Arabic name, its mark.
    for expected in ("إيصال تبرّع", "ائتلاف السلام", "أصل", "180.00", "R-2025-00003"):
        assert expected in arabic, expected
    assert "Donation receipt" not in arabic
    # --locale over every donor's language
    speakers.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "9",
                 "--donor", "سمير حداد")  # fmt: skip
    forced = speakers.run("receipt", "issue", "4", "--locale", "en", "--date", "2025-08-01")
    assert forced.stdout.endswith("wrote reports/receipts/R-2025-00004.pdf (in en).\n")
    assert "Donation receipt" in words(folder / "R-2025-00004.pdf")


def test_a_reprint_in_another_language_is_the_same_receipt_marked_copy(speakers: Shell) -> None:
    speakers.run("receipt", "issue", "1", "--date", "2025-08-01")  # Dana: English
    result = speakers.run("receipt", "reprint", "R-2025-00001", "--locale", "ar")
    assert result.stdout == ("Wrote reports/receipts/R-2025-00001-copy-ar.pdf (a copy of receipt "
                             "R-2025-00001 in ar, issued in en).\n")  # fmt: skip
    folder = speakers.folder / "reports" / "receipts"
    original, copy = words(folder / "R-2025-00001.pdf"), words(folder / "R-2025-00001-copy-ar.pdf")
    assert "Original" in original
    assert "Donation receipt" in original
    # In Arabic, marked COPY (نسخة), not original (أصل)...
    assert "نسخة" in copy
    assert "إيصال تبرّع" in copy
    assert "أصل" not in copy
    assert "Original" not in copy
    assert "Donation receipt" not in copy
    # ... with the same content: number, dates, donor, amounts, rate, as issued.
    for same in ("R-2025-00001", "Dana Levi", "Peace Coalition", "100.00", "337.60", "3.3760"):
        assert same in original, same
        assert same in copy, same
    # Not a new receipt, and the default copy stays in the language it was issued in.
    listed = json.loads(speakers.run("receipt", "list", "--format", "json").stdout)
    assert [row["number"] for row in listed] == ["R-2025-00001"]
    speakers.run("receipt", "reprint", "R-2025-00001")
    assert "Copy" in words(folder / "R-2025-00001-copy.pdf")


def test_a_credit_receipt_and_statements_follow_each_donors_language(speakers: Shell) -> None:
    speakers.run("receipt", "issue", "3", "--locale", "en", "--date", "2025-08-01")
    reversed_ = speakers.run("donation", "reverse", "3", "--reason", "refund")
    credit = re.search(r"Issued credit receipt (\S+), cancelling receipt R-2025-00001, in ar;",
                       reversed_.stdout)  # fmt: skip
    assert credit is not None, reversed_.stdout
    text = words(speakers.folder / "reports" / "receipts" / f"{credit[1]}.pdf")
    assert "إيصال إلغاء" in text
    assert "180.00" in text
    speakers.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "20",
                 "--donor", "سمير حداد")  # fmt: skip
    result = speakers.run("statement", "--all", "--year", "2025")
    assert result.stdout == ("Wrote 3 statements for 2025 into reports/statements/2025/: "
                             "1 in ar, 1 in en, 1 in he.\n")  # fmt: skip
    folder = speakers.folder / "reports" / "statements" / "2025"
    assert sorted(path.name for path in folder.iterdir()) == [
        "donor-1-en.pdf", "donor-2-he.pdf", "donor-3-ar.pdf"]  # fmt: skip
    assert "Dana Levi" in words(folder / "donor-1-en.pdf")
    assert "ائتلاف السلام" in words(folder / "donor-3-ar.pdf")
    forced = speakers.run("statement", "--all", "--year", "2025", "--locale", "he", "-o", "he")
    assert forced.stdout.endswith(": 3 in he.\n")
    assert speakers.run("check").returncode == 0


def test_an_import_gives_languages_and_says_who_kept_theirs(speakers: Shell) -> None:
    path = speakers.folder / "gifts.csv"
    path.write_text(
        "date,amount,currency,donor,email,method,reference,note,language\n"
        "2025-07-04,40,ILS,Dana Levi,,card,,,Hebrew\n"
        "2025-07-04,50,ILS,שירה כהן,,card,,,ערבית\n"
        "2025-07-04,60,ILS,Rami Haddad,,cash,,,ar\n",
        encoding="utf-8",
    )
    result = speakers.run("import", "donations", "dont-look-away", "gifts.csv")
    lines = result.stdout.splitlines()
    assert "  2 donors took their language from the file: 1 in ar, 1 in he." in lines
    assert ("1 donor kept their language: #2 שירה כהן (he, not ar) (change one with "
            "`fundledger donor set-language DONOR LANG`).") in lines  # fmt: skip
    bad = speakers.folder / "bad.csv"
    bad.write_text("date,amount,donor,language\n2025-07-04,40,Noa,Français\n", encoding="utf-8")
    refused = speakers.run("import", "donations", "dont-look-away", "bad.csv", expect=1)
    assert refused.stderr.splitlines()[0] == (
        "bad.csv:2: language: 'Français' is not a language documents are written in: use en, "
        "he or ar (or English, Hebrew, Arabic, in any of the three)")  # fmt: skip
    assert speakers.run("check").returncode == 0
