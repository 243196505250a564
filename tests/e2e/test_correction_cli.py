"""`donation correct`, `donor show` and `donor edit` as a treasurer types them, on both
databases: what they print, what they refuse, and what a platform's file imported again,
a reprinted receipt, `audit` and `check` say afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of

PLATFORM_FILE = (
    "date,amount,currency,donor,email,reference,method\n"
    "2025-07-03,1800.00,ILS,Dana Levi,dana@example.org,TX100225,card\n"
    "2025-07-03,100.00,USD,Noa Cohen,,TX100226,card\n"
)


def with_platform_gifts(shell: Shell) -> Path:
    path = shell.folder / "platform.csv"
    path.write_text(PLATFORM_FILE, encoding="utf-8")
    shell.run("import", "donations", "dont-look-away", str(path))
    return path


def test_a_correction_keeps_the_reference_and_a_reimport_adds_nothing(
    quick_ledger: Shell,
) -> None:
    path = with_platform_gifts(quick_ledger)
    result = quick_ledger.run(
        "donation", "correct", "1", "--amount", "180", "--reason", "typed 1800 for 180"
    )
    assert result.stdout.splitlines() == [
        "Corrected donation #1: reversed by #3, recorded again as #4 under reference TX100225.",
        "  amount: 1,800.00 ILS -> 180.00 ILS",
        # 1,800 + 337.60 ILS, then 180 + 337.60; in dollars at 3.376.
        "Campaign dont-look-away: 2,137.60 ILS / 633.18 USD before, 517.60 ILS / 153.32 USD after.",
    ]
    listed = json.loads(
        quick_ledger.run("donation", "list", "dont-look-away", "--format", "json").stdout
    )
    corrected = next(row for row in listed if row["id"] == 4)
    assert (corrected["reference"], corrected["corrects"], corrected["amount"]) == (
        "TX100225",
        1,
        "180.00",
    )
    table = quick_ledger.run("donation", "list", "dont-look-away").stdout
    assert "corrects #1" in table
    assert "reversed by #3" in table
    again = quick_ledger.run("import", "donations", "dont-look-away", str(path), "--again")
    assert again.stdout.splitlines()[:2] == [
        "Imported platform.csv into dont-look-away: 0 new, 2 already present, 0 new donors.",
        "  1 already corrected: present as first recorded and corrected since (`donation "
        "correct`); the corrections stand.",
    ]
    trail = quick_ledger.run("audit", "--entity", "donation:1").stdout
    assert "donation.correct" in trail
    assert "corrects 1" in trail
    assert quick_ledger.run("check").returncode == 0


def test_a_receipted_gift_corrected_gets_its_credit_receipt(quick_ledger: Shell) -> None:
    quick_ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    quick_ledger.run(
        "donation",
        "add",
        "dont-look-away",
        "--date",
        "2025-07-03",
        "--amount",
        "100",
        "--currency",
        "USD",
        "--donor",
        "Dana Levi",
        "--reference",
        "TX1",
    )
    quick_ledger.run("receipt", "issue", "1", "--date", "2025-08-01")
    result = quick_ledger.run(
        "donation", "correct", "1", "--date", "2025-07-04", "--reason", "the card statement's date"
    )
    lines = result.stdout.splitlines()
    # The credit receipt is dated today (it is issued now), so numbered in today's year.
    credit_number = lines[2].split()[3].rstrip(",")
    assert lines[2] == (
        f"Issued credit receipt {credit_number}, cancelling receipt R-2025-00001; wrote "
        f"reports/receipts/{credit_number}.pdf. Issue the corrected gift's receipt with "
        "`fundledger receipt issue 3`."
    )
    # The rate of 3 July is still in force on the 4th: the totals do not move.
    assert lines[3] == (
        "Campaign dont-look-away: 337.60 ILS / 100.00 USD before, 337.60 ILS / 100.00 USD after."
    )
    credit = text_of(quick_ledger.folder / "reports" / "receipts" / f"{credit_number}.pdf")
    assert "R-2025-00001" in credit
    assert quick_ledger.run("check").returncode == 0


def test_what_cannot_be_corrected_is_one_line(quick_ledger: Shell) -> None:
    quick_ledger.run(
        "donation",
        "add",
        "dont-look-away",
        "--date",
        "2025-07-03",
        "--amount",
        "50",
        "--donor",
        "Dana Levi",
    )
    quick_ledger.run("donation", "reverse", "1", "--reason", "refunded")
    assert quick_ledger.fails("donation", "correct", "1", "--amount", "5", "--reason", "x") == (
        "Error: donation #1 was reversed by #2; a reversed gift no longer counts: record the "
        "gift anew with `fundledger donation add` if it should"
    )
    assert quick_ledger.fails("donation", "correct", "2", "--amount", "5", "--reason", "x") == (
        "Error: donation #2 is the reversal of #1, not a gift: correct the gift, `fundledger "
        "donation correct 1 ...`, if it was not reversed"
    )
    quick_ledger.run(
        "donation",
        "add",
        "dont-look-away",
        "--date",
        "2025-07-03",
        "--amount",
        "50",
        "--donor",
        "Dana Levi",
    )
    assert quick_ledger.fails(
        "donation", "correct", "3", "--amount", "50", "--reason", "x"
    ).startswith("Error: nothing to correct: donation #3")
    assert quick_ledger.fails("donation", "correct", "9", "--amount", "5", "--reason", "x") == (
        "Error: no donation #9 (see `fundledger donation list SLUG`)"
    )


def test_donor_edit_and_show_and_an_old_receipt_keeps_the_old_name(quick_ledger: Shell) -> None:
    quick_ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    quick_ledger.run(
        "donation",
        "add",
        "dont-look-away",
        "--date",
        "2025-07-03",
        "--amount",
        "100",
        "--donor",
        "Dana Levi",
        "--email",
        "dana@example.org",
    )
    quick_ledger.run("receipt", "issue", "1", "--date", "2025-08-01")
    result = quick_ledger.run(
        "donor",
        "edit",
        "1",
        "--name",
        "Dana Levi-Cohen",
        "--phone",
        "050-1234567",
        "--reason",
        "married",
    )
    assert result.stdout.splitlines() == [
        "Donor #1: revision #1 recorded.",
        "  name: Dana Levi -> Dana Levi-Cohen",
        "  phone: - -> 050-1234567",
    ]
    shown = quick_ledger.run("donor", "show", "1").stdout
    for expected in (
        "Donor #1: Dana Levi-Cohen",
        "  Phone: 050-1234567",
        "  Gifts: 1 (100.00 ILS)",
        "R-2025-00001  donation  donation #1",
        "revision #1 by e2e: name Dana Levi -> Dana Levi-Cohen; phone - -> 050-1234567 (married)",
    ):
        assert expected in shown, expected
    details = json.loads(quick_ledger.run("donor", "show", "1", "--format", "json").stdout)
    assert (details["name"], details["gifts"], details["history"][1]["reason"]) == (
        "Dana Levi-Cohen",
        1,
        "married",
    )
    quick_ledger.run("receipt", "reprint", "R-2025-00001")
    copy = text_of(quick_ledger.folder / "reports" / "receipts" / "R-2025-00001-copy.pdf")
    assert "Dana Levi" in copy
    assert "Levi-Cohen" not in copy
    assert "donor.edit" in quick_ledger.run("audit", "--entity", "donor:1").stdout
    assert quick_ledger.run("check").returncode == 0


def test_donor_edit_refusals_are_one_line(quick_ledger: Shell) -> None:
    for name, email in (("Dana Levi", "dana@example.org"), ("Noa Cohen", "noa@example.org")):
        quick_ledger.run(
            "donation",
            "add",
            "dont-look-away",
            "--date",
            "2025-07-03",
            "--amount",
            "10",
            "--donor",
            name,
            "--email",
            email,
        )
    assert quick_ledger.fails(
        "donor", "edit", "1", "--email", "noa@example.org", "--reason", "x"
    ) == (
        "Error: 'noa@example.org' is the e-mail of donor #2 Noa Cohen: if they are the same "
        "person as #1, `fundledger donor merge 1 2 --reason ...` (or 2 1) instead"
    )
    quick_ledger.run("donor", "merge", "2", "1", "--reason", "same")
    assert quick_ledger.fails("donor", "edit", "2", "--phone", "1", "--reason", "x") == (
        "Error: donor #2 is merged into #1 (merge #1), whose details their documents print: "
        "edit #1 (`fundledger donor edit 1 ...`), or undo the merge first (`fundledger donor "
        "unmerge 1 --reason ...`)"
    )
    usage = quick_ledger.run("donor", "edit", "1", "--reason", "x", expect=2)
    assert usage.stderr.splitlines()[-1] == (
        "Error: give what to change: --name, --email, --address, --phone, --language or --tax-id"
    )


def test_a_gift_by_name_alone_says_whom_it_matched(quick_ledger: Shell) -> None:
    quick_ledger.run(
        "donation",
        "add",
        "dont-look-away",
        "--date",
        "2025-07-03",
        "--amount",
        "10",
        "--donor",
        "Noa Cohen",
    )
    result = quick_ledger.run(
        "donation",
        "add",
        "dont-look-away",
        "--date",
        "2025-07-03",
        "--amount",
        "20",
        "--donor",
        "Noa Cohen",
    )
    assert result.stdout.splitlines()[1] == (
        "Matched by name to donor #1 Noa Cohen; give --email to tell apart two donors of one name."
    )
    path = quick_ledger.folder / "more.csv"
    path.write_text(
        "date,amount,donor,reference\n2025-07-03,30,Noa Cohen,R-1\n"
        "2025-07-03,40,noa cohen,R-2\n2025-07-03,50,Rami Haddad,R-3\n",
        encoding="utf-8",
    )
    imported = quick_ledger.run("import", "donations", "dont-look-away", str(path)).stdout
    assert (
        "  2 rows matched by name alone to donors already in the ledger: #1 Noa Cohen (2); "
        "give an e-mail column to tell apart two donors of one name."
    ) in imported
