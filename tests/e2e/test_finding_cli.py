"""Finding and totalling (issue #22 items 9-11) as a treasurer types it: `donation list` across
campaigns with its conditions, `campaign list` with totals, reports of a period and the
accountant's export, in every format, on both databases."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal

from tests.e2e.shell import Shell
from tests.pdf_helpers import page_fills, pdf_text

SLUG = "dont-look-away"


def month(shell: Shell) -> Shell:
    """dont-look-away and summer; USD at 3.376 on 2025-07-03, 3.35 on 07-20, 3.40 on 08-01.
    #1 dlaw 07-03 100 USD Dana Levi card TX100; #2 summer 07-05 300 ILS דָּנָה כהן bit TX200;
    #3 dlaw 07-20 1,000 ILS Rami Haddad bank_transfer TX201; #4 summer 08-02 50 USD anonymous
    card; #5 reverses #2."""
    shell.run("campaign", "add", "summer", "--name", "Summer", "--goal", "10000",
              "--start", "2025-07-01", "--end", "2025-08-31")  # fmt: skip
    shell.run("rates", "add", "2025-07-20", "USD", "ILS", "3.35")
    shell.run("rates", "add", "2025-08-01", "USD", "ILS", "3.40")
    for args in (
        [SLUG, "--date", "2025-07-03", "--amount", "100", "--currency", "USD", "--donor",
         "Dana Levi", "--method", "card", "--reference", "TX100"],
        ["summer", "--date", "2025-07-05", "--amount", "300", "--donor", "דָּנָה כהן",
         "--method", "ביט", "--reference", "TX200"],
        [SLUG, "--date", "2025-07-20", "--amount", "1000", "--donor", "Rami Haddad",
         "--email", "rami@example.org", "--method", "bank", "--reference", "TX201"],
        ["summer", "--date", "2025-08-02", "--amount", "50", "--currency", "USD", "--method",
         "Visa"],
    ):  # fmt: skip
        shell.run("donation", "add", *args)
    shell.run("donation", "reverse", "2", "--reason", "refunded")
    return shell


def listed(shell: Shell, *args: str) -> list[int]:
    rows = json.loads(shell.run("donation", "list", *args, "--format", "json").stdout)
    return [row["id"] for row in rows]


def test_donation_list_searches_every_campaign_in_each_format(quick_ledger: Shell) -> None:
    shell = month(quick_ledger)
    table = shell.run("donation", "list", "--donor", "LEVI").stdout.splitlines()
    assert table[0].split() == ["ID", "DATE", "CAMPAIGN", "AMOUNT", "DONOR", "METHOD",
                                "REFERENCE", "STATUS"]  # fmt: skip
    assert table[2].split() == ["1", "2025-07-03", SLUG, "100.00", "USD", "Dana", "Levi", "card",
                                "TX100"]  # fmt: skip
    assert len(table) == 3
    rows = json.loads(shell.run("donation", "list", "--donor", "דנה", "--format", "json").stdout)
    assert [(row["id"], row["campaign"], row["reverses"]) for row in rows] == [
        (2, "summer", None), (5, "summer", 2)]  # fmt: skip
    # 100 USD is 337.60 ILS at the rate of its date; 50 USD on 08-02 is 170.00.
    found = shell.run("donation", "list", "--min", "170", "--max", "337.60", "--format", "csv")
    lines = list(csv.DictReader(io.StringIO(found.stdout)))
    assert [(line["id"], line["campaign"]) for line in lines] == [
        ("1", SLUG), ("2", "summer"), ("5", "summer"), ("4", "summer")]  # fmt: skip
    assert found.stderr == ""
    dated = shell.run("donation", "list", "--from", "2025-07-04", "--to", "2025-07-31",
                      "--method", "העברה בנקאית", "--format", "json").stdout  # fmt: skip
    assert [row["id"] for row in json.loads(dated)] == [3]
    assert listed(shell, "--method", "card") == [1, 4]
    assert listed(shell, "--reference", "TX20*") == [2, 3]
    assert listed(shell, "--email", "RAMI@example.org") == [3]


def test_a_campaigns_list_keeps_its_columns_and_the_table_says_what_the_limit_left_out(
    quick_ledger: Shell,
) -> None:
    shell = month(quick_ledger)
    rows = json.loads(shell.run("donation", "list", "summer", "--format", "json").stdout)
    assert "campaign" not in rows[0]  # one campaign's list is as it was
    assert [row["id"] for row in rows] == [2, 5, 4]
    limited = shell.run("donation", "list", "--limit", "2")
    assert len(limited.stdout.splitlines()) == 4
    assert limited.stderr == "3 more gifts match: narrow the search or use --limit 5.\n"
    assert len(json.loads(shell.run("donation", "list", "--format", "json").stdout)) == 5


def test_a_search_that_cannot_mean_anything_fails_in_one_line(quick_ledger: Shell) -> None:
    shell = month(quick_ledger)
    assert shell.fails("donation", "list", "--min", "5", "--max", "1") == (
        "Error: --min 5.00 ILS is above --max 1.00 ILS: nothing could match; swap them"
    )
    assert shell.fails("donation", "list", "--min", "1.005").startswith("Error: --min '1.005': ")
    assert shell.fails("donation", "list", "--from", "2025-07-05", "--to", "2025-07-04") == (
        "Error: --from 2025-07-05 is after --to 2025-07-04: nothing could match; swap them"
    )
    assert "no campaign 'nope'" in shell.fails("donation", "list", "nope", "--donor", "x")
    assert shell.run("donation", "list", "--donor", "nobody").stderr == "No gift matches.\n"


def test_campaign_list_totals_each_campaign_in_each_format(quick_ledger: Shell) -> None:
    shell = month(quick_ledger)
    rows = {row["slug"]: row for row in json.loads(
        shell.run("campaign", "list", "--format", "json").stdout)}  # fmt: skip
    # dont-look-away: 100 USD at 3.376 (337.60 ILS) + 1,000 ILS at 3.35 (298.51 USD).
    dlaw = rows[SLUG]
    assert (dlaw["gifts"], dlaw["total_home"], dlaw["total_reporting"]) == (2, "1337.60", "398.51")
    assert (dlaw["goal"], dlaw["progress"]) == ("800000.00", "0.0017")
    assert (dlaw["first_gift"], dlaw["last_gift"]) == ("2025-07-03", "2025-07-20")
    summer = rows["summer"]  # #2 reversed: only 50 USD on 08-02 at 3.40 counts
    assert (summer["gifts"], summer["total_home"], summer["total_reporting"]) == (
        1, "170.00", "50.00")  # fmt: skip
    assert summer["progress"] == "0.0170"
    table = shell.run("campaign", "list").stdout
    assert table.splitlines()[0].split()[:8] == ["SLUG", "NAME", "START", "END", "GOAL", "GIFTS",
                                                 "TOTAL", "(ILS)"]  # fmt: skip
    assert "1,337.60 ILS" in table
    assert "0.2%" in table
    header = shell.run("campaign", "list", "--format", "csv").stdout.splitlines()[0]
    assert header.startswith("slug,name,start,end,goal,goal_currency,partner,entries,")
    assert ",gifts,total_home,home_currency,total_reporting,reporting_currency," in header


def test_a_report_of_a_period_and_the_accountants_export_agree(quick_ledger: Shell) -> None:
    shell = month(quick_ledger)
    shell.run("settings", "set", "organisation.name.en", "Peace Coalition")
    shell.run("receipt", "issue", "1", "-o", "r1.pdf")
    july = ["--from", "2025-07-01", "--to", "2025-07-31"]
    report = json.loads(shell.run("report", "campaign", "--all", *july, "--format", "json").stdout)
    assert report["period"] == {"from": "2025-07-01", "to": "2025-07-31"}
    assert (report["donation_count"], report["total_ils"], report["total_usd"]) == (
        2, "1337.60", "398.51")  # fmt: skip
    assert [(line["slug"], line["count"]) for line in report["by_campaign"]] == [(SLUG, 2)]
    export = json.loads(shell.run("report", "gifts", *july, "--format", "json").stdout)
    assert (export["total_ils"], export["total_usd"]) == (report["total_ils"], report["total_usd"])
    assert [(line["id"], line["reverses"], line["reversed_by"]) for line in export["gifts"]] == [
        (1, None, None), (2, None, 5), (5, 2, None), (3, None, None)]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(shell.run("report", "gifts", *july).stdout)))
    assert sum(Decimal(row["ils"]) for row in rows) == Decimal(report["total_ils"])
    assert rows[0]["rates"] == "2025-07-03 USD/ILS = 3.3760 (manual 2025-07-03)"
    assert (rows[0]["rate_dates"], rows[0]["rate_sources"]) == ("2025-07-03", "manual")
    assert re.fullmatch(r"R-\d{4}-00001", rows[0]["receipt"])
    assert [row["receipt"] for row in rows[1:]] == ["", "", ""]
    one = json.loads(shell.run("report", "gifts", *july, "--campaign", "summer", "--format",
                               "json").stdout)  # fmt: skip
    assert (one["entries"], one["donation_count"], one["total_ils"]) == (2, 0, "0.00")
    excel = shell.run("report", "gifts", *july, "--excel", "-o", "july.csv")
    assert excel.stderr == "Wrote july.csv: 4 entries.\n"
    assert (shell.folder / "july.csv").read_bytes().startswith("\ufeffid,".encode())
    summary_csv = shell.run("report", "campaign", SLUG, *july, "--format", "csv").stdout
    assert summary_csv.splitlines()[1].startswith("period,2025-07-01/2025-07-31,")
    refused = shell.run("report", "gifts", "--from", "2025-07-02", "--to", "2025-07-01",
                        expect=2)  # fmt: skip
    assert refused.stderr.splitlines()[-1] == (
        "Error: --from 2025-07-02 is after --to 2025-07-01: swap them"
    )


def test_the_period_pdf_says_its_period_in_the_title(quick_ledger: Shell) -> None:
    shell = month(quick_ledger)
    for locale in ("en", "he"):
        shell.run("report", "campaign", "--all", "--from", "2025-07-01", "--to", "2025-07-31",
                  "--locale", locale, "-o", f"july-{locale}.pdf")  # fmt: skip
    english = pdf_text(shell.folder / "july-en.pdf")
    assert "All campaigns, July 1, 2025 – July 31, 2025" in " ".join(english.split())
    assert "By campaign" in english
    assert "Only gifts dated within the period are counted." in english
    hebrew = pdf_text(shell.folder / "july-he.pdf")
    assert "לפי קמפיין" in hebrew


def test_a_one_page_period_summary_in_each_language(quick_ledger: Shell) -> None:
    shell = month(quick_ledger)
    for number in range(12):  # a ledger's worth of campaigns still fits on the page
        shell.run("campaign", "add", f"extra-{number}", "--name", f"Extra {number}")
        shell.run("donation", "add", f"extra-{number}", "--date", "2025-07-03", "--amount", "18")
    july = ["--from", "2025-07-01", "--to", "2025-07-31"]
    words = {"en": ["Period summary", "By campaign", "Extra 11", "1,553.60"],
             "he": ["סיכום תקופה", "לפי קמפיין", "Extra 11", "1,553.60"],
             "ar": ["ملخص الفترة", "حسب الحملة", "Extra 11", "1,553.60"]}  # fmt: skip
    for locale, expected in words.items():
        shell.run("report", "period", *july, "--locale", locale)
        path = shell.folder / "reports" / f"period-2025-07-01-2025-07-31-{locale}.pdf"
        assert len(page_fills(path)) == 1, locale
        text = pdf_text(path)
        assert [word for word in expected if word not in text] == [], locale
    assert "July 1, 2025 – July 31, 2025" in pdf_text(
        shell.folder / "reports" / "period-2025-07-01-2025-07-31-en.pdf")  # fmt: skip
