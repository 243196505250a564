"""The sample campaign of `make demo` ("Don't Look Away", NIS 800,000 with real ECB rates),
compared with its golden JSON on each database. The golden file changes only on purpose:
FUNDLEDGER_UPDATE_GOLDEN=1 rewrites it, and the diff is reviewed like code."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fundledger.demo import (
    DEMO_PASSWORD,
    DEMO_USERS,
    FEATURED_DONOR_EMAIL,
    FEATURED_DONOR_NAME,
    FEATURED_GIFTS,
    HEADLINE_RATE,
    SLUG,
    STATEMENT_YEAR,
    add_demo_users,
    build_ledger,
    build_year_campaign,
    featured_receipts,
    set_organisation,
)
from fundledger.domain.rates import FixedRate
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.receipt import write_receipt_pdf
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services.context import CommandContext
from fundledger.services.donors import list_donors
from fundledger.services.reports import campaign_summary
from fundledger.services.statements import DonorStatement, donor_statements
from fundledger.services.users import authenticate
from tests.ledger_helpers import run
from tests.pdf_helpers import text_of

GOLDEN = Path(__file__).parent.parent / "golden" / "dont-look-away.json"


def test_the_sample_campaign_matches_its_golden_json(ledger_engine: Engine) -> None:
    run(ledger_engine, build_ledger)
    headline = FixedRate.parse(HEADLINE_RATE, "ILS", "USD")
    summary = run(ledger_engine, lambda s, c: campaign_summary(s, c, SLUG, headline))
    found = summary_to_dict(summary)
    if os.environ.get("FUNDLEDGER_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps(found, ensure_ascii=False, indent=2) + "\n", "utf-8")
    assert found == json.loads(GOLDEN.read_text("utf-8"))

    assert (found["total_ils"], found["fixed_rate"]["total_usd"]) == ("800000.00", "232880.00")
    for currency in ("ils", "usd"):
        total = Decimal(found[f"total_{currency}"])
        assert sum(Decimal(day[currency]) for day in found["by_day"]) == total
        assert sum(Decimal(line[currency]) for line in found["by_currency"].values()) == total
    assert sum(day["count"] for day in found["by_day"]) == found["donation_count"]


def test_the_year_long_sample_gives_abdallah_his_documents_in_arabic(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    """`make demo`'s second campaign: a donor named عبد الله whose language is Arabic gets his
    receipts and statement in Arabic, his name whole (never the U+FDF2 ligature or U+FFFD)."""
    run(ledger_engine, build_ledger)
    run(ledger_engine, build_year_campaign)
    run(ledger_engine, set_organisation)
    receipts = run(ledger_engine, lambda s, c: featured_receipts(s, c, None, None))
    assert len(receipts) == len(FEATURED_GIFTS)
    assert {receipt.locale for receipt in receipts} == {"ar"}

    def statement(session: Session, context: CommandContext) -> DonorStatement:
        donor = next(d.id for d in list_donors(session) if d.email == FEATURED_DONOR_EMAIL)
        return donor_statements(session, context, STATEMENT_YEAR, None, [donor])[0]

    found = run(ledger_engine, statement)
    assert found.locale == "ar"
    assert len(found.lines) == len(FEATURED_GIFTS)
    receipt_pdf, statement_pdf = tmp_path / "receipt.pdf", tmp_path / "statement.pdf"
    assert write_receipt_pdf(receipts[0], receipt_pdf) == set()
    assert write_statement_pdf(found, Reader.for_locale(found.locale), statement_pdf) == set()
    for pdf in (receipt_pdf, statement_pdf):
        text = text_of(pdf)
        assert "\ufffd" not in text
        assert (
            FEATURED_DONOR_NAME in text or " ".join(reversed(FEATURED_DONOR_NAME.split())) in text
        )
    assert "إيصال تبر" in text_of(receipt_pdf)


def test_the_sample_ledgers_users_sign_in_with_the_published_password(
    ledger_engine: Engine,
) -> None:
    """`make demo` prints them for `make serve`: a treasurer and an admin (who sees every page,
    so every page can be shot)."""
    run(ledger_engine, add_demo_users)
    for name, role in DEMO_USERS.items():
        user = run(ledger_engine, lambda s, c, name=name: authenticate(s, c, name, DEMO_PASSWORD))
        assert user is not None
        assert user.role == role
        assert (
            run(ledger_engine, lambda s, c, name=name: authenticate(s, c, name, "wrong" * 3))
            is None
        )
    assert {"treasurer", "admin"} == {str(role) for role in DEMO_USERS.values()}
