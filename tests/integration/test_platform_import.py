"""Importing payment platforms' exports through the built-in profiles (samples),
on SQLite and PostgreSQL: their gifts counted and totalled to the agora, refunds reversing
the gifts they name (in the same file or already in the ledger), other rows listed, and the
same export again adding nothing."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.models import AuditEvent, Donation, ImportProfile
from fundledger.adapters.donation_csv import DonationFileError
from fundledger.adapters.import_profiles import parse_profile
from fundledger.services.donation_import import DonationImportRefused
from fundledger.services.donations import correct_donation
from fundledger.services.import_profiles import (
    ImportOutcome,
    ImportRequest,
    get_profile,
    list_profiles,
    remove_profile,
    run_import,
    save_profile,
)
from fundledger.services.integrity import check_ledger
from tests.ledger_helpers import campaign, run

PLATFORMS = Path(__file__).parents[2] / "samples"  # the exports the README tour imports
SLUG = "dont-look-away"


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    return ledger_engine


def imported(engine: Engine, path: Path, **options: object) -> ImportOutcome:
    request = ImportRequest(**options)  # type: ignore[arg-type]
    return run(engine, lambda s, c: run_import(s, c, SLUG, path, request))


def balances(engine: Engine) -> dict[str, int]:
    """Minor units by currency, reversals netted."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Donation.currency, func.sum(Donation.amount_minor)).group_by(Donation.currency)
        )
        return {currency: int(total) for currency, total in rows}


def gift_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Donation)) or 0)


def test_paypal(ledger: Engine) -> None:
    outcome = imported(ledger, PLATFORMS / "paypal-activity.csv", profile="paypal")
    summary = outcome.summary
    assert (summary.imported, summary.new_donors) == (5, 5)
    assert dict(summary.totals_minor) == {"ILS": 304_000, "USD": 100_000, "EUR": 5_000}
    assert outcome.others == Counter({"General Currency Conversion (Completed)": 2,
                                      "General Withdrawal (Completed)": 1,
                                      "Donation Payment (Pending)": 1})  # fmt: skip
    [refund] = outcome.reversed
    assert (refund.refund, refund.line, refund.reversal_id is not None) == (
        "7RF40026NP2345678", 9, True)  # fmt: skip
    assert balances(ledger) == {"ILS": 304_000, "USD": 100_000, "EUR": 0}
    with ledger.connect() as connection:
        reversal = connection.execute(
            select(Donation.note, Donation.reverses_id).where(Donation.reverses_id.is_not(None))
        ).one()
        days = dict(connection.execute(select(Donation.reference, Donation.donation_date)).all())
    assert "7RF40026NP2345678" in reversal.note
    assert "line 9" in reversal.note
    # 22:40 PDT on 14 July is 15 July in Israel.
    assert str(days["8HT47120AB5566789"]) == "2025-07-15"
    assert outcome.dates is not None
    assert outcome.dates.line == 3

    again = imported(ledger, PLATFORMS / "paypal-activity.csv", profile="paypal", again=True)
    assert (again.summary.imported, again.summary.present) == (0, 5)
    assert [each.reversal_id for each in again.reversed] == [None]
    assert gift_count(ledger) == 6
    assert not any(result.problems for result in run(ledger, check_ledger))


def test_a_paypal_refund_of_a_gift_imported_before(ledger: Engine, tmp_path: Path) -> None:
    lines = (PLATFORMS / "paypal-activity.csv").read_text(encoding="utf-8").splitlines()
    refund = [line for line in lines if "Payment Refund" in line]
    first = tmp_path / "june.csv"
    first.write_text("\n".join(line for line in lines if line not in refund) + "\n", "utf-8")
    later = tmp_path / "july.csv"
    later.write_text("\n".join([lines[0], *refund]) + "\n", "utf-8")
    imported(ledger, first, profile="paypal")
    outcome = imported(ledger, later, profile="paypal")
    assert outcome.summary.imported == 0
    [reversed_] = outcome.reversed
    assert reversed_.reversal_id is not None
    assert balances(ledger)["EUR"] == 0
    assert imported(ledger, later, profile="paypal", again=True).reversed[0].reversal_id is None


def test_paypal_refunds_that_cannot_be_reversals(ledger: Engine, tmp_path: Path) -> None:
    lines = (PLATFORMS / "paypal-activity.csv").read_text(encoding="utf-8").splitlines()
    partial = [line.replace('"-50.00"', '"-20.00"') for line in lines]
    (tmp_path / "partial.csv").write_text("\n".join(partial) + "\n", "utf-8")
    with pytest.raises(DonationImportRefused) as refused:
        imported(ledger, tmp_path / "partial.csv", profile="paypal")
    [problem] = refused.value.problems
    assert problem.startswith("partial.csv:9: refund: refunds 20.00 EUR of the 50.00 EUR gift")
    assert "fundledger donation correct" in problem
    orphan = [lines[0], *[line for line in lines if "Payment Refund" in line]]
    (tmp_path / "orphan.csv").write_text("\n".join(orphan) + "\n", "utf-8")
    with pytest.raises(DonationImportRefused, match="1 problem") as refused:
        imported(ledger, tmp_path / "orphan.csv", profile="paypal")
    assert "neither in this file nor in the ledger" in refused.value.problems[0]
    assert gift_count(ledger) == 0


def test_stripe(ledger: Engine) -> None:
    outcome = imported(ledger, PLATFORMS / "stripe-payments.csv", profile="stripe")
    assert outcome.summary.imported == 5
    assert dict(outcome.summary.totals_minor) == {"ILS": 195_000, "USD": 10_000, "EUR": 7_500}
    assert outcome.others == Counter({"charge (Failed)": 1})
    assert [each.line for each in outcome.reversed] == [5]
    assert balances(ledger) == {"ILS": 195_000, "USD": 10_000, "EUR": 0}
    again = imported(ledger, PLATFORMS / "stripe-payments.csv", profile="stripe")
    assert again.summary.earlier is not None  # the very bytes: nothing read again
    assert gift_count(ledger) == 6


@pytest.mark.parametrize(
    ("profile", "export"), [("paypal", "paypal-activity.csv"), ("stripe", "stripe-payments.csv")]
)
def test_an_encoding_that_cannot_be_read_is_refused_in_one_line(
    ledger: Engine, profile: str, export: str
) -> None:
    # As a plain donation file's: named, with what to try, and nothing written.
    for encoding in ("no-such-encoding", "utf-16"):
        with pytest.raises(DonationFileError, match=f"^'{encoding}' is not a text encoding "):
            imported(ledger, PLATFORMS / export, profile=profile, encoding=encoding)
    assert gift_count(ledger) == 0


def test_israelgives(ledger: Engine) -> None:
    outcome = imported(ledger, PLATFORMS / "israelgives-donations.csv", profile="israelgives")
    assert outcome.summary.imported == 5
    assert dict(outcome.summary.totals_minor) == {"ILS": 276_000, "USD": 5_200}
    assert outcome.dates is not None
    assert outcome.dates.describe() == ("dates read as DD/MM/YYYY (line 4 has 13/07/2025 08:30)")
    with ledger.connect() as connection:
        methods = Counter(connection.scalars(select(Donation.method)))
    assert methods == Counter({"card": 5})  # ויזה, מאסטרקארד, Visa, ישראכרט
    again = imported(ledger, PLATFORMS / "israelgives-donations.csv", profile="israelgives",
                     again=True)  # fmt: skip
    assert (again.summary.imported, again.summary.present) == (0, 5)


def test_dates_that_fail_as_iso_are_told_once(ledger: Engine) -> None:
    with pytest.raises(DonationImportRefused) as refused:
        imported(ledger, PLATFORMS / "israelgives-donations.csv",
                 mapping=get_profile_mapping(ledger), ignore=("עמלה", "נטו", "מספר תשלומים",
                                                            "דף תרומה"))  # fmt: skip
    assert refused.value.problems == [
        "israelgives-donations.csv: 5 dates are not YYYY-MM-DD: the file writes DD/MM/YYYY "
        "(line 4 has 13/07/2025 08:30); add --date-format DMY"
    ]


def get_profile_mapping(engine: Engine) -> dict[str, str]:
    return run(engine, lambda s, c: dict(get_profile(s, "israelgives").mapping))


def test_saved_profiles_are_revisions(ledger: Engine, tmp_path: Path) -> None:
    leumi = parse_profile("leumi", mappings=("Value date=date", "Credit=amount",
                                             "Details=donor"), date_format="DMY",
                          currency="ILS", ignore=("Balance",))  # fmt: skip
    assert run(ledger, lambda s, c: save_profile(s, c, leumi)) is False
    file = tmp_path / "leumi.csv"
    with file.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([["Value date", "Credit", "Details", "Balance"],
                                   ["03/07/2025", "1,250.00", "Dana Levi", "9,000.00"]]
                                  )  # fmt: skip
    outcome = imported(ledger, file, profile="leumi")
    assert outcome.summary.imported == 1
    assert outcome.summary.ignored_columns == []
    wider = parse_profile("leumi", mappings=("Value date=date", "Credit=amount"),
                          date_format="DMY", currency="ILS", ignore=())  # fmt: skip
    assert run(ledger, lambda s, c: save_profile(s, c, wider, "no names")) is True
    run(ledger, lambda s, c: remove_profile(s, c, "leumi", "the bank changed its export"))
    names = run(ledger, lambda s, c: [profile.name for profile in list_profiles(s)])
    assert names == ["paypal", "stripe", "israelgives"]
    with ledger.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ImportProfile)) == 3
        actions = list(connection.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "import_profile")))  # fmt: skip
    assert actions == ["import_profile.save", "import_profile.save", "import_profile.remove"]
    assert not any(result.problems for result in run(ledger, check_ledger))


def test_a_partial_refund_after_the_gift_was_corrected_is_accepted(
    ledger: Engine, tmp_path: Path
) -> None:
    lines = (PLATFORMS / "paypal-activity.csv").read_text(encoding="utf-8").splitlines()
    partial = tmp_path / "partial.csv"
    partial.write_text(
        "\n".join(line.replace('"-50.00"', '"-20.00"') for line in lines) + "\n", "utf-8"
    )
    first = tmp_path / "without-refund.csv"
    first.write_text("\n".join(line for line in lines if "Payment Refund" not in line) + "\n")
    imported(ledger, first, profile="paypal")
    gift_id = run(ledger, lambda s, c: s.scalar(
        select(Donation.id).where(Donation.reference == "3WQ88214CD9012345")))  # fmt: skip
    run(ledger, lambda s, c: correct_donation(
        s, c, donation_id=gift_id, amount="30", reason="refund 7RF40026NP2345678"))  # fmt: skip

    outcome = imported(ledger, partial, profile="paypal")

    assert (outcome.summary.imported, outcome.summary.present) == (0, 5)
    assert [each.reversal_id for each in outcome.reversed] == [None]
    assert balances(ledger)["EUR"] == 3_000
    assert not any(result.problems for result in run(ledger, check_ledger))
