"""A campaign's page, its downloads (the contract routes of shared/design.md §5) and the gift
form's POST route, on SQLite and PostgreSQL: the figures those of `fundledger report campaign`
to the agora (the JSON byte for byte), anonymous givers never named to a viewer, names
escaped, paging, 404 for an unknown slug, en/he/ar, and the write refused to a viewer and to a
request without its CSRF token with nothing written."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, Donation
from fundledger.domain.access import Role
from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from fundledger.services.summary_read import holds_ledger
from tests.ledger_helpers import run
from tests.web.conftest import SignIn, csrf_token
from tests.web.sample import HOSTILE, SECRET_GIVER, SLUG, cli, sample_ledger

PAGE = f"/campaigns/{SLUG}"
FIXED = "1 ILS = 0.29 USD"
CSRF_VALUE = re.compile(r'(?<=name="csrf_token" value=")[^"]+')


def text_of(client: FlaskClient, path: str, status: int = 200) -> str:
    answer = client.get(path)
    assert answer.status_code == status, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def counts(engine: Engine) -> tuple[int, int]:
    """Gifts and audit events in the ledger."""
    with Session(engine) as session:
        gifts = session.scalar(select(func.count()).select_from(Donation))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    return int(gifts or 0), int(events or 0)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TREASURER])
def test_the_page_has_the_cli_figures(
    sign_in: SignIn, ledger_engine: Engine, ledger_url: str, role: Role
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(role)
    expected = json.loads(cli(ledger_url, "report", "campaign", SLUG, "--format", "json",
                              "--fixed-rate", FIXED))  # fmt: skip
    text = text_of(client, f"{PAGE}?fixed_rate={FIXED}")
    reader = Reader.for_locale("en")

    def shown(amount: str, currency: str) -> str:
        return reader.money(Money.parse(amount, currency))

    assert f'id="total-home">{shown(expected["total_ils"], "ILS")}<' in text
    assert f'id="total-reporting">{shown(expected["total_usd"], "USD")}<' in text
    assert f'id="total-fixed">{shown(expected["fixed_rate"]["total_usd"], "USD")}<' in text
    assert f'id="donation-count">{expected["donation_count"]}<' in text
    assert f'id="donor-count">{expected["donor_count"]}<' in text
    for currency, line in expected["by_currency"].items():
        assert f">{shown(line['amount'], currency)}<" in text
    for donor in expected["top_donors"]:
        assert f"<bdi>{escape(donor['name'])}</bdi>" in text
    exact = expected["exact"]
    assert f"{shown(exact['total_ils'], 'ILS')} and {shown(exact['total_usd'], 'USD')}" in text
    assert "published by the Bank of Israel" in text  # the rates used, with their source
    assert "<svg" in text  # the chart, inline (no style attribute: CSP)
    assert 'style="' not in text
    assert "Honour roll" in text
    # The form to record a gift is for the treasurer only.
    assert ('action="/campaigns/dont-look-away/donations#record-heading"' in text) == (
        role == Role.TREASURER
    )


def test_a_gift_recorded_elsewhere_shows_on_the_next_page(
    sign_in: SignIn, ledger_engine: Engine, ledger_url: str
) -> None:
    """The pages are kept between writes (services/read_cache.py): a gift recorded by the
    command line, in another process, shows at once on the page, its chart, its JSON and the
    dashboard."""
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)
    paths = (PAGE, f"{PAGE}/chart.svg", f"{PAGE}/summary.json", "/")

    def answers() -> list[str]:
        # The sign-out form's CSRF token is signed with the time: the rest must be the same.
        return [CSRF_VALUE.sub("", text_of(client, path)) for path in paths]

    before = answers()
    assert answers() == before  # kept: the same answers
    cli(ledger_url, "donation", "add", SLUG, "--date", "2025-07-09", "--amount", "1234.56",
        "--donor", "Someone New")  # fmt: skip
    expected = cli(ledger_url, "report", "campaign", SLUG, "--format", "json")
    after = answers()
    assert after[2] == expected
    assert f'id="donation-count">{json.loads(expected)["donation_count"]}<' in after[0]
    assert "1,234.56" in after[0]  # the newest gift, first of the latest gifts
    assert all(new != old for new, old in zip(after, before, strict=True))


def test_anonymous_givers_are_never_named_to_a_viewer(
    sign_in: SignIn, ledger_engine: Engine
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)
    text = text_of(client, PAGE)
    assert SECRET_GIVER not in text
    assert "anon-ref" not in text  # nor the reference that could name them
    assert "Anonymous" in text  # the gift is listed, without its giver
    chart = text_of(client, f"{PAGE}/chart.svg")
    assert SECRET_GIVER not in chart


def test_names_are_escaped(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    text = text_of(sign_in(Role.TREASURER), PAGE)
    assert escape(HOSTILE) in text
    assert HOSTILE not in text


def test_the_latest_gifts_are_paged(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine, gifts=60)  # 64 gifts: 50 on page 1, 14 on page 2
    client = sign_in(Role.VIEWER)
    rows = re.compile(r'<td class="num gift-id">(\d+)</td>')
    first = text_of(client, PAGE)
    assert len(rows.findall(first)) == 50
    assert "Page 1 of 2" in first
    assert f'href="{PAGE}?page=2#gifts-heading"' in first
    second = text_of(client, f"{PAGE}?page=2")
    assert len(rows.findall(second)) == 14
    assert set(rows.findall(first)).isdisjoint(rows.findall(second))
    assert "Page 2 of 2" in second
    assert "Newer" in second
    assert "Older" not in second


def test_an_unknown_campaign_is_404(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.TREASURER)
    for path in ("/campaigns/no-such", "/campaigns/no-such/summary.json",
                 "/campaigns/no-such/summary.csv", "/campaigns/no-such/report.pdf?locale=he",
                 "/campaigns/no-such/chart.svg"):  # fmt: skip
        assert client.get(path).status_code == 404, path
    answer = client.post("/campaigns/no-such/donations", data={
        "csrf_token": csrf_token(client, PAGE), "date": "2025-07-04", "amount": "5"})  # fmt: skip
    assert answer.status_code == 404


@pytest.mark.parametrize(("language", "direction", "raised"), [
    ("en", "ltr", "Raised"), ("he", "rtl", "גויסו"), ("ar", "rtl", "المبلغ الذي جُمع")])  # fmt: skip
def test_in_each_language(
    sign_in: SignIn, ledger_engine: Engine, language: str, direction: str, raised: str
) -> None:
    sample_ledger(ledger_engine)
    text = text_of(sign_in(Role.VIEWER), f"{PAGE}?lang={language}")
    assert f'<html lang="{language}" dir="{direction}">' in text
    assert raised in text
    reader = Reader.for_locale(language)
    assert escape(reader.money(Money.parse("1637.60", "ILS"))) in text
    assert f'lang="{language}"' in text.split("<svg", 1)[1]  # the chart in the page's language


def test_a_fixed_rate_or_period_that_cannot_be_read(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)
    text = text_of(client, f"{PAGE}?fixed_rate=one+to+three", 400)
    assert '<p class="error" role="alert">' in text
    assert "total-fixed" not in text  # the page without it
    assert "“from” is not a date" in text_of(client, f"{PAGE}?from=July&to=2025-07-31", 400)
    assert "both ends" in text_of(client, f"{PAGE}?from=2025-07-01", 400)
    answer = client.get(f"{PAGE}/summary.json?fixed_rate=one+to+three")
    assert answer.status_code == 400
    assert answer.mimetype == "text/plain"
    assert len(answer.get_data(as_text=True).strip().splitlines()) == 1


def test_a_period(sign_in: SignIn, ledger_engine: Engine, ledger_url: str) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)
    text = text_of(client, f"{PAGE}?from=2025-07-02&to=2025-07-02")
    assert "Gifts dated" in text
    assert 'id="total-home">₪1,250.00<' in text
    expected = cli(ledger_url, "report", "campaign", SLUG, "--format", "json",
                   "--from", "2025-07-02", "--to", "2025-07-02")  # fmt: skip
    served = client.get(f"{PAGE}/summary.json?from=2025-07-02&to=2025-07-02")
    assert served.get_data(as_text=True) == expected


@pytest.mark.parametrize("fixed", [None, FIXED, "1 USD = 3.5 ILS"])
def test_summary_json_is_the_cli_output_byte_for_byte(
    sign_in: SignIn, ledger_engine: Engine, ledger_url: str, fixed: str | None
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)
    option = ["--fixed-rate", fixed] if fixed else []
    expected = cli(ledger_url, "report", "campaign", SLUG, "--format", "json", *option)
    answer = client.get(f"{PAGE}/summary.json", query_string={"fixed_rate": fixed} if fixed else {})
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.get_data() == expected.encode("utf-8")
    csv = client.get(f"{PAGE}/summary.csv")
    assert csv.status_code == 200
    assert csv.headers["Content-Disposition"] == f'attachment; filename="{SLUG}.csv"'
    assert csv.get_data(as_text=True) == cli(ledger_url, "report", "campaign", SLUG,
                                             "--format", "csv")  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "he", "ar"])
def test_the_pdf_is_the_cli_report(
    sign_in: SignIn, ledger_engine: Engine, ledger_url: str, tmp_path: Path, locale: str
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)
    answer = client.get(f"{PAGE}/report.pdf", query_string={"locale": locale})
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    assert answer.headers["Content-Disposition"] == (f'attachment; filename="{SLUG}-{locale}.pdf"')
    served = tmp_path / "served.pdf"
    served.write_bytes(answer.get_data())
    made = tmp_path / "made.pdf"
    cli(ledger_url, "report", "campaign", SLUG, "--locale", locale, "-o", str(made))

    def words(path: Path) -> str:
        return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout  # fmt: skip

    assert words(served) == words(made)
    assert "1,637.60" in words(served) or "1,637.60" in words(served).replace("\u066c", ",")


def test_an_unknown_pdf_locale_is_400(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    answer = sign_in(Role.VIEWER).get(f"{PAGE}/report.pdf?locale=fr")
    assert answer.status_code == 400
    assert "Bad request" in answer.get_data(as_text=True)


def gift_form(client: FlaskClient, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_token(client, PAGE), "date": "2025-07-04", "amount": "100",
            "currency": "USD", "donor": "Noa Web", "email": "noa@example.org", "method": "card",
            "reference": "web-1", "note": "at the gala", **fields}  # fmt: skip


def test_a_treasurer_records_a_gift(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    rates_before = counts(ledger_engine)
    client = sign_in(Role.TREASURER, "dana")
    before = counts(ledger_engine)
    assert before[1] > rates_before[1]  # (adding the user was audited)
    with Session(ledger_engine) as session:
        last = session.scalar(select(func.max(AuditEvent.id)))
    answer = client.post(f"{PAGE}/donations", data=gift_form(client))
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{PAGE}#main"  # where the notice is
    after = counts(ledger_engine)
    assert after[0] == before[0] + 1
    # The stored summaries took the gift at once: the dashboard after it stays fast.
    assert run(ledger_engine, holds_ledger)
    with Session(ledger_engine) as session:
        # The new donor and the gift: each audited as the web user's request.
        events = session.scalars(select(AuditEvent).where(AuditEvent.id > last)).all()
        gift = session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    assert gift is not None
    assert len(events) == after[1] - before[1] == 2
    assert {(event.actor, event.command) for event in events} == {
        ("web:dana", f"web POST {PAGE}/donations")}  # fmt: skip
    assert (gift.amount_minor, gift.currency, gift.reference, gift.method) == (
        10000, "USD", "web-1", "card")  # fmt: skip
    # The notice on the page it lands on: the amount and its value in shekels (100 × 3.40).
    text = text_of(client, PAGE)
    assert f"Recorded gift #{gift.id}: $100.00 on" in text
    assert "worth ₪340.00 at that date" in text
    assert "<bdi>Noa Web</bdi>" in text


def test_an_anonymous_gift_from_the_form(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.TREASURER)
    answer = client.post(f"{PAGE}/donations", data=gift_form(client, anonymous="1",
                                                             currency=""))  # fmt: skip
    assert answer.status_code == 303
    with Session(ledger_engine) as session:
        gift = session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    assert gift is not None
    assert gift.anonymous
    assert gift.currency == "ILS"  # the home currency when none is given, as `donation add`


@pytest.mark.parametrize(("fields", "message"), [
    ({"amount": "-5"}, "A gift must be more than zero"),  # the page's words (web/messages.py)
    ({"amount": "lots"}, "amount"),
    ({"amount": ""}, "Give the gift&#39;s amount"),
    ({"date": "4 July"}, "The gift&#39;s date is not a date"),
    ({"currency": "XYZ"}, "XYZ is not a currency code"),
    ({"reference": "ref-1"}, "already donation #1"),
])  # fmt: skip
def test_bad_input_gets_the_form_back(
    sign_in: SignIn, ledger_engine: Engine, fields: dict[str, str], message: str
) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.TREASURER)
    before = counts(ledger_engine)
    answer = client.post(f"{PAGE}/donations", data=gift_form(client, **fields))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Nothing was recorded:" in text
    assert message in text
    assert 'value="Noa Web"' in text  # what was typed is kept
    assert counts(ledger_engine) == before


def test_a_viewer_may_not_record_a_gift(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.VIEWER)
    before = counts(ledger_engine)
    answer = client.post(f"{PAGE}/donations", data=gift_form(client))  # a forged form
    assert answer.status_code == 403
    assert "Not allowed" in answer.get_data(as_text=True)
    assert counts(ledger_engine) == before


def test_without_the_csrf_token_nothing_is_written(sign_in: SignIn, ledger_engine: Engine) -> None:
    sample_ledger(ledger_engine)
    client = sign_in(Role.TREASURER)
    before = counts(ledger_engine)
    for token in ({"csrf_token": ""}, {"csrf_token": "forged"}):
        answer = client.post(f"{PAGE}/donations", data=gift_form(client, **token))
        assert answer.status_code == 400
    assert counts(ledger_engine) == before
