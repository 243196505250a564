"""What the command line shows people: one money format in every table and message ("1,800.00
ILS"), counts that agree with their nouns ("1 gift"), and CSV that a spreadsheet opens with its
Hebrew and Arabic intact (--excel) while the CSV scripts read stays byte for byte as it was."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess

import pytest

from tests.e2e.shell import FUNDLEDGER, Shell
from tests.e2e.test_receipt_cli import SETTINGS

SLUG = "dont-look-away"
HEBREW, ARABIC = "נועה לוי", "عبد الله خوري"
# The one format: grouped digits, the currency's decimals, the ISO code after.
ONE_FORMAT = re.compile(r"-?\d{1,3}(,\d{3})*\.\d{2} [A-Z]{3}")
# Any other way an amount used to be shown: "1800.00 ILS", "ILS 92,036.00", "1,800.00" alone.
OTHER_FORMATS = re.compile(r"\b\d{4,}\.\d{2}\b|\b[A-Z]{3} -?\d|\d\.\d{2}(?! [A-Z]{3})")


def raw(shell: Shell, *args: str) -> bytes:
    """The bytes `fundledger` writes to standard output, line ends untouched."""
    done = subprocess.run(
        [str(FUNDLEDGER), *args], capture_output=True, cwd=shell.folder, check=True,
        env={**os.environ, "FUNDLEDGER_DB": shell.database_url, "FUNDLEDGER_USER": "e2e"},
    )  # fmt: skip
    return done.stdout


@pytest.fixture
def gifts(quick_ledger: Shell) -> Shell:
    ledger = quick_ledger
    for args in (
        ("--amount", "1800", "--donor", HEBREW),
        ("--amount", "92036", "--donor", ARABIC, "--anonymous"),
        ("--amount", "99.99", "--currency", "USD", "--donor", '=HYPERLINK("x")'),
    ):
        ledger.run("donation", "add", SLUG, "--date", "2025-07-03", *args)
    ledger.run("donation", "reverse", "3", "--reason", "entered twice")
    return ledger


def amounts_in(text: str) -> list[str]:
    return [match.group() for match in ONE_FORMAT.finditer(text)]


def test_tables_and_messages_show_money_one_way(quick_ledger: Shell) -> None:
    ledger = quick_ledger
    added = ledger.run("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "1800",
                       "--donor", HEBREW)  # fmt: skip
    assert added.stdout == f"Recorded donation #1: 1,800.00 ILS on 2025-07-03 ({HEBREW}).\n"
    ledger.run("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "92036")
    reversed_ = ledger.run("donation", "reverse", "2", "--reason", "a test")
    assert reversed_.stdout == "Recorded reversal #3 of donation #2: -92,036.00 ILS.\n"
    listed = ledger.run("donation", "list", SLUG).stdout
    assert amounts_in(listed) == ["1,800.00 ILS", "92,036.00 ILS", "-92,036.00 ILS"]
    assert not OTHER_FORMATS.search(listed), listed
    campaigns = ledger.run("campaign", "list").stdout
    # The goal, then the total raised (the reversed gift counts for nothing), and its value.
    assert amounts_in(campaigns) == ["800,000.00 ILS", "1,800.00 ILS", "533.18 USD"]
    assert not OTHER_FORMATS.search(campaigns), campaigns
    for key, value in SETTINGS.items():
        ledger.run("settings", "set", key, value)
    ledger.run("receipt", "issue", "1", "--date", "2025-08-01")
    receipts = ledger.run("receipt", "list").stdout
    assert amounts_in(receipts) == ["1,800.00 ILS", "1,800.00 ILS"]  # the amount, its value
    statement = ledger.run("statement", "1", "--year", "2025").stdout
    assert statement.endswith(": 1 gift in 2025, 1,800.00 ILS = 533.18 USD.\n"), statement
    clash = ledger.fails("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "-5")
    assert "not -5.00 ILS" in clash


def test_the_data_formats_keep_plain_decimals(gifts: Shell) -> None:
    listed = json.loads(gifts.run("donation", "list", SLUG, "--format", "json").stdout)
    assert [row["amount"] for row in listed] == ["1800.00", "92036.00", "99.99", "-99.99"]
    rows = list(csv.DictReader(io.StringIO(gifts.run("donation", "list", SLUG, "--format",
                                                     "csv").stdout)))  # fmt: skip
    assert [row["amount"] for row in rows] == ["1800.00", "92036.00", "99.99", "-99.99"]
    goal = json.loads(gifts.run("campaign", "list", "--format", "json").stdout)[0]["goal"]
    assert goal == "800000.00"


def test_an_import_summary_counts_in_words_that_agree(quick_ledger: Shell) -> None:
    ledger = quick_ledger
    path = ledger.folder / "one.csv"
    path.write_text("date,amount,currency,donor,email,method,reference,note\n"
                    f"2025-07-03,92036,ILS,{HEBREW},,cash,R1,\n", encoding="utf-8")  # fmt: skip
    done = ledger.run("import", "donations", SLUG, str(path)).stdout.splitlines()
    assert done == [
        "Imported one.csv into dont-look-away: 1 new, 0 already present, 1 new donor.",
        "  92,036.00 ILS in 1 gift",
    ]


def test_default_csv_is_unchanged_for_scripts(gifts: Shell) -> None:
    data = raw(gifts, "donation", "list", SLUG, "--format", "csv")
    assert data.startswith(b"id,date,amount,currency,donor,")  # no byte-order mark
    assert b"\r" not in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [(row["id"], row["donor"], row["anonymous"], row["reversed"]) for row in rows] == [
        ("1", HEBREW, "False", "False"), ("2", ARABIC, "True", "False"),
        ("3", "'=HYPERLINK(\"x\")", "False", "True"), ("4", "'=HYPERLINK(\"x\")", "False", "False"),
    ]  # fmt: skip


def test_excel_csv_opens_with_hebrew_and_arabic_intact(gifts: Shell) -> None:
    data = raw(gifts, "donation", "list", SLUG, "--excel")
    assert data.startswith("\ufeffid,date,amount,".encode())  # UTF-8 with its byte-order mark
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    assert all(b"\n" not in line for line in lines)
    # Read as a spreadsheet reads it: UTF-8 told by the mark, the excel dialect.
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), dialect="excel"))
    assert [(row["donor"], row["amount"], row["currency"], row["anonymous"], row["reversed"])
            for row in rows] == [
        (HEBREW, "1800.00", "ILS", "no", "no"), (ARABIC, "92036.00", "ILS", "yes", "no"),
        ("'=HYPERLINK(\"x\")", "99.99", "USD", "no", "yes"),
        ("'=HYPERLINK(\"x\")", "-99.99", "USD", "no", "no"),
    ]  # fmt: skip
    assert raw(gifts, "donation", "list", SLUG, "--format", "csv", "--excel") == data


def test_excel_csv_reads_back_through_the_importer(gifts: Shell) -> None:
    exported = gifts.folder / "gifts.csv"
    exported.write_bytes(raw(gifts, "donation", "list", SLUG, "--excel"))
    gifts.run("campaign", "add", "copy", "--name", "Copy")
    # The two gifts still standing: the reversed one and its reversal are left in the ledger.
    kept = exported.read_bytes().split(b"\r\n")[:3]
    exported.write_bytes(b"\r\n".join(kept) + b"\r\n")
    done = gifts.run("import", "donations", "copy", str(exported)).stdout
    assert "2 new, 0 already present" in done
    copied = json.loads(gifts.run("donation", "list", "copy", "--format", "json").stdout)
    assert [(row["donor"], row["amount"], row["anonymous"]) for row in copied] == [
        (HEBREW, "1800.00", False), (ARABIC, "92036.00", True)]  # fmt: skip


def test_the_summary_csv_for_a_spreadsheet(gifts: Shell) -> None:
    gifts.run("report", "campaign", SLUG, "--excel", "-o", "summary.csv")
    data = (gifts.folder / "summary.csv").read_bytes()
    assert data.startswith("\ufeffsection,key,count,".encode())
    assert data.count(b"\r\n") == data.count(b"\n") > 5
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert ["total", "ILS/USD", "2", "", "", "93836.00", "27795.03"] in rows
    plain = raw(gifts, "report", "campaign", SLUG, "--format", "csv")
    assert plain.startswith(b"section,key,count,")
    assert b"\r" not in plain


@pytest.mark.parametrize(
    "args",
    [("donation", "list", SLUG, "--excel", "--format", "json"),
     ("report", "campaign", SLUG, "--excel", "--format", "pdf"),
     ("campaign", "list", "--format", "table", "--excel")],
)  # fmt: skip
def test_excel_with_another_format_is_a_usage_error(
    quick_ledger: Shell, args: tuple[str, ...]
) -> None:
    ledger = quick_ledger
    result = ledger.run(*args, expect=2)
    assert "--excel writes CSV for a spreadsheet, not " in result.stderr
    assert result.stdout == ""


def test_every_list_offers_excel(quick_ledger: Shell) -> None:
    ledger = quick_ledger
    lists = (("campaign", "list"), ("donor", "list"), ("receipt", "list"), ("rates", "list"),
             ("rates", "gaps"), ("audit",), ("settings", "show"))  # fmt: skip
    for args in lists:
        assert raw(ledger, *args, "--excel").startswith(b"\xef\xbb\xbf"), args
