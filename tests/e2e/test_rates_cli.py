"""`fundledger rates import|list|gaps|show` as a treasurer uses them."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from tests.e2e.shell import Shell
from tests.integration.test_ecb_file import BOI_CSV, ECB_DAILY


def test_import_a_bank_of_israel_file_twice_then_show_and_list(ledger: Shell) -> None:
    path = ledger.folder / "boi.csv"
    path.write_text(BOI_CSV, encoding="utf-8")
    first = ledger.run("rates", "import", str(path))
    assert first.stdout.strip() == "boi.csv (boi): 4 new, 0 already present."
    again = ledger.run("rates", "import", str(path))
    assert again.stdout.strip() == "boi.csv (boi): 0 new, 4 already present."
    shown = ledger.run("rates", "show", "2025-07-06", "JPY", "ILS").stdout.strip()
    assert shown == "2025-07-06 JPY/ILS = 0.023307 (BOI 2025-07-04)"
    listed = json.loads(ledger.run("rates", "list", "--pair", "USD/ILS", "--format", "json").stdout)
    assert [(row["date"], row["rate"], row["source"]) for row in listed] == [
        ("2025-07-03", "3.376", "manual"),  # typed by the fixture
        ("2025-07-03", "3.376", "BOI"),
        ("2025-07-04", "3.351", "BOI"),
    ]


def test_a_contradicting_file_is_refused_then_accepted_with_supersede(ledger: Shell) -> None:
    path = ledger.folder / "fix.csv"
    path.write_text("date,base,quote,rate\n2025-07-03,USD,ILS,3.367\n", encoding="utf-8")
    before = ledger.row_counts()
    message = ledger.fails("rates", "import", str(path))
    assert message == (
        "Error: fix.csv (csv): line 2: 2025-07-03 1 USD = 3.3670 ILS (manual) contradicts the "
        "stored 3.3760; nothing imported. If the new value is a correction, run again with "
        "--supersede"
    )
    assert ledger.row_counts() == before
    done = ledger.run("rates", "import", str(path), "--supersede")
    assert done.stdout.strip() == "fix.csv (csv): 0 new, 0 already present, 1 superseded."
    shown = ledger.run("rates", "show", "2025-07-03", "USD", "ILS").stdout.strip()
    assert shown == "2025-07-03 USD/ILS = 3.3670 (manual 2025-07-03)"
    table = ledger.run("rates", "list", "--from", "2025-07-03", "--to", "2025-07-03").stdout
    assert "superseded" in table


def test_rates_add_refuses_a_silent_change(ledger: Shell) -> None:
    message = ledger.fails("rates", "add", "2025-07-03", "USD", "ILS", "3.3765")
    assert "contradicts the stored 3.3760" in message
    done = ledger.run("rates", "add", "2025-07-03", "USD", "ILS", "3.3765", "--supersede")
    assert done.stdout.strip() == (
        "Recorded 2025-07-03 1 USD = 3.3765 ILS (manual), superseding 3.3760."
    )


def test_gaps_list_the_dates_gifts_still_need(ledger: Shell) -> None:
    assert ledger.run("rates", "gaps").stdout.strip() == "No gaps: every gift has a rate in force."
    setup = replace(ledger, in_process=True)  # the gifts are not under test: `rates gaps` is
    for day, amount, currency in [
        ("2025-07-03", "10", "ILS"),
        ("2025-07-14", "5", "USD"),
        ("2025-07-14", "7", "USD"),
        ("2025-06-01", "3", "EUR"),
    ]:
        setup.run("donation", "add", "dont-look-away", "--date", day, "--amount", amount,
                  "--currency", currency)  # fmt: skip
    found = json.loads(ledger.run("rates", "gaps", "--format", "json").stdout)
    assert found == [
        {"date": "2025-06-01", "currency": "EUR", "gifts": 1, "needs": "USD/ILS",
         "latest_rate": None},
        {"date": "2025-07-14", "currency": "USD", "gifts": 2, "needs": "USD/ILS",
         "latest_rate": "2025-07-03"},
    ]  # fmt: skip
    message = ledger.fails("report", "campaign", "dont-look-away")
    assert message.endswith("(and 1 more: see `fundledger rates gaps`)")
    daily = ledger.folder / "eurofxref.csv"
    daily.write_text(ECB_DAILY.replace("4 July 2025", "14 July 2025"), encoding="utf-8")
    ledger.run("rates", "import", str(daily))
    remaining = json.loads(ledger.run("rates", "gaps", "--format", "json").stdout)
    assert [gap["date"] for gap in remaining] == ["2025-06-01"]


def test_a_big_file_draws_no_progress_when_stderr_is_no_terminal(quick_ledger: Shell) -> None:
    # On a terminal it draws bars: tests/e2e/test_progress_cli.py.
    path = Path(quick_ledger.folder) / "many.csv"
    days = [date(2000, 1, 1) + timedelta(days=offset) for offset in range(6000)]
    path.write_text(
        "date,base,quote,rate\n" + "".join(f"{day},USD,ILS,3.5\n" for day in days),
        encoding="utf-8",
    )
    result = quick_ledger.run("rates", "import", str(path))
    assert result.stdout.strip() == "many.csv (csv): 6000 new, 0 already present."
    assert result.stderr == ""


def test_a_file_in_the_wrong_encoding_is_one_line_exit_1(quick_ledger: Shell) -> None:
    path = Path(quick_ledger.folder) / "hebrew-excel.csv"
    path.write_bytes(b"date,base,quote,rate\n2025-07-08,USD,ILS,3.38 \xf9\xec\n")
    message = quick_ledger.fails("rates", "import", str(path))
    assert message == "Error: hebrew-excel.csv: line 2 is not UTF-8 text; save the file as UTF-8"
