"""The `fundledger` command as a treasurer runs it, on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from fundledger.adapters.db.engine import make_engine
from fundledger.adapters.db.models import AuditEvent
from tests.e2e.shell import FUNDLEDGER, Shell


def report(shell: Shell, *extra: str) -> dict[str, object]:
    result = shell.run("report", "campaign", "dont-look-away", "--format", "json", *extra)
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_init_is_idempotent(shell: Shell) -> None:
    assert "is at schema" in shell.run("init").stdout
    assert "up to date" in shell.run("init").stdout
    assert shell.row_counts()["audit_event"] == 1


def test_the_must_show_figures(ledger: Shell) -> None:
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "100",
               "--currency", "USD", "--donor", "Dana Levi",
               "--email", "dana@example.org")  # fmt: skip
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "150")
    data = report(ledger)
    assert data["by_currency"] == {
        "ILS": {"count": 1, "amount": "150.00", "ils": "150.00", "usd": "44.43"},
        "USD": {"count": 1, "amount": "100.00", "ils": "337.60", "usd": "100.00"},
    }
    assert (data["total_ils"], data["total_usd"]) == ("487.60", "144.43")
    assert (data["donation_count"], data["donor_count"], data["anonymous_count"]) == (2, 1, 1)
    assert data["rates"] == {
        "source": ["manual"],
        "pairs": ["USD/ILS"],
        "first_date": "2025-07-03",
        "last_date": "2025-07-03",
    }

    # Saturday uses Friday's rate.
    ledger.run("rates", "add", "2025-07-04", "USD", "ILS", "3.351")
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-05", "--amount", "100",
               "--currency", "USD")  # fmt: skip
    saturday = report(ledger)["by_day"]
    assert saturday[-1] == {"date": "2025-07-05", "count": 1, "ils": "335.10", "usd": "100.00"}
    shown = ledger.run("rates", "show", "2025-07-05", "USD", "ILS").stdout
    assert shown.strip() == "2025-07-05 USD/ILS = 3.3510 (manual 2025-07-04)"

    # Eight days after the last rate: recorded, but the report refuses naming pair and dates.
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-12", "--amount", "50")
    message = ledger.fails("report", "campaign", "dont-look-away", "--format", "json")
    assert message == (
        "Error: no USD/ILS rate in force on 2025-07-12: the latest known is 2025-07-04 "
        "(3.3510, manual), 8 days earlier, beyond the 7-day limit; add or import the rates for "
        "that date"
    )


def test_headline_at_a_fixed_rate(ledger: Shell) -> None:
    replace(ledger, in_process=True).run(
        "donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "800000"
    )
    data = report(ledger, "--fixed-rate", "1 ILS = 0.2911 USD")
    assert data["total_ils"] == "800000.00"
    assert data["fixed_rate"] == {
        "rate": "1 ILS = 0.2911 USD",
        "total_usd": "232880.00",
        "method": "total ILS × fixed rate, rounded half-up once",
    }


def test_a_reversal_restores_the_totals_and_cannot_be_repeated(ledger: Shell) -> None:
    replace(ledger, in_process=True).run(
        "donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "150"
    )
    before = report(ledger)
    added = ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                       "--amount", "99.99", "--currency", "USD", "--donor", "Typo")  # fmt: skip
    donation_id = added.stdout.split("#")[1].split(":")[0]
    assert report(ledger)["total_usd"] != before["total_usd"]
    reversed_ = ledger.run("donation", "reverse", donation_id, "--reason", "entered twice")
    assert f"of donation #{donation_id}: -99.99 USD" in reversed_.stdout
    after = report(ledger)
    assert (after["total_ils"], after["total_usd"]) == (before["total_ils"], before["total_usd"])
    assert after["donation_count"] == before["donation_count"]
    message = ledger.fails("donation", "reverse", donation_id, "--reason", "again")
    assert f"donation #{donation_id} was already reversed by #" in message

    listed = json.loads(ledger.run("donation", "list", "dont-look-away", "--format", "json").stdout)
    assert [(row["id"], row["amount"], row["reversed"]) for row in listed] == [
        (1, "150.00", False),
        (2, "99.99", True),
        (3, "-99.99", False),
    ]
    assert set(listed[0]) >= {"id", "date", "amount", "currency", "donor", "reference", "reversed"}
    csv_text = ledger.run("donation", "list", "dont-look-away", "--format", "csv").stdout
    assert csv_text.splitlines()[0].startswith("id,date,amount,currency,donor")
    assert len(csv_text.splitlines()) == 4
    table = ledger.run("donation", "list", "dont-look-away").stdout
    assert "reversed by #3" in table
    assert "reverses #2" in table


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["campaign", "add", "Bad Slug", "--name", "x"], "must be lowercase letters"),
        (["campaign", "add", "dont-look-away", "--name", "x"], "already exists"),
        (["donation", "add", "nope", "--date", "2025-07-03", "--amount", "1"],
         "no campaign 'nope'"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "1.005"],
         "more than 2 decimal places"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "-5"],
         "must be a positive amount"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "5",
          "--currency", "XYZ"], "unknown currency code 'XYZ'"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "5",
          "--donor", "New Donor", "--method", "m" * 40], "method is longer than 32"),
        (["donation", "reverse", "77", "--reason", "x"], "no donation #77"),
        (["rates", "add", "2025-07-03", "USD", "ILS", "0"], "must be greater than zero"),
        (["rates", "show", "2025-07-01", "USD", "ILS"], "no USD/ILS rate on or before 2025-07-01"),
        (["report", "campaign", "dont-look-away", "--fixed-rate", "1 EUR = 2 USD"],
         "must link ILS and USD"),
        (["report", "campaign", "dont-look-away", "--fixed-rate", "1 ILS = 0,2911 USD"],
         "not of the form"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "12,50"],
         "'12,50' is not a decimal number"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03",
          "--amount", "92233720368547758.08"], "larger than the ledger accepts"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "1" + "0" * 60],
         "too long to be an amount"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "5",
          "--currency", ""], "unknown currency code ''"),
        (["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "5",
          "--donor", "x" * 201], "the donor's name is longer than 200 characters"),
        (["rates", "add", "2025-07-03", "USD", "ILS", "3,376"], "'3,376' is not a decimal"),
        (["rates", "add", "2025-07-03", "USD", "ILS", "3.376", "--source", " "],
         "a rate needs its source"),
        (["campaign", "add", "goal-less", "--name", "x", "--goal", ""], "is not a decimal number"),
        (["campaign", "add", "long", "--name", "x", "--partner", "p" * 201],
         "partner's name (--partner) is longer than 200"),
        (["--db", "mysql://x@y/z", "campaign", "list"], "cannot use the database URL"),
        (["--db", "postgresql://h:abc/x", "campaign", "list"], "cannot use the database URL"),
        (["report", "campaign", "dont-look-away", "-o", "/proc/fundledger/x.json"],
         "cannot write /proc/fundledger/x.json"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_exit_1_and_write_nothing(
    quick_ledger: Shell, args: list[str], expected: str
) -> None:
    before = quick_ledger.row_counts()
    message = quick_ledger.fails(*args)
    assert message.startswith("Error: ")
    assert expected in message
    assert quick_ledger.row_counts() == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["donation", "add", "dont-look-away", "--date", "03/07/2025", "--amount", "1"],
         "is not a date: write it as YYYY-MM-DD"),
        (["rates", "show", "0001-01-02", "USD", "ILS"], "0001-01-02 is outside 1900–2199"),
        (["donation", "reverse", "99999999999999999999", "--reason", "x"], "is not in the range"),
        (["report", "campaign", "dont-look-away", "--format", "xml"],
         "Invalid value for '--format'"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2(quick_ledger: Shell, args: list[str], expected: str) -> None:
    result = quick_ledger.run(*args, expect=2)
    assert expected in result.stderr


def test_arguments_that_are_not_utf8_are_refused(ledger: Shell) -> None:
    result = subprocess.run(
        [str(FUNDLEDGER), "donation", "add", "dont-look-away", "--date", "2025-07-03",
         "--amount", "5", "--donor", b"Caf\xe9"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "FUNDLEDGER_DB": ledger.database_url},
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: argument 9 is not valid UTF-8 text: check the terminal's encoding or the file "
        "the value came from"
    )


def test_a_ledger_from_a_newer_fundledger_is_refused(quick_ledger: Shell) -> None:
    engine = make_engine(quick_ledger.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
    engine.dispose()
    for args in (["campaign", "list"], ["init"]):
        message = quick_ledger.fails(*args)
        assert "schema (0099_future) was made by a newer fundledger" in message


def test_a_missing_or_uninitialized_ledger_is_explained(shell: Shell) -> None:
    message = shell.fails("campaign", "list")
    assert "run `fundledger init`" in message or "create it with `fundledger init`" in message


def test_every_write_is_audited_with_who_and_what(ledger: Shell) -> None:
    ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "10")
    engine = make_engine(ledger.database_url)
    with engine.connect() as connection:
        events = connection.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.command).order_by(AuditEvent.id)
        ).all()
    engine.dispose()
    assert [event.action for event in events] == [
        "schema.upgrade",
        "campaign.add",
        "rate.add",
        "donation.add",
    ]
    assert {event.actor for event in events} == {"e2e"}
    assert events[-1].command.startswith("fundledger donation add dont-look-away")


def test_donor_list_counts_gifts_and_keeps_names_as_data(quick_ledger: Shell) -> None:
    for donor, amount in [("=SUM(A1:A9)", "10"), ("Ali <b>Bold</b> & Co", "20"),
                          ("=SUM(A1:A9)", "30")]:  # fmt: skip
        quick_ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                         "--amount", amount, "--donor", donor)  # fmt: skip
    listed = json.loads(quick_ledger.run("donor", "list", "--format", "json").stdout)
    assert [(row["name"], row["gifts"]) for row in listed] == [
        ("=SUM(A1:A9)", 2),
        ("Ali <b>Bold</b> & Co", 1),
    ]
    csv_lines = quick_ledger.run("donor", "list", "--format", "csv").stdout.splitlines()
    assert csv_lines[1].startswith("1,'=SUM(A1:A9),,2,")


def test_donor_merge_and_unmerge_from_the_command_line(quick_ledger: Shell) -> None:
    for donor in ("Dana Levi", "Dana Levy"):
        quick_ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                         "--amount", "10", "--donor", donor)  # fmt: skip
    merged = quick_ledger.run("donor", "merge", "2", "1", "--reason", "typo in the name")
    assert merged.stdout.strip() == "Recorded merge #1: donor #2 now counts as #1."
    assert report(quick_ledger)["donor_count"] == 1
    assert "merged into #1" in quick_ledger.run("donor", "list").stdout
    assert "already merged into #1" in quick_ledger.fails("donor", "merge", "2", "1",
                                                          "--reason", "again")  # fmt: skip
    undone = quick_ledger.run("donor", "unmerge", "1", "--reason", "two people")
    assert undone.stdout.strip() == "Recorded #2, undoing donor merge #1."
    assert report(quick_ledger)["donor_count"] == 2


def test_check_says_ok_or_names_the_problem_and_exits_1(quick_ledger: Shell) -> None:
    result = quick_ledger.run("check")
    assert result.stdout.splitlines()[0].startswith("ok    schema:")
    assert "FAIL" not in result.stdout
    engine = make_engine(quick_ledger.database_url)
    sqlite = engine.dialect.name == "sqlite"
    trigger = "donation_append_only_update" if sqlite else "donation_append_only"
    with engine.begin() as connection:
        connection.execute(text(f"DROP TRIGGER {trigger}" + ("" if sqlite else " ON donation")))
    engine.dispose()
    failed = quick_ledger.run("check", "--json", expect=1)
    triggers = next(entry for entry in json.loads(failed.stdout) if entry["check"] == "triggers")
    assert (triggers["passed"], triggers["problems"]) == (False, [
        f"trigger {trigger} is missing (or disabled): the rows it guards could have been "
        "changed"])  # fmt: skip
    plain = quick_ledger.run("check", expect=1)
    assert plain.stderr == "Problems found by: triggers.\n"


def test_check_names_an_imported_gift_changed_behind_the_ledgers_back(
    quick_ledger: Shell,
) -> None:
    gifts = quick_ledger.folder / "gifts.csv"
    gifts.write_text("date,amount,currency,donor,note\n2025-07-03,100,ILS,Dana Levi,\n"
                     '2025-07-03,250.50,USD,יעל Friedman,"a ""quoted"" note"\n'
                     "2025-07-04,18,ILS,,\n", encoding="utf-8")  # fmt: skip
    quick_ledger.run("import", "donations", "dont-look-away", str(gifts))
    assert quick_ledger.run("check").returncode == 0
    engine = make_engine(quick_ledger.database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER donation_append_only_update"))
        else:
            connection.execute(text("DROP TRIGGER donation_append_only ON donation"))
        connection.execute(text("UPDATE donation SET amount_minor = 2505 WHERE id = 2"))
    engine.dispose()
    failed = json.loads(quick_ledger.run("check", "--json", expect=1).stdout)
    chain = next(entry for entry in failed if entry["check"] == "chain")
    assert chain["problems"] == ["donation #2 does not fit the chain: it was changed, or the row "
                                 "before it was removed or moved"]  # fmt: skip


def test_audit_shows_the_trail_of_one_gift_or_of_a_period(quick_ledger: Shell) -> None:
    quick_ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount",
                     "100", "--donor", "Dana Levi")  # fmt: skip
    quick_ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount",
                     "12", "--donor", "Noa Cohen")  # fmt: skip
    quick_ledger.run("donation", "reverse", "1", "--reason", "bounced")
    events = json.loads(quick_ledger.run("audit", "--entity", "donation:1", "--format",
                                         "json").stdout)  # fmt: skip
    assert [(event["action"], event["entity_id"]) for event in events] == [
        ("donation.add", 1), ("donation.reverse", 3)]  # fmt: skip
    assert events[1]["reason"] == "bounced"
    everything = quick_ledger.run("audit").stdout
    assert "campaign.add" in everything
    assert "donation.reverse" in everything
    assert "(why: bounced)" in everything
    assert quick_ledger.run("audit", "--since", "2199-01-01", "--format", "json").stdout == "[]\n"
    usage = quick_ledger.run("audit", "--entity", "donation:x", expect=2).stderr
    assert "write a kind of row, or kind:ID (donation:42)" in usage


def _summaries_current(shell: Shell) -> bool:
    """Whether the stored summaries hold the whole ledger (a report would read them)."""
    from fundledger.adapters.db.engine import transaction
    from fundledger.services.context import CommandContext
    from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings
    from fundledger.services.summary_read import holds_ledger

    engine = make_engine(shell.database_url)
    try:
        with transaction(engine) as session:
            rules = ledger_settings(current_settings(session, RULE_KEYS))
            return holds_ledger(session, CommandContext(command="test", settings=rules))
    finally:
        engine.dispose()


def test_a_gift_a_reversal_and_a_corrected_rate_leave_the_summaries_current(
    quick_ledger: Shell,
) -> None:
    """Each write brings the stored summaries up to date in its own transaction: the report
    after it reads them instead of doing the upkeep itself; `check` agrees."""
    shell = quick_ledger
    report(shell)  # the summaries made
    added = shell.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                      "--amount", "120", "--currency", "USD")  # fmt: skip
    assert _summaries_current(shell)
    gift = added.stdout.split("#")[1].split(":")[0]
    shell.run("donation", "reverse", gift, "--reason", "entered twice")
    assert _summaries_current(shell)
    shell.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "80",
              "--currency", "USD")  # fmt: skip
    shell.run("rates", "add", "2025-07-03", "USD", "ILS", "3.4", "--supersede")
    assert _summaries_current(shell)
    assert report(shell)["total_ils"] == "272.00"
    assert "ok" in shell.run("check").stdout.lower()
    # A gift whose date has no rate in force yet is recorded all the same; the summaries
    # wait, and the report says what is missing.
    shell.run("donation", "add", "dont-look-away", "--date", "2025-06-01", "--amount", "5",
              "--currency", "USD")  # fmt: skip
    assert not _summaries_current(shell)
