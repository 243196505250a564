"""`fundledger import donations`: every bad line reported, nothing half-written, idempotent."""

from __future__ import annotations

import csv
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, text

from fundledger.adapters import background
from fundledger.adapters.db.models import AuditEvent, Donation, Donor
from fundledger.adapters.donation_csv import DonationFile
from fundledger.cli import cli
from fundledger.services import donation_import
from fundledger.services.campaigns import add_campaign
from fundledger.services.context import CommandContext
from fundledger.services.donation_import import ImportSummary, import_donations
from fundledger.services.donations import list_donations
from tests.ledger_helpers import campaign, run

CAMPAIGN_NUMBERS = itertools.count()
BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
HEADER = "date,amount,currency,donor,email,method,reference,note"

# file -> what the one-line (or first) message must say; None: a problem per line below.
BAD_FILES = {
    "missing-date-column.csv": "missing-date-column.csv:1: header lacks the column date",
    "no-header.csv": "no-header.csv:1: header lacks the columns date, amount",
    "empty.csv": "empty.csv is empty",
    "binary.csv": "binary.csv:2: not a text file (it holds NUL bytes",
    "short-row.csv": "short-row.csv:3: row: has 2 fields but the header has 8",
    "long-row.csv": "long-row.csv:2: row: has 9 fields but the header has 8",
    "unclosed-quote.csv": "unclosed-quote.csv:",
    "duplicate-column.csv": "duplicate-column.csv:1: two columns are read as amount",
    "date-timestamp-overflow.csv": "date-timestamp-overflow.csv:2: date: '9999-12-31T23:00-05:00'",
    "amount-huge-digits.csv": "amount-huge-digits.csv:2: amount: '11111111111111111111'… is too",
    "not-utf8.csv": "not-utf8.csv:2: not utf-8 text; give the file's encoding with --encoding",
    "amount-empty.csv": "amount-empty.csv:2: amount: missing",
    "amount-zero.csv": "amount-zero.csv:2: amount: '0': a donation must be more than zero",
    "amount-negative.csv": "amount-negative.csv:2: amount: '-50': a donation must be more than",
    "amount-not-numeric.csv": "amount-not-numeric.csv:2: amount: 'fifty' is not an amount",
    "amount-nan.csv": "amount-nan.csv:2: amount: 'NaN' is not an amount",
    "amount-infinite.csv": "amount-infinite.csv:2: amount: 'inf' is not an amount",
    "amount-too-many-decimals.csv": "amount-too-many-decimals.csv:2: amount: '10.005' has more "
    "than 2 decimal places for ILS",
    "amount-too-large.csv": "amount-too-large.csv:2: amount: '99999999999999' is larger than",
    "date-impossible.csv": "date-impossible.csv:2: date: '2025-02-30' is not a date as ISO",
    "date-not-iso.csv": "date-not-iso.csv:2: date: '03/07/2025' is not a date as ISO",
    "currency-unknown.csv": "currency-unknown.csv:2: currency: unknown currency code 'XYZ'",
    "reference-repeated.csv": "reference-repeated.csv:3: reference: 'R1' already appears on line 2",
    "email-invalid.csv": "email-invalid.csv:2: email: 'dana-at-example.org' is not an e-mail",
    "anonymous-unclear.csv": "anonymous-unclear.csv:2: anonymous: 'maybe' is neither yes nor no",
}


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", url, *args], prog_name="fundledger")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Donation, Donor, AuditEvent)
        )


def import_text(engine: Engine, tmp_path: Path, body: str, name: str = "d.csv",
                **options: str) -> ImportSummary:  # fmt: skip
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")

    def work(session, context):  # type: ignore[no-untyped-def]
        source = DonationFile(path, home_currency="ILS", **options)  # type: ignore[arg-type]
        return import_donations(session, context, "dont-look-away", source)

    return run(engine, work)


@pytest.mark.parametrize(("name", "expected"), sorted(BAD_FILES.items()))
def test_each_bad_file_is_refused_naming_line_and_field(
    ledger_engine: Engine, ledger_url: str, name: str, expected: str
) -> None:
    campaign(ledger_engine)
    before = counts(ledger_engine)
    code, stdout, stderr = invoke(ledger_url, "import", "donations", "dont-look-away",
                                  str(BAD / name))  # fmt: skip
    assert code == 1
    assert stdout == ""
    assert expected in stderr
    assert "Traceback" not in stderr
    assert counts(ledger_engine) == before


@pytest.mark.parametrize(
    "name", ["unclosed-quote.csv", "not-utf8.csv", "several-problems.csv", "amount-nan.csv"]
)
def test_a_file_read_by_a_child_process_is_refused_the_same(
    ledger_engine: Engine, ledger_url: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large files are read by a child process: its problems and errors must reach the user
    # exactly as when this process reads the file.
    campaign(ledger_engine)
    in_process = invoke(ledger_url, "import", "donations", "dont-look-away", str(BAD / name))
    monkeypatch.setattr(donation_import, "READ_IN_CHILD_FROM_BYTES", 0)
    spawned: list[object] = []
    monkeypatch.setattr(
        donation_import, "InChildProcess",
        lambda *args: spawned.append(args) or background.InChildProcess(*args),
    )  # fmt: skip
    in_child = invoke(ledger_url, "import", "donations", "dont-look-away", str(BAD / name))
    assert spawned
    assert in_child == in_process
    assert in_child[0] == 1
    assert counts(ledger_engine)[0] == 0


def test_every_bad_line_is_reported_not_just_the_first(
    ledger_engine: Engine, ledger_url: str
) -> None:
    campaign(ledger_engine)
    code, _, stderr = invoke(ledger_url, "import", "donations", "dont-look-away",
                             str(BAD / "several-problems.csv"))  # fmt: skip
    assert code == 1
    lines = stderr.strip().splitlines()
    assert lines[:3] == [
        "several-problems.csv:3: date: '2025-13-01' is not a date as ISO (e.g. 2025-07-03; see "
        "--date-format)",
        "several-problems.csv:4: amount: '-1': a donation must be more than zero (record a "
        "correction with `fundledger donation reverse`)",
        "several-problems.csv:5: currency: unknown currency code 'QQQ': use an ISO 4217 code "
        "such as ILS, USD or EUR",
    ]
    assert lines[-1] == "Error: several-problems.csv: 3 problems; nothing imported"
    assert counts(ledger_engine)[0] == 0  # line 2 was good, and is not written either


def test_a_reference_stored_with_other_data_names_both(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    import_text(ledger_engine, tmp_path, f"{HEADER}\n2025-07-03,100,ILS,Dana,,card,R1,\n")
    with pytest.raises(Exception, match=r"d2\.csv: 1 problem") as refused:
        import_text(ledger_engine, tmp_path, f"{HEADER}\n2025-07-03,150,ILS,Dana,,card,R1,\n",
                    name="d2.csv")  # fmt: skip
    assert refused.value.problems == [  # type: ignore[attr-defined]
        "d2.csv:2: reference: 'R1' is already donation #1 (100.00 ILS on 2025-07-03 in "
        "dont-look-away); this line differs (150.00 ILS on 2025-07-03 in dont-look-away, donor, "
        "method, note or anonymity)"
    ]
    with pytest.raises(Exception, match=r"d3\.csv: 1 problem"):  # only the donor changed
        import_text(ledger_engine, tmp_path, f"{HEADER}\n2025-07-03,100,ILS,Sami,,card,R1,\n",
                    name="d3.csv")  # fmt: skip


def test_what_real_exports_contain(ledger_engine: Engine, tmp_path: Path) -> None:
    campaign(ledger_engine)
    body = (
        "\ufeffTransaction Date;Sum;Currency;Name;Email;Method;Transaction ID;Note;Anonymous\n"
        '03/07/2025;₪1,234;;Dana  Levi;DANA@example.org;card;T1;"two\nlines";no\n'
        "04/07/2025;$50;;Dana Levi;dana@example.org;paypal;T2;;\n"
        '05/07/2025;"1,000.50";EUR;Ali <b>Bold</b> & Co;;bank;T3;=SUM(A1:A9);\n'
        "06/07/2025;18;ILS;O'Brien & Sons <Ltd>;;cash;T4;;yes\n"
        "07/07/2025;36;ILS;\u200fנועה כהן – نور حداد;;cash;;;\n"
    )
    summary = import_text(
        ledger_engine, tmp_path, body, date_format="DMY",
        mapping={"transaction date": "date", "sum": "amount", "name": "donor",
                 "transaction id": "reference"},
    )  # fmt: skip
    # Dana (by e-mail), Ali, O'Brien (an anonymous gift still has its donor) and Noa.
    assert (summary.imported, summary.present, summary.new_donors) == (5, 0, 4)
    entries = run(ledger_engine, lambda s, c: list_donations(s, "dont-look-away"))
    assert [(str(e.date), str(e.amount), e.donor, e.anonymous, e.note) for e in entries] == [
        ("2025-07-03", "1234.00 ILS", "Dana Levi", False, "two\nlines"),
        ("2025-07-04", "50.00 USD", "Dana Levi", False, None),  # matched by e-mail
        ("2025-07-05", "1000.50 EUR", "Ali <b>Bold</b> & Co", False, "=SUM(A1:A9)"),
        ("2025-07-06", "18.00 ILS", "O'Brien & Sons <Ltd>", True, None),
        ("2025-07-07", "36.00 ILS", "\u200fנועה כהן – نور حداد", False, None),
    ]
    assert str(entries[-1].reference).startswith("gift:")


def test_rows_without_reference_are_known_by_content(ledger_engine: Engine, tmp_path: Path) -> None:
    """Re-saved with other line endings, or exported again with more rows: nothing twice;
    two identical gifts in one file stay two; an e-mail without a name is anonymous."""
    campaign(ledger_engine)
    rows = ["2025-07-03,100,ILS,,,cash,,", "2025-07-03,100,ILS,,,cash,,",
            "2025-07-04,50,ILS,,secret@example.org,card,,"]  # fmt: skip
    first = import_text(ledger_engine, tmp_path, "\n".join([HEADER, *rows]) + "\n")
    again = import_text(ledger_engine, tmp_path, "\r\n".join([HEADER, *rows]) + "\r\n",
                        name="crlf.csv")  # fmt: skip
    more = import_text(ledger_engine, tmp_path, "\n".join([HEADER, *rows, rows[0]]) + "\n",
                       name="more.csv")  # fmt: skip
    assert (first.imported, again.imported, again.present, more.imported) == (3, 0, 3, 1)
    entries = run(ledger_engine, lambda s, c: list_donations(s, "dont-look-away"))
    assert [e.anonymous for e in entries] == [True, True, True, True]
    assert entries[-1].email == "secret@example.org"


def test_local_times_in_day_first_dates(ledger_engine: Engine, tmp_path: Path) -> None:
    campaign(ledger_engine)
    import_text(ledger_engine, tmp_path, f"{HEADER}\n03/07/2025 23:30,100,ILS,Dana,,card,T1,\n",
                date_format="DMY")  # fmt: skip
    with pytest.raises(Exception, match=r"e\.csv: 1 problem") as refused:
        import_text(ledger_engine, tmp_path, f"{HEADER}\n03/07/2025 99:99,1,ILS,D,,card,T2,\n",
                    name="e.csv", date_format="DMY")  # fmt: skip
    assert "'03/07/2025 99:99' is not a date as DMY" in refused.value.problems[0]  # type: ignore[attr-defined]


def test_windows_1255_with_encoding_and_timestamps_in_israel(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = tmp_path / "excel.csv"
    path.write_bytes(
        f"{HEADER}\n2025-07-03T22:30:00+00:00,100,ILS,שרה לוי,,card,W1,\n".encode("cp1255")
    )

    def work(session, context):  # type: ignore[no-untyped-def]
        source = DonationFile(path, home_currency="ILS", encoding="cp1255")
        return import_donations(session, context, "dont-look-away", source)

    run(ledger_engine, work)
    (entry,) = run(ledger_engine, lambda s, c: list_donations(s, "dont-look-away"))
    assert (entry.donor, entry.date) == ("שרה לוי", date(2025, 7, 4))  # 01:30 in Israel


def test_dry_run_writes_nothing_and_the_summary_is_printed(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = tmp_path / "d.csv"
    rows = ["2025-07-03,100,ILS,Dana,d@x.org,card,R1,", "2025-07-03,50,USD,Dana,d@x.org,card,R2,"]
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    before = counts(ledger_engine)
    code, stdout, _ = invoke(ledger_url, "import", "donations", "dont-look-away", str(path),
                             "--dry-run")  # fmt: skip
    assert code == 0
    assert stdout.splitlines() == [
        "Would import d.csv into dont-look-away: 2 new, 0 already present, 1 new donor "
        "(dry run: nothing written).",
        "  100.00 ILS in 1 gift",
        "  50.00 USD in 1 gift",
    ]
    assert counts(ledger_engine) == before
    code, stdout, _ = invoke(ledger_url, "import", "donations", "dont-look-away", str(path))
    assert stdout.startswith("Imported d.csv into dont-look-away: 2 new, 0 already present")
    code, stdout, _ = invoke(ledger_url, "import", "donations", "dont-look-away", str(path))
    assert code == 0
    assert " as import #2 (2 gifts into dont-look-away): these very bytes, so nothing" in stdout
    code, stdout, _ = invoke(ledger_url, "import", "donations", "dont-look-away", str(path),
                             "--again")  # fmt: skip
    assert stdout.startswith("Imported d.csv into dont-look-away: 0 new, 2 already present")
    with ledger_engine.connect() as connection:
        actions = connection.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("donations.import") == 1


def test_likely_duplicate_donors_are_listed_never_merged(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    summary = import_text(ledger_engine, tmp_path, f"{HEADER}\n"
                          "2025-07-03,10,ILS,Zoë Cohen,zoe@a.org,card,A1,\n"
                          "2025-07-03,10,ILS,zoe  cohen,zoe@b.org,card,A2,\n"
                          "2025-07-03,10,ILS,Sami Haddad,,card,A3,\n")  # fmt: skip
    assert summary.new_donors == 3
    assert summary.possible_duplicates == [("Zoë Cohen <zoe@a.org>", "zoe cohen <zoe@b.org>")]


@pytest.mark.parametrize("load_all", [True, False], ids=["ledger-read-whole", "read-as-needed"])
def test_donors_are_matched_by_email_else_by_name(
    ledger_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, load_all: bool
) -> None:
    if not load_all:
        monkeypatch.setattr(donation_import, "LOAD_ALL_DONORS", 0)
    campaign(ledger_engine)
    import_text(ledger_engine, tmp_path, f"{HEADER}\n"
                "2025-07-01,10,ILS,Noa Levi,Noa@Example.org,card,B1,\n"
                "2025-07-01,10,ILS,Sami Haddad,,card,B2,\n"
                "2025-07-01,10,ILS,Sami Haddad,sami@example.org,card,B3,\n",
                name="a.csv")  # fmt: skip
    summary = import_text(ledger_engine, tmp_path, f"{HEADER}\n"
                          "2025-07-02,10,ILS,N. Levi,noa@EXAMPLE.org,card,C1,\n"
                          "2025-07-02,10,ILS,sami  HADDAD,,card,C2,\n"
                          "2025-07-02,10,ILS,Sami Haddad,other@example.org,card,C3,\n"
                          "2025-07-02,10,ILS,,,card,C4,\n", name="b.csv")  # fmt: skip
    assert summary.new_donors == 1  # only other@example.org
    with ledger_engine.connect() as connection:
        donor_of: dict[str | None, int | None] = dict(
            connection.execute(select(Donation.reference, Donation.donor_id)).all()
        )
    assert donor_of["C1"] == donor_of["B1"]  # by e-mail, whatever the case and the name
    assert donor_of["C2"] == donor_of["B2"]  # by name, for the donor known without e-mail
    assert donor_of["C3"] not in (donor_of["B2"], donor_of["B3"])
    assert donor_of["C4"] is None


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.sets(st.integers(1, 60), min_size=1, max_size=30), st.data())
def test_importing_overlapping_files_gives_the_union(
    ledger_engine: Engine, tmp_path: Path, numbers: set[int], data: st.DataObject
) -> None:
    slug = f"c{next(CAMPAIGN_NUMBERS)}"
    run(ledger_engine, lambda s, c: add_campaign(s, c, slug=slug, name=slug))
    ordered = sorted(numbers)
    half = ordered[: len(ordered) // 2 + 1]
    extra = data.draw(st.sets(st.integers(61, 90), max_size=10))

    def body(items: list[int]) -> str:
        return HEADER + "\n" + "".join(f"2025-07-03,{n},ILS,Donor {n},,card,{slug}-{n},\n"
                                       for n in items)  # fmt: skip

    def do_import(items: list[int], name: str) -> ImportSummary:
        path = tmp_path / name
        path.write_text(body(items), encoding="utf-8")

        def work(session, context):  # type: ignore[no-untyped-def]
            return import_donations(session, context, slug, DonationFile(path, home_currency="ILS"))

        return run(ledger_engine, work)

    do_import(ordered, f"{slug}-a.csv")
    assert do_import(ordered, f"{slug}-a.csv").imported == 0
    overlap = do_import(half + sorted(extra), f"{slug}-b.csv")
    assert overlap.imported == len(extra)
    entries = run(ledger_engine, lambda s, c: list_donations(s, slug))
    assert sorted(int(e.amount.amount) for e in entries) == sorted(numbers | extra)


def wait_until_writing(engine: Engine, url: str) -> None:
    """Returns once an import holds the write lock and has had time to write (SQLite), or
    runs its COPY (PostgreSQL)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if engine.dialect.name == "sqlite":
            probe = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.rollback()
            except sqlite3.OperationalError:  # locked: the import's transaction is open
                time.sleep(0.4)
                return
            finally:
                probe.close()
        else:
            with engine.connect() as connection:
                if connection.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE 'COPY donation%'"
                )):  # fmt: skip
                    return
        time.sleep(0.02)
    raise AssertionError("the import did not start writing within a minute")


def test_an_import_killed_half_way_leaves_the_ledger_as_it_was(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(200_000):
            out.write(f"2025-07-{n % 28 + 1:02d},{n % 900 + 1},ILS,Donor {n % 5000},,card,K{n},\n")
    before = counts(ledger_engine)
    fundledger = str(Path(sys.executable).with_name("fundledger"))
    command = [fundledger, "--db", ledger_url, "import", "donations", "dont-look-away", str(path)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_writing(ledger_engine, ledger_url)
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert counts(ledger_engine) == before
    if ledger_engine.dialect.name == "sqlite":
        with ledger_engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    assert counts(ledger_engine)[0] == 200_000


def test_who_imported_is_stored_exactly_whatever_the_quotes(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = tmp_path / "d.csv"
    lines = [f"2025-07-03,{n},ILS,D{n},,card,Q{n},\n" for n in range(1, 10_002)]
    path.write_text(f"{HEADER}\n" + "".join(lines), encoding="utf-8")
    actor = "O'Brien'); DROP TABLE donation; --"

    def work(session, context):  # type: ignore[no-untyped-def]
        treasurer = CommandContext(command="import", actor=actor)
        return import_donations(session, treasurer, "dont-look-away",
                                DonationFile(path, home_currency="ILS"))  # fmt: skip

    assert run(ledger_engine, work).imported == 10_001
    with ledger_engine.connect() as connection:
        recorded_by = connection.scalars(select(Donation.recorded_by).distinct()).all()
    assert recorded_by == [actor]


def schema_of(engine: Engine) -> list[tuple[str, ...]]:
    """Every index, constraint and trigger of the ledger, as the database describes it."""
    query = (
        "SELECT type, name, coalesce(sql, '') FROM sqlite_master ORDER BY name, type"
        if engine.dialect.name == "sqlite"
        else "SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE connamespace = current_schema()::regnamespace "
        "UNION ALL SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = "
        "current_schema() UNION ALL SELECT 'trigger', tgname, pg_get_triggerdef(oid) "
        "FROM pg_trigger WHERE NOT tgisinternal ORDER BY 2, 1, 3"
    )
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def test_a_large_import_leaves_the_schema_and_the_text_exactly_as_given(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    # Large imports drop indexes (and, on PostgreSQL, foreign keys) and write in bulk.
    campaign(ledger_engine)
    before = schema_of(ledger_engine)
    # Tabs and line breaks only in notes: other text refuses control characters.
    awkward = ["back\\slash \\N", "\\N", "ש\u200fلا", 'quote"s', "semi;colon"]
    notes = ["tab\there", "two\nlines", "cr\rhere", *awkward]
    path = tmp_path / "d.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER.split(","))
        for n in range(1, 12_001):
            text_value, note = awkward[n % len(awkward)], notes[n % len(notes)]
            writer.writerow(["2025-07-03", n, "ILS", f"D {text_value} {n}", "",
                             text_value[:32], f"R{n} {text_value}", note])  # fmt: skip
    assert import_text_file(ledger_engine, path).imported == 12_000
    assert schema_of(ledger_engine) == before
    with ledger_engine.connect() as connection:
        stored = connection.execute(
            select(Donation.method, Donation.reference, Donation.note, Donor.name)
            .join(Donor, Donor.id == Donation.donor_id)
            .where(Donation.amount_minor == 700)
        ).one()
    value = awkward[7 % len(awkward)]
    assert tuple(stored) == (value, f"R7 {value}", notes[7 % len(notes)], f"D {value} 7")


def import_text_file(engine: Engine, path: Path) -> ImportSummary:
    def work(session, context):  # type: ignore[no-untyped-def]
        return import_donations(session, context, "dont-look-away",
                                DonationFile(path, home_currency="ILS"))  # fmt: skip

    return run(engine, work)


def _campaign_rows(engine: Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as connection:
        query = text("SELECT c.slug, d.reference, d.amount_minor FROM donation d "
                     "JOIN campaign c ON c.id = d.campaign_id ORDER BY d.id")  # fmt: skip
        return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


def test_a_campaign_column_sends_each_gift_to_its_campaign(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    campaign(ledger_engine, "summer-camp")
    path = tmp_path / "appeals.csv"
    path.write_text("date,amount,donor,reference,Appeal\n2025-07-03,100,Dana,R1,summer-camp\n"
                    "2025-07-03,50,Noa,R2,\n2025-07-04,20,Dana,R3,dont-look-away\n",
                    encoding="utf-8")  # fmt: skip
    code, stdout, _ = invoke(ledger_url, "import", "donations", "dont-look-away", str(path),
                             "--map", "Appeal=campaign")  # fmt: skip
    assert code == 0
    assert stdout.splitlines()[:3] == [
        "Imported appeals.csv into 2 campaigns: 3 new, 0 already present, 2 new donors.",
        "  dont-look-away: 2 new gifts",
        "  summer-camp: 1 new gift",
    ]
    assert _campaign_rows(ledger_engine) == [
        ("summer-camp", "R1", 10000), ("dont-look-away", "R2", 5000),
        ("dont-look-away", "R3", 2000)]  # fmt: skip
    with ledger_engine.connect() as connection:
        audited = connection.execute(text(
            "SELECT entity_id, details FROM audit_event WHERE action = 'donations.import' "
            "ORDER BY id")).all()  # fmt: skip
    assert [(entity_id, json.loads(details)["imported"]) for entity_id, details in audited] == [
        (1, 2), (2, 1)]  # fmt: skip
    code, stdout, _ = invoke(ledger_url, "import", "donations", "dont-look-away", str(path),
                             "--map", "Appeal=campaign", "--again")  # fmt: skip
    assert (code, stdout.splitlines()[0]) == (
        0,
        "Imported appeals.csv into dont-look-away: 0 new, 3 already present, 0 new donors.",
    )
    path.write_text("date,amount,donor,reference,campaign\n2025-07-03,100,Dana,R1,dont-look-away\n",
                    encoding="utf-8")  # fmt: skip
    code, _, stderr = invoke(ledger_url, "import", "donations", str(path))
    assert code == 1
    assert (
        "appeals.csv:2: reference: 'R1' is already donation #1 (100.00 ILS on 2025-07-03 in "
        "summer-camp); this line differs (100.00 ILS on 2025-07-03 in dont-look-away" in stderr
    )


def test_without_a_slug_every_gift_must_name_a_campaign_in_the_ledger(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = tmp_path / "appeals.csv"
    path.write_text("date,amount,campaign\n2025-07-03,100,dont-look-away\n2025-07-03,50,\n"
                    "2025-07-04,20,winter\n", encoding="utf-8")  # fmt: skip
    before = counts(ledger_engine)
    code, _, stderr = invoke(ledger_url, "import", "donations", str(path))
    assert code == 1
    assert stderr.splitlines()[:2] == [
        "appeals.csv:3: campaign: empty: name the gift's campaign, or the campaign of every gift "
        "without one, as in `fundledger import donations SLUG FILE`",
        "appeals.csv:4: campaign: no campaign 'winter' in the ledger: add it with `fundledger "
        "campaign add winter --name NAME`, or correct the line",
    ]
    assert counts(ledger_engine) == before
    path.write_text("date,amount\n2025-07-03,100\n", encoding="utf-8")
    code, _, stderr = invoke(ledger_url, "import", "donations", str(path))
    assert (code, stderr) == (1, "Error: appeals.csv has no campaign column: name the campaign "
                                 "of its gifts, as in `fundledger import donations SLUG "
                                 "appeals.csv`\n")  # fmt: skip
    code, _, stderr = invoke(ledger_url, "import", "donations", "a", "b", "c")
    assert code == 2
    assert "too many arguments (3): give [SLUG] FILE" in stderr
    code, _, stderr = invoke(ledger_url, "import", "donations", "dont-look-away", "nowhere.csv")
    assert code == 2
    assert "'nowhere.csv' does not exist." in stderr
