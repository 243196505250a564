"""The import wizard (web/imports.py) on both databases: upload, map, check, import, through
the same service as `fundledger import donations`, its jobs run by a runner the tests step."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.engine import make_engine
from fundledger.adapters.db.models import Donation
from fundledger.adapters.import_profiles import ImportProfile
from fundledger.domain.access import Actor, PermissionDenied, Role
from fundledger.services.import_profiles import ImportRequest, run_import, save_profile
from fundledger.web import create_app
from fundledger.web.import_jobs import HeldRunner
from tests.ledger_helpers import campaign, run
from tests.web.conftest import PASSWORD, SECRET, SignIn, add, csrf_token
from tests.web.sample import SLUG, cli, sample_ledger

SAMPLES = Path(__file__).parents[2] / "samples"
HEADER = "Date,Sum,Currency,Name,Mail,Method,Ref,Internal code\n"
ROWS = [
    "2025-07-01,100.00,ILS,Noa Cohen,noa@example.org,cash,w-1,x1",
    "2025-07-02,250.50,USD,Omar Haddad,omar@example.org,card,w-2,x2",
    "2025-07-03,80.00,ILS,Noa Cohen,noa@example.org,cheque,w-3,x3",
]
BAD = "2025-07-04,lots,ILS,Dana Levi,,cash,w-4,x4"


@pytest.fixture
def runner() -> HeldRunner:
    return HeldRunner()


@pytest.fixture
def app(
    ledger_url: str, ledger_engine: Engine, tmp_path: Path, runner: HeldRunner
) -> Iterator[Flask]:
    sample_ledger(ledger_engine)
    config = {"FUNDLEDGER_IMPORT_DIR": str(tmp_path / "uploads"),
              "FUNDLEDGER_IMPORT_RUNNER": runner}  # fmt: skip
    made = create_app(ledger_url, secret_key=SECRET, config=config)
    yield made
    made.extensions["fundledger"].engine.dispose()


def _upload(client: FlaskClient, data: bytes, name: str = "gifts.csv", **fields: str):  # type: ignore[no-untyped-def]
    form = {"campaign": SLUG, "encoding": "utf-8", "date_format": "", "profile": "",
            "csrf_token": csrf_token(client, "/imports/new"), **fields,
            "file": (io.BytesIO(data), name)}  # fmt: skip
    return client.post("/imports", data=form, content_type="multipart/form-data")


def _chosen(page: str) -> list[str]:
    """The field each column's select has chosen on the map page, in the file's order."""
    selects = re.findall(r'<select id="c-\d+" name="column-\d+">(.*?)</select>', page, re.S)
    return [re.search(r'<option value="([a-z_]+)" selected>', one).group(1)  # type: ignore[union-attr]
            for one in selects]  # fmt: skip


def _gifts(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Donation)) or 0)


def _token(location: str) -> str:
    found = re.search(r"/imports/([A-Za-z0-9_-]+)", location)
    assert found is not None, location
    return found.group(1)


MAPPING = {"column-0": "date", "column-1": "amount", "column-2": "currency", "column-3": "donor",
           "column-4": "email", "column-5": "method", "column-6": "reference",
           "column-7": "ignore"}  # fmt: skip


def test_the_whole_flow(
    client: FlaskClient, sign_in: SignIn, runner: HeldRunner, ledger_url: str, tmp_path: Path,
    ledger_engine: Engine, sqlite_template: Path,
) -> None:  # fmt: skip
    sign_in(Role.TREASURER, "dana")
    # A file with one bad line: uploaded, kept privately, mapped (prefilled from its names).
    bad = (HEADER + "\n".join([*ROWS, BAD]) + "\n").encode()
    answer = _upload(client, bad)
    assert answer.status_code == 303
    token = _token(answer.location)
    kept = next((tmp_path / "uploads" / token / "file").iterdir())
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "uploads").stat().st_mode) == 0o700
    page = client.get(answer.location).get_data(as_text=True)
    # By their names: "Date", "Currency", "Method"; "Sum", "Name", "Mail", "Ref" guessed (the
    # page shows each guess); "Internal code" left unread.
    assert _chosen(page) == ["date", "amount", "currency", "donor", "email", "method",
                             "reference", "ignore"]  # fmt: skip
    # Two columns read as one field: the form back, nothing started.
    form = {**MAPPING, "column-1": "date", "csrf_token": csrf_token(client, answer.location)}
    refused = client.post(f"/imports/{token}/map", data=form)
    assert refused.status_code == 422
    assert "Two columns are read as date" in refused.get_data(as_text=True)
    assert _chosen(refused.get_data(as_text=True))[:2] == ["date", "date"]  # as sent
    assert not runner.held
    # The mapping saved as a profile, and the dry run queued: its page refreshes itself.
    form = {**MAPPING, "profile_name": "web-sheet", "profile_reason": "the office's sheet",
            "csrf_token": csrf_token(client, answer.location)}  # fmt: skip
    checking = client.post(f"/imports/{token}/map", data=form)
    assert checking.status_code == 303
    waiting = client.get(checking.location).get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting
    assert "Waiting to start" in waiting
    assert client.get("/campaigns").status_code == 200  # other pages answer meanwhile
    progress = client.get(f"/imports/{token}/progress.json").get_json()
    assert progress == {"state": "queued", "done": 0, "total": 4, "text": "0 of 4 lines read."}
    runner.run_all()
    preview = client.get(checking.location).get_data(as_text=True)
    assert "1 problem: nothing can be imported" in preview
    assert "gifts.csv:5: amount:" in preview  # the line and the field
    shown = preview[preview.index('id="first-rows"') :]
    assert shown.index("Noa Cohen") < shown.index("Omar Haddad") < shown.index("&#39;lots&#39;")
    assert "Import 0 gifts" not in preview
    assert "/confirm" not in preview
    assert "web-sheet" in cli(ledger_url, "import", "profile", "list")
    # Fixed and uploaded again, keeping the choices and the mapping.
    again = client.get(f"/imports/new?from={token}").get_data(as_text=True)
    assert f'name="from" value="{token}"' in again
    good = (HEADER + "\n".join(ROWS) + "\n").encode()
    answer = _upload(client, good, **{"from": token})
    token = _token(answer.location)
    page = client.get(answer.location).get_data(as_text=True)
    assert _chosen(page) == list(MAPPING.values())  # the mapping chosen for the file it fixes
    form = {**MAPPING, "csrf_token": csrf_token(client, answer.location)}
    client.post(f"/imports/{token}/map", data=form)
    runner.run_all()
    preview = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "Columns not read:" in preview
    assert "internal code" in preview
    rows = preview[preview.index('id="first-rows"') :]
    assert rows.index("Noa Cohen") < rows.index("Omar Haddad")
    assert "$250.50" in rows
    assert "w-2" in rows
    assert "omar@example.org" in rows
    assert "₪180.00" in preview  # the total it would add in shekels
    assert "Import 3 gifts" in preview
    assert _gifts(ledger_engine) == 4  # the sample's: the dry runs wrote nothing
    # Confirmed: the import job, then the result with its link to the gifts.
    done = client.post(f"/imports/{token}/confirm",
                       data={"csrf_token": csrf_token(client, f"/imports/{token}")})  # fmt: skip
    assert done.status_code == 303
    assert "Importing <bdi>gifts.csv</bdi>" in client.get(done.location).get_data(as_text=True)
    runner.run_all()
    result = client.get(done.location).get_data(as_text=True)
    assert "Gifts added" in result
    assert f"/gifts?campaign={SLUG}" in result
    assert not (tmp_path / "uploads" / token / "file" / "gifts.csv").exists()  # removed
    # The same file through the CLI into a twin ledger: the same campaign totals.
    twin = tmp_path / "twin.db"
    shutil.copyfile(sqlite_template, twin)
    twin_url = f"sqlite:///{twin}"
    twin_engine = make_engine(twin_url)
    sample_ledger(twin_engine)
    twin_engine.dispose()
    file = tmp_path / "gifts.csv"
    file.write_bytes(good)
    cli(twin_url, "import", "donations", SLUG, str(file), "--map", "Sum=amount", "--map",
        "Name=donor", "--map", "Mail=email", "--map", "Ref=reference", "--ignore",
        "Internal code")  # fmt: skip
    ours = json.loads(cli(ledger_url, "report", "campaign", SLUG, "--format", "json"))
    theirs = json.loads(cli(twin_url, "report", "campaign", SLUG, "--format", "json"))
    assert ours == theirs  # every figure of the report, donors and rates too
    assert _gifts(ledger_engine) == 4 + 3
    # Uploaded once more: imported before, by whom, nothing added, no confirm button.
    answer = _upload(client, good)
    token = _token(answer.location)
    client.post(f"/imports/{token}/map",
                data={**MAPPING, "csrf_token": csrf_token(client, answer.location)})  # fmt: skip
    runner.run_all()
    earlier = client.get(f"/imports/{token}").get_data(as_text=True)
    assert "was imported before" in earlier
    assert "web:dana" in earlier
    assert "/confirm" not in earlier
    assert client.post(f"/imports/{token}/confirm", data={
        "csrf_token": csrf_token(client, f"/imports/{token}")}).status_code == 303  # fmt: skip
    assert not runner.held
    # Saved again by a spreadsheet (other bytes, the same rows): all present, nothing to add.
    answer = _upload(client, good + b"\n")
    token = _token(answer.location)
    client.post(f"/imports/{token}/map",
                data={**MAPPING, "csrf_token": csrf_token(client, answer.location)})  # fmt: skip
    runner.run_all()
    present = client.get(f"/imports/{token}").get_data(as_text=True)
    assert re.search(r"Already in the ledger \(not added again\)</dt><dd>3</dd>", present)
    assert "/confirm" not in present
    assert _gifts(ledger_engine) == 4 + 3


def test_a_platform_export_and_what_is_refused(
    client: FlaskClient, sign_in: SignIn, runner: HeldRunner, tmp_path: Path
) -> None:
    sign_in(Role.TREASURER)
    # An upload abandoned two days ago goes at the next upload; yesterday's stays.
    (tmp_path / "uploads").mkdir(mode=0o700)
    for name, days in (("old", 2), ("recent", 0.5)):
        (tmp_path / "uploads" / name).mkdir()
        when = time.time() - days * 86400
        os.utime(tmp_path / "uploads" / name, (when, when))
    # Not a CSV (a binary file), and a file that is not utf-8: the form back saying so.
    binary = _upload(client, b"PK\x03\x04\x00\x00binary", "sheet.xlsx")
    assert binary.status_code == 422
    assert "not a text file" in binary.get_data(as_text=True)
    # Over the server's limit: refused before it is read, saying what to do instead.
    huge = _upload(client, b"date,amount\n" + b"2025-07-01,1\n" * (17 * 1024 * 1024 // 13))
    assert huge.status_code == 413
    assert "Split it into smaller files" in huge.get_data(as_text=True)
    hebrew = "תאריך,סכום\n2025-07-01,100\n".encode("cp1255")
    unreadable = _upload(client, hebrew)
    assert unreadable.status_code == 422
    assert "not readable as utf-8" in unreadable.get_data(as_text=True)
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == ["recent"]  # none of either
    # PayPal's export by its built-in profile: no map step, the dry run at once.
    export = (SAMPLES / "paypal-activity.csv").read_bytes()
    answer = _upload(client, export, "Download.CSV", profile="paypal")
    # A job whose file has not moved for long was lost with its process: said so.
    job = tmp_path / "uploads" / _token(answer.location) / "job.json"
    os.utime(job, (time.time() - 3600, time.time() - 3600))
    assert "stopped with the server process" in client.get(answer.location).get_data(as_text=True)
    runner.run_all()
    preview = client.get(answer.location).get_data(as_text=True)
    assert "Import 5 gifts" in preview
    assert "Refunds that reverse a gift" in preview
    client.post(answer.location + "/confirm",
                data={"csrf_token": csrf_token(client, answer.location)})  # fmt: skip
    runner.run_all()
    result = client.get(answer.location).get_data(as_text=True)
    assert "Gifts added" in result
    assert "General Withdrawal (Completed)" in result


def test_a_viewer_and_a_forged_form(
    app: Flask, client: FlaskClient, sign_in: SignIn, runner: HeldRunner, tmp_path: Path,
    ledger_url: str,
) -> None:  # fmt: skip
    treasurer = app.test_client()
    token = csrf_token(treasurer, "/login")
    from fundledger.adapters.db.engine import make_engine

    engine = make_engine(ledger_url)
    add(engine, "tami", Role.TREASURER)
    engine.dispose()
    treasurer.post("/login", data={"username": "tami", "password": PASSWORD, "csrf_token": token})
    kept = _token(_upload(treasurer, (HEADER + ROWS[0] + "\n").encode()).location)
    sign_in(Role.VIEWER)
    form_token = csrf_token(client, "/")
    assert client.get("/imports/new").status_code == 403
    assert "/imports/new" not in client.get("/").get_data(as_text=True)  # no menu entry
    for path in ("/imports", f"/imports/{kept}/map", f"/imports/{kept}/confirm"):
        answer = client.post(path, data={**MAPPING, "csrf_token": form_token,
                                         "file": (io.BytesIO(b"date,amount\n"), "x.csv")},
                             content_type="multipart/form-data")  # fmt: skip
        assert answer.status_code == 403, path
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [kept]  # nothing kept
    assert not runner.held
    assert "web-sheet" not in cli(ledger_url, "import", "profile", "list")
    # Without the CSRF token: 400, whoever sends it.
    missing = treasurer.post(f"/imports/{kept}/map", data=MAPPING)
    assert missing.status_code == 400
    assert not runner.held


def test_the_services_ask_for_the_treasurer_role(ledger_engine: Engine, tmp_path: Path) -> None:
    """The writes' own check, beside the pages' (which ask first): a viewer's import or
    profile is refused by the service, nothing written."""
    campaign(ledger_engine)
    file = tmp_path / "gifts.csv"
    file.write_text("date,amount\n2025-07-01,10\n", encoding="utf-8")
    viewer = Actor("omar", Role.VIEWER)
    with pytest.raises(PermissionDenied, match="to import gifts needs the treasurer role"):
        run(ledger_engine, lambda s, c: run_import(s, c, SLUG, file, ImportRequest(),
                                                   actor=viewer))  # fmt: skip
    with pytest.raises(PermissionDenied, match="to save an import profile needs the treasurer"):
        run(ledger_engine, lambda s, c: save_profile(s, c, ImportProfile("mine", {"sum": "amount"}),
                                                     "ours", actor=viewer))  # fmt: skip
    treasurer = Actor("tami", Role.TREASURER)
    run(ledger_engine, lambda s, c: save_profile(s, c, ImportProfile("mine", {"sum": "amount"}),
                                                 "ours", actor=treasurer))  # fmt: skip
    outcome = run(ledger_engine, lambda s, c: run_import(s, c, SLUG, file, ImportRequest(),
                                                         actor=treasurer))  # fmt: skip
    assert outcome.summary.imported == 1
    assert _gifts(ledger_engine) == 1


def test_one_job_at_a_time_per_upload_and_a_private_folder(
    client: FlaskClient, sign_in: SignIn, runner: HeldRunner, ledger_engine: Engine,
    tmp_path: Path,
) -> None:  # fmt: skip
    sign_in(Role.TREASURER)
    good = (HEADER + "\n".join(ROWS) + "\n").encode()
    token = _token(_upload(client, good).location)
    form = {**MAPPING, "csrf_token": csrf_token(client, f"/imports/{token}/map")}
    client.post(f"/imports/{token}/map", data=form)
    # While its check waits, the mapping sent again (another tab) starts nothing more.
    again = client.post(f"/imports/{token}/map", data=form)
    assert (again.status_code, again.location) == (303, f"/imports/{token}")
    assert len(runner.held) == 1
    runner.run_all()
    # A double click on "import": one import.
    confirm = {"csrf_token": csrf_token(client, f"/imports/{token}")}
    for _ in range(2):
        assert client.post(f"/imports/{token}/confirm", data=confirm).status_code == 303
    assert len(runner.held) == 1
    runner.run_all()
    assert _gifts(ledger_engine) == 4 + len(ROWS)
    assert "Gifts added" in client.get(f"/imports/{token}").get_data(as_text=True)
    # Imported: neither a new mapping nor a confirm starts anything, and the result stays.
    client.post(f"/imports/{token}/map", data=form)
    client.post(f"/imports/{token}/confirm", data=confirm)
    assert runner.held == []
    assert "Gifts added" in client.get(f"/imports/{token}").get_data(as_text=True)

    # A check that waited behind others past the time its page calls it lost does not run.
    other = (HEADER + ROWS[0].replace("w-1", "w-9") + "\n").encode()
    late = _token(_upload(client, other).location)
    mapped = {**MAPPING, "csrf_token": csrf_token(client, f"/imports/{late}/map")}
    client.post(f"/imports/{late}/map", data=mapped)
    job_file = tmp_path / "uploads" / late / "job.json"
    job = json.loads(job_file.read_text(encoding="utf-8"))
    job_file.write_text(json.dumps({**job, "queued_at": time.time() - 3600}), encoding="utf-8")
    runner.run_all()
    assert json.loads(job_file.read_text(encoding="utf-8"))["state"] == "failed"
    assert "waited too long" in client.get(f"/imports/{late}").get_data(as_text=True)

    # A folder another could read (or one made by another user) keeps nothing.
    (tmp_path / "uploads").chmod(0o755)
    refused = _upload(client, good)
    assert refused.status_code == 500
    assert "is not a private folder of this server" in refused.get_data(as_text=True)
    assert len(list((tmp_path / "uploads").iterdir())) == 2  # the two uploads above only
