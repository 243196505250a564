"""Payment methods stored as codes on entry, unknown ones kept as given and listed once, values
stored before the codes read as their method, and gifts imported before the codes found again."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select

from fundledger.adapters import donation_csv
from fundledger.adapters.db.models import AuditEvent, Donation
from fundledger.adapters.donation_csv import CONTENT_REFERENCE, DonationFile
from fundledger.cli import cli
from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services import donations
from fundledger.services.donation_import import (
    DonationImportRefused,
    ImportSummary,
    import_donations,
)
from fundledger.services.donations import list_donations, record_donation
from tests.ledger_helpers import campaign, rates, run, summary
from tests.pdf_helpers import pdf_text

HEADER = "date,amount,currency,donor,email,method,reference,note"
SLUG = "dont-look-away"


def import_file(engine: Engine, path: Path) -> ImportSummary:
    def work(session, context):  # type: ignore[no-untyped-def]
        return import_donations(session, context, SLUG, DonationFile(path, home_currency="ILS"))

    return run(engine, work)


def write(tmp_path: Path, name: str, lines: list[str], newline: str = "\n") -> Path:
    path = tmp_path / name
    path.write_bytes(newline.join([HEADER, *lines]).encode() + newline.encode())
    return path


def stored_methods(engine: Engine) -> list[str | None]:
    with engine.connect() as connection:
        return list(connection.scalars(select(Donation.method).order_by(Donation.id)))


def as_before_the_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The entry paths as they were before methods had codes: the text stored as given."""
    monkeypatch.setattr(donation_csv, "stored_method", lambda method: method or None)
    monkeypatch.setattr(donations, "stored_method", lambda method: method)


def test_an_import_stores_known_methods_as_codes_and_lists_the_unknown_once(
    ledger_engine: Engine, ledger_url: str, tmp_path: Path
) -> None:
    campaign(ledger_engine)
    path = write(tmp_path, "mixed.csv", [
        "2025-07-03,100,ILS,Dana Levi,,Credit Card,,", "2025-07-03,50,ILS,,,כרטיס אשראי,,",
        "2025-07-04,70,ILS,,,تحويل بنكي,,", "2025-07-04,20,ILS,,,Venmo,,",
        "2025-07-04,21,ILS,,,Venmo,,", "2025-07-05,22,ILS,,,Venmo,,",
        "2025-07-05,23,ILS,,,crypto,,", "2025-07-05,24,ILS,,,,,",
    ])  # fmt: skip
    result = CliRunner().invoke(
        cli, ["--db", ledger_url, "import", "donations", SLUG, str(path)], prog_name="fundledger"
    )
    assert result.exit_code == 0, result.output
    assert stored_methods(ledger_engine) == [
        "card", "card", "bank_transfer", "Venmo", "Venmo", "Venmo", "crypto", None]  # fmt: skip
    kept = [line for line in result.stdout.splitlines() if "kept as given" in line]
    assert kept == [
        "  Methods kept as given (not known payment methods): Venmo (3 gifts), crypto (1 gift)."
    ]
    with ledger_engine.connect() as connection:
        details = connection.scalar(select(AuditEvent.details).where(
            AuditEvent.action == "donations.import"))  # fmt: skip
    assert '"methods_kept_as_given": {"Venmo": 3, "crypto": 1}' in str(details)


def test_gifts_imported_before_the_codes_are_not_added_again(
    ledger_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The content key holds each method as the file gives it (without case), so the rows
    imported when "PayPal" and "Credit Card" were stored as given keep their keys."""
    campaign(ledger_engine)
    rows = ["2025-07-03,100,ILS,Dana Levi,dana@example.org,PayPal,,",
            "2025-07-03,250,ILS,,,Credit Card,,", "2025-07-03,250,ILS,,,Credit Card,,",
            "2025-07-04,36,ILS,Noa,,Credit Card,T-1,"]  # fmt: skip
    with monkeypatch.context() as patched:
        as_before_the_codes(patched)
        first = import_file(ledger_engine, write(tmp_path, "export.csv", rows))
    assert first.imported == 4
    assert stored_methods(ledger_engine) == ["PayPal", "Credit Card", "Credit Card", "Credit Card"]
    with ledger_engine.connect() as connection:
        reference = connection.scalar(select(Donation.reference).order_by(Donation.id))
    # The key as the code before this change made it, computed here on its own.
    content = "\x1f".join(["", "2025-07-03", "10000", "ILS", "dana@example.org", "dana levi",
                           "paypal", SLUG, "named"])  # fmt: skip
    digest = hashlib.sha256(content.encode()).hexdigest()[:24]
    assert reference == f"{CONTENT_REFERENCE}{digest}:1"

    # The same export re-saved (other line endings, other bytes), and one with a row more.
    again = import_file(ledger_engine, write(tmp_path, "resaved.csv", rows, newline="\r\n"))
    more = import_file(ledger_engine, write(tmp_path, "more.csv", [
        *rows, "2025-07-05,18,ILS,,,paypal,,"]))  # fmt: skip
    assert (again.imported, again.present, more.imported, more.present) == (0, 4, 1, 4)
    assert stored_methods(ledger_engine)[-1] == "paypal"


def test_a_referenced_gift_stored_before_the_codes_is_the_same_gift_under_its_code(
    ledger_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign(ledger_engine)
    with monkeypatch.context() as patched:
        as_before_the_codes(patched)
        import_file(
            ledger_engine, write(tmp_path, "old.csv", ["2025-07-03,10,ILS,,,Credit Card,R1,"])
        )
    same = import_file(ledger_engine, write(tmp_path, "new.csv", ["2025-07-03,10,ILS,,,card,R1,"]))
    assert (same.imported, same.present) == (0, 1)
    with pytest.raises(DonationImportRefused) as refused:
        import_file(ledger_engine, write(tmp_path, "other.csv", ["2025-07-03,10,ILS,,,cash,R1,"]))
    assert "'R1' is already donation #1" in refused.value.problems[0]


def test_donation_add_stores_the_code_and_says_when_a_method_is_unknown(
    ledger_engine: Engine, ledger_url: str
) -> None:
    campaign(ledger_engine)

    def add(method: str) -> str:
        result = CliRunner().invoke(cli, [
            "--db", ledger_url, "donation", "add", SLUG, "--date", "2025-07-03", "--amount", "5",
            "--method", method], prog_name="fundledger")  # fmt: skip
        assert result.exit_code == 0, result.output
        return result.stdout

    assert "kept as given" not in add("הוראת קבע")
    assert "Method 'Venmo' is not one fundledger knows: kept as given" in add(" Venmo ")
    assert stored_methods(ledger_engine) == ["standing_order", "Venmo"]


def test_legacy_spellings_of_a_method_are_one_summary_line_in_every_language(
    ledger_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "bank", "Bank Transfer" (stored before the codes) and bank_transfer are one method:
    one line, the gifts counted and summed exactly, printed in the reader's words."""
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")

    def gift(amount: str, method: str | None) -> None:
        run(ledger_engine, lambda s, c: record_donation(
            s, c, campaign_slug=SLUG, on=date(2025, 7, 3), amount=Money.parse(amount, "USD"),
            method=method))  # fmt: skip

    with monkeypatch.context() as patched:
        as_before_the_codes(patched)
        for amount, method in (("10.01", "bank"), ("20.02", "Bank Transfer"),
                               ("1.00", "check"), ("3.00", "Venmo"), ("4.00", "venmo"),
                               ("0.50", "Venmo")):  # fmt: skip
            gift(amount, method)
    gift("30.03", "bank_transfer")
    gift("2.00", None)
    found = summary(ledger_engine)  # the stored summaries and the gifts agree
    lines = [(line.method, line.count, str(line.reporting), str(line.home))
             for line in found.by_method]  # fmt: skip
    assert lines == [
        ("bank_transfer", 3, "60.06 USD", "202.76 ILS"),  # 33.79 + 67.59 + 101.38
        ("Venmo", 3, "7.50 USD", "25.32 ILS"),  # its most frequent spelling names it
        (None, 1, "2.00 USD", "6.75 ILS"),
        ("cheque", 1, "1.00 USD", "3.38 ILS"),
    ]
    assert sum(line.count for line in found.by_method) == found.donation_count
    assert [line["method"] for line in summary_to_dict(found)["by_method"]] == [
        "bank_transfer", "Venmo", None, "cheque"]  # fmt: skip
    entries = run(ledger_engine, lambda s, c: list_donations(s, SLUG))
    assert [entry.method for entry in entries] == [
        "bank_transfer", "bank_transfer", "cheque", "Venmo", "venmo", "Venmo", "bank_transfer",
        None]  # fmt: skip
    for language, name in (("en", "Bank transfer"), ("he", "העברה בנקאית"),
                           ("ar", "تحويل مصرفي")):  # fmt: skip
        path = tmp_path / f"{language}.pdf"
        write_campaign_pdf(found, Reader(language), path, ReportOptions(max_rate_age_days=7))
        text = pdf_text(path, layout=False)
        assert text.count(name) == 1, (language, text)
        assert "bank" not in text.replace("Bank transfer", "")
