"""`fundledger check --anchor` as a treasurer runs it: the anchor printed once, noted outside
the ledger, then given back; and every command that writes leaves its rows covered by an
audit event, so a ledger kept with the commands alone passes `check`."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text

from fundledger.adapters.db.engine import make_engine
from tests.e2e.shell import Shell


def anchor_of(shell: Shell) -> str:
    checked = json.loads(shell.run("check", "--json").stdout)
    chain = next(entry for entry in checked if entry["check"] == "chain")
    anchor = chain["data"]["anchor"]["chain_hash"]
    assert f"chain hash {anchor}: note it outside the ledger" in shell.run("check").stdout
    return str(anchor)


def anchor_entry(shell: Shell, anchor: str, expect: int = 0) -> dict[str, Any]:
    checked = json.loads(shell.run("check", "--json", "--anchor", anchor, expect=expect).stdout)
    entry: dict[str, Any] = next(entry for entry in checked if entry["check"] == "anchor")
    return entry


def test_the_anchor_holds_and_what_came_after_it_is_listed(quick_ledger: Shell) -> None:
    anchor = anchor_of(quick_ledger)  # after init, `campaign add`, `rates add`: event #3
    plain = quick_ledger.run("check", "--anchor", anchor).stdout
    assert f"ok    anchor: the audit trail still holds, at its place, the audit event noted " \
           f"outside the ledger ({anchor[:12]}...)" in plain  # fmt: skip
    assert "no audit event since: nothing was written after it" in plain
    quick_ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount",
                     "500000", "--donor", "Dana Levi")  # fmt: skip
    entry = anchor_entry(quick_ledger, anchor.upper())
    assert (entry["passed"], entry["data"]["audit_event"], entry["data"]["events_since"]) == (
        True, 3, 2)  # fmt: skip
    assert [(event["id"], event["action"], event["actor"]) for event in entry["data"]["since"]] == [
        (4, "donor.add", "e2e"), (5, "donation.add", "e2e")]  # fmt: skip
    listed = quick_ledger.run("check", "--anchor", anchor).stdout
    assert "2 audit events since (shown, not judged: see that each was yours):" in listed
    assert " donation.add by e2e" in listed
    assert anchor_of(quick_ledger) != anchor


def test_an_anchor_the_trail_no_longer_holds_fails(quick_ledger: Shell) -> None:
    unknown = "0" * 64
    entry = anchor_entry(quick_ledger, unknown, expect=1)
    assert entry["problems"] == [
        f"no audit event has the chain hash {unknown}: the audit trail was rewritten or cut after "
        "that anchor was noted (or it is another ledger's)"]  # fmt: skip
    assert entry["data"] == {"chain_hash": unknown, "audit_event": None, "events_since": None,
                             "since": []}  # fmt: skip
    assert quick_ledger.run("check", "--anchor", unknown, expect=1).stderr == (
        "Problems found by: anchor.\n")  # fmt: skip


def test_a_held_anchor_does_not_hide_a_broken_chain(quick_ledger: Shell) -> None:
    anchor = anchor_of(quick_ledger)
    engine = make_engine(quick_ledger.database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER campaign_append_only_update"))
        else:
            connection.execute(text("DROP TRIGGER campaign_append_only ON campaign"))
        connection.execute(text("UPDATE campaign SET goal_minor = 100"))
    engine.dispose()
    assert anchor_entry(quick_ledger, anchor, expect=1)["passed"]
    assert quick_ledger.run("check", "--anchor", anchor, expect=1).stderr == (
        "Problems found by: triggers, chain.\n")  # fmt: skip


def test_an_anchor_is_given_in_full(quick_ledger: Shell) -> None:
    anchor = anchor_of(quick_ledger)
    short = quick_ledger.run("check", "--anchor", anchor[:12], expect=2).stderr
    assert f"'{anchor[:12]}' has 12 digits: give all 64 of the anchor" in short
    wrong = quick_ledger.run("check", "--anchor", "g" * 64, expect=2).stderr
    assert "is not a chain hash: an anchor is 64 hexadecimal digits" in wrong


def test_a_ledger_kept_with_the_commands_alone_has_every_row_covered(quick_ledger: Shell) -> None:
    """Each command that writes chained rows records its audit event after them."""
    folder = quick_ledger.folder
    (folder / "rates.csv").write_text("date,base,quote,rate,source\n2025-07-04,USD,ILS,3.37,BOI\n"
                                      "2025-07-03,USD,ILS,3.3761,manual\n",
                                      encoding="utf-8")  # fmt: skip
    (folder / "gifts.csv").write_text("date,amount,currency,donor,email,reference\n"
                                      "2025-07-03,100,ILS,Noa Cohen,noa@example.org,B-1\n"
                                      "2025-07-04,18,USD,Ali Nasser,,B-2\n",
                                      encoding="utf-8")  # fmt: skip
    for command in (
        ("campaign", "add", "convoy", "--name", "Car convoy", "--start", "2025-07-05"),
        ("settings", "set", "organisation.name.en", "Peace Coalition"),
        ("settings", "set", "organisation.section46.approval", "4512"),
        ("rates", "import", str(folder / "rates.csv"), "--supersede"),
        ("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "100",
         "--donor", "Dana Levi"),
        ("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "50",
         "--donor", "Dana Levy"),
        ("import", "donations", "dont-look-away", str(folder / "gifts.csv")),
        ("receipt", "issue", "1", "--date", "2025-08-01"),
        ("donation", "reverse", "1", "--reason", "bounced"),
        ("donor", "merge", "2", "1", "--reason", "typo"),
        ("donor", "unmerge", "1", "--reason", "two people"),
        ("donor", "set-id", "3", "123456782", "--reason", "on the bank form"),
        ("donor", "set-id", "3", "--clear"),
        ("settings", "unset", "organisation.section46.approval"),
    ):  # fmt: skip
        quick_ledger.run(*command)
    checked = json.loads(quick_ledger.run("check", "--json").stdout)
    assert all(entry["passed"] for entry in checked), checked
