"""An import's donor columns (ID number, address, phone, language) on SQLite and PostgreSQL:
kept with the donor as one revision per donor, a donor's own detail kept against the file,
a bad ID number refused by line and field, and never a gift of their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.models import AuditEvent, Donation, DonorRevision
from fundledger.adapters.donation_csv import DonationFile
from fundledger.domain.access import Actor, Role
from fundledger.services.donation_import import (
    DonationImportRefused,
    ImportSummary,
    import_donations,
)
from fundledger.services.donors import DonorDetails, donor_details, edit_donor, list_donors
from fundledger.services.import_profiles import ImportRequest, run_import
from fundledger.services.integrity import check_ledger
from tests.ledger_helpers import campaign, gift, run

KEEPER = Actor("dana", Role.TREASURER)

PLATFORMS = Path(__file__).parents[2] / "samples"  # the exports the README tour imports
HEADER = "date,amount,currency,donor,email,method,reference,note"


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    gift(ledger_engine, "2025-07-01 100.00 ILS", donor="Dana Levi")  # donor 1
    run(ledger_engine, lambda s, c: edit_donor(
        s, c, donor_id=1, reason="told us", tax_id="034567891", phone="050-1234567"))  # fmt: skip
    return ledger_engine


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def import_file(engine: Engine, path: Path, *, again: bool = False) -> ImportSummary:
    source = DonationFile(path, home_currency="ILS")
    return run(engine, lambda s, c: import_donations(s, c, "dont-look-away", source, again=again))


def donors(engine: Engine) -> dict[str, DonorDetails]:
    return run(engine, lambda s, _: {donor.name: donor_details(s, donor.id, actor=KEEPER)
                                     for donor in list_donors(s)})  # fmt: skip


def revisions(engine: Engine) -> dict[int, int]:
    """Revisions by donor."""
    by_donor = select(DonorRevision.donor_id, func.count()).group_by(DonorRevision.donor_id)
    return run(
        engine, lambda s, _: {int(donor): int(count) for donor, count in s.execute(by_donor)}
    )


def gifts(engine: Engine) -> int:
    return run(engine, lambda s, _: s.scalar(select(func.count()).select_from(Donation)))


def import_events(engine: Engine) -> list[dict[str, object]]:
    return run(engine, lambda s, _: [json.loads(details) for details in s.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "donations.import")
        .order_by(AuditEvent.id))])  # fmt: skip


def assert_clean(engine: Engine) -> None:
    problems = {result.name: result.problems for result in run(engine, check_ledger)}
    assert all(not found for found in problems.values()), problems


DETAILED = (
    f"{HEADER},ID number,Address,Phone,language\n"
    # Donor 1 has an ID number and a phone: keeps both (the phone is theirs, written
    # otherwise), takes the address.
    '2025-07-03,40,ILS,Dana Levi,,card,,,204681357,"Herzl 12, Haifa",0501234567,\n'
    # New: takes all four in one revision; their second line's other phone is listed.
    "2025-07-03,50,ILS,Noa Cohen,noa@example.org,card,,,315926485,Yafo 80,052-7654321,he\n"
    "2025-07-04,60,ILS,Noa Cohen,noa@example.org,card,,,,,053-0000000,\n"
    # Anonymous, yet known by e-mail: the details are that donor's.
    "2025-07-04,70,ILS,,ali@example.net,cash,,,058234170,,,ar\n"
    # No name, no e-mail: no donor to keep them.
    "2025-07-04,80,ILS,,,cash,,,034567891,Nowhere 1,03-5555555,\n"
)


def test_details_are_one_revision_per_donor_and_a_donors_own_are_kept(
    ledger: Engine, tmp_path: Path
) -> None:
    before = revisions(ledger)
    summary = import_file(ledger, write(tmp_path / "crm.csv", DETAILED))
    assert (summary.imported, summary.new_donors) == (5, 2)
    assert summary.ignored_columns == []
    assert summary.details_set == {"tax_id": 2, "address": 2, "phone": 1}
    assert summary.languages_set == {"he": 1, "ar": 1}
    assert [(kept.donor_id, kept.name, kept.field, kept.theirs, kept.offered)
            for kept in summary.details_kept] == [
        (1, "Dana Levi", "tax_id", "034567891", ("204681357",)),
        (2, "Noa Cohen", "phone", "052-7654321", ("053-0000000",)),
    ]  # fmt: skip
    held = donors(ledger)
    dana, noa, ali = held["Dana Levi"], held["Noa Cohen"], held["ali@example.net"]
    assert (dana.tax_id, dana.address, dana.phone) == ("034567891", "Herzl 12, Haifa",
                                                       "050-1234567")  # fmt: skip
    assert (noa.tax_id, noa.address, noa.phone, noa.language) == (
        "315926485", "Yafo 80", "052-7654321", "he")  # fmt: skip
    assert (ali.tax_id, ali.address, ali.phone, ali.language) == ("058234170", None, None, "ar")
    # One revision per donor for the file, whatever the number of its columns.
    assert revisions(ledger) == {1: before[1] + 1, 2: 1, 3: 1}
    assert noa.history[-1].reason == "the language, ID number, address and phone columns of crm.csv"
    assert dana.history[-1].reason == "the address column of crm.csv"
    [event] = import_events(ledger)
    assert event["donor_details"] == {"set": {"address": 2, "phone": 1, "tax_id": 2}, "kept": 2}
    assert event["donor_languages"] == {"set": {"ar": 1, "he": 1}, "kept": 0}
    assert "204681357" not in json.dumps(event)  # the trail names no identity number
    assert_clean(ledger)


def test_the_same_file_again_adds_nothing(ledger: Engine, tmp_path: Path) -> None:
    path = write(tmp_path / "crm.csv", DETAILED)
    import_file(ledger, path)
    held, revised, count = donors(ledger), revisions(ledger), gifts(ledger)
    again = import_file(ledger, path, again=True)
    assert (again.imported, again.present, again.new_donors) == (0, 5, 0)
    assert (again.details_set, again.languages_set) == ({}, {})
    assert len(again.details_kept) == 2  # still said: the file still disagrees with them
    assert (donors(ledger), revisions(ledger), gifts(ledger)) == (held, revised, count)
    assert import_file(ledger, path).earlier is not None  # the very bytes: not read at all
    assert_clean(ledger)


def test_a_bad_id_number_is_refused_by_line_and_field_and_nothing_is_written(
    ledger: Engine, tmp_path: Path
) -> None:
    revised, count = revisions(ledger), gifts(ledger)
    with pytest.raises(DonationImportRefused) as refused:
        import_file(ledger, write(tmp_path / "bad.csv", (
            "date,amount,donor,ת.ז.,טלפון\n"
            "2025-07-03,40,Noa Cohen,315926485,052-7654321\n"
            "2025-07-03,50,Ali Nasser,315926484,\n"
            f"2025-07-03,60,Rami Saleh,,{'5' * 33}\n"
        )))  # fmt: skip
    assert refused.value.problems == [
        "bad.csv:3: tax_id: '315926484' is not an Israeli identity number: nine digits whose "
        "last is the check digit",
        "bad.csv:4: phone: longer than 32 characters",
    ]
    assert (revisions(ledger), gifts(ledger)) == (revised, count)
    assert "Noa Cohen" not in donors(ledger)


def test_details_added_to_a_file_imported_before_add_no_gift(
    ledger: Engine, tmp_path: Path
) -> None:
    rows = ["2025-07-03,40,ILS,Noa Cohen,,card,,table 1", "2025-07-04,60,ILS,Rami Saleh,,cash,,"]
    first = import_file(ledger, write(tmp_path / "export.csv", "\n".join([HEADER, *rows]) + "\n"))
    assert first.imported == 2
    count = gifts(ledger)
    # The same export, saved again from the CRM with the donors' details.
    second = import_file(ledger, write(tmp_path / "export-details.csv", "\n".join([
        f"{HEADER},ID number,phone",
        "2025-07-03,40.00,ILS,Noa Cohen,,card,,table 1,315926485,052-7654321",
        "2025-07-04,60.00,ILS,Rami Saleh,,cash,,,,03-5555555",
    ]) + "\n"))  # fmt: skip
    assert (second.imported, second.present, gifts(ledger)) == (0, 2, count)
    assert second.details_set == {"tax_id": 1, "phone": 2}
    assert donors(ledger)["Noa Cohen"].tax_id == "315926485"
    # No gift, yet revisions: the import's own event covers them.
    assert import_events(ledger)[-1]["donor_details"] == {"set": {"phone": 2, "tax_id": 1},
                                                          "kept": 0}  # fmt: skip
    assert_clean(ledger)


def test_the_israelgives_sample_gives_its_donors_their_details(ledger_engine: Engine) -> None:
    campaign(ledger_engine)
    outcome = run(ledger_engine, lambda s, c: run_import(
        s, c, "dont-look-away", PLATFORMS / "israelgives-donations.csv",
        ImportRequest(profile="israelgives")))  # fmt: skip
    summary = outcome.summary
    assert dict(summary.totals_minor) == {"ILS": 276_000, "USD": 5_200}
    assert summary.ignored_columns == []
    assert summary.details_set == {"tax_id": 4, "address": 5, "phone": 5}
    held = donors(ledger_engine)
    assert {name: donor.tax_id for name, donor in held.items()} == {
        "אביגיל פרידמן": "034567891", "علي منصور": "204681357", "John Smith": None,
        "רונית גולן": "315926485", "نور حلبي": "058234170"}  # fmt: skip
    assert held["علي منصور"].address == "شارع الجبل 5, الناصرة"
    assert held["John Smith"].phone == "+1 212 555 0147"
    assert revisions(ledger_engine) == dict.fromkeys(range(1, 6), 1)
    assert_clean(ledger_engine)
