"""The service functions every interface shares (the CLI now, the web next): each returns plain
values, and what a reader may not see is left out for them. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from fundledger.adapters.db.engine import (
    is_postgresql,
    make_engine,
    sibling_engine,
    transaction,
)
from fundledger.adapters.db.models import Donation
from fundledger.adapters.db.snapshots import export_snapshot, on_snapshot, shares_snapshots
from fundledger.domain.access import Actor, Role
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.reports.summary_json import summary_json
from fundledger.services.audit import HIDDEN, AuditEntry, audit_trail
from fundledger.services.campaign_report import campaign_report
from fundledger.services.conversion import rate_gaps
from fundledger.services.donations import DonationEntry, record_donation
from fundledger.services.donors import donor_id_of, set_tax_id
from fundledger.services.receipt_list import issued_receipts
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.settings import set_setting
from fundledger.services.summary_read import holds_ledger
from fundledger.services.summary_store import refresh
from tests.e2e.shell import Shell
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run

VIEWER = Actor("board", Role.VIEWER)
TREASURER = Actor("dana", Role.TREASURER)


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376 BOI")
    for key, value in (("organisation.name.en", "Peace Coalition"),
                       ("organisation.name.he", "קואליציית השלום"),
                       ("organisation.section46.approval", "4512"),
                       ("organisation.section46.valid_until", "2026-12-31"),
                       ("organisation.registration", "580123456"),
                       ("report.locale", "he")):  # fmt: skip
        run(ledger_engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))
    return ledger_engine


def _settle(engine: Engine) -> None:
    assert refresh(engine, lambda _session: CONTEXT)


def _given_by_dana(engine: Engine, amount: str, email: str) -> DonationEntry:
    value, currency = amount.split()
    return run(engine, lambda s, c: record_donation(
        s, c, campaign_slug="dont-look-away", on=date(2025, 7, 3),
        amount=Money.parse(value, currency), donor_name="Dana Levi",
        donor_email=email))  # fmt: skip


def test_a_campaign_report_is_one_plain_value_with_its_settings(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 100.00 USD", donor="Dana Levi")
    gift(ledger, "2025-07-03 150.00 ILS")
    _settle(ledger)
    report = run(ledger, lambda s, c: campaign_report(
        s, c, "dont-look-away", fixed_rate="1 USD = 3.5 ILS"))  # fmt: skip
    assert report.locale == "he"  # the report.locale setting, none asked for
    assert report.organisation == "קואליציית השלום"
    assert dict(report.organisation_names) == {
        "en": "Peace Coalition",
        "he": "קואליציית השלום",
        "ar": "Peace Coalition",
    }  # fmt: skip  (Arabic readers get the English name: there is no Arabic one)
    assert (report.settings.home_currency, report.settings.reporting_currency) == ("ILS", "USD")
    assert report.max_rate_age_days == report.settings.max_rate_age_days
    assert report.logo is None
    assert report.summary.headline is not None
    assert str(report.summary.headline.total_reporting) == "139.31 USD"  # 487.60 / 3.5
    asked = run(ledger, lambda s, c: campaign_report(s, c, "dont-look-away", locale="ar"))
    assert (asked.locale, asked.organisation) == ("ar", "Peace Coalition")
    with pytest.raises(FrozenInstanceError):
        report.locale = "en"  # type: ignore[misc]


def test_a_report_reads_the_settings_of_its_own_transaction(ledger: Engine) -> None:
    """The context handed in may carry other rules (read earlier, or none): the report's
    figures follow the ledger's settings as its transaction reads them."""
    gift(ledger, "2025-07-03 100.00 USD")
    run(ledger, lambda s, c: set_setting(s, c, "ledger.reporting_currency", "EUR"))
    rates(ledger, "2025-07-03 EUR ILS 3.9")
    report = run(ledger, lambda s, c: campaign_report(s, c, "dont-look-away"))
    assert report.settings.reporting_currency == "EUR"
    assert report.summary.reporting_currency == "EUR"
    assert str(report.summary.total_reporting) == "86.56 EUR"  # 337.60 / 3.9


def test_a_bad_fixed_rate_names_the_ledgers_currencies(ledger: Engine) -> None:
    with pytest.raises(FundledgerError, match="must link ILS and USD"):
        run(ledger, lambda s, c: campaign_report(s, c, "dont-look-away",
                                                 fixed_rate="1 EUR = 4 ILS"))  # fmt: skip


def test_a_bad_fixed_rate_stops_a_refresh_before_it_writes(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 100.00 USD")

    def refuse(_context: object) -> None:
        raise FundledgerError("refused")

    with pytest.raises(FundledgerError, match="refused"):
        refresh(ledger, lambda _session: CONTEXT, check=refuse)
    assert not run(ledger, holds_ledger)  # nothing was brought up to date
    assert refresh(ledger, lambda _session: CONTEXT, check=lambda _context: None)
    assert run(ledger, holds_ledger)


def test_the_json_is_what_the_cli_prints(ledger_url: str, tmp_path: Path) -> None:
    """The web's summary.json and `report campaign --format json` are one function of the
    report's summary: the same figures for the same ledger."""
    shell = Shell(ledger_url, tmp_path, in_process=True)
    shell.run("campaign", "add", "dont-look-away", "--name", "Don't Look Away")
    shell.run("rates", "add", "2025-07-03", "USD", "ILS", "3.376")
    shell.run("donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "100",
              "--currency", "USD", "--donor", "Dana Levi")  # fmt: skip
    printed = shell.run("report", "campaign", "dont-look-away", "--format", "json",
                        "--fixed-rate", "1 ILS = 0.2911 USD").stdout  # fmt: skip
    engine = make_engine(ledger_url)
    try:
        report = run(engine, lambda s, c: campaign_report(
            s, c, "dont-look-away", fixed_rate="1 ILS = 0.2911 USD"))  # fmt: skip
    finally:
        engine.dispose()
    assert printed == summary_json(report.summary)  # byte for byte
    assert json.loads(printed)["fixed_rate"]["total_usd"] == "98.28"  # 337.60 × 0.2911


def test_a_viewer_reads_receipts_without_contact_details(ledger: Engine) -> None:
    entry = _given_by_dana(ledger, "100.00 USD", "dana@example.org")
    run(ledger, lambda s, c: issue_receipt(s, c, entry.id, IssueOptions(
        locale="en", issued_on=date(2025, 8, 1))))  # fmt: skip
    everything = run(ledger, lambda s, _: issued_receipts(s))
    (kept,) = everything
    assert (kept.donor, kept.donor_email) == ("Dana Levi", "dana@example.org")
    assert run(ledger, lambda s, _: issued_receipts(s, actor=TREASURER)) == everything
    (seen,) = run(ledger, lambda s, _: issued_receipts(s, actor=VIEWER))
    assert (seen.donor, seen.donor_email, seen.donor_tax_id) == ("Dana Levi", None, None)
    assert seen.number == kept.number
    assert seen.amount == kept.amount
    assert run(ledger, lambda s, _: issued_receipts(s, year=2024)) == []


def test_the_audit_trail_is_plain_entries(ledger: Engine) -> None:
    entry = gift(ledger, "2025-07-03 100.00 USD")
    trail = run(ledger, lambda s, _: audit_trail(s, since=None, kind="donation",
                                                 row_id=entry.id))  # fmt: skip
    (recorded,) = trail
    assert isinstance(recorded, AuditEntry)
    assert (recorded.entity, recorded.entity_id, recorded.actor) == ("donation", entry.id,
                                                                     "tester")  # fmt: skip
    assert recorded.details["campaign"] == "dont-look-away"  # decoded from the stored JSON
    assert recorded.occurred_at.tzinfo is not None


def test_a_viewer_reads_the_audit_trail_without_contact_details(ledger: Engine) -> None:
    entry = _given_by_dana(ledger, "5.00 ILS", "dana@example.org")
    donor_id = entry.donor_id
    assert donor_id is not None
    run(ledger, lambda s, c: set_tax_id(s, c, donor_id=donor_id, tax_id="000000018",
                                        reason="for her receipts"))  # fmt: skip

    def trail(actor: Actor | None) -> list[AuditEntry]:
        return run(ledger, lambda s, _: audit_trail(s, since=None, kind="donor",
                                                    row_id=donor_id, actor=actor))  # fmt: skip

    added, tax_id = trail(None)
    assert (added.action, added.details["email"]) == ("donor.add", "dana@example.org")
    assert str(tax_id.details["after"]).endswith("0018")
    assert "000000018" not in json.dumps(dict(tax_id.details))
    assert trail(TREASURER) == trail(None)
    seen_added, seen_tax_id = trail(VIEWER)
    assert (seen_added.details["name"], seen_added.details["email"]) == ("Dana Levi", HIDDEN)
    assert seen_tax_id == tax_id  # masked when recorded ("*****0018"): for every reader


def test_a_donor_is_named_by_number_or_email(ledger: Engine) -> None:
    entry = _given_by_dana(ledger, "5.00 ILS", "Dana@Example.org")
    assert entry.donor_id is not None
    assert run(ledger, lambda s, _: donor_id_of(s, " 17 ")) == 17  # looked up by its service
    assert run(ledger, lambda s, _: donor_id_of(s, "dana@example.org")) == entry.donor_id
    with pytest.raises(FundledgerError, match="no donor with the e-mail"):
        run(ledger, lambda s, _: donor_id_of(s, "nobody@example.org"))
    with pytest.raises(FundledgerError, match="neither a donor number nor an e-mail"):
        run(ledger, lambda s, _: donor_id_of(s, "Dana"))


def test_rate_gaps_of_one_campaign_or_all(ledger: Engine) -> None:
    campaign(ledger, "second")
    gift(ledger, "2025-07-03 10.00 EUR")
    gift(ledger, "2025-07-04 10.00 GBP", slug="second")
    everywhere = run(ledger, rate_gaps)
    assert [(gap.on, gap.currency) for gap in everywhere] == [
        (date(2025, 7, 3), "EUR"), (date(2025, 7, 4), "GBP")
    ]  # fmt: skip
    (only,) = run(ledger, lambda s, c: rate_gaps(s, c, "second"))
    assert (only.currency, only.gifts) == ("GBP", 1)
    with pytest.raises(FundledgerError):
        run(ledger, lambda s, c: rate_gaps(s, c, "no-such-campaign"))


def test_a_second_reader_on_the_same_snapshot_sees_the_same_ledger(ledger: Engine) -> None:
    """What a report's second connection reads (PostgreSQL): not a gift committed after the
    first transaction began. On SQLite there is no second reader to make."""
    gift(ledger, "2025-07-03 1.00 ILS")
    with transaction(ledger) as first:
        if not shares_snapshots(first):
            assert not is_postgresql(ledger)
            return
        before = first.scalars(select(Donation.id)).all()
        snapshot = export_snapshot(first)
        gift(ledger, "2025-07-03 2.00 ILS")  # committed meanwhile
        with on_snapshot(ledger, snapshot) as second:
            assert second.scalars(select(Donation.id)).all() == before
    with (
        pytest.raises(ValueError, match="not a snapshot id"),
        on_snapshot(ledger, "1'; DROP TABLE donation; --"),
    ):
        pass


def test_a_sibling_engine_reaches_the_same_database(ledger: Engine) -> None:
    second = sibling_engine(ledger)
    try:
        assert second.url == ledger.url
        assert second is not ledger
        with transaction(second) as session:
            assert session.scalar(select(Donation.id).limit(1)) is None
    finally:
        second.dispose()
