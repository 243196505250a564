"""Receipts and statements in bulk (issue #22, item 12), on SQLite and PostgreSQL: one gift
without a rate no longer blocks the rest. The batch issues every receipt it can, numbered
without gaps, lists the gift it skipped with the reason and the command that mends it, and
exits 3; once the rate is added, the same command issues the rest and exits 0."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of

BATCH = ("receipt", "issue", "--campaign", "dont-look-away", "--all-unreceipted",
         "--date", "2025-08-01")  # fmt: skip


def _gifts(ledger: Shell) -> None:
    """Four gifts in date order; the third, in euros, has no rate in force (the ledger
    knows only USD/ILS)."""
    ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    for day, amount, currency, donor in (
        ("2025-07-03", "250", "ILS", "Shira Cohen"),
        ("2025-07-03", "100", "USD", "Dana Levi"),
        ("2025-07-05", "40", "EUR", "Samir Haddad"),
        ("2025-07-09", "180", "ILS", "Noa Mizrahi"),
    ):
        ledger.run("donation", "add", "dont-look-away", "--date", day, "--amount", amount,
                   "--currency", currency, "--donor", donor)  # fmt: skip


def _receipts(ledger: Shell) -> list[tuple[str, int, str]]:
    listed = json.loads(ledger.run("receipt", "list", "--format", "json").stdout)
    return [(row["number"], row["donation"], row["home"]) for row in listed]


def test_a_gift_without_a_rate_is_skipped_and_the_others_are_receipted_gapless(
    ledger: Shell,
) -> None:
    _gifts(ledger)
    first = ledger.run(*BATCH, expect=3)
    assert first.stdout == ("Issued 3 receipts, R-2025-00001 to R-2025-00003, into "
                            "reports/receipts/: 3 in en.\n")  # fmt: skip
    assert first.stderr.splitlines() == [
        "Skipped 1 gift, with no receipt yet:",
        "  gift #3, 2025-07-05, Samir Haddad: no EUR/ILS rate in force on 2025-07-05; fix: "
        "fundledger rates add 2025-07-05 EUR ILS RATE",
        "Mend them, then run `fundledger receipt issue --campaign dont-look-away "
        "--all-unreceipted` again for the rest.",
    ]
    # The skipped gift's transaction gave its number back: the next gift took it.
    assert _receipts(ledger) == [("R-2025-00001", 1, "250.00"), ("R-2025-00002", 2, "337.60"),
                                 ("R-2025-00003", 4, "180.00")]  # fmt: skip
    folder = ledger.folder / "reports" / "receipts"
    assert sorted(path.name for path in folder.iterdir()) == [
        "R-2025-00001.pdf", "R-2025-00002.pdf", "R-2025-00003.pdf"]  # fmt: skip
    assert "Noa Mizrahi" in text_of(folder / "R-2025-00003.pdf")

    ledger.run("rates", "add", "2025-07-05", "EUR", "ILS", "3.9425")
    second = ledger.run(*BATCH)
    assert second.stdout == "Issued 1 receipt, R-2025-00004, into reports/receipts/: 1 in en.\n"
    assert second.stderr == ""
    assert _receipts(ledger)[-1] == ("R-2025-00004", 3, "157.70")
    text = text_of(folder / "R-2025-00004.pdf")
    assert "Samir Haddad" in text
    assert "1 EUR = 3.9425 ILS" in text
    assert ledger.run(*BATCH).stdout == "Every gift already has its receipt: none issued.\n"
    ledger.run("check")  # each receipt's audit event covers its own chained rows


def test_statements_for_everyone_hold_back_the_donor_whose_gift_lacks_a_rate(
    quick_ledger: Shell,
) -> None:
    ledger = quick_ledger
    _gifts(ledger)
    everyone = ("statement", "--all", "--year", "2025")
    first = ledger.run(*everyone, expect=3)
    assert first.stdout == ("Wrote 3 statements for 2025 into reports/statements/2025/: "
                            "3 in en.\n")  # fmt: skip
    assert first.stderr.splitlines() == [
        "Held back 1 statement (donor #3) for 1 gift that cannot be converted yet:",
        "  gift #3, 2025-07-05, Samir Haddad: no EUR/ILS rate in force on 2025-07-05; fix: "
        "fundledger rates add 2025-07-05 EUR ILS RATE",
        "Mend them, then run `fundledger statement --all --year 2025` again for the rest.",
    ]
    folder = ledger.folder / "reports" / "statements" / "2025"
    assert sorted(path.name for path in folder.iterdir()) == [
        "donor-1-en.pdf", "donor-2-en.pdf", "donor-4-en.pdf"]  # fmt: skip
    ledger.run("rates", "add", "2025-07-05", "EUR", "ILS", "3.9425")
    second = ledger.run(*everyone)
    assert second.stdout.startswith("Wrote 4 statements for 2025 ")
    assert "₪157.70" in text_of(folder / "donor-3-en.pdf")


def test_what_stops_every_receipt_stops_the_batch_before_the_first(quick_ledger: Shell) -> None:
    ledger = quick_ledger
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "5",
               "--donor", "Dana Levi")  # fmt: skip
    message = ledger.fails(*BATCH)
    assert message.startswith("Error: a receipt or statement in en names the organisation: set")
    ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    ledger.run("receipt", "issue", "1", "--date", "2025-08-01")
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "6",
               "--donor", "Noa Cohen")  # fmt: skip
    earlier = ledger.fails(*BATCH[:-1], "2025-07-20")
    assert earlier == (
        "Error: receipts of series R-2025 are already dated up to 2025-08-01: a "
        "receipt dated 2025-07-20 would break the order of numbers and dates"
    )
    assert [number for number, _, _ in _receipts(ledger)] == ["R-2025-00001"]
    assert not Path(ledger.folder / "reports" / "receipts" / "R-2025-00002.pdf").exists()
