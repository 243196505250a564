"""`fundledger import profile add|list|show|remove` and `import donations --profile`, as a
treasurer types them, on both databases."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.shell import Shell

PLATFORMS = Path(__file__).parents[2] / "samples"  # the exports the README tour imports


def test_platform_exports_through_built_in_profiles(quick_ledger: Shell) -> None:
    ledger = quick_ledger
    paypal = str(PLATFORMS / "paypal-activity.csv")
    out = ledger.run("import", "donations", "dont-look-away", paypal, "--profile", "paypal").stdout
    assert "dates read as DD/MM/YYYY (line 3 has 14/07/2025)" in out
    assert "5 new, 0 already present, 5 new donors" in out
    assert "3,040.00 ILS in 3 gifts" in out
    assert "Refund 7RF40026NP2345678 (line 9) of 50.00 EUR: reversed donation #3 by #6." in out
    assert (
        "4 rows of the export are no gift (not imported): Donation Payment (Pending): 1; "
        "General Currency Conversion (Completed): 2; General Withdrawal (Completed): 1."
    ) in out
    again = ledger.run("import", "donations", "dont-look-away", paypal, "--profile", "paypal",
                       "--again").stdout  # fmt: skip
    assert "0 new, 5 already present" in again
    assert "donation #3 was reversed or corrected before" in again
    stripe = ledger.run(
        "import",
        "donations",
        "dont-look-away",
        str(PLATFORMS / "stripe-payments.csv"),
        "--profile",
        "stripe",
    ).stdout
    assert "Refund ch_3PdD4eF5gH6iJ7k3 (line 5) of 75.00 EUR: reversed donation #10" in stripe
    israelgives = ledger.run(
        "import",
        "donations",
        "dont-look-away",
        "--profile",
        "israelgives",
        str(PLATFORMS / "israelgives-donations.csv"),
    ).stdout
    assert "2,760.00 ILS in 4 gifts" in israelgives
    assert ledger.row_counts()["donation"] == 17  # 5 + 1 reversal, 5 + 1, 5


def test_saved_profiles(quick_ledger: Shell, tmp_path: Path) -> None:
    ledger = quick_ledger
    saved = ledger.run("import", "profile", "add", "leumi", "--map", "Value date=date",
                       "--map", "Credit=amount", "--map", "Details=donor", "--date-format",
                       "DMY", "--currency", "ILS", "--ignore", "Balance").stdout  # fmt: skip
    assert saved.startswith('Saved import profile leumi: --map "value date=date"')
    listed = ledger.run("import", "profile", "list").stdout.splitlines()
    assert [line.split()[:2] for line in listed] == [
        ["paypal", "built-in"], ["stripe", "built-in"], ["israelgives", "built-in"],
        ["leumi", "saved"]]  # fmt: skip
    shown = ledger.run("import", "profile", "show", "leumi").stdout
    assert '--ignore "balance"' in shown
    assert "--currency ILS" in shown
    bank = tmp_path / "bank.csv"
    bank.write_text("Value date,Credit,Details,Balance\n23/07/2025,\"1,250.00\",Dana Levi,"
                    "\"9,000.00\"\n", encoding="utf-8")  # fmt: skip
    out = ledger.run("import", "donations", "dont-look-away", str(bank), "--profile",
                     "leumi").stdout  # fmt: skip
    assert "dates read as DD/MM/YYYY (line 2 has 23/07/2025)" in out
    assert "1,250.00 ILS in 1 gift" in out
    assert "Columns not read" not in out
    assert "built-in profile" in ledger.fails("import", "profile", "add", "paypal", "--map",
                                              "A=date")  # fmt: skip
    assert "no import profile 'nope'" in ledger.fails("import", "donations", "dont-look-away",
                                                      str(bank), "--profile", "nope")  # fmt: skip
    ledger.run("import", "profile", "remove", "leumi", "--reason", "new bank")
    assert "leumi" not in ledger.run("import", "profile", "list").stdout


def test_iso_dates_that_are_not_told_once(quick_ledger: Shell, tmp_path: Path) -> None:
    file = tmp_path / "form.csv"
    rows = [f"{day:02d}/07/2025,100,ILS,Donor {day}" for day in (1, 2, 13, 14)]
    file.write_text("date,amount,currency,donor\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = quick_ledger.run("import", "donations", "dont-look-away", str(file), expect=1)
    lines = result.stderr.strip().splitlines()
    assert lines[0] == ("form.csv: 4 dates are not YYYY-MM-DD: the file writes DD/MM/YYYY "
                        "(line 4 has 13/07/2025); add --date-format DMY")  # fmt: skip
    assert len(lines) == 2  # and the refusal itself
