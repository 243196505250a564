"""Correcting in the browser: a gift's page with its history, reversing and correcting a gift
through a preview that writes nothing, a donor's details edited, merged and unmerged; each
write the service the CLI calls, audited as web:NAME, refused to a viewer (403) and to a form
without its CSRF token (400) with nothing written; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select, table

from fundledger.domain.access import Role
from fundledger.services.donors import merge_donors
from tests.ledger_helpers import run
from tests.web.conftest import SignIn, csrf_token
from tests.web.pages_ledger import fill, text
from tests.web.sample import cli

# What a write adds rows to: counted before and after, to see that nothing was written.
TABLES = ("donation", "donation_correction", "receipt", "donor_revision", "donor_merge",
          "audit_event")  # fmt: skip
AFTER = re.compile(r'data-total="(home|reporting)" data-amount="([-0-9.]+)"')


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)
    return ledger_engine


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
                for name in TABLES}  # fmt: skip


def post(client: FlaskClient, path: str, token: str, **fields: str) -> tuple[int, str]:
    answer = client.post(path, data={"csrf_token": token, **fields})
    return answer.status_code, answer.get_data(as_text=True)


def cli_totals(url: str, slug: str) -> dict[str, Decimal]:
    found = json.loads(cli(url, "report", "campaign", slug, "--format", "json"))
    return {"home": Decimal(found["total_ils"]), "reporting": Decimal(found["total_usd"]),
            "count": Decimal(found["donation_count"])}  # fmt: skip


def previewed(html: str) -> dict[str, Decimal]:
    return {which: Decimal(amount) for which, amount in AFTER.findall(html)}


def test_a_gift_page_shows_the_gift_its_links_and_its_history(
    sign_in: SignIn, ledger: Engine
) -> None:
    client = sign_in(Role.TREASURER)
    # The search list links each gift to its page.
    assert 'href="/gifts/1"' in client.get("/gifts?campaign=a").get_data(as_text=True)
    html = client.get("/gifts/1").get_data(as_text=True)
    words = text(html)
    for shown in ("Gift #1", "$100.00", "₪337.60", "Dana Levi", "Card", "TX100",
                  "R-2025-00001", "donation.add", "receipt.donation", "Reverse this gift",
                  "Correct this gift"):  # fmt: skip
        assert shown in words, shown
    assert 'href="/receipts/R/2025/00001.pdf"' in html
    # A reversed gift and its reversal name each other; neither can be changed again.
    reversed_gift = text(client.get("/gifts/6").get_data(as_text=True))
    assert "Reversed by #7" in reversed_gift
    assert "Reverse this gift" not in reversed_gift
    reversal = text(client.get("/gifts/7").get_data(as_text=True))
    assert "Reverses #6" in reversal
    assert "refunded" in reversal
    assert "donation.reverse" in reversal
    assert client.get("/gifts/999").status_code == 404
    token = csrf_token(client, "/gifts/1")
    assert post(client, "/gifts/999/reverse", token, reason="x")[0] == 404
    assert post(client, "/gifts/999/correct", token, reason="x", amount="1")[0] == 404
    # A viewer: the gift as public reports show it, no giver, no history, no controls.
    viewer = sign_in(Role.VIEWER, "vera")
    hidden = text(viewer.get("/gifts/3").get_data(as_text=True))
    assert "Anonymous" in hidden
    for secret in ("Hidden Giver", "TX102", "History", "donation.add", "Reverse this gift"):
        assert secret not in hidden, secret


def test_a_reversal_is_previewed_then_recorded_with_the_cli_totals(
    sign_in: SignIn, ledger: Engine, ledger_url: str
) -> None:
    client = sign_in(Role.TREASURER, "dana")
    token = csrf_token(client, "/gifts/1")
    before = counts(ledger)
    status, html = post(client, "/gifts/1/reverse", token, reason="  ")
    assert status == 422
    assert "Nothing was recorded" in html
    assert "Give the reason: it is kept with the change" in html  # the page's words, not --reason
    assert counts(ledger) == before
    # The preview: what the totals become, and the credit receipt to come; nothing written.
    status, html = post(client, "/gifts/1/reverse", token, reason="card charge-back")
    assert status == 200, html
    words = text(html)
    assert "Nothing has been recorded yet" in words
    assert "credit receipt cancelling it will be issued" in words
    after = previewed(html)
    assert counts(ledger) == before
    assert cli_totals(ledger_url, "a")["home"] - after["home"] == Decimal("337.60")
    status, _ = post(client, "/gifts/1/reverse", token, reason="card charge-back", confirm="1")
    assert status == 303
    done = counts(ledger)
    assert done["donation"] == before["donation"] + 1
    assert done["receipt"] == before["receipt"] + 1  # the credit receipt
    totals = cli_totals(ledger_url, "a")
    assert (totals["home"], totals["reporting"]) == (after["home"], after["reporting"])
    page = text(client.get("/gifts/1").get_data(as_text=True))
    # Numbered in the year it is issued.
    assert re.search(r"Credit receipt R-\d{4}-00001 issued, cancelling receipt R-2025-00001\.",
                     page)  # fmt: skip
    # (PostgreSQL's sequence gave the preview's reversal a number that is now unused.)
    found = re.search(r"Gift #1 reversed by #(\d+)\.", page)
    assert found is not None, page
    reversal = int(found.group(1))
    assert f"Reversed by #{reversal}" in page
    assert "web:dana · donation.reverse" in page
    assert "card charge-back" in page
    assert "receipt.credit" in text(client.get(f"/gifts/{reversal}").get_data(as_text=True))
    # Once only: the service's own words, nothing written.
    status, html = post(client, "/gifts/1/reverse", token, reason="again", confirm="1")
    assert status == 422
    assert "already reversed" in html
    assert counts(ledger) == done


def test_common_refusals_read_in_the_pages_language(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.TREASURER)
    assert client.get("/receipts?lang=he").status_code == 200
    token = csrf_token(client, "/receipts")
    before = counts(ledger)
    # Gift #5 is in euros, with no EUR rate: its receipt cannot state its value in shekels.
    status, html = post(client, "/receipts/issue", token, donation="5")
    assert status == 422
    assert "לא ידוע שער חליפין EUR/ILS ב־20 ביולי 2025 או לפניו" in text(html), text(html)
    status, html = post(client, "/gifts/1/correct", token, amount="0", reason="טעות הקלדה")
    assert status == 422
    assert "תרומה חייבת להיות גדולה מאפס" in text(html)
    status, html = post(client, "/gifts/1/reverse", token, reason=" ")
    assert status == 422
    assert "כתבו את הסיבה" in text(html)
    # Any other refusal keeps the service's own (English) words, which name the fix.
    status, html = post(client, "/gifts/1/correct", token, amount="100", currency="USD",
                        reason="x")  # fmt: skip
    assert status == 422
    assert "nothing to correct: donation #1 already has what was given" in text(html)
    assert counts(ledger) == before


def test_a_correction_keeps_the_reference_and_matches_the_cli(
    sign_in: SignIn, ledger: Engine, ledger_url: str
) -> None:
    client = sign_in(Role.TREASURER, "dana")
    token = csrf_token(client, "/gifts/3")
    before = counts(ledger)
    fields = {"amount": "180", "note": "by phone", "reason": "typed 200 for 180"}
    status, html = post(client, "/gifts/3/correct", token, **{**fields, "reason": ""})
    assert status == 422
    assert "Give the reason" in html
    status, html = post(client, "/gifts/3/correct", token, date="3 July", reason="x")
    assert status == 422
    assert "YYYY-MM-DD" in html
    status, html = post(client, "/gifts/3/correct", token, reason="nothing")
    assert status == 422
    assert "nothing to correct" in html
    status, html = post(client, "/gifts/3/correct", token, **fields)
    assert status == 200, html
    words = text(html)
    assert "Amount 200.00 ILS 180.00 ILS" in words
    assert "Note — by phone" in words
    after = previewed(html)
    assert counts(ledger) == before
    answer = client.post("/gifts/3/correct", data={"csrf_token": token, **fields, "confirm": "1"})
    assert answer.status_code == 303
    new = int(answer.headers["Location"].rsplit("/", 1)[1])
    totals = cli_totals(ledger_url, "a")
    assert (totals["home"], totals["reporting"]) == (after["home"], after["reporting"])
    assert counts(ledger)["donation_correction"] == before["donation_correction"] + 1
    page = text(client.get(f"/gifts/{new}").get_data(as_text=True))
    assert re.search(rf"Gift #3 corrected: reversed by #\d+, recorded again as #{new}\.", page)
    assert "Corrects #3 — typed 200 for 180" in page
    assert "TX102" in page  # the same reference
    assert "web:dana · donation.correct" in page
    assert f"Corrected by #{new}" in text(client.get("/gifts/3").get_data(as_text=True))


def test_donor_edit_merge_and_unmerge_are_recorded_and_shown(
    sign_in: SignIn, ledger: Engine
) -> None:
    client = sign_in(Role.TREASURER, "dana")
    page = client.get("/donors/1").get_data(as_text=True)
    token = csrf_token(client, "/donors/1")
    details = {"name": "Dana Levi", "email": "dana@example.org", "phone": "", "address": "",
               "language": ""}  # fmt: skip
    before = counts(ledger)
    status, html = post(client, "/donors/1/edit", token, **details, tax_id="123456789",
                        reason="on the form")  # fmt: skip
    assert status == 422
    assert "is not an Israeli identity number" in html
    assert 'value="123456789"' in html  # the form comes back as typed
    status, html = post(client, "/donors/1/edit", token, **details, tax_id="", reason="")
    assert status == 422
    assert "Give the reason" in html
    assert counts(ledger) == before
    assert 'id="edit-name"' in page
    status, _ = post(client, "/donors/1/edit", token, **{
        **details, "phone": "050-1234567", "tax_id": "123456782", "language": "he",
        "reason": "called us"})  # fmt: skip
    assert status == 303
    words = text(client.get("/donors/1").get_data(as_text=True))
    assert "Donor #1: changed phone, language, ID number." in words
    assert "web:dana · revision" in words
    assert "Phone: — → 050-1234567" in words  # (← in Hebrew and Arabic)
    assert "called us" in words
    # Merging #3 into #1: both donors with their gift counts, nothing written yet.
    before = counts(ledger)
    status, html = post(client, "/donors/3/merge", token, into="1", reason="")
    assert status == 422
    assert "Give the reason" in html
    status, html = post(client, "/donors/3/merge", token, into="Dana", reason="same person")
    assert status == 422
    assert "Give the number of the donor to merge into" in html
    status, html = post(client, "/donors/3/merge", token, into="999", reason="same person")
    assert status == 422
    assert "There is no donor #999" in html
    assert counts(ledger) == before
    status, html = post(client, "/donors/3/merge", token, into="#1", reason="same person")
    assert status == 200, html
    words = text(html)
    assert "Merge donor #3 into #1?" in words
    # Dana Levi's two gifts; #3's two counted (a third was reversed).
    assert words.count("Gifts counted 2") == 2
    assert "After the merge donor #1 counts 4 gifts" in words
    assert counts(ledger) == before
    status, _ = post(client, "/donors/3/merge", token, into="1", reason="same person",
                     confirm="1")  # fmt: skip
    assert status == 303
    assert counts(ledger)["donor_merge"] == before["donor_merge"] + 1
    merged = text(client.get("/donors/3").get_data(as_text=True))
    assert "Merged into #1" in merged
    found = re.search(r"web:dana · merge #(\d+): donor #3 merged into #1", merged)
    assert found is not None, merged
    merge = found.group(1)
    assert "Undo the merge" in merged
    status, html = post(client, "/donors/3/unmerge", token, reason="two people after all")
    assert status == 200
    assert "Undo the merge of donor #3 into #1?" in text(html)
    status, _ = post(client, "/donors/3/unmerge", token, reason="two people after all",
                     confirm="1")  # fmt: skip
    assert status == 303
    apart = text(client.get("/donors/3").get_data(as_text=True))
    assert "Merged into" not in apart
    assert f"merge #{merge} undone" in apart
    assert "two people after all" in apart
    assert counts(ledger)["donor_merge"] == before["donor_merge"] + 2


def test_a_viewer_or_a_form_without_its_token_writes_nothing(
    sign_in: SignIn, ledger: Engine, client: FlaskClient
) -> None:
    # Donor #2 merged into #1, for an unmerge to forge.
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="same"))
    writes = {
        "/gifts/1/reverse": {"reason": "forged"},
        "/gifts/3/correct": {"reason": "forged", "amount": "1"},
        "/donors/1/edit": {"reason": "forged", "name": "Forged"},
        "/donors/3/merge": {"reason": "forged", "into": "1"},
        "/donors/2/unmerge": {"reason": "forged"},
    }
    # A viewer's forged form that cannot even be read is refused for the role too (403), not
    # sent back with what is wrong in it.
    unreadable = {
        "/gifts/3/correct": {"reason": "forged", "date": "3 July", "anonymous": "maybe"},
        "/donors/3/merge": {"reason": "forged", "into": "someone"},
        "/campaigns/a/donations": {"date": "yesterday", "amount": "lots"},
    }
    treasurer = sign_in(Role.TREASURER, "dana")
    before = counts(ledger)
    for path, fields in writes.items():
        assert client.post(path, data={**fields, "confirm": "1"}).status_code == 400, path
    assert counts(ledger) == before
    client.post("/logout", data={"csrf_token": csrf_token(treasurer, "/gifts")})
    viewer = sign_in(Role.VIEWER, "vera")
    token = csrf_token(viewer, "/gifts")
    before = counts(ledger)
    for path, fields in writes.items():
        for confirm in ({}, {"confirm": "1"}):
            status, _ = post(viewer, path, token, **fields, **confirm)
            assert status == 403, path
    for path, fields in unreadable.items():
        for extra in ({}, {"preview": "1"}):
            status, _ = post(viewer, path, token, **fields, **extra)
            assert status == 403, path
    assert counts(ledger) == before
    # The viewer's pages offer none of the controls.
    assert '<form class="gift"' not in viewer.get("/gifts/1").get_data(as_text=True)
    assert 'id="edit-name"' not in viewer.get("/donors/1").get_data(as_text=True)


def test_a_viewer_is_not_led_from_an_anonymous_gift_to_its_named_self(
    sign_in: SignIn, ledger: Engine, client: FlaskClient
) -> None:
    """A correction that makes a named gift anonymous: the treasurer sees both gifts linked;
    a viewer sees neither link (the named one would name the giver of the anonymous one)."""
    treasurer = sign_in(Role.TREASURER, "dana")
    token = csrf_token(treasurer, "/gifts/4")
    answer = treasurer.post("/gifts/4/correct", data={
        "csrf_token": token, "anonymous": "anonymous", "reason": "asked to be anonymous",
        "confirm": "1"})  # fmt: skip
    assert answer.status_code == 303
    new = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert "Corrects #4" in text(treasurer.get(f"/gifts/{new}").get_data(as_text=True))
    treasurer.post("/logout", data={"csrf_token": csrf_token(treasurer, "/gifts")})
    viewer = sign_in(Role.VIEWER, "vera")
    for path in (f"/gifts/{new}", "/gifts/4"):
        page = text(viewer.get(path).get_data(as_text=True))
        assert "Corrects #" not in page, path
        assert "Corrected by #" not in page, path
