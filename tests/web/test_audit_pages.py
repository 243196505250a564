"""The audit page: the trail newest first, filtered by kind of row (or one row), action, who
and dates, a page at a time, its details as indented JSON and escaped; for treasurers and
admins (the trail ties anonymous gifts to their givers); on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from fundledger.domain.access import Role
from fundledger.services.audit import ROW_KINDS
from fundledger.web.audit import KINDS
from tests.ledger_helpers import rates
from tests.web.conftest import SignIn
from tests.web.pages_ledger import ESCAPED, SCRIPT, fill, text

EVENT = re.compile(
    r'<td class="num" dir="ltr">(\d+)</td>\s*<td class="nowrap">[^<]*</td>\s*'
    r'<td><bdi dir="ltr">([^<]*)</bdi></td>\s*<td><code dir="ltr">([^<]*)</code>'
)


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)
    return ledger_engine


def events(html: str) -> list[tuple[int, str, str]]:
    return [(int(number), who, action) for number, who, action in EVENT.findall(html)]


def test_every_kind_of_row_has_a_name_on_the_page() -> None:
    assert set(KINDS) == set(ROW_KINDS)


@pytest.mark.parametrize("role", [Role.TREASURER, Role.ADMIN])
def test_the_trail_newest_first(sign_in: SignIn, ledger: Engine, role: Role) -> None:
    html = sign_in(role).get("/audit").get_data(as_text=True)
    shown = events(html)
    assert shown, html
    numbers = [number for number, _, _ in shown]
    assert numbers == sorted(numbers, reverse=True)
    assert shown[0][2] != ""
    # The details, indented JSON (a name with a tag in it printed literally).
    assert '<pre class="details" dir="ltr">{\n  &#34;' in html


def test_a_viewer_may_not_read_the_trail(sign_in: SignIn, ledger: Engine) -> None:
    assert sign_in(Role.VIEWER).get("/audit").status_code == 403


def test_the_filters(sign_in: SignIn, ledger: Engine) -> None:
    client = sign_in(Role.TREASURER)
    gift = events(client.get("/audit?entity=donation&id=6").get_data(as_text=True))
    assert [action for _, _, action in gift] == ["donation.reverse", "donation.add"]
    rates = events(client.get("/audit?action=RATE.").get_data(as_text=True))
    assert {action for _, _, action in rates} == {"rate.add"}
    tester = events(client.get("/audit?actor=TEST&entity=receipt").get_data(as_text=True))
    assert len(tester) == 2
    assert {who for _, who, _ in tester} == {"tester"}
    assert events(client.get("/audit?from=2000-01-01&to=2000-01-02").get_data(as_text=True)) == []
    assert events(client.get("/audit?from=2000-01-01").get_data(as_text=True))


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("entity=nothing", "Kind of row: choose one from the list."),
        ("id=4", "Row number: choose the kind of row too."),
        ("entity=donation&id=x", "Row number: x is not a number"),
        ("to=yesterday", "To: yesterday is not a date"),
        ("entity=donation&id=999", "there is no gift #999 in this ledger"),
        ("from=2025-02-01&to=2025-01-01", "swap them"),
    ],
)
def test_what_cannot_be_read_is_named(
    sign_in: SignIn, ledger: Engine, query: str, says: str
) -> None:
    answer = sign_in(Role.TREASURER).get(f"/audit?{query}")
    assert answer.status_code == 400
    assert says in answer.get_data(as_text=True)


def test_details_print_literally(sign_in: SignIn, ledger: Engine) -> None:
    html = sign_in(Role.TREASURER).get("/audit?entity=donor&id=3").get_data(as_text=True)
    assert ESCAPED in html
    assert SCRIPT not in html


def test_the_trail_pages(sign_in: SignIn, ledger: Engine) -> None:
    days = [date(2024, 1, 1) + timedelta(days) for days in range(60)]
    rates(ledger, *(f"{day.isoformat()} EUR ILS 4.0 BOI" for day in days))
    client = sign_in(Role.TREASURER)
    first = client.get("/audit?action=rate.add").get_data(as_text=True)
    assert "61 events, newest first." in text(first)
    assert "Page 1 of 2" in text(first)
    second = client.get("/audit?action=rate.add&page=2").get_data(as_text=True)
    assert len(events(first)) == 50
    assert len(events(second)) == 11
    assert events(first)[-1][0] > events(second)[0][0]
    assert 'href="/audit?action=rate.add&amp;page=1" rel="prev"' in second
    assert client.get("/audit?page=0").status_code == 404


def test_the_page_in_arabic(sign_in: SignIn, ledger: Engine) -> None:
    html = sign_in(Role.TREASURER).get("/audit?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
