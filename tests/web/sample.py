"""A small ledger for the page tests: a campaign with a goal, gifts in two currencies with the
rates of their dates, a donor whose name is markup, and an anonymous gift by a named donor."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from fundledger.domain.dates import today_in_israel
from fundledger.domain.money import Money
from fundledger.services.campaigns import add_campaign
from tests.ledger_helpers import gift, rates, run

SLUG = "dont-look-away"
HOSTILE = "<script>alert(1)</script>"
SECRET_GIVER = "Secret Giver"  # noqa: S105 (a name, no password): gives anonymously: never named on a page a viewer reads
FUNDLEDGER = Path(sys.executable).with_name("fundledger")


def sample_ledger(engine: Engine, *, gifts: int = 0) -> None:
    """The campaign, its rates and gifts (and `gifts` more small ones, for paging)."""
    end = today_in_israel() + timedelta(days=9)  # 10 days left, today counted
    run(engine, lambda s, c: add_campaign(
        s, c, slug=SLUG, name="Don't Look Away", goal=Money.parse("10000", "ILS"),
        start=date(2025, 7, 1), end=end, partner="Partner & Co",
        names={"he": "לא להסיט את המבט", "ar": "لا تشيحوا بنظركم"}))  # fmt: skip
    run(engine, lambda s, c: add_campaign(s, c, slug="quiet", name="Quiet"))
    rates(engine, "2025-07-01 USD ILS 3.3760 BOI", "2025-07-02 USD ILS 3.4000 BOI")
    gift(engine, "2025-07-01 100.00 USD", donor="Dana Levi", reference="ref-1")
    gift(engine, "2025-07-02 250.00 ILS", donor=HOSTILE)
    gift(engine, "2025-07-02 1000.00 ILS", donor=SECRET_GIVER, anonymous=True,
         reference="anon-ref")  # fmt: skip
    gift(engine, "2025-07-03 50.00 ILS")
    for number in range(gifts):
        gift(engine, "2025-07-03 10.00 ILS", donor=f"Donor {number:03d}")


def cli(database_url: str, *args: str) -> str:
    """The installed `fundledger` command's standard output (it must succeed)."""
    done = subprocess.run([str(FUNDLEDGER), *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "FUNDLEDGER_DB": database_url,
                               "FUNDLEDGER_USER": "tests"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout
