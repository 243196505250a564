"""A small ledger for the tests of the list pages (donors, gifts, rates, receipts, audit)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import Engine

from fundledger.domain.money import Money
from fundledger.services.donations import record_donation, reverse_donation
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.settings import set_setting
from tests.ledger_helpers import campaign, rates, run

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
TAGS = re.compile(r"<[^>]+>")


def give(engine: Engine, slug: str, day: str, amount: str, currency: str, **details: object
         ) -> int:  # fmt: skip
    return run(engine, lambda s, c: record_donation(
        s, c, campaign_slug=slug, on=date.fromisoformat(day),
        amount=Money.parse(amount, currency), **details,  # type: ignore[arg-type]
    )).id  # fmt: skip


def fill(engine: Engine) -> None:
    """USD at 3.376 from 2025-07-03; no EUR rate. Donors: #1 Dana Levi, #2 Hidden Giver,
    #3 <script>alert(1)</script> (a name that must print literally). Gifts:
    #1 a 07-03 100 USD Dana Levi <dana@example.org>, card, TX100 (337.60 ILS), receipted
    #2 a 07-04 50 ILS Dana Levi, anonymous, TX101, receipted
    #3 a 07-05 200 ILS Hidden Giver <hidden@example.org>, anonymous, TX102
    #4 b 07-04 10 USD <script> (33.76 ILS)
    #5 b 07-20 20 EUR <script> (no rate: no value, a gap)
    #6 a 07-06 30 ILS <script>, reversed by #7"""
    campaign(engine, "a")
    campaign(engine, "b")
    rates(engine, "2025-07-03 USD ILS 3.376 BOI")
    for key, value in (("organisation.name.en", "Peace Coalition"),
                       ("organisation.section46.approval", "4512"),
                       ("organisation.section46.valid_until", "2026-12-31"),
                       ("organisation.registration", "580123456")):  # fmt: skip
        run(engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))
    give(engine, "a", "2025-07-03", "100", "USD", donor_name="Dana Levi",
         donor_email="dana@example.org", method="card", reference="TX100")  # fmt: skip
    give(engine, "a", "2025-07-04", "50", "ILS", donor_name="Dana Levi",
         donor_email="dana@example.org", anonymous=True, reference="TX101")  # fmt: skip
    give(engine, "a", "2025-07-05", "200", "ILS", donor_name="Hidden Giver",
         donor_email="hidden@example.org", anonymous=True, reference="TX102")  # fmt: skip
    give(engine, "b", "2025-07-04", "10", "USD", donor_name=SCRIPT)
    give(engine, "b", "2025-07-20", "20", "EUR", donor_name=SCRIPT)
    give(engine, "a", "2025-07-06", "30", "ILS", donor_name=SCRIPT)
    run(engine, lambda s, c: reverse_donation(s, c, donation_id=6, reason="refunded"))
    options = IssueOptions("en", date(2025, 8, 1))
    for gift_id in (1, 2):
        run(engine, lambda s, c, gift_id=gift_id: issue_receipt(s, c, gift_id, options))


def text(html: str) -> str:
    """A page's words without its tags, spaces squeezed (and the bidi isolates removed)."""
    words = TAGS.sub(" ", html)
    for mark in "\u2066\u2067\u2068\u2069":
        words = words.replace(mark, "")
    return " ".join(words.split())
