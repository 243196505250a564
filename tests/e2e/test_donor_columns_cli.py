"""An import's donor columns as a treasurer meets them: the summary says who took an ID
number, address or phone from the file and who kept their own, `donor show` shows them, and a
bad ID number is refused naming its line and field. On both databases."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.shell import Shell

PLATFORMS = Path(__file__).parents[2] / "samples"  # the exports the README tour imports
ISRAELGIVES = str(PLATFORMS / "israelgives-donations.csv")


def test_an_import_says_who_took_details_and_who_kept_theirs(quick_ledger: Shell) -> None:
    ledger = quick_ledger
    dry = ledger.run("import", "donations", "dont-look-away", ISRAELGIVES, "--profile",
                     "israelgives", "--dry-run").stdout.splitlines()  # fmt: skip
    assert "  From the file, 4 donors would take their ID number, 5 their address, 5 their " \
           "phone." in dry  # fmt: skip
    assert ledger.row_counts()["donor_revision"] == 0
    out = ledger.run("import", "donations", "dont-look-away", ISRAELGIVES, "--profile",
                     "israelgives").stdout  # fmt: skip
    assert "Columns not read" not in out
    assert "  From the file, 4 donors took their ID number, 5 their address, 5 their phone." in (
        out.splitlines())  # fmt: skip
    # Donor numbers by name: on PostgreSQL the dry run took some from the sequence.
    listed = json.loads(ledger.run("donor", "list", "--format", "json").stdout)
    ids = {donor["name"]: donor["id"] for donor in listed}
    ali, avigail = ids["علي منصور"], ids["אביגיל פרידמן"]
    shown = ledger.run("donor", "show", str(ali)).stdout.splitlines()
    assert shown[:5] == [f"Donor #{ali}: علي منصور", "  E-mail: ali.mansour@example.net",
                         "  Identity number: 204681357", "  Address: شارع الجبل 5, الناصرة",
                         "  Phone: 052-7654321"]  # fmt: skip
    # The donor's CRM disagrees on an ID number and a phone, and writes another the same.
    crm = ledger.folder / "crm.csv"
    crm.write_text(
        "date,amount,currency,donor,email,method,reference,note,מספר זהות,טלפון,כתובת\n"
        "2025-07-20,10,ILS,علي منصور,ali.mansour@example.net,cash,C-1,,315926485,"
        "0527654321,\n"
        "2025-07-20,20,ILS,אביגיל פרידמן,avigail.friedman@example.co.il,cash,C-2,,,"
        "050-7777777,\n"
        '2025-07-20,30,ILS,Noa Cohen,noa@example.org,cash,C-3,,,,"Herzl 1, Haifa"\n',
        encoding="utf-8",
    )
    lines = ledger.run("import", "donations", "dont-look-away", "crm.csv").stdout.splitlines()
    assert "  From the file, 1 donor took their address." in lines
    assert (
        f"1 donor kept their ID number: #{ali} علي منصور (*****1357, not *****6485) (change "
        "one with `fundledger donor edit DONOR --tax-id NUMBER --reason TEXT`)."
    ) in lines
    assert (
        f"1 donor kept their phone: #{avigail} אביגיל פרידמן (050-1234567, not 050-7777777) "
        "(change one with `fundledger donor edit DONOR --phone TEXT --reason TEXT`)."
    ) in lines
    assert ledger.row_counts()["donor_revision"] == 6  # five donors, then Noa Cohen
    assert ledger.run("check").returncode == 0


def test_a_bad_id_number_is_refused_naming_its_line_and_field(ledger: Shell) -> None:
    bad = ledger.folder / "bad.csv"
    bad.write_text("date,amount,donor,ת.ז.\n2025-07-04,40,Noa Cohen,315926485\n"
                   "2025-07-04,50,Ali Nasser,31592648\n", encoding="utf-8")  # fmt: skip
    refused = ledger.run("import", "donations", "dont-look-away", "bad.csv", expect=1)
    assert refused.stderr.splitlines()[0] == (
        "bad.csv:3: tax_id: '31592648' is not an Israeli identity number: nine digits whose "
        "last is the check digit")  # fmt: skip
    assert refused.stdout == ""
    assert ledger.row_counts()["donation"] == 0
