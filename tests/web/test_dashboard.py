"""The dashboard (`/`) and the campaigns list: each campaign's figures equal to those of
`fundledger report campaign --format json` to the agora, the ledger's health, in en/he/ar, on
SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import Engine

from fundledger.domain.access import Role
from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from tests.ledger_helpers import gift
from tests.web.conftest import SignIn
from tests.web.sample import HOSTILE, SLUG, cli, sample_ledger


def page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TREASURER, Role.ADMIN])
def test_each_campaign_with_the_cli_figures(
    sign_in: SignIn, ledger_engine: Engine, ledger_url: str, role: Role
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(role)
    expected = json.loads(cli(ledger_url, "report", "campaign", SLUG, "--format", "json"))
    reader = Reader.for_locale("en")
    for path in ("/", "/campaigns"):
        text = page(client, path)
        assert f'href="/campaigns/{SLUG}"' in text
        assert 'href="/campaigns/quiet"' in text
        for key, currency in (("total_ils", "ILS"), ("total_usd", "USD")):
            assert f">{reader.money(Money.parse(expected[key], currency))}<" in text
        assert "₪1,637.60" in text  # 100 USD at 3.376 + 250 + 1,000 + 50 ILS
        # Progress to goal as an element with its value, and in words.
        assert f'<progress max="1" value="{expected["goal_progress"]}"' in text
        assert "16% of ₪10,000" in text
        assert f'<td class="num">{expected["donation_count"]}</td>' in text
        assert f'<td class="num">{expected["donor_count"]}</td>' in text
        assert '<td class="num">10</td>' in text  # days left, today counted


def test_the_ledger_health(sign_in: SignIn, ledger_engine: Engine, ledger_url: str) -> None:
    sample_ledger(ledger_engine)
    gift(ledger_engine, "2025-07-02 20.00 EUR")  # no EUR rate: a gap
    client = sign_in(Role.VIEWER)
    text = page(client, "/")
    assert "The ledger has never been checked." in text
    assert "1 gift has no exchange rate in force yet" in text
    assert '<td dir="ltr">EUR</td>' in text
    july_2 = Reader.for_locale("en").date(date(2025, 7, 2))  # with no-break spaces
    assert f'<td dir="ltr">USD/ILS</td><td>{july_2}</td>' in text
    assert "(too old)" in text  # a 2025 rate, more than 7 days before today
    # The campaign whose gift has no rate shows no total (none would be true).
    assert "1 gift has no rate yet" in text
    cli(ledger_url, "check")
    text = page(client, "/")
    assert "checked on" in text
    assert "never been checked" not in text


def test_a_check_that_passed(sign_in: SignIn, ledger_engine: Engine, ledger_url: str) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)  # (adding the user is a change too: before the check)
    cli(ledger_url, "check")
    text = page(client, "/")
    assert '<p class="ok">\n  Passed:' in text
    assert "0 changes written since" in text
    assert "Every gift has an exchange rate in force." in text


@pytest.mark.parametrize(("language", "direction", "words"), [
    ("en", "ltr", "The ledger's health"),
    ("he", "rtl", "מצב הספרים"),
    ("ar", "rtl", "سلامة السجل"),
])  # fmt: skip
def test_in_each_language(
    sign_in: SignIn, ledger_engine: Engine, language: str, direction: str, words: str
) -> None:
    sample_ledger(ledger_engine)
    text = page(sign_in(Role.VIEWER), f"/?lang={language}")
    assert f'<html lang="{language}" dir="{direction}">' in text
    assert words in text
    reader = Reader.for_locale(language)
    assert escape(reader.money(Money.parse("1637.60", "ILS"))) in text
    names = {"en": "Don't Look Away", "he": "לא להסיט את המבט", "ar": "لا تشيحوا بنظركم"}
    assert escape(names[language]) in text


def test_names_are_escaped(sign_in: SignIn, ledger_engine: Engine) -> None:
    from fundledger.services.campaigns import add_campaign
    from tests.ledger_helpers import run

    run(ledger_engine, lambda s, c: add_campaign(s, c, slug="x", name=HOSTILE))
    text = page(sign_in(Role.VIEWER), "/")
    assert escape(HOSTILE) in text
    assert HOSTILE not in text


def test_an_empty_ledger(sign_in: SignIn) -> None:
    text = page(sign_in(Role.VIEWER), "/")
    assert "No campaigns yet." in text
    assert "No exchange rates are stored yet." in text
