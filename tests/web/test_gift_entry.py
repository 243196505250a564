"""Entering gifts in the browser (web/gift_entry.py), on SQLite and PostgreSQL: the gift form's
defaults, its preview (the values then recorded, nothing written by it), "save and add
another", the donor suggestions (no e-mail for a viewer), likely duplicates named; batch entry
(a count or total that does not agree refused, a bad row refused with all the batch, a batch
that agrees saved in one transaction); and every POST refused to a viewer (403) and without
its CSRF token (400), nothing written."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, Donation
from fundledger.domain.access import Role
from fundledger.domain.dates import today_in_israel
from fundledger.services.summary_read import holds_ledger
from tests.ledger_helpers import rates, run
from tests.web.conftest import SignIn, csrf_token
from tests.web.sample import SLUG, cli, sample_ledger

PAGE = f"/campaigns/{SLUG}"
NEW = f"{PAGE}/donations/new"
BATCH = f"{PAGE}/batch"


def counts(engine: Engine) -> tuple[int, int]:
    """Gifts and audit events in the ledger."""
    with Session(engine) as session:
        gifts = session.scalar(select(func.count()).select_from(Donation))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    return int(gifts or 0), int(events or 0)


def value_of(page: str, field: str) -> str:
    """The value an input of the gift form holds."""
    found = re.search(rf'<input id="gift-{field}" name="{field}"[^>]*value="([^"]*)"', page)
    assert found is not None, field
    return found.group(1)


def total_home(url: str) -> Decimal:
    return Decimal(json.loads(cli(url, "report", "campaign", SLUG, "--format", "json"))[
        "total_ils"])  # fmt: skip


def test_the_form_previews_then_saves_and_comes_back(
    sign_in: SignIn, ledger_engine: Engine, ledger_url: str
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.TREASURER, "dana")
    page = client.get(NEW).get_data(as_text=True)
    # The defaults: today in Israel, the home currency, no method used yet.
    assert value_of(page, "date") == today_in_israel().isoformat()
    assert value_of(page, "currency") == "ILS"
    assert value_of(page, "method") == ""
    assert '<option value="Bank transfer">' in page  # the known methods, by name
    assert 'src="/static/gift-entry.js"' in page
    before, total_before = counts(ledger_engine), total_home(ledger_url)
    gift = {"csrf_token": csrf_token(client, NEW), "date": "2025-07-02", "amount": "123.45",
            "currency": "usd", "donor": "Noa Web", "email": "noa@example.org",
            "method": "card", "reference": "web-7"}  # fmt: skip
    answer = client.post(f"{PAGE}/donations", data={**gift, "preview": "1"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200, text
    assert counts(ledger_engine) == before  # a preview writes nothing
    # 123.45 USD at 3.4000 (the rate of 2025-07-02, BOI): ₪419.73 and $123.45.
    assert re.search(r'id="preview-home">₪419\.73<', text), text
    assert re.search(r'id="preview-reporting">\$123\.45<', text)
    assert "1 USD = 3.4" in text
    assert "BOI" in text
    assert "A new donor will be created." in text
    assert value_of(text, "amount") == "123.45"  # the form as typed, to save
    answer = client.post(f"{PAGE}/donations", data={**gift, "again": "1"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{NEW}?date=2025-07-02#gift-amount"
    # Saved exactly as previewed: the campaign total grows by the previewed value, and the
    # CLI lists the gift as typed.
    assert counts(ledger_engine)[0] == before[0] + 1
    assert total_home(ledger_url) - total_before == Decimal("419.73")
    [listed] = [
        line
        for line in json.loads(cli(ledger_url, "donation", "list", SLUG, "--format", "json"))
        if line["reference"] == "web-7"
    ]
    assert (listed["amount"], listed["currency"], listed["donor"], listed["email"],
            listed["method"], listed["reference"]) == (
        "123.45", "USD", "Noa Web", "noa@example.org", "card", "web-7")  # fmt: skip
    assert run(ledger_engine, holds_ledger)  # the stored summaries took it
    # The form again: the date kept, the rest empty, the method remembered, and the notice.
    again = client.get(f"{NEW}?date=2025-07-02").get_data(as_text=True)
    assert f"Recorded gift #{listed['id']}: $123.45 on" in again
    assert value_of(again, "date") == "2025-07-02"
    assert value_of(again, "amount") == value_of(again, "donor") == ""
    assert value_of(again, "method") == "card"
    # The same reference again: the preview says it is taken; saving refuses, nothing written.
    middle = counts(ledger_engine)
    text = client.post(f"{PAGE}/donations", data={**gift, "preview": "1"}).get_data(as_text=True)
    assert f"The reference is already gift #{listed['id']}" in text
    answer = client.post(f"{PAGE}/donations", data={**gift, "save": "1"})
    assert answer.status_code == 422
    assert "already donation" in answer.get_data(as_text=True)
    assert counts(ledger_engine) == middle


def test_the_preview_explains_a_missing_rate_and_names_likely_duplicates(
    sign_in: SignIn, ledger_engine: Engine
) -> None:
    sample_ledger(ledger_engine)
    rates(ledger_engine, "2025-07-02 EUR ILS 3.9500 BOI", "2025-07-02 EUR GBP 0.8600 BOI")
    client = sign_in(Role.TREASURER)
    token = csrf_token(client, NEW)
    before = counts(ledger_engine)

    def preview(**fields: str) -> str:
        answer = client.post(f"{PAGE}/donations", data={
            "csrf_token": token, "date": "2025-07-02", "amount": "10", "preview": "1",
            **fields})  # fmt: skip
        assert answer.status_code == 200
        return answer.get_data(as_text=True)

    # No USD rate before July: said, with the command that adds one.
    text = preview(date="2025-06-15", currency="USD", donor="Dana Levi")
    assert "No rate in force:" in text
    assert "No USD/ILS rate is known on or before June\xa015,\xa02025" in text  # unbroken
    assert "fundledger rates add 2025-06-15 USD ILS RATE" in text
    assert 'href="/rates"' in text
    # Dana Levi gave by name alone: the gift goes to her, said so.
    assert re.search(r"goes to donor <a href=\"/donors/\d+\">#\d+ <bdi>Dana Levi</bdi>", text)
    assert "Found by the name alone" in text
    # A part of a name: a new donor, and the donors it may mean listed (as the suggestions
    # would, for a browser without scripts).
    text = preview(donor="Levi")
    assert "A new donor will be created." in text
    assert re.search(r'id="similar-donors">\s*<li><a href="/donors/\d+">#\d+ <bdi>Dana Levi<', text)
    # The same name with an e-mail of its own: a new donor, and Dana Levi a likely duplicate.
    text = preview(currency="EUR", donor="dana  levi", email="dana@example.org")
    assert "A new donor will be created." in text
    assert "Likely duplicate:" in text
    assert re.search(r"<li><a href=\"/donors/\d+\">#\d+ <bdi>Dana Levi</bdi>", text)
    # A euro gift: both rates of its date named (EUR to shekels, dollars to shekels).
    assert "1 EUR = 3.95" in text
    assert "1 USD = 3.4" in text
    assert re.search(r'id="preview-home">₪39\.50<', text)
    # The e-mail of a donor named otherwise: the gift goes to them, and that is said.
    client.post(f"{PAGE}/donations", data={"csrf_token": token, "date": "2025-07-02",
                                           "amount": "5", "donor": "Dana Cohen",
                                           "email": "dana.c@example.org"})  # fmt: skip
    before = counts(ledger_engine)
    text = preview(donor="Someone Else", email="DANA.C@example.org")
    assert re.search(r"goes to donor <a href=\"/donors/\d+\">#\d+ <bdi>Dana Cohen</bdi>", text)
    assert "Likely duplicate:</strong> the name typed is not the name of this e-mail" in text
    # A pound gift: converted by the cross rate via the euro (3.95 / 0.86), its legs named.
    text = preview(currency="GBP")
    assert "1 GBP = 4.593" in text
    assert "a cross rate via EUR:" in text
    assert "EUR/GBP 0.86" in text
    assert re.search(r'id="preview-home">₪45\.93<', text)
    assert counts(ledger_engine) == before


def test_donor_suggestions(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.TREASURER)
    client.post(f"{PAGE}/donations", data={
        "csrf_token": csrf_token(client, NEW), "date": "2025-07-02", "amount": "5",
        "donor": "Dana Cohen", "email": "dana.c@example.org"})  # fmt: skip
    found = client.get("/donors/suggest?q=dana").get_json()["donors"]
    assert [(hit["name"], hit["email"]) for hit in found] == [
        ("Dana Cohen", "dana.c@example.org"), ("Dana Levi", None)]  # fmt: skip
    assert client.get("/donors/suggest?q=d").get_json() == {"donors": []}  # too short
    by_email = client.get("/donors/suggest?q=DANA.C@example.org").get_json()["donors"]
    assert [hit["name"] for hit in by_email] == ["Dana Cohen"]
    # A viewer: names only, and never a search by e-mail.
    client.post("/logout", data={"csrf_token": csrf_token(client, NEW)})
    viewer = sign_in(Role.VIEWER)
    seen = viewer.get("/donors/suggest?q=dana").get_json()["donors"]
    assert {hit["name"] for hit in seen} == {"Dana Cohen", "Dana Levi"}
    assert all(hit["email"] is None for hit in seen)
    assert viewer.get("/donors/suggest?q=dana.c@example.org").status_code == 403


def batch_form(client: FlaskClient, count: str, total: str, *rows: dict[str, str],
               **extra: str) -> dict[str, str]:  # fmt: skip
    form = {"csrf_token": csrf_token(client, PAGE), "rows": "10", "count": count,
            "total": total, "date": "2025-07-02", "method": "cheque", **extra}  # fmt: skip
    for number, row in enumerate(rows, start=1):
        form |= {f"{name}-{number}": value for name, value in row.items()}
    return form


CHEQUES = (
    {"amount": "180", "donor": "Avi Cheque", "reference": "chq-101"},
    {"amount": "50.00", "currency": "USD", "donor": "Rina Cheque", "reference": "chq-102"},
    {"amount": "1,000", "donor": "Avi Cheque", "date": "2025-07-01", "reference": "chq-103"},
)  # 180 + 50 × 3.40 + 1000 = ₪1,350.00


def test_a_batch_is_saved_only_when_its_count_and_total_agree(
    sign_in: SignIn, ledger_engine: Engine, ledger_url: str
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.TREASURER, "dana")
    page = client.get(BATCH).get_data(as_text=True)
    assert page.count('<fieldset class="row') == 10
    assert 'id="batch-date" name="date" type="date" value="' + today_in_israel().isoformat() in page
    before = counts(ledger_engine)
    # More rows: twenty, what was typed kept.
    more = client.post(BATCH, data=batch_form(client, "3", "1350", *CHEQUES, more="1"))
    assert more.get_data(as_text=True).count('<fieldset class="row') == 20
    assert 'value="chq-102"' in more.get_data(as_text=True)
    # Stated one gift and ₪100 too few: refused, with by how much.
    answer = client.post(BATCH, data=batch_form(client, "2", "1250", *CHEQUES, save="1"))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Nothing was recorded: the rows do not agree" in text
    assert "Stated: count 2, total ₪1,250.00. The rows: count 3, total ₪1,350.00." in text
    assert "the stated figures): 1 in the count, ₪100.00 in the total." in text
    assert counts(ledger_engine) == before
    # A bad row: its number said, and nothing of the batch written (row 1 would have been).
    bad = (CHEQUES[0], {**CHEQUES[1], "reference": "ref-1"}, CHEQUES[2])
    answer = client.post(BATCH, data=batch_form(client, "3", "1350", *bad, save="1"))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Row 2: <bdi>reference &#39;ref-1&#39; is already donation #1" in text
    assert '<fieldset class="row refused" id="row-2">' in text
    assert counts(ledger_engine) == before
    unreadable = (CHEQUES[0], {**CHEQUES[1], "currency": "XYZ"})
    text = client.post(BATCH, data=batch_form(client, "2", "350", *unreadable, check="1")
                       ).get_data(as_text=True)  # fmt: skip
    assert "Row 2:" in text
    assert "XYZ" in text
    # Checked: they agree, still nothing written; then saved, in one go.
    # (A fourth row, in shekels and of today, needs no rate to count; checked only.)
    today = {"amount": "20", "date": today_in_israel().isoformat()}
    text = client.post(BATCH, data=batch_form(client, "4", "1370", *CHEQUES, today, check="1")
                       ).get_data(as_text=True)  # fmt: skip
    assert "The rows agree with the stated count (4) and total (₪1,370.00)" in text
    assert counts(ledger_engine) == before
    with Session(ledger_engine) as session:
        last_event = session.scalar(select(func.max(AuditEvent.id)))
    total_before = total_home(ledger_url)
    answer = client.post(BATCH, data=batch_form(client, "3", "1350", *CHEQUES, save="1"))
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{PAGE}#main"
    assert counts(ledger_engine)[0] == before[0] + 3
    assert total_home(ledger_url) - total_before == Decimal("1350.00")
    assert run(ledger_engine, holds_ledger)
    with Session(ledger_engine) as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.id > last_event)).all()
        saved = session.scalars(select(Donation).order_by(Donation.id.desc()).limit(3)).all()
    # Three gifts and two new donors, all the signed-in user's one request.
    assert len(events) == 5
    assert {(event.actor, event.command) for event in events} == {
        ("web:dana", f"web POST {BATCH}")}  # fmt: skip
    found = sorted((str(g.donation_date), g.amount_minor, g.currency, g.method) for g in saved)
    assert found == [
        ("2025-07-01", 100000, "ILS", "cheque"),
        ("2025-07-02", 5000, "USD", "cheque"),
        ("2025-07-02", 18000, "ILS", "cheque"),
    ]
    landed = client.get(PAGE).get_data(as_text=True)
    assert (
        f"Gifts recorded: 3, ₪1,350.00 in all, numbered #{saved[-1].id} to #{saved[0].id}."
        in landed
    )


def test_every_entry_post_is_refused_to_a_viewer_and_without_a_token(
    sign_in: SignIn, ledger_engine: Engine
) -> None:
    sample_ledger(ledger_engine)
    viewer = sign_in(Role.VIEWER)
    before = counts(ledger_engine)
    assert viewer.get(NEW).status_code == 403
    assert viewer.get(BATCH).status_code == 403
    token = csrf_token(viewer, PAGE)
    gift = {"csrf_token": token, "date": "2025-07-02", "amount": "10", "donor": "Forged"}
    for button in ("preview", "save", "again"):
        assert viewer.post(f"{PAGE}/donations", data={**gift, button: "1"}).status_code == 403
    for button in ("more", "check", "save"):
        form = batch_form(viewer, "3", "1350", *CHEQUES, **{button: "1"})
        assert viewer.post(BATCH, data=form).status_code == 403
    assert counts(ledger_engine) == before
    viewer.post("/logout", data={"csrf_token": token})
    treasurer = sign_in(Role.TREASURER)
    before = counts(ledger_engine)
    for forged in ({"csrf_token": ""}, {"csrf_token": "forged"}):
        form = batch_form(treasurer, "3", "1350", *CHEQUES, save="1") | forged
        assert treasurer.post(BATCH, data=form).status_code == 400
        answer = treasurer.post(f"{PAGE}/donations", data={**gift, **forged, "again": "1"})
        assert answer.status_code == 400
    assert counts(ledger_engine) == before
