"""The gifts search page: the conditions of services/search.py as a GET form, a page at a time,
each gift with its NIS value and receipt number; for each role, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from fundledger.domain.access import Role
from tests.web.conftest import SignIn
from tests.web.pages_ledger import ESCAPED, SCRIPT, fill, give, text

GIFT_ROW = re.compile(r'<td class="num" dir="ltr"><a href="/gifts/\d+">#(\d+)</a></td>')


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)
    return ledger_engine


def gift_ids(html: str) -> list[int]:
    return [int(found) for found in GIFT_ROW.findall(html)]


def test_the_form_has_a_label_for_every_field(sign_in: SignIn, ledger: Engine) -> None:
    html = sign_in(Role.TREASURER).get("/gifts").get_data(as_text=True)
    fields = re.findall(r'<(?:input|select) id="([^"]+)"', html)
    assert {"f-campaign", "f-donor", "f-email", "f-from", "f-to", "f-min", "f-max", "f-method",
            "f-reference"} == set(fields)  # fmt: skip
    for field in fields:
        assert f'<label for="{field}">' in html
    assert 'method="get"' in html
    assert "Fill in one or more fields" in html  # nothing searched yet
    # A viewer may not search by e-mail: the field is not offered.
    assert 'id="f-email"' not in sign_in(Role.VIEWER, "vera").get("/gifts").get_data(as_text=True)


def test_a_search_by_dates_lists_the_gifts_with_value_and_receipt(
    sign_in: SignIn, ledger: Engine
) -> None:
    html = sign_in(Role.TREASURER).get("/gifts?from=2025-07-03&to=2025-07-04").get_data(
        as_text=True)  # fmt: skip
    assert gift_ids(html) == [1, 2, 4]  # by date, then as recorded
    words = text(html)
    assert "3 gifts found." in words
    assert "#1 July 3, 2025 a Dana Levi $100.00 ₪337.60 Card TX100 R-2025-00001" in words
    assert "#4 July 4, 2025 b" in words
    assert "$10.00 ₪33.76" in words
    assert 'href="/receipts/R/2025/00001.pdf"' in html


def test_a_viewer_never_sees_who_gave_anonymously(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.VIEWER)
    html = client.get("/gifts?campaign=a").get_data(as_text=True)
    words = text(html)
    assert gift_ids(html) == [1, 2, 3, 6, 7]
    assert "Hidden Giver" not in words
    assert "TX102" not in words
    assert "TX101" not in words
    assert "R-2025-00002" not in words  # a receipt number could name the giver too
    assert words.count("Anonymous") == 2
    # By the donor's name a viewer finds only the gifts given by name.
    assert gift_ids(client.get("/gifts?donor=dana").get_data(as_text=True)) == [1]
    assert gift_ids(client.get("/gifts?donor=hidden").get_data(as_text=True)) == []
    assert client.get("/gifts?email=dana@example.org").status_code == 403


def test_a_treasurer_finds_by_e_mail_value_method_and_reference(
    sign_in: SignIn, ledger: Engine
) -> None:
    client = sign_in(Role.TREASURER)
    assert gift_ids(client.get("/gifts?email=DANA@example.org").get_data(as_text=True)) == [1, 2]
    assert gift_ids(client.get("/gifts?min=40&max=200").get_data(as_text=True)) == [2, 3]
    assert gift_ids(client.get("/gifts?method=card").get_data(as_text=True)) == [1]
    assert gift_ids(client.get("/gifts?reference=TX10*").get_data(as_text=True)) == [1, 2, 3]
    # The EUR gift has no rate: a search by value says so and points to the gaps.
    words = text(client.get("/gifts?min=1").get_data(as_text=True))
    assert "1 gift left out: it has no rate on its date to compare its value." in words


def test_names_print_literally(sign_in: SignIn, ledger: Engine) -> None:
    html = sign_in(Role.VIEWER).get("/gifts?campaign=b").get_data(as_text=True)
    assert ESCAPED in html
    assert SCRIPT not in html


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("from=03/07/2025", "From: 03/07/2025 is not a date; write it as 2025-07-03"),
        ("min=ten", "Value from: ten is not an amount"),
        ("max=-5", "Value up to: -5 is not an amount"),
        ("donor=" + "x" * 201, "Donor&#39;s name is too long"),
    ],
)
def test_a_field_that_cannot_be_read_is_named(
    sign_in: SignIn, ledger: Engine, query: str, says: str
) -> None:
    answer = sign_in(Role.VIEWER).get(f"/gifts?{query}")
    assert answer.status_code == 400
    assert says in answer.get_data(as_text=True)


def test_what_the_service_refuses_is_a_page_with_its_message(
    sign_in: SignIn, ledger: Engine
) -> None:
    client = sign_in(Role.VIEWER)
    unknown = client.get("/gifts?campaign=nope")
    assert unknown.status_code == 400
    assert "nope" in text(unknown.get_data(as_text=True))
    swapped = client.get("/gifts?from=2025-08-01&to=2025-07-01")
    assert swapped.status_code == 400
    assert "swap them" in swapped.get_data(as_text=True)


def test_the_gifts_page(sign_in: SignIn, ledger: Engine) -> None:
    for number in range(55):
        give(ledger, "b", "2025-07-01", "1", "ILS", reference=f"P{number:02d}")
    client = sign_in(Role.VIEWER)
    first = client.get("/gifts?campaign=b")
    html = first.get_data(as_text=True)
    assert len(gift_ids(html)) == 50
    assert "57 gifts found." in text(html)
    assert "Page 1 of 2" in text(html)
    assert 'href="/gifts?campaign=b&amp;page=2" rel="next"' in html
    second = client.get("/gifts?campaign=b&page=2").get_data(as_text=True)
    assert gift_ids(second) == [58, 59, 60, 61, 62, 4, 5]  # July 1 to the last, then 4 and 20
    assert client.get("/gifts?campaign=b&page=-1").status_code == 404


def test_the_page_in_arabic(sign_in: SignIn, ledger: Engine) -> None:
    html = sign_in(Role.VIEWER).get("/gifts?lang=ar&from=2025-07-03&to=2025-07-03").get_data(
        as_text=True)  # fmt: skip
    assert '<html lang="ar" dir="rtl">' in html
    assert "بطاقة ائتمان" in html  # the method as the Arabic documents name it
