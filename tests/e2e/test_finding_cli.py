"""Finding and totalling (issue #22 items 9-11) as a treasurer types it: `donation list` across
campaigns with its conditions, `campaign list` with totals, reports of a period and the
accountant's export, in every format, on both databases."""

from __future__ import annotations

import csv
import io
import json

from tests.e2e.shell import Shell

SLUG = "dont-look-away"


def month(shell: Shell) -> Shell:
    """dont-look-away and summer; USD at 3.376 from 2025-07-03 (and 3.40 from 2025-08-01).
    #1 dlaw 07-03 100 USD Dana Levi card TX100; #2 summer 07-05 300 ILS דָּנָה כהן bit TX200;
    #3 dlaw 07-20 1,000 ILS Rami Haddad bank_transfer TX201; #4 summer 08-02 50 USD anonymous
    card; #5 reverses #2."""
    shell.run("campaign", "add", "summer", "--name", "Summer", "--goal", "10000",
              "--start", "2025-07-01", "--end", "2025-08-31")  # fmt: skip
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
