"""The receipts pages: the list (by year, campaign, number; a page at a time) and each receipt
as a PDF marked COPY, as `fundledger receipt reprint` prints it; for those who keep the books
only (a receipt names the giver of an anonymous gift); on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent
from fundledger.domain.access import Role
from fundledger.services.receipts import IssueOptions, issue_receipt
from tests.ledger_helpers import run
from tests.pdf_helpers import text_of
from tests.web.conftest import SignIn
from tests.web.pages_ledger import ESCAPED, SCRIPT, fill, give, text

NUMBER = re.compile(r'dir="ltr">(R-\d{4}-\d{5})</a>')


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)
    return ledger_engine


def numbers(html: str) -> list[str]:
    return NUMBER.findall(html)


@pytest.mark.parametrize("role", [Role.TREASURER, Role.ADMIN])
def test_the_list_newest_first(sign_in: SignIn, ledger: Engine, role: Role) -> None:
    html = sign_in(role).get("/receipts").get_data(as_text=True)
    assert numbers(html) == ["R-2025-00002", "R-2025-00001"]
    words = text(html)
    assert "2 receipts." in words
    # The anonymous gift's receipt names its giver: it is for those who keep the books.
    assert "R-2025-00002 August 1, 2025 Dana Levi ₪50.00 ₪50.00 #2" in words
    assert 'href="/receipts/R/2025/00001.pdf?locale=he"' in html


def test_a_viewer_may_not_read_receipts(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.VIEWER)
    assert client.get("/receipts").status_code == 403
    assert client.get("/receipts/R/2025/00001.pdf").status_code == 403
    home = client.get("/donors").get_data(as_text=True)
    assert 'href="/receipts"' not in home
    assert 'href="/audit"' not in home


def test_the_filters(sign_in: SignIn, ledger: Engine) -> None:
    give(ledger, "b", "2025-07-04", "5", "ILS", donor_name=SCRIPT)
    run(ledger, lambda s, c: issue_receipt(s, c, 8, IssueOptions("he", date(2025, 8, 2))))
    client = sign_in(Role.TREASURER)
    assert numbers(client.get("/receipts?campaign=b").get_data(as_text=True)) == ["R-2025-00003"]
    assert numbers(client.get("/receipts?number=1").get_data(as_text=True)) == ["R-2025-00001"]
    assert numbers(client.get("/receipts?number=r-2025-00002").get_data(as_text=True)) == [
        "R-2025-00002"]  # fmt: skip
    assert numbers(client.get("/receipts?year=2024").get_data(as_text=True)) == []
    html = client.get("/receipts?year=2025&campaign=b").get_data(as_text=True)
    assert ESCAPED in html
    assert SCRIPT not in html
    bad = client.get("/receipts?year=25x")
    assert bad.status_code == 400
    assert "Year: 25x is not a number from 1900 to 9999." in bad.get_data(as_text=True)
    wrong = client.get("/receipts?number=R-25")
    assert wrong.status_code == 400
    assert "is not a receipt number" in text(wrong.get_data(as_text=True))
    assert client.get("/receipts?campaign=nope").status_code == 400


def test_the_list_pages(sign_in: SignIn, ledger: Engine) -> None:
    options = IssueOptions("en", date(2025, 8, 3))
    for _ in range(50):
        gift_id = give(ledger, "b", "2025-07-04", "5", "ILS", donor_name="Many")
        run(ledger, lambda s, c, gift_id=gift_id: issue_receipt(s, c, gift_id, options))
    client = sign_in(Role.TREASURER)
    first = client.get("/receipts").get_data(as_text=True)
    assert len(numbers(first)) == 50
    assert numbers(first)[0] == "R-2025-00052"
    assert "Page 1 of 2" in text(first)
    assert numbers(client.get("/receipts?page=2").get_data(as_text=True)) == [
        "R-2025-00002", "R-2025-00001"]  # fmt: skip


def test_a_receipt_is_a_copy_in_its_language_or_another(
    sign_in: SignIn, ledger: Engine, tmp_path: Path
) -> None:
    def events() -> int:
        with Session(ledger) as session:
            return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)

    before = events()
    client = sign_in(Role.TREASURER)
    written = events()  # signing in may record its own event
    answer = client.get("/receipts/R/2025/00001.pdf")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert "R-2025-00001-copy.pdf" in answer.headers["Content-Disposition"]
    pdf = tmp_path / "copy.pdf"
    pdf.write_bytes(answer.data)
    words = " ".join(text_of(pdf).split())
    assert "Donation receipt Copy No. R-2025-00001" in words
    assert "Dana Levi" in words
    hebrew = client.get("/receipts/R/2025/00001.pdf?locale=he")
    assert "R-2025-00001-copy-he.pdf" in hebrew.headers["Content-Disposition"]
    pdf.write_bytes(hebrew.data)
    assert "קבלה" in text_of(pdf)
    assert events() == written >= before  # reading a receipt writes nothing


def test_an_unknown_receipt_is_not_found(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.TREASURER)
    for path in ("/receipts/R/2025/00009.pdf", "/receipts/X/2025/00001.pdf",
                 "/receipts/R/2025/abc.pdf", "/receipts/R/2025/00001.pdf?locale=fr"):  # fmt: skip
        assert client.get(path).status_code == 404, path


def test_the_list_in_hebrew(sign_in: SignIn, ledger: Engine) -> None:
    html = sign_in(Role.TREASURER).get("/receipts?lang=he").get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in html
    assert "1 באוג׳ 2025" in text(html) or "1 באוגוסט 2025" in text(html)
