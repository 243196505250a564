"""Issue #20's import items: nothing counted twice, no column silently ignored, one date
grammar, currencies in use, no control characters; each on both databases."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.models import AuditEvent, Donation, Donor, Setting
from fundledger.cli import cli
from fundledger.domain.dates import today_in_israel
from fundledger.domain.money import Money
from fundledger.services.donations import record_donation
from tests.ledger_helpers import campaign, run

HEADER = "date,amount,currency,donor,email,method,reference,note"


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", url, *args], prog_name="fundledger")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def rows(engine: Engine) -> tuple[int, int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            int(connection.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Donation, Donor, AuditEvent, Setting)
        )


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def import_file(url: str, path: str, *options: str) -> tuple[int, str, str]:
    return invoke(url, "import", "donations", "dont-look-away", path, *options)


# Item 1: the same gifts, re-saved or reformatted, are the same gifts.
RESAVED = {
    "other date format": (
        "2025-07-03,100.00,USD,Dana Levi,dana@example.org,card,,\n",
        "03/07/2025,100,usd,Dana Levi,dana@example.org,card,,\n",
        ("--date-format", "DMY"),
    ),
    "thousands separator": (
        '2025-07-03,"1,000.00",ILS,Noa,,cash,,\n',
        "2025-07-03,1000.00,ILS,Noa,,cash,,\n",
        (),
    ),
    "e-mail in capitals": (
        "2025-07-03,50,ILS,Dana Levi,dana@example.org,card,,\n",
        "2025-07-03,50,ILS,Dana Levi,DANA@Example.ORG,card,,\n",
        (),
    ),
    "spaces in the name and a method in capitals": (
        "2025-07-03,50,ILS,Sami Haddad,,bank,,\n",
        "2025-07-03,50,ILS, Sami  Haddad ,,BANK,,\n",
        (),
    ),
    "a note spaced otherwise": (
        "2025-07-03,50,ILS,Noa,,cash,,at the march\n",
        '2025-07-03,50,ILS,Noa,,cash,,"at the\n march "\n',
        (),
    ),
}


@pytest.mark.parametrize("change", sorted(RESAVED))
def test_a_resaved_export_without_references_adds_nothing(
    change: str, ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    first, second, options = RESAVED[change]
    code, _, stderr = import_file(ledger_url, write(tmp_path, "a.csv", f"{HEADER}\n{first}"))
    assert code == 0, stderr
    before = rows(ledger_engine)
    code, stdout, stderr = import_file(
        ledger_url, write(tmp_path, "b.csv", f"{HEADER}\n{second}"), *options
    )
    assert code == 0, stderr
    assert "0 new, 1 already present" in stdout
    assert rows(ledger_engine)[0] == before[0]


def test_an_added_anonymous_column_saying_no_changes_nothing(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    import_file(ledger_url, write(tmp_path, "a.csv", f"{HEADER}\n2025-07-03,80,ILS,Dana,,card,,\n"))
    code, stdout, _ = import_file(ledger_url, write(
        tmp_path, "b.csv", f"{HEADER},anonymous\n2025-07-03,80,ILS,Dana,,card,,,no\n"))  # fmt: skip
    assert (code, "0 new, 1 already present" in stdout) == (0, True)
    assert rows(ledger_engine)[0] == 1


def test_true_repeats_stay_two_gifts_and_a_longer_export_adds_only_the_new(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    cash = "2025-07-03,50,ILS,,,cash,,\n"
    import_file(ledger_url, write(tmp_path, "a.csv", f"{HEADER}\n{cash}{cash}"))
    assert rows(ledger_engine)[0] == 2  # two anonymous NIS 50 cash gifts on one day: two
    code, stdout, _ = import_file(
        ledger_url, write(tmp_path, "b.csv", f"{HEADER}\n{cash}{cash.replace('50', '50.00')}{cash}")
    )
    assert (code, "1 new, 2 already present" in stdout) == (0, True)
    assert rows(ledger_engine)[0] == 3


# Item 2: a column left unmapped.
PLATFORM = "Date,Sum,Coin,Name\n2025-07-03,100,USD,Dana Levi\n2025-07-04,200,EUR,Sami Haddad\n"


def test_an_unmapped_currency_column_is_refused_naming_it(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = write(tmp_path, "platform.csv", PLATFORM)
    before = rows(ledger_engine)
    code, stdout, stderr = import_file(ledger_url, path, "--map", "Date=date",
                                       "--map", "Sum=amount")  # fmt: skip
    assert code == 1
    assert stdout == ""
    assert stderr.strip() == (
        "Error: platform.csv:1: no column gives the currency, and the file has columns that are "
        "not read ('Coin', 'Name'): 'Coin' likely holds it, add --map \"Coin=currency\"; if "
        "every gift is in one currency, say which with --currency ILS"
    )
    code, _, stderr = import_file(ledger_url, path, "--map", "Date=date", "--map", "Sum=amount",
                                  "--map", "Coin=currency")  # fmt: skip
    assert code == 1
    assert "no column gives the donor" in stderr
    assert "'Name' likely holds it, add --map \"Name=donor\"" in stderr
    assert "--anonymous" in stderr
    assert rows(ledger_engine) == before
    code, stdout, _ = import_file(ledger_url, path, "--map", "Date=date", "--map", "Sum=amount",
                                  "--map", "Coin=currency", "--map", "Name=donor")  # fmt: skip
    assert code == 0
    assert "2 new" in stdout
    with ledger_engine.connect() as connection:
        assert sorted(connection.scalars(select(Donation.currency))) == ["EUR", "USD"]


def test_ignored_columns_are_listed_and_stated_currency_and_anonymity_are_used(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = write(tmp_path, "box.csv", "date,amount,Counted by\n2025-07-03,20,Noa\n")
    code, stdout, _ = import_file(ledger_url, path, "--dry-run", "--currency", "NIS",
                                  "--anonymous")  # fmt: skip
    assert code == 0
    assert stdout.splitlines()[0] == (
        "Columns not read: 'Counted by' (read one with --map \"COLUMN=FIELD\")."
    )
    assert "Would import box.csv" in stdout
    code, stdout, _ = import_file(ledger_url, path, "--currency", "USD", "--anonymous")
    assert code == 0
    with ledger_engine.connect() as connection:
        stored = connection.execute(select(Donation.currency, Donation.anonymous)).all()
    assert [tuple(row) for row in stored] == [("USD", True)]


def test_the_same_bytes_again_add_nothing_whatever_the_mapping(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = write(tmp_path, "platform.csv", PLATFORM)
    code, _, _ = import_file(ledger_url, path, "--map", "Sum=amount", "--map", "Coin=currency",
                             "--map", "Name=donor")  # fmt: skip
    assert code == 0
    before = rows(ledger_engine)
    # Read otherwise (the donors as notes): other content, but the very same file.
    code, stdout, _ = import_file(ledger_url, path, "--map", "Sum=amount", "--map",
                                  "Coin=currency", "--map", "Name=note", "--anonymous")  # fmt: skip
    assert code == 0
    assert "platform.csv was imported on " in stdout
    assert " as import #2 (2 gifts into dont-look-away): these very bytes" in stdout
    assert rows(ledger_engine) == before
    code, stdout, _ = import_file(ledger_url, path, "--map", "Sum=amount", "--map",
                                  "Coin=currency", "--map", "Name=note", "--anonymous",
                                  "--again")  # fmt: skip
    assert code == 0
    assert "2 new" in stdout  # insisted on, and read as other gifts


# Item 8: dates.
def test_a_gift_after_today_or_before_1900_is_refused_everywhere(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    tomorrow = today_in_israel().toordinal() + 1
    future = type(today_in_israel()).fromordinal(tomorrow).isoformat()
    before = rows(ledger_engine)
    code, _, stderr = invoke(ledger_url, "donation", "add", "dont-look-away", "--date", future,
                             "--amount", "10")  # fmt: skip
    assert code == 1
    assert f"{future} is after today" in stderr
    code, _, stderr = invoke(ledger_url, "donation", "add", "dont-look-away", "--date",
                             "1899-12-31", "--amount", "10")  # fmt: skip
    assert code != 0
    assert "1899-12-31" in stderr
    for cell in (future, "1899-12-31"):
        code, _, stderr = import_file(ledger_url, write(
            tmp_path, "d.csv", f"{HEADER}\n{cell},10,ILS,,,,,\n"))  # fmt: skip
        assert code == 1
        assert stderr.splitlines()[0].startswith(f"d.csv:2: date: '{cell}': {cell} is ")
    assert rows(ledger_engine) == before


@pytest.mark.parametrize("cell", ["20250703", "2025-W27-4", "2025-184", "2025-7-3"])
def test_the_importer_reads_dates_as_donation_add_does(
    cell: str, ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    code, _, stderr = import_file(ledger_url, write(
        tmp_path, "d.csv", f"{HEADER}\n{cell},10,ILS,,,,,\n"))  # fmt: skip
    assert code == 1
    assert stderr.splitlines()[0] == (
        f"d.csv:2: date: '{cell}' is not a date as ISO (e.g. 2025-07-03; see --date-format)"
    )
    code, _, stderr = invoke(ledger_url, "donation", "add", "dont-look-away", "--date", cell,
                             "--amount", "10")  # fmt: skip
    assert code == 2
    assert "is not a date: write it as YYYY-MM-DD" in stderr
    assert rows(ledger_engine)[0] == 0


# Item 9: currencies in use.
@pytest.mark.parametrize(("code", "instead"), [("DEM", "use EUR"), ("ILR", "use ILS"),
                                               ("XXX", "ILS, USD or EUR"),
                                               ("XTS", "ILS, USD or EUR"),
                                               ("XAU", "ILS, USD or EUR")])  # fmt: skip
def test_a_currency_not_in_use_is_refused_naming_the_one_to_use(
    code: str, instead: str, ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    before = rows(ledger_engine)
    status, _, stderr = invoke(ledger_url, "donation", "add", "dont-look-away", "--date",
                               "2025-07-03", "--amount", "10", "--currency", code)  # fmt: skip
    assert status == 1
    assert instead in stderr
    status, _, stderr = import_file(ledger_url, write(
        tmp_path, "d.csv", f"{HEADER}\n2025-07-03,10,{code},,,,,\n"))  # fmt: skip
    assert status == 1
    assert stderr.startswith(f"d.csv:2: currency: '{code}' ")
    assert instead in stderr.splitlines()[0]
    status, _, stderr = invoke(ledger_url, "settings", "set", "ledger.reporting_currency", code)
    assert status == 1
    assert instead in stderr
    assert rows(ledger_engine) == before


@pytest.mark.parametrize("written", ["NIS", "nis", "₪", "ils"])
def test_nis_and_the_shekel_sign_are_ils_everywhere(
    written: str, ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    status, stdout, _ = invoke(ledger_url, "donation", "add", "dont-look-away", "--date",
                               "2025-07-03", "--amount", "10", "--currency", written)  # fmt: skip
    assert (status, "10.00 ILS" in stdout) == (0, True)
    status, _, _ = import_file(ledger_url, write(
        tmp_path, "d.csv", f"{HEADER}\n2025-07-03,11,{written},,,,,\n"))  # fmt: skip
    assert status == 0
    with ledger_engine.connect() as connection:
        assert sorted(connection.scalars(select(Donation.currency))) == ["ILS", "ILS"]


# Item 10: control characters.
CONTROLS = {"ESC": "\x1b[31m", "BEL": "\x07", "C1 CSI": "\x9b2J", "DEL": "\x7f"}


@pytest.mark.parametrize("control", sorted(CONTROLS))
def test_control_characters_are_refused_with_line_and_field(
    control: str, ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    bad = CONTROLS[control]
    before = rows(ledger_engine)
    for field, line in (
        ("donor", f"2025-07-03,10,ILS,Dana{bad},,,,"),
        ("method", f"2025-07-03,10,ILS,,,card{bad},,"),
        ("reference", f"2025-07-03,10,ILS,,,,R{bad}1,"),
        ("note", f"2025-07-03,10,ILS,,,,,thanks{bad}"),
    ):
        status, _, stderr = import_file(ledger_url, write(tmp_path, "d.csv", f"{HEADER}\n{line}\n"))
        assert status == 1
        assert stderr.splitlines()[0].startswith(f"d.csv:2: {field}: holds the control character")
    for option in ("--donor", "--method", "--reference", "--note"):
        status, _, stderr = invoke(ledger_url, "donation", "add", "dont-look-away", "--date",
                                   "2025-07-03", "--amount", "10", option, f"x{bad}")  # fmt: skip
        assert status == 1
        assert "holds the control character" in stderr
        assert "\x1b" not in stderr
    status, _, stderr = invoke(ledger_url, "campaign", "add", "other", "--name", f"Other{bad}")
    assert status == 1
    status, _, stderr = invoke(ledger_url, "settings", "set", "organisation.name.en", f"Us{bad}")
    assert status == 1
    assert "holds the control character" in stderr
    assert rows(ledger_engine) == before


def test_a_tab_and_line_breaks_stay_allowed_in_notes(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    status, _, stderr = import_file(ledger_url, write(
        tmp_path, "d.csv", f'{HEADER}\n2025-07-03,10,ILS,,,,,"one\ttwo\nthree"\n'))  # fmt: skip
    assert status == 0, stderr
    status, _, _ = invoke(ledger_url, "donation", "add", "dont-look-away", "--date",
                          "2025-07-03", "--amount", "10", "--note", "a\tb")  # fmt: skip
    assert status == 0


# Messages that were unclear.
def test_utf8_sig_is_an_encoding_like_any_other(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = tmp_path / "bom.csv"
    path.write_text(f"{HEADER}\n2025-07-03,10,ILS,Dana,,,,\n", encoding="utf-8-sig")
    status, stdout, stderr = import_file(ledger_url, str(path), "--encoding", "utf-8-sig")
    assert (status, "1 new" in stdout) == (0, True), stderr


def test_an_unclosed_quote_names_the_line_it_opens_on(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    body = (f'{HEADER}\n2025-07-03,10,ILS,Dana,,,,\n2025-07-04,20,ILS,"Noa,,,,\n'
            "2025-07-05,5,ILS,,,,,\n")  # fmt: skip
    status, _, stderr = import_file(ledger_url, write(tmp_path, "q.csv", body))
    assert status == 1
    assert stderr.strip() == (
        'Error: q.csv:3: a quoted field that starts on this line is never closed (a " is missing)'
    )
    assert rows(ledger_engine)[0] == 0


def test_a_huge_cell_is_one_line(ledger_engine: Engine, ledger_url: str, tmp_path: Path) -> None:
    campaign(ledger_engine)
    body = f"{HEADER}\n2025-07-03,10,ILS,Dana,,,,\n2025-07-04,20,ILS,{'x' * 140_000},,,,\n"
    status, _, stderr = import_file(ledger_url, write(tmp_path, "huge.csv", body))
    assert status == 1
    assert stderr.strip() == (
        "Error: huge.csv:3: a field is longer than 131,072 characters: is a quote left open, or "
        "is this not a donation file?"
    )


def test_a_setting_value_may_begin_with_a_minus(ledger_engine: Engine, ledger_url: str) -> None:
    status, _, stderr = invoke(ledger_url, "settings", "set", "rates.max_age_days", "-1")
    assert status == 1
    assert stderr.strip() == "Error: '-1' is not a number of days from 0 to 31"


# Found in review: gifts imported before content keys, notes that tell gifts apart, and a
# file's own reference that looks like a content key.
def test_an_export_overlapping_one_imported_before_content_keys_adds_only_the_new(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    old_row = ["2025-07-03", "100", "USD", "Dana Levi", "dana@example.org", "card", "", "", ""]
    digest = hashlib.sha256("\x1f".join(old_row).encode()).hexdigest()[:20]
    run(ledger_engine, lambda s, c: record_donation(
        s, c, campaign_slug="dont-look-away", on=date(2025, 7, 3),
        amount=Money.parse("100", "USD"), donor_name="Dana Levi", donor_email="dana@example.org",
        method="card", reference=f"row:{digest}:1",
    ))  # fmt: skip
    code, stdout, _ = import_file(ledger_url, write(tmp_path, "again.csv", (
        f"{HEADER}\n2025-07-03,100,USD,Dana Levi,dana@example.org,card,,\n"
        "2025-07-04,20,ILS,Noa,,cash,,\n")))  # fmt: skip
    assert code == 0
    assert "1 new, 1 already present" in stdout
    assert rows(ledger_engine)[0] == 2


def test_gifts_alike_but_for_their_note_are_two_gifts(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    import_file(ledger_url, write(
        tmp_path, "t1.csv", f"{HEADER}\n2025-07-25,50,ILS,,,cash,,Sakhnin table 1\n"))  # fmt: skip
    code, stdout, _ = import_file(ledger_url, write(
        tmp_path, "t2.csv", f"{HEADER}\n2025-07-25,50,ILS,,,cash,,Sakhnin table 2\n"))  # fmt: skip
    assert (code, "1 new, 0 already present" in stdout) == (0, True)
    code, stdout, _ = import_file(ledger_url, write(
        tmp_path, "t3.csv", f"{HEADER}\n2025-07-25,50,ILS,,,cash,,Sakhnin  table 2\n"))  # fmt: skip
    assert "0 new, 1 already present" in stdout
    assert "1 of the rows already present has no reference and was known by its content" in stdout
    assert rows(ledger_engine)[0] == 2


def test_a_reference_given_by_the_file_is_checked_whatever_it_looks_like(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    import_file(ledger_url, write(tmp_path, "a.csv", f"{HEADER}\n2025-07-03,50,ILS,Noa,,cash,,\n"))
    with ledger_engine.connect() as connection:
        (key,) = connection.scalars(select(Donation.reference)).all()
    assert str(key).startswith("gift:")
    code, _, stderr = import_file(ledger_url, write(
        tmp_path, "b.csv", f"{HEADER}\n2025-07-01,999,USD,Sami,,card,{key},\n"))  # fmt: skip
    assert code == 1
    assert f"b.csv:2: reference: {key!r} is already donation #1" in stderr
