"""Rates and settings written from the browser, through the services `fundledger rates
add|import` and `fundledger settings set|unset` call: a rate typed, a rate file uploaded (one
bad line: nothing written, the line named; the same file again: nothing added), the settings
page an admin's (a bad value refused with the setting's own message, a logo told by content).
Who may not gets 403, and a form without its token 400, with nothing written. On SQLite and
PostgreSQL, the results read back with the CLI."""

from __future__ import annotations

import io
import json
from html import unescape

import pytest
from PIL import Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, ExchangeRate, Setting
from fundledger.domain.access import Role
from fundledger.web import rates as rate_pages
from tests.web.conftest import SignIn, csrf_token
from tests.web.pages_ledger import fill
from tests.web.pages_ledger import text as tagless
from tests.web.sample import cli

GOOD_FILE = (
    b"date,base,quote,rate,source\n2025-07-21,EUR,ILS,3.95,ECB\n2025-07-22,EUR,ILS,3.96,ECB\n"
)
BAD_FILE = b"date,base,quote,rate\n2025-07-21,EUR,ILS,3.95\n2025-07-22,EUR,ILS,three\n"
BOI_HEADER = ("SERIES_CODE,FREQ,BASE_CURRENCY,COUNTER_CURRENCY,UNIT_MEASURE,DATA_TYPE,DATA_SOURCE,"
              "TIME_COLLECT,CONF_STATUS,PUB_WEBSITE,UNIT_MULT,COMMENTS,TIME_PERIOD,OBS_VALUE,"
              "RELEASE_STATUS\n")  # fmt: skip
BOI_FILE = (BOI_HEADER + "RER_USD_ILS,D,USD,ILS,ILS,OF00,BOI_MARKETS,,F,Y,0,,2025-07-24,3.36,"
            "Final\n").encode()  # fmt: skip


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)  # USD/ILS of 2025-07-03; the EUR gift of 2025-07-20 has no rate
    return ledger_engine


def text(html: str) -> str:
    return unescape(tagless(html))


def counts(engine: Engine) -> tuple[int, int, int]:
    """Rates, settings and audit events: what a refused request must leave as it was."""
    with Session(engine) as session:
        return tuple(
            int(session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (ExchangeRate, Setting, AuditEvent)
        )  # type: ignore[return-value]


def upload(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def test_a_treasurer_adds_a_rate_and_imports_files(
    sign_in: SignIn, ledger: Engine, ledger_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sign_in(Role.TREASURER)
    token = csrf_token(client, "/rates")
    assert "1 gift has no rate in force" in text(client.get("/rates").get_data(as_text=True))
    # A typed rate with a mistake: the form again with the message, nothing written.
    before = counts(ledger)
    bad = client.post("/rates", data={"date": "2025-07-20", "base": "EUR", "quote": "ILS",
                                      "rate": "3,9x", "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422
    assert "is not a decimal number (write it like 3.376)" in text(bad.get_data(as_text=True))
    assert 'value="3,9x"' in bad.get_data(as_text=True)  # what was typed stays
    assert counts(ledger) == before
    added = client.post("/rates", data={"date": "2025-07-20", "base": "eur", "quote": "ILS",
                                        "rate": "3.9425", "source": "ECB",
                                        "csrf_token": token})  # fmt: skip
    assert added.status_code == 303
    page = text(client.get(added.headers["Location"]).get_data(as_text=True))
    assert "Recorded 1 EUR = 3.9425 ILS on July 20, 2025 (ECB)." in page
    # The EUR gift has its value in ILS now; in USD (the reporting currency) it needs the
    # USD/ILS rate of its date too: with that, no gap is left.
    assert "No USD/ILS rate in force on that date" in page
    client.post("/rates", data={"date": "2025-07-20", "base": "USD", "quote": "ILS",
                                "rate": "3.3505", "csrf_token": token})  # fmt: skip
    page = text(client.get("/rates").get_data(as_text=True))
    assert "No gaps: every gift has a rate in force on its date." in page
    assert "3.9425 (ECB 2025-07-20)" in cli(ledger_url, "rates", "show", "2025-07-20", "EUR", "ILS")
    # A file with a bad line: nothing of it is written, and the page names the line.
    before = counts(ledger)
    refused = client.post("/rates/import", data={"file": upload(BAD_FILE, "rates.csv"),
                                                 "csrf_token": token})  # fmt: skip
    assert refused.status_code == 422
    assert "rates.csv: line 3" in text(refused.get_data(as_text=True))
    assert counts(ledger) == before
    # The good file, then the same again: two new, then two already present.
    first = client.post("/rates/import", data={"file": upload(GOOD_FILE, "july.csv"),
                                               "csrf_token": token})  # fmt: skip
    assert first.status_code == 303
    assert "Imported july.csv: 2 new, 0 already present." in text(
        client.get("/rates").get_data(as_text=True))  # fmt: skip
    rows = counts(ledger)[0]
    client.post("/rates/import", data={"file": upload(GOOD_FILE, "july.csv"), "csrf_token": token})
    assert "Imported july.csv: 0 new, 2 already present." in text(
        client.get("/rates").get_data(as_text=True))  # fmt: skip
    assert counts(ledger)[0] == rows
    # A Bank of Israel file, told by its header, as `rates import` tells it.
    client.post("/rates/import", data={"file": upload(BOI_FILE, "boi.csv"), "csrf_token": token})
    assert "USD/ILS = 3.3600 (BOI 2025-07-24)" in cli(
        ledger_url, "rates", "show", "2025-07-24", "USD", "ILS"
    )
    # Too large a file is refused before it is read through.
    monkeypatch.setattr(rate_pages, "RATE_FILE_MOST", 16)
    large = client.post("/rates/import", data={"file": upload(GOOD_FILE, "big.csv"),
                                               "csrf_token": token})  # fmt: skip
    assert large.status_code == 413
    assert "more than any rate file" in text(large.get_data(as_text=True))
    assert counts(ledger)[0] == rows + 1


def test_a_viewer_may_not_write_rates_and_a_form_needs_its_token(
    sign_in: SignIn, ledger: Engine
) -> None:
    viewer = sign_in(Role.VIEWER)
    token = csrf_token(viewer, "/")
    before = counts(ledger)
    page = viewer.get("/rates").get_data(as_text=True)
    assert 'action="/rates/import"' not in page
    assert 'action="/rates"' not in page
    assert (
        viewer.post(
            "/rates",
            data={
                "date": "2025-07-20",
                "base": "EUR",
                "quote": "ILS",
                "rate": "3.9",
                "csrf_token": token,
            },
        ).status_code
        == 403
    )
    assert (
        viewer.post(
            "/rates/import", data={"file": upload(GOOD_FILE, "r.csv"), "csrf_token": token}
        ).status_code
        == 403
    )
    # A mistyped forged request is refused for who sends it, not for what it holds.
    for path, data in (("/rates", {"date": "July", "rate": "x"}),
                       ("/rates/import", {"file": upload(BAD_FILE, "r.csv")})):  # fmt: skip
        assert viewer.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert viewer.post("/rates", data={"date": "2025-07-20", "base": "EUR", "quote": "ILS",
                                       "rate": "3.9"}).status_code == 400  # fmt: skip
    assert counts(ledger) == before


def png(size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 110, 79)).save(buffer, format="PNG")
    return buffer.getvalue()


def shown(url: str) -> dict[str, object]:
    rows = json.loads(cli(url, "settings", "show", "--format", "json"))
    return {row["key"]: row["value"] for row in rows}


def test_an_admin_changes_the_settings(sign_in: SignIn, ledger: Engine, ledger_url: str) -> None:
    client = sign_in(Role.ADMIN)
    page = client.get("/settings?lang=he")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in html
    assert 'href="/settings"' in html  # in the admin's menu
    assert "organisation.section46.approval" in html
    assert "4512" in html
    token = csrf_token(client, "/settings?lang=en")
    before = counts(ledger)
    bad = client.post("/settings", data={"key": "organisation.registration", "value": "12-34",
                                         "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422
    assert ("'12-34' is not a registration number: write its nine digits, e.g. 580123456"
            in text(bad.get_data(as_text=True)))  # fmt: skip
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)
    not_image = client.post("/settings/logo", data={"logo": upload(b"GIF89a....", "logo.png"),
                                                    "csrf_token": token})  # fmt: skip
    assert not_image.status_code == 422
    assert "logo.png is not a PNG or JPEG image" in text(not_image.get_data(as_text=True))
    assert counts(ledger) == before
    for key, value in (("organisation.name.he", "קואליציית השלום"),
                       ("organisation.registration", "58-012345-9")):  # fmt: skip
        done = client.post("/settings", data={"key": key, "value": value, "csrf_token": token})
        assert done.status_code == 303
    logo = client.post("/settings/logo", data={"logo": upload(png(), "any-name.bin"),
                                               "csrf_token": token})  # fmt: skip
    assert logo.status_code == 303
    cleared = client.post("/settings", data={"key": "organisation.section46.approval",
                                             "clear": "1", "csrf_token": token})  # fmt: skip
    assert cleared.status_code == 303
    assert "Cleared organisation.section46.approval." in text(
        client.get("/settings").get_data(as_text=True))  # fmt: skip
    values = shown(ledger_url)
    assert values["organisation.name.he"] == "קואליציית השלום"
    assert values["organisation.registration"] == "580123459"
    assert str(values["organisation.logo"]).startswith("PNG image, 40×20 px")
    assert values["organisation.section46.approval"] is None
    # Each change is audited with the signed-in user.
    audit = cli(ledger_url, "audit", "--format", "json")
    assert audit.count('"web:admin"') >= 4


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TREASURER])
def test_only_an_admin_may_see_or_change_the_settings(
    sign_in: SignIn, ledger: Engine, role: Role
) -> None:
    client = sign_in(role)
    token = csrf_token(client, "/")
    before = counts(ledger)
    assert 'href="/settings"' not in client.get("/").get_data(as_text=True)
    assert client.get("/settings").status_code == 403
    assert (
        client.post(
            "/settings", data={"key": "receipt.prefix", "value": "X", "csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/settings/logo", data={"logo": upload(png(), "l.png"), "csrf_token": token}
        ).status_code
        == 403
    )
    assert client.post("/settings", data={"key": "receipt.prefix", "value": "X"}
                       ).status_code == 400  # fmt: skip
    assert counts(ledger) == before


@pytest.mark.parametrize(
    ("key", "value"),
    [("mail.smtp.password_file", "/etc/shadow"), ("mail.smtp.host", "mail.attacker.example"),
     ("mail.smtp.user", "someone"), ("mail.smtp.port", "2525"), ("mail.smtp.security", "none")],
)  # fmt: skip
def test_where_the_mail_password_goes_is_set_on_the_server_only(
    sign_in: SignIn, ledger: Engine, ledger_url: str, key: str, value: str
) -> None:
    # Changed from a browser, the mail password (or any file the server reads, named as its
    # file) would go to a host of the admin's choosing.
    client = sign_in(Role.ADMIN)
    token = csrf_token(client, "/settings?lang=en")
    before = counts(ledger)
    for data in ({"value": value}, {"clear": "1"}):
        refused = client.post("/settings", data={"key": key, "csrf_token": token,
                                                 **data})  # fmt: skip
        assert refused.status_code == 422
        assert (f"{key} says where the mail password goes: it is set on the server only "
                f"(fundledger settings set {key} VALUE), not from the web"
                in text(refused.get_data(as_text=True)))  # fmt: skip
    assert counts(ledger) == before


def test_the_server_only_mail_settings_are_shown_without_a_form(
    sign_in: SignIn, ledger: Engine, ledger_url: str
) -> None:
    client = sign_in(Role.ADMIN)
    assert shown(ledger_url)["mail.smtp.password_file"] is None
    # On the server it is set as any other; the page shows it, with no form to change it.
    cli(ledger_url, "settings", "set", "mail.smtp.password_file", "/srv/mail-password")
    html = client.get("/settings").get_data(as_text=True)
    assert "/srv/mail-password" in html
    assert 'name="key" value="mail.smtp.password_file"' not in html
    assert "Set on the server only, with the command fundledger settings set" in text(html)
    assert 'name="key" value="mail.smtp.host"' not in html
    assert 'name="key" value="mail.from"' in html  # the sender's address stays the web's
