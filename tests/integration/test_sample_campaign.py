"""The sample campaign of `make demo` ("Don't Look Away", NIS 800,000 with real ECB rates),
compared with its golden JSON on each database. The golden file changes only on purpose:
FUNDLEDGER_UPDATE_GOLDEN=1 rewrites it, and the diff is reviewed like code."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from fundledger.demo import HEADLINE_RATE, SLUG, build_ledger
from fundledger.domain.rates import FixedRate
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services.reports import campaign_summary
from tests.ledger_helpers import run

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
