"""`fundledger report campaign` as a treasurer runs it: a PDF by default, in the reader's
language, written whole or not at all; the same figures as CSV."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.e2e.shell import Shell
from tests.pdf_helpers import text_of


@pytest.fixture
def database_kind() -> str:
    # Formats and files only: the figures themselves are tested on both databases elsewhere.
    return "sqlite"


def gifts(ledger: Shell) -> Shell:
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "100",
               "--currency", "USD", "--donor", "Dana Levi", "--method", "card")  # fmt: skip
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "150",
               "--donor", "=HYPERLINK(\"http://x\")", "--method", "cash")  # fmt: skip
    return ledger


def test_a_pdf_by_default_at_reports_slug_locale(ledger: Shell) -> None:
    gifts(ledger)
    result = ledger.run("report", "campaign", "dont-look-away", "--locale", "he")
    target = ledger.folder / "reports" / "dont-look-away-he.pdf"
    assert result.stderr.strip() == "Wrote reports/dont-look-away-he.pdf."
    assert result.stdout == ""
    text = text_of(target)
    assert "487.60" in text
    assert "Dana Levi" in text
    assert [path.name for path in target.parent.iterdir()] == ["dont-look-away-he.pdf"]


def test_all_campaigns_together_as_data_and_as_a_pdf(ledger: Shell) -> None:
    gifts(ledger)
    ledger.run("campaign", "add", "summer", "--name", "Summer")
    ledger.run("donation", "add", "summer", "--date", "2025-07-03", "--amount", "12.40",
               "--donor", "Dana Levi")  # fmt: skip
    data = json.loads(ledger.run("report", "campaign", "--all", "--format", "json").stdout)
    assert (data["campaign"]["name"], data["donation_count"], data["donor_count"]) == (
        "All campaigns", 3, 2)  # fmt: skip
    assert data["total_ils"] == "500.00"
    result = ledger.run("report", "campaign", "--all", "--locale", "he")
    assert result.stderr.strip() == "Wrote reports/all-campaigns-he.pdf."
    text = text_of(ledger.folder / "reports" / "all-campaigns-he.pdf")
    assert "כל הקמפיינים" in text
    assert "500.00" in text
    for wrong in ([], ["dont-look-away", "--all"]):
        usage = ledger.run("report", "campaign", *wrong, expect=2).stderr
        assert "name one campaign (SLUG), or give --all for all of them" in usage


def test_a_failed_report_leaves_the_previous_file_alone(ledger: Shell) -> None:
    gifts(ledger)
    target = ledger.folder / "summary.pdf"
    target.write_bytes(b"the report of last week")
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-20", "--amount", "5")
    message = ledger.fails("report", "campaign", "dont-look-away", "-o", str(target))
    assert "2025-07-20" in message
    assert target.read_bytes() == b"the report of last week"
    assert sorted(path.name for path in ledger.folder.iterdir() if path.name.startswith(".")) == []


def test_csv_has_every_breakdown_and_is_formula_safe(ledger: Shell) -> None:
    gifts(ledger)
    output = ledger.run("report", "campaign", "dont-look-away", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(output)))
    assert rows[0] == {"section": "total", "key": "ILS/USD", "count": "2", "amount": "",
                       "currency": "", "home": "487.60", "reporting": "144.43"}  # fmt: skip
    assert rows[1] == {"section": "exact_total", "key": "ILS/USD", "count": "2", "amount": "",
                       "currency": "", "home": "487.60", "reporting": "144.43"}  # fmt: skip
    sections = {row["section"] for row in rows}
    assert sections == {"total", "exact_total", "donors", "by_currency", "by_day", "by_week",
                        "by_method", "gift_size", "top_donor"}  # fmt: skip
    donors = [row["key"] for row in rows if row["section"] == "top_donor"]
    assert donors == ["Dana Levi", '\'=HYPERLINK("http://x")']
    by_method = {row["key"]: row["home"] for row in rows if row["section"] == "by_method"}
    assert by_method == {"card": "337.60", "cash": "150.00"}
    assert sum(int(row["count"]) for row in rows if row["section"] == "gift_size") == 2


def test_an_unknown_locale_is_a_usage_error(quick_ledger: Shell) -> None:
    result = quick_ledger.run("report", "campaign", "dont-look-away", "--locale", "fr", expect=2)
    assert "Invalid value for '--locale'" in result.stderr


def test_settings_name_the_organisation_and_choose_the_language(ledger: Shell) -> None:
    gifts(ledger)
    ledger.run("settings", "set", "organisation.name.en", "Peace Coalition")
    ledger.run("settings", "set", "report.locale", "ar")
    shown = ledger.run("settings", "show", "--format", "json").stdout
    assert '"value": "Peace Coalition"' in shown
    result = ledger.run("report", "campaign", "dont-look-away")
    assert result.stderr.strip() == "Wrote reports/dont-look-away-ar.pdf."
    # No Arabic name is set: the English one heads the Arabic edition.
    assert "Peace Coalition" in text_of(ledger.folder / "reports" / "dont-look-away-ar.pdf")
    message = ledger.fails("settings", "set", "report.locale", "fr")
    assert message == "Error: 'fr' is not a report locale: use one of en, he, ar"


def test_the_ledgers_rule_settings_change_what_reports_compute(quick_ledger: Shell) -> None:
    quick_ledger.run("rates", "add", "2025-07-03", "EUR", "ILS", "3.9876")
    quick_ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-06", "--amount",
                     "100", "--donor", "Dana Levi")  # fmt: skip
    before = json.loads(quick_ledger.run("report", "campaign", "dont-look-away", "--format",
                                         "json").stdout)  # fmt: skip
    assert before["total_usd"] == "29.62"  # 100 / 3.376, three days after the rate
    quick_ledger.run("settings", "set", "ledger.reporting_currency", "EUR")
    in_euro = json.loads(quick_ledger.run("report", "campaign", "dont-look-away", "--format",
                                          "json").stdout)  # fmt: skip
    assert (in_euro["reporting_currency"], in_euro["total_eur"]) == ("EUR", "25.08")
    quick_ledger.run("settings", "set", "rates.max_age_days", "2")
    message = quick_ledger.fails("report", "campaign", "dont-look-away", "--format", "json")
    assert message.startswith("Error: no EUR/ILS rate in force on 2025-07-06")
    message = quick_ledger.fails("settings", "set", "ledger.home_currency", "EUR")
    assert message == ("Error: EUR is the reporting currency: change that first")
