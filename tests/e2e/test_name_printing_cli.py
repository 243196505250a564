"""Issue #21 end to end, on SQLite and PostgreSQL: a donor named عبد الله gets an Arabic
receipt and statement that read back whole; a receipt that would print a character the font
lacks is refused, rolled back, and its number stays free."""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of


def _whole(text: str) -> str:
    # pdftotext marks the direction of what it read with embeddings: its markup, not ours.
    return " ".join(re.sub("[\u202a-\u202e]", "", text).split())


def test_abdallah_prints_whole_on_his_receipt_and_statement(ledger: Shell) -> None:
    ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    ledger.run("settings", "set", "organisation.name.ar", "ائتلاف السلام")
    for donor in ("عبد الله", "فتح الله"):
        ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                   "--amount", "180", "--currency", "ILS", "--donor", donor)  # fmt: skip
    ledger.run("receipt", "issue", "1", "--locale", "ar", "--date", "2025-08-01")
    receipt = _whole(text_of(ledger.folder / "reports" / "receipts" / "R-2025-00001.pdf"))
    assert "عبد الله" in receipt
    assert "\ufdf2" not in receipt
    assert "\ufffd" not in receipt
    ledger.run("statement", "1", "--year", "2025", "--locale", "ar")
    (statement,) = (ledger.folder / "reports" / "statements" / "2025").glob("*.pdf")
    assert "عبد الله" in _whole(text_of(statement))


def test_a_receipt_that_would_print_a_replacement_character_is_refused(
    quick_ledger: Shell,
) -> None:
    ledger = quick_ledger
    ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    # YEH BARREE (Urdu): the embedded font has no glyph for it in any form.
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "50",
               "--currency", "ILS", "--donor", "عائشہ بی بی ے")  # fmt: skip
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "60",
               "--currency", "ILS", "--donor", "Dana Levi")  # fmt: skip
    message = ledger.fails("receipt", "issue", "1", "--date", "2025-08-01")
    assert message.startswith("Error: receipt not issued for gift #1 (donor 'عائشہ بی بی ے'): ")
    assert "U+06C1 ARABIC LETTER HEH GOAL" in message
    assert "U+06D2 ARABIC LETTER YEH BARREE" in message
    assert "the donor's name" in message
    assert "no receipt number used" in message
    assert json.loads(ledger.run("receipt", "list", "--format", "json").stdout) == []
    assert not (ledger.folder / "reports" / "receipts" / "R-2025-00001.pdf").exists()
    # The batch skips that gift alone, naming it and why, and the other takes number 1.
    batch = ledger.run("receipt", "issue", "--campaign", "dont-look-away",
                       "--all-unreceipted", "--date", "2025-08-01", expect=3)  # fmt: skip
    assert batch.stdout.startswith("Issued 1 receipt, R-2025-00001, into ")
    skipped = batch.stderr.splitlines()
    assert skipped[0] == "Skipped 1 gift, with no receipt yet:"
    assert skipped[1].startswith("  gift #1, 2025-07-03, عائشہ بی بی ے: receipt not issued for ")
    assert "U+06D2 ARABIC LETTER YEH BARREE" in skipped[1]
    assert len(skipped) == 3
    listed = json.loads(ledger.run("receipt", "list", "--format", "json").stdout)
    assert [(row["number"], row["donation"]) for row in listed] == [("R-2025-00001", 2)]


def test_a_receipt_frozen_before_the_refusal_can_still_be_cancelled(
    quick_ledger: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A receipt issued by a version that only warned holds a character the font lacks; its
    gift can still be reversed: the credit receipt repeats it, with a warning."""
    import fundledger.reports.pdf.receipt as receipt_pdf

    ledger = quick_ledger
    ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "50",
               "--currency", "ILS", "--donor", "عائشہ بی بی ے")  # fmt: skip
    only_warned = receipt_pdf.write_receipt_pdf
    with monkeypatch.context() as patched:
        patched.setattr(receipt_pdf, "write_receipt_pdf",
                        lambda *args, **kwargs: only_warned(*args, **kwargs) and set())  # fmt: skip
        ledger.run("receipt", "issue", "1", "--date", "2025-08-01")
    reversed_ = ledger.run("donation", "reverse", "1", "--reason", "entered twice")
    assert "Issued credit receipt R-2026-00001, cancelling receipt R-2025-00001" in reversed_.stdout
    assert "U+06D2" in reversed_.stderr
    listed = json.loads(ledger.run("receipt", "list", "--format", "json").stdout)
    assert [(row["number"], row["kind"]) for row in listed] == [
        ("R-2025-00001", "donation"), ("R-2026-00001", "credit")]  # fmt: skip
