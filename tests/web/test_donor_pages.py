"""The donor pages: the search, a donor's page and a year's statement as a PDF, for each role,
on SQLite and PostgreSQL. A viewer never learns who gave anonymously, nor any contact detail."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from fundledger.domain.access import Role
from tests.pdf_helpers import text_of
from tests.web.conftest import SignIn
from tests.web.pages_ledger import ESCAPED, SCRIPT, fill, text


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)
    return ledger_engine


def test_the_search_finds_donors_by_name_for_every_role(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.VIEWER)
    page = client.get("/donors?q=levi")
    assert page.status_code == 200
    words = text(page.get_data(as_text=True))
    assert "1 donor found." in words
    assert "Dana Levi #1" in words
    assert "dana@example.org" not in words  # no e-mail for a viewer
    # Hidden Giver gave only anonymously: a viewer cannot find them at all.
    assert "0 donors found." in text(client.get("/donors?q=hidden").get_data(as_text=True))
    # Nor search by e-mail (the answer would say whether the address is a donor's).
    assert client.get("/donors?q=hidden@example.org").status_code == 403


def test_a_treasurer_finds_by_e_mail_and_sees_it(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.TREASURER)
    words = text(client.get("/donors?q=HIDDEN@example.org").get_data(as_text=True))
    assert "1 donor found." in words
    assert "Hidden Giver #2 hidden@example.org" in words


def test_a_name_prints_literally(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.VIEWER)
    for path in ("/donors?q=script", "/donors/3"):
        html = client.get(path).get_data(as_text=True)
        assert ESCAPED in html
        assert SCRIPT not in html


def test_a_search_with_no_letter_says_what_to_type(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.VIEWER)
    assert "1 donor" not in client.get("/donors").get_data(as_text=True)  # the form alone
    answer = client.get("/donors?q=!!!")
    assert answer.status_code == 400
    assert "Type a part of a donor&#39;s name" in answer.get_data(as_text=True)


def test_the_search_pages(sign_in: SignIn, ledger: Engine) -> None:
    from tests.web.pages_ledger import give

    for number in range(60):
        give(ledger, "a", "2025-07-10", "1", "ILS", donor_name=f"Pager {number:02d}")
    client = sign_in(Role.VIEWER)
    first = text(client.get("/donors?q=pager").get_data(as_text=True))
    assert "60 donors found." in first
    assert "Pager 00" in first
    assert "Pager 49" in first
    assert "Pager 50" not in first
    assert "Page 1 of 2" in first
    second = client.get("/donors?q=pager&page=2").get_data(as_text=True)
    assert "Pager 50" in text(second)
    assert "Pager 49" not in text(second)
    assert 'href="/donors?q=pager&amp;page=1" rel="prev"' in second
    assert client.get("/donors?q=pager&page=0").status_code == 404
    assert client.get("/donors?q=pager&page=x").status_code == 404


def test_a_viewer_sees_a_donors_named_gifts_and_no_contact(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.VIEWER)
    page = client.get("/donors/1")
    words = text(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "#1 July 3, 2025 a" in words  # the named gift, with its value in NIS
    assert "$100.00 ₪337.60" in words
    assert "TX101" not in words
    assert "#2 " not in words
    assert "E-mail" not in words
    assert "dana@example.org" not in words
    assert "R-2025-00001" in words  # its receipt's number, not a link to the PDF
    assert 'href="/receipts/' not in page.get_data(as_text=True)
    assert "Statements" not in words
    # A donor who gave only anonymously does not exist for a viewer.
    assert client.get("/donors/2").status_code == 404


def test_a_treasurer_sees_every_gift_contact_and_document(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.TREASURER)
    html = client.get("/donors/1").get_data(as_text=True)
    words = text(html)
    assert "E-mail dana@example.org" in words
    assert "TX101" in words
    assert "(anonymous)" in words
    assert 'href="/receipts/R/2025/00002.pdf"' in html
    assert 'href="/donors/1/statement/2025.pdf?locale=he"' in html
    assert "Total given ₪50.00 · $100.00" in words


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TREASURER, Role.ADMIN])
def test_an_unknown_donor_is_not_found(sign_in: SignIn, ledger: Engine, role: Role) -> None:
    client = sign_in(role)
    assert client.get("/donors/999").status_code == 404
    assert client.get("/donors/999/statement/2025.pdf").status_code == (
        403 if role == Role.VIEWER else 404)  # fmt: skip


def test_the_page_speaks_the_readers_language(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.TREASURER)
    html = client.get("/donors/1?lang=he").get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in html
    assert "תרומות" in html  # "Gifts"
    assert "3 ביולי 2025" in text(html)  # the date as the Hebrew PDFs write it
    arabic = client.get("/donors?q=levi&lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic


def test_a_statement_is_the_pdf_of_the_cli(sign_in: SignIn, ledger: Engine, tmp_path: Path) -> None:
    client = sign_in(Role.TREASURER)
    answer = client.get("/donors/1/statement/2025.pdf?locale=en")
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert "statement-1-2025-en.pdf" in answer.headers["Content-Disposition"]
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(answer.data)
    words = " ".join(text_of(pdf).split())
    assert "Your gifts in 2025" in words
    assert "Dana Levi" in words
    assert "R-2025-00002" in words
    assert client.get("/donors/1/statement/2025.pdf?locale=xx").status_code == 404


def test_a_viewer_gets_no_statement(sign_in: SignIn, ledger: Engine) -> None:
    assert sign_in(Role.VIEWER).get("/donors/1/statement/2025.pdf").status_code == 403


def test_a_merged_donor_has_no_statement_of_their_own(
    client: FlaskClient, sign_in: SignIn, ledger: Engine
) -> None:
    from fundledger.services.donors import merge_donors
    from tests.ledger_helpers import run

    run(ledger, lambda s, c: merge_donors(s, c, merged_id=3, into_id=1, reason="same person"))
    signed = sign_in(Role.TREASURER)
    words = text(signed.get("/donors/3").get_data(as_text=True))
    assert "Merged into #1" in words
    assert "on the statements of donor #1" in words
    assert "Merged from #3" in text(signed.get("/donors/1").get_data(as_text=True))
    answer = signed.get("/donors/3/statement/2025.pdf")
    assert answer.status_code == 400
    assert "merged into #1" in text(answer.get_data(as_text=True))


def test_a_statement_waiting_for_a_rate_says_which(sign_in: SignIn, ledger: Engine) -> None:
    # Donor #3's EUR gift of July 20 has no rate in force: no statement leaves it out.
    answer = sign_in(Role.TREASURER).get("/donors/3/statement/2025.pdf")
    assert answer.status_code == 400
    assert "no USD/ILS rate in force on 2025-07-20" in text(answer.get_data(as_text=True))
