"""Issuing receipts from the browser, as `fundledger receipt issue` does (the same services):
one gift's, or a campaign's unreceipted gifts a request-sized batch at a time, the skipped ones
listed with their fix; many receipts as one zip of copies; a copy in another language. The
treasurer's alone: a viewer's forged request gets 403 and nothing written. On SQLite and
PostgreSQL, the PDFs read back with pdftotext and the receipts compared with the CLI's list."""

from __future__ import annotations

import io
import json
import re
import zipfile
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, Receipt
from fundledger.domain.access import Role
from fundledger.domain.dates import today_in_israel
from fundledger.web import receipts as receipt_pages
from tests.pdf_helpers import text_of
from tests.web.conftest import SignIn, csrf_token
from tests.web.pages_ledger import fill
from tests.web.pages_ledger import text as tagless
from tests.web.sample import cli

YEAR = today_in_israel().year  # receipts are issued today unless a date is given


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)  # R-2025-00001 and -00002 issued; #3 (a), #4 and #5 (b) have none
    return ledger_engine


def text(html: str) -> str:
    """The page's words, with its character references read (gift&#39;s: gift's)."""
    return unescape(tagless(html))


def counts(engine: Engine) -> tuple[int, int]:
    """Receipts and audit events: what a refused request must leave as it was."""
    with Session(engine) as session:
        return (int(session.scalar(select(func.count()).select_from(Receipt)) or 0),
                int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0))  # fmt: skip


def listed(url: str) -> list[dict[str, object]]:
    return json.loads(cli(url, "receipt", "list", "--format", "json"))  # type: ignore[no-any-return]


def test_a_batch_then_one_gift_then_the_zip_and_a_copy_in_hebrew(
    sign_in: SignIn, ledger: Engine, ledger_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(receipt_pages, "BATCH_MOST", 1)  # two gifts wait: two requests
    client = sign_in(Role.TREASURER)
    form = client.get("/receipts/batch").get_data(as_text=True)
    assert "At most 1 are issued at a time" in text(form)
    token = csrf_token(client, "/receipts/batch")
    first = client.post("/receipts/batch", data={"campaign": "b", "csrf_token": token})
    assert first.status_code == 200
    words = text(first.get_data(as_text=True))
    assert f"Issued 1 receipt: R-{YEAR}-00001 Download them as a zip" in words
    assert "1 more gift waits for its receipt" in words
    # The next request goes on where the first stopped: #5 (EUR, no rate) is skipped, with
    # what mends it, and takes no number.
    second = client.post("/receipts/batch", data={"campaign": "b", "csrf_token": token})
    words = text(second.get_data(as_text=True))
    assert "1 gift was skipped and has no receipt yet" in words
    assert "#5" in words
    assert "no EUR/ILS rate in force on 2025-07-20" in words
    assert "fundledger rates add 2025-07-20 EUR ILS RATE" in words
    assert "more gift" not in words
    # One gift's receipt, in Hebrew: the next number, no gap.
    issued = client.post("/receipts/issue", data={"donation": "3", "locale": "he",
                                                  "csrf_token": token})  # fmt: skip
    assert issued.status_code == 303
    shown = text(client.get(issued.headers["Location"]).get_data(as_text=True))
    assert f"Issued receipt R-{YEAR}-00002 for gift #3: ₪200.00, in Hebrew." in shown
    # What the CLI lists is what was issued here, numbered without gaps.
    receipts = listed(ledger_url)
    assert [(row["number"], row["donation"]) for row in receipts] == [
        ("R-2025-00001", 1), ("R-2025-00002", 2),
        (f"R-{YEAR}-00001", 4), (f"R-{YEAR}-00002", 3)]  # fmt: skip
    # A period with no unreceipted gift of campaign a in it: nothing to do, nothing issued.
    none = client.post(
        "/receipts/batch",
        data={"campaign": "a", "from": "2025-07-01", "to": "2025-07-04", "csrf_token": token},
    )
    assert "Every gift already has its receipt: none issued." in text(none.get_data(as_text=True))
    # The batch's zip (the result page's link) holds each receipt as a copy.
    link = re.search(r'href="(/receipts/receipts\.zip\?receipt=[^"]+)"',
                     first.get_data(as_text=True))  # fmt: skip
    assert link is not None
    packed = client.get(link.group(1).replace("&amp;", "&"))
    assert packed.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packed.data)) as archive:
        assert archive.namelist() == [f"R-{YEAR}-00001-copy.pdf"]
        (tmp_path / "one.pdf").write_bytes(archive.read(f"R-{YEAR}-00001-copy.pdf"))
    words = " ".join(text_of(tmp_path / "one.pdf").split())
    assert f"Donation receipt Copy No. R-{YEAR}-00001" in words
    # The list's filter as a zip: this year's two, in Arabic.
    year = client.get(f"/receipts/receipts.zip?year={YEAR}&locale=ar")
    with zipfile.ZipFile(io.BytesIO(year.data)) as archive:
        assert archive.namelist() == [f"R-{YEAR}-00001-copy-ar.pdf", f"R-{YEAR}-00002-copy-ar.pdf"]
    # A copy of the Hebrew receipt, in Hebrew.
    copy = client.get(f"/receipts/R/{YEAR}/00002.pdf")
    assert f"R-{YEAR}-00002-copy.pdf" in copy.headers["Content-Disposition"]
    (tmp_path / "he.pdf").write_bytes(copy.data)
    hebrew = text_of(tmp_path / "he.pdf")
    assert "העתק" in hebrew
    assert "Hidden Giver" in hebrew


def test_mistakes_are_refused_with_the_fix_and_write_nothing(
    sign_in: SignIn, ledger: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sign_in(Role.TREASURER)
    token = csrf_token(client, "/receipts")
    before = counts(ledger)
    for data, message in (
        ({"donation": "abc"}, "Give the gift's number"),
        ({"donation": "6"}, "donation #6 was reversed by #7: a reversed gift gets no receipt"),
        ({"donation": "1"}, "donation #1 already has receipt R-2025-00001"),
        ({"donation": "99"}, "no donation #99"),
        ({"donation": "3", "locale": "fr"}, "Choose the receipt's language from the list."),
    ):
        answer = client.post("/receipts/issue", data={**data, "csrf_token": token})
        assert answer.status_code == 422, data
        assert message in text(answer.get_data(as_text=True)), data
    for data, message in (
        ({"campaign": ""}, "Choose the campaign whose gifts to receipt."),
        ({"campaign": "nope"}, "nope"),
        ({"campaign": "b", "from": "2025-07-01"}, "A period needs both ends"),
        ({"campaign": "b", "from": "2025-07-09", "to": "2025-07-01"}, "swap them"),
        ({"campaign": "b", "from": "July", "to": "2025-07-01"}, "From: July is not a date"),
    ):
        answer = client.post("/receipts/batch", data={**data, "csrf_token": token})
        assert answer.status_code == 422, data
        assert message in text(answer.get_data(as_text=True)), data
    assert counts(ledger) == before
    # A download of more receipts than one request draws is refused, saying how to narrow it.
    monkeypatch.setattr(receipt_pages, "ZIP_MOST", 1)
    many = client.get("/receipts/receipts.zip?year=2025")
    assert many.status_code == 400
    assert "2 receipts match, and one download holds at most 1" in text(many.get_data(as_text=True))


def test_only_a_treasurer_issues_and_every_write_needs_its_token(
    sign_in: SignIn, ledger: Engine
) -> None:
    viewer = sign_in(Role.VIEWER, "vera")
    token = csrf_token(viewer, "/")
    before = counts(ledger)
    assert viewer.post("/receipts/issue", data={"donation": "3", "csrf_token": token}
                       ).status_code == 403  # fmt: skip
    assert viewer.post("/receipts/batch", data={"campaign": "b", "csrf_token": token}
                       ).status_code == 403  # fmt: skip
    assert viewer.get("/receipts/batch").status_code == 403
    assert viewer.post("/receipts/issue", data={"donation": "x", "csrf_token": token}
                       ).status_code == 403  # fmt: skip
    assert viewer.get("/receipts/receipts.zip?year=2025").status_code == 403
    # A viewer sees no button to issue a receipt beside a gift; a treasurer does.
    assert "Issue receipt" not in viewer.get("/gifts").get_data(as_text=True)
    assert counts(ledger) == before
    viewer.post("/logout", data={"csrf_token": token})
    treasurer = sign_in(Role.TREASURER, "tom")
    page = treasurer.get("/donors/2").get_data(as_text=True)
    assert 'aria-label="Issue the receipt of gift #3"' in page
    assert 'aria-label="Issue the receipt of gift #6"' not in page  # reversed: none
    before = counts(ledger)
    assert treasurer.post("/receipts/issue", data={"donation": "3"}).status_code == 400
    assert treasurer.post("/receipts/batch", data={"campaign": "b"}).status_code == 400
    assert counts(ledger) == before
    # The button issues the receipt and leads back to the donor's page, where it shows.
    button = re.search(r'<form class="inline"(.*?)</form>', page)
    assert button is not None
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', button.group(1)))
    assert fields["next"] == "/donors/2"
    issued = treasurer.post("/receipts/issue", data=fields)
    assert issued.status_code == 303
    assert issued.headers["Location"] == "/donors/2"
    again = treasurer.get("/donors/2").get_data(as_text=True)
    assert f"Issued receipt R-{YEAR}-00001 for gift #3" in text(again)
    assert 'aria-label="Issue the receipt of gift #3"' not in again
    # Never away from this site.
    fields["donation"], fields["next"] = "4", "//evil.example/"
    assert treasurer.post("/receipts/issue", data=fields).headers["Location"] == "/"
