"""The check of an import (`import donations --dry-run`, the web wizard's check step) says
what the import itself would, field by field, and writes nothing (services/donation_import.py).

Each file is checked in a transaction that COMMITS (so a write would stay and be seen), then
imported in one that is rolled back; the two outcomes (ImportOutcome, or the refusal with
every problem, or the error) must be equal, and the check must leave every table's row count,
the audit chain and the next ids as they were. Files are read seven rows at a time here, so
that a few dozen rows span several batches: what one batch's writes do for the next (donors
created, gifts written) is then exercised without big files. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import tomllib
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.db.import_bulk import next_id
from fundledger.adapters.db.models import AuditEvent, Base, Donation
from fundledger.adapters.donation_csv import DonationBatch, DonationFile, parse_mapping
from fundledger.domain.errors import FundledgerError
from fundledger.services import donation_import
from fundledger.services.donation_import import DonationImportRefused
from fundledger.services.donations import correct_donation
from fundledger.services.donors import set_language
from fundledger.services.import_profiles import ImportOutcome, ImportRequest, run_import
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "samples"
BAD = ROOT / "tests" / "data" / "bad"
HOSTILE = ROOT / "tests" / "data" / "hostile"
SLUG = "dont-look-away"

# The samples as the README's tour imports them: campaign, options.
SAMPLE_RUNS: list[tuple[str, str | None, dict[str, Any]]] = [
    ("card-export.csv", SLUG, {"date_format": "DMY"}),
    ("crm-export.csv", None, {"mapping": {"appeal": "campaign"}}),
    ("cash-box.csv", SLUG, {"currency": "ILS", "anonymous": True}),
    ("paypal-activity.csv", SLUG, {"profile": "paypal"}),
    ("stripe-payments.csv", SLUG, {"profile": "stripe"}),
    ("israelgives-donations.csv", SLUG, {"profile": "israelgives"}),
]


@pytest.fixture
def ledger(ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    def small_batches(source: DonationFile) -> AbstractContextManager[Iterator[DonationBatch]]:
        return closing(source.batches(7))

    monkeypatch.setattr(donation_import, "_reading", small_batches)
    campaign(ledger_engine)
    campaign(ledger_engine, "sakhnin-march")
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")  # the hostile corpus's ledger
    return ledger_engine


def state(engine: Engine) -> dict[str, Any]:
    """What a write would change: every table's rows, the audit chain's end, the next ids
    (on PostgreSQL the sequences, which even a rolled-back write advances)."""
    with transaction(engine) as session:
        counts = {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        chain_end = session.execute(
            select(AuditEvent.id, AuditEvent.chain_hash).order_by(AuditEvent.id.desc()).limit(1)
        ).first()
        ids = {table: next_id(session, table) for table in ("donor", "donation")}
    return {"rows": counts, "audit": tuple(chain_end or ()), "next ids": ids}


def attempt(
    engine: Engine, slug: str | None, path: Path, request: ImportRequest, *, check: bool,
    commit: bool = False,
) -> tuple[Any, ...]:  # fmt: skip
    try:
        with transaction(engine, write=True, commit=commit) as session:
            outcome = run_import(session, CONTEXT, slug, path, request, check=check)
    except DonationImportRefused as refused:
        return ("refused", refused.total, refused.problems, str(refused))
    except FundledgerError as error:
        return ("error", type(error).__name__, str(error))
    return ("imported", outcome)


def same(
    engine: Engine, slug: str | None, path: Path, request: ImportRequest | None = None
) -> tuple[Any, ...]:
    """The check's outcome, asserted equal to the import's and to write nothing."""
    request = request or ImportRequest()
    before = state(engine)
    checked = attempt(engine, slug, path, request, check=True, commit=True)
    assert state(engine) == before, f"the check of {path.name} wrote"
    imported = attempt(engine, slug, path, request, check=False)
    assert checked == imported, path.name
    return checked


def commit(engine: Engine, slug: str | None, path: Path, request: ImportRequest) -> ImportOutcome:
    done = attempt(engine, slug, path, request, check=False, commit=True)
    assert done[0] == "imported", done
    outcome: ImportOutcome = done[1]
    return outcome


def test_samples_bad_files_and_the_hostile_corpus(ledger: Engine) -> None:
    """Every sample (and again after its import: known as imported before, then with --again
    all present), every bad file and every donation file of the hostile corpus."""
    for name, slug, options in SAMPLE_RUNS:
        path, request = SAMPLES / name, ImportRequest(**options)
        first = same(ledger, slug, path, request)
        assert first[0] == "imported", name
        assert first[1].summary.imported > 0, name
        commit(ledger, slug, path, request)
        assert same(ledger, slug, path, request)[1].summary.earlier is not None, name
        again = same(ledger, slug, path, ImportRequest(**options, again=True))[1]
        assert (again.summary.imported, again.summary.present) == (0, first[1].summary.imported)

    outcomes = {same(ledger, SLUG, path)[0] for path in sorted(BAD.glob("*.csv"))}
    assert outcomes == {"refused", "error"}

    manifest = tomllib.loads((HOSTILE / "MANIFEST.toml").read_text("utf-8"))
    committed: set[str] = set()
    kinds = []
    for name, entry in manifest.items():
        if not entry["run"].startswith("import donations"):
            continue  # a rate file
        request = _request(entry.get("options", []))
        if request is None:
            continue  # refused by the command line before any import (a --map without '=')
        if (first := entry.get("first")) and first not in committed:
            commit(ledger, SLUG, HOSTILE / first, _request(manifest[first].get("options", [])))
            committed.add(first)
        kinds.append(same(ledger, SLUG, HOSTILE / name, request)[0])
    assert set(kinds) == {"imported", "refused", "error"}
    assert len(kinds) > 60


def _request(options: list[str]) -> Any:
    """The ImportRequest the command line makes of these options; None: it refuses them."""
    given: dict[str, Any] = {}
    pairs: list[str] = []
    words = iter(options)
    for word in words:
        if word == "--date-format":
            given["date_format"] = next(words)
        elif word == "--encoding":
            given["encoding"] = next(words)
        elif word == "--currency":
            given["currency"] = next(words)
        elif word == "--map":
            pairs.append(next(words))
        elif word == "--anonymous":
            given["anonymous"] = True
        else:
            assert word == "--dry-run", word
    try:
        return ImportRequest(**given, mapping=parse_mapping(tuple(pairs)))
    except FundledgerError:
        return None


HEADER = ["date", "amount", "currency", "donor", "email", "method", "reference", "note",
          "language"]  # fmt: skip


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows([HEADER, *rows])
    return path


# 32 rows, five batches of seven: donors repeated within and across batches (by e-mail and by
# name alone), identical rows without a reference (two gifts), names alike among the new donors
# and with donors held, languages offered twice to one new donor and to donors held, an
# unknown method, three currencies.
ROWS = [
    ["2025-07-01", "100", "ILS", "Noa Levi", "noa@example.org", "card", "R-01", "", "he"],
    ["2025-07-01", "20", "ILS", "", "", "cash", "", "box", ""],
    ["2025-07-01", "20", "ILS", "", "", "cash", "", "box", ""],
    ["2025-07-02", "50", "USD", "Dana Cohen", "dana@example.org", "card", "R-04", "", "en"],
    ["2025-07-02", "75", "ILS", "Samir Haddad", "", "bank", "", "", "ar"],
    ["2025-07-02", "80", "EUR", "Held Donor", "", "card", "R-06", "", "en"],
    ["2025-07-03", "30", "ILS", "Yael Avraham", "yael@example.org", "bit", "R-07", "", "he"],
    ["2025-07-03", "100", "ILS", "Noa Levi", "noa@example.org", "card", "R-08", "", "en"],
    ["2025-07-03", "60", "ILS", "dana  cohen", "dana.c@example.net", "card", "R-09", "", ""],
    ["2025-07-04", "75", "ILS", "Samir Haddad", "", "bank", "", "", "he"],
    ["2025-07-04", "40", "ILS", "Held Person", "held@example.org", "card", "R-11", "", "ar"],
    ["2025-07-04", "20", "ILS", "", "", "cash", "", "box", ""],
    ["2025-07-05", "15", "USD", "Held Donor", "", "Crypto", "R-13", "", "he"],
    ["2025-07-05", "90", "ILS", "Omar Nasser", "omar@example.org", "card", "R-14", "", "ar"],
    ["2025-07-05", "25", "ILS", "Dana-Cohen", "", "cash", "", "", ""],
    ["2025-07-06", "35", "ILS", "Noa Levi", "noa@example.org", "card", "R-16", "", "he"],
    ["2025-07-06", "45", "EUR", "Yael Avraham", "yael@example.org", "card", "R-17", "", "ar"],
    ["2025-07-06", "55", "ILS", "Rami Saleh", "", "card", "R-18", "", ""],
    ["2025-07-07", "65", "ILS", "Omar Nasser", "omar@example.org", "bit", "R-19", "", "ar"],
    ["2025-07-07", "20", "ILS", "", "", "cash", "", "box", ""],
    ["2025-07-07", "70", "USD", "Held Person", "held@example.org", "card", "R-21", "", "he"],
    ["2025-07-08", "85", "ILS", "rami saleh", "", "card", "R-22", "", "en"],
    ["2025-07-08", "95", "ILS", "Held Donor", "", "card", "", "", ""],
    ["2025-07-08", "12", "ILS", "Lina Odeh", "lina@example.org", "cash", "R-24", "", "ar"],
    ["2025-07-09", "13", "ILS", "Lina Odeh", "lina@example.org", "cash", "R-25", "", "he"],
    ["2025-07-09", "14", "ILS", "Noa Levi", "noa@example.org", "card", "R-26", "", ""],
    ["2025-07-09", "16", "ILS", "Samir Haddad", "", "bank", "", "", ""],
    ["2025-07-10", "17", "ILS", "Yael Avraham", "yael@example.org", "card", "R-28", "", ""],
    ["2025-07-10", "18", "ILS", "Omar Nasser", "omar@example.org", "card", "R-29", "", ""],
    ["2025-07-10", "19", "ILS", "Held Person", "held@example.org", "card", "R-30", "", ""],
    ["2025-07-11", "21", "ILS", "Lina Odeh", "lina@example.org", "card", "R-31", "", ""],
    ["2025-07-11", "22", "ILS", "Dana Cohen", "dana@example.org", "card", "R-32", "", ""],
]


def test_repeated_rows_and_donors_then_present_new_and_corrected(
    ledger: Engine, tmp_path: Path
) -> None:
    held = gift(ledger, "2025-06-01 10.00 ILS", donor="Held Donor")
    gift(ledger, "2025-06-02 10.00 ILS", donor="Held Person")
    whole = _write(tmp_path / "whole.csv", ROWS)

    fresh = same(ledger, SLUG, whole)[1].summary
    # What only the import's own writes decide, seen by the check as by the import.
    assert (fresh.imported, fresh.present) == (32, 0)
    # Noa, Dana, Samir, Yael, dana c., Held Person (by e-mail), Omar, Dana-Cohen, Rami, Lina.
    assert fresh.new_donors == 10
    assert fresh.possible_duplicates == [  # new and new, new and held
        ("Dana Cohen <dana@example.org>", "dana cohen <dana.c@example.net>", "Dana-Cohen"),
        ("Held Person", "Held Person <held@example.org>"),
    ]
    # A language offered twice to a new donor: the first taken, the other listed, by the id
    # the donor would take.
    assert [(kept.donor_id, kept.name) for kept in fresh.languages_kept] == [
        (1, "Held Donor"), (3, "Noa Levi"), (5, "Samir Haddad"), (6, "Yael Avraham"),
        (8, "Held Person"), (12, "Lina Odeh")]  # fmt: skip
    assert fresh.matched_by_name == {1: 3}  # Held Donor's rows, by name alone
    assert fresh.unknown_methods == {"Crypto": 1}

    # A first part imported, a donor given a language and a gift corrected: the whole file
    # is then part present (one corrected, some by content), part new.
    commit(ledger, SLUG, _write(tmp_path / "part.csv", ROWS[:12]), ImportRequest())
    with transaction(ledger) as session:
        first_gift = session.scalar(select(Donation.id).where(Donation.reference == "R-04"))
    assert first_gift is not None
    assert held.donor_id is not None
    run(ledger, lambda s, c: correct_donation(s, c, donation_id=first_gift, amount="55",
                                              reason="typo"))  # fmt: skip
    run(ledger, lambda s, c: set_language(s, c, donor_id=held.donor_id, language="ar"))
    mixed = same(ledger, SLUG, whole)[1].summary
    assert (mixed.imported, mixed.present, mixed.corrected) == (20, 12, 1)
    assert mixed.present_by_content == 5
    assert [(kept.name, kept.theirs, kept.offered) for kept in mixed.languages_kept[:1]] == [
        ("Held Donor", "ar", ("en", "he"))]  # fmt: skip
    assert mixed.possible_duplicates == [fresh.possible_duplicates[0]]  # Dana-Cohen is new

    # Refused: a line of a late batch clashes with a gift held, another is bad, and one gives
    # a donor by an e-mail too long to name them (which PostgreSQL's donor table would refuse
    # mid-import); every problem reported, by the check as by the import.
    long_email = "a" * 190 + "@example.org"
    clash = [*ROWS[12:25], ["2025-07-09", "999", "ILS", "X", "", "card", "R-07", "", ""],
             ["2025-07-09", "ten", "ILS", "Y", "", "card", "R-99", "", ""],
             ["2025-07-09", "5", "ILS", "", long_email, "card", "R-98", "", ""],
             ["2025-07-09", "6", "ILS", "Long", long_email, "card", "R-97", "", ""]]  # fmt: skip
    refused = same(ledger, SLUG, _write(tmp_path / "clash.csv", clash))
    assert refused[:2] == ("refused", 3)
    assert [problem.split(" #")[0].split(" (")[0] for problem in refused[2]] == [
        "clash.csv:15: reference: 'R-07' is already donation",
        "clash.csv:16: amount: 'ten' is not an amount",
        "clash.csv:17: email: 202 characters and no donor name: a donor known by e-mail alone "
        "is named by it, at most 200 characters; give the donor's name",
    ]


def test_references_of_fundledger_s_own_forms_are_imported_to_be_told(
    ledger: Engine, tmp_path: Path
) -> None:
    """A file that gives a row the reference fundledger made for another of its rows: only
    writing tells what the import does (the later row finds the earlier's gift), so the check
    runs the import itself, rolled back by its caller, and says the same."""
    gift(ledger, "2025-06-01 10.00 ILS")  # a ledger with gifts: the import looks rows up
    plain = _write(tmp_path / "plain.csv", ROWS[1:3])
    source = DonationFile(plain, home_currency="ILS")
    source.default_campaign = SLUG  # part of a row's content, as the import sets it
    with closing(source.batches()) as batches:
        made = next(batches).references[0]
    assert made.startswith("gift:")
    # No languages: a new donor's id in the outcome would differ on PostgreSQL, whose
    # sequences the first of these two imports advances though it is rolled back.
    rows = [[*row[:8], ""] for row in ROWS[1:12]]
    rows.append(["2025-07-01", "20", "ILS", "", "", "cash", made, "box", ""])
    path = _write(tmp_path / "made.csv", rows)
    request = ImportRequest()
    checked = attempt(ledger, SLUG, path, request, check=True)
    assert checked == attempt(ledger, SLUG, path, request, check=False)
    assert checked[0] == "imported"
    assert checked[1].summary.present == 1


def test_refunds_of_gifts_in_the_file_and_in_the_ledger(ledger: Engine, tmp_path: Path) -> None:
    """A refund reverses a gift of the same file (the id it would take) or one held; a second
    refund of the same gift reverses nothing."""
    paypal = ImportRequest(profile="paypal")
    lines = (SAMPLES / "paypal-activity.csv").read_text("utf-8").splitlines()
    refund = next(line for line in lines if "Payment Refund" in line)
    twice = refund.replace("7RF40026NP2345678", "7RF40026NP9999999")
    both = _text(tmp_path / "both.csv", [*lines, twice])
    in_file = same(ledger, SLUG, both, paypal)
    assert [each.reversal_id is None for each in in_file[1].reversed] == [False, True]
    assert len({each.donation_id for each in in_file[1].reversed}) == 1

    commit(ledger, SLUG, _text(tmp_path / "gifts.csv", [x for x in lines if x != refund]), paypal)
    held = same(ledger, SLUG, both, paypal)[1]
    assert [each.reversal_id is None for each in held.reversed] == [False, True]
    assert held.summary.imported == 0


def _text(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path
