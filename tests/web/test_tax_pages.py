"""What the web shows of the Tax Authority's workflow: the dashboard's counts of gifts and
cancellations to report (treasurers and admins, when the organisation has a Section 46
approval), the list as CSV (a treasurer's: a viewer gets 403), and the yearly settings of the
Section 46 minimum on the settings page."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import Engine

from fundledger.domain.access import Role
from fundledger.services.donations import reverse_donation
from fundledger.services.settings import set_setting
from fundledger.services.tax import pending_counts, record
from fundledger.web import home
from tests.ledger_helpers import run
from tests.web.conftest import SignIn
from tests.web.sample import sample_ledger


def setting(engine: Engine, key: str, value: str | None) -> None:
    run(engine, lambda s, c: set_setting(s, c, key, value))


@pytest.fixture
def reporting(ledger_engine: Engine) -> Engine:
    sample_ledger(ledger_engine)
    setting(ledger_engine, "organisation.section46.approval", "4512")
    setting(ledger_engine, "tax.report_from", "2025-01-01")  # the sample's gifts are of 2025
    return ledger_engine


def test_the_dashboard_counts_what_is_to_report(sign_in: SignIn, reporting: Engine) -> None:
    client = sign_in(Role.TREASURER)
    text = client.get("/").get_data(as_text=True)
    # Dana Levi's and the hostile name's gifts, and the anonymous gift (its donor is known).
    assert "3 gifts to report" in text
    assert "0 cancellations to report" in text
    assert 'href="/tax/pending.csv"' in text
    run(reporting, lambda s, c: record(s, c, "ref-1", "501"))
    run(reporting, lambda s, c: reverse_donation(s, c, donation_id=1, reason="refunded"))
    text = client.get("/").get_data(as_text=True)
    assert "2 gifts to report" in text
    assert "1 cancellation to report" in text
    hebrew = client.get("/?lang=he").get_data(as_text=True)
    assert "2 תרומות לדיווח" in hebrew
    assert "ביטול אחד לדיווח" in hebrew


def test_the_counts_are_kept_until_the_ledger_changes(
    sign_in: SignIn, reporting: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # They count every gift since tax.report_from: seconds on a million, on every load.
    asked = []

    def counted(*args: object, **kwargs: object) -> object:
        asked.append(1)
        return pending_counts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(home, "pending_counts", counted)
    client = sign_in(Role.TREASURER)
    for _ in range(3):
        assert "3 gifts to report" in client.get("/").get_data(as_text=True)
    assert len(asked) == 1
    run(reporting, lambda s, c: record(s, c, "ref-1", "501"))  # a write: counted again
    assert "2 gifts to report" in client.get("/").get_data(as_text=True)
    assert len(asked) == 2
    # Kept for everyone, shown only to a treasurer or an admin: the role is asked each time.
    viewer = sign_in(Role.VIEWER, "viewer")
    assert "to report" not in viewer.get("/").get_data(as_text=True)


def test_a_viewer_sees_no_counts_and_cannot_download(sign_in: SignIn, reporting: Engine) -> None:
    client = sign_in(Role.VIEWER)
    assert "to report" not in client.get("/").get_data(as_text=True)
    assert client.get("/tax/pending.csv").status_code == 403


def test_without_an_approval_the_dashboard_says_nothing(sign_in: SignIn, reporting: Engine) -> None:
    setting(reporting, "organisation.section46.approval", None)
    assert "to report" not in sign_in(Role.ADMIN).get("/").get_data(as_text=True)


def test_the_csv_is_the_list_of_tax_pending(sign_in: SignIn, reporting: Engine) -> None:
    answer = sign_in(Role.TREASURER).get("/tax/pending.csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == 'attachment; filename="tax-pending.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(row["kind"], row["donation"], row["home_amount"]) for row in rows] == [
        ("gift", "1", "337.60"), ("gift", "2", "250.00"), ("gift", "3", "1000.00")]  # fmt: skip
    assert {row["approval"] for row in rows} == {"4512"}
    assert all("set-id" in row["problems"] for row in rows)  # no ID numbers in the sample


def test_the_settings_page_lists_each_year_of_the_minimum(
    sign_in: SignIn, reporting: Engine
) -> None:
    setting(reporting, "tax.section46.minimum.2031", "230")
    client = sign_in(Role.ADMIN)
    text = client.get("/settings").get_data(as_text=True)
    assert "tax.section46.minimum.2026" in text
    assert "The Section 46 minimum of 2031&#39;s gifts, in NIS" in text
    assert 'value="230.00"' in text
