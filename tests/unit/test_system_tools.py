"""`make test` on a machine without poppler, sqlite3 or PostgreSQL (issue #22 item 1): what is
missing is named, exactly the tests that need it skip, nothing fails for it; CI's
FUNDLEDGER_REQUIRE_TOOLS=1 turns those skips into failures. Page fills and the demo's previews
need no poppler at all (PDFium)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from fundledger.demo import preview
from tests.pdf_helpers import page_fills

ROOT = Path(__file__).resolve().parents[2]
NEEDS_PDFTOTEXT = (
    "tests/unit/test_campaign_layout.py::test_a_year_is_tabled_by_month_and_big_figures_stay_whole"
)


@pytest.fixture
def bare_path() -> Iterator[Path]:
    """A folder for PATH holding only the basics a shell script uses: no poppler, sqlite3 or
    PostgreSQL. Readable by any user (the install script is run as one that is not root)."""
    folder = Path(tempfile.mkdtemp(prefix="fundledger-bare-path-"))
    folder.chmod(0o755)
    for tool in ("bash", "ls", "id", "python3.11", "env"):
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(found)
    yield folder
    shutil.rmtree(folder)


def run_pytest(bare_path: Path, *, require: bool) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("FUNDLEDGER_", "PYTEST_"))}  # fmt: skip
    environment["PATH"] = str(bare_path)
    if require:
        environment["FUNDLEDGER_REQUIRE_TOOLS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-rs",
         NEEDS_PDFTOTEXT],
        capture_output=True, text=True, cwd=ROOT, env=environment, check=False,
    )  # fmt: skip


def test_without_pdftotext_its_tests_skip_naming_it(bare_path: Path) -> None:
    result = run_pytest(bare_path, require=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fundledger: pdftotext not found (package poppler-utils)" in result.stdout
    assert "pdftotext not found: this test needs it; install poppler-utils" in result.stdout
    assert f"1 skipped because pdftotext is missing (install poppler-utils): {NEEDS_PDFTOTEXT}" in (
        result.stdout
    )
    assert "1 skipped" in result.stdout.splitlines()[-1]
    assert "failed" not in result.stdout.splitlines()[-1]


def test_ci_requires_it(bare_path: Path) -> None:
    result = run_pytest(bare_path, require=True)
    assert result.returncode == 1
    assert "pdftotext not found" in result.stdout
    assert "1 failed" in result.stdout.splitlines()[-1]


def test_the_install_script_names_what_is_missing_when_it_cannot_install(
    bare_path: Path,
) -> None:
    script = ROOT / ".ci" / "install-tools"
    command = ["bash", str(script)]
    if os.geteuid() == 0:  # as root it would install: run it as a user who cannot
        runuser = shutil.which("runuser")
        assert runuser
        command = [runuser, "-u", "nobody", "--", "env", f"PATH={bare_path}", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={"PATH": str(bare_path)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "cannot install" in result.stderr
    assert "poppler-utils: pdftotext: tests that read a PDF's text back" in result.stderr
    assert "postgresql-client: psql: tests that change a PostgreSQL ledger" in result.stderr
    assert "sqlite3: sqlite3:" in result.stderr


def test_page_fills_and_the_demo_previews_need_no_poppler(
    tmp_path: Path, bare_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(bare_path))
    pdf = tmp_path / "two-pages.pdf"
    canvas = Canvas(str(pdf), pagesize=A4)
    canvas.rect(72, 400, 300, 200, fill=1)  # page 1: a block down to the middle
    canvas.showPage()
    canvas.showPage()  # page 2: blank
    canvas.save()
    first, second = page_fills(pdf)
    assert 0.4 < first < 0.7
    assert second == 0.0
    assert (
        preview(pdf, pages=2) == f", preview {tmp_path}/two-pages.png, {tmp_path}/two-pages-2.png"
    )
    with Image.open(tmp_path / "two-pages.png") as image:
        assert abs(image.size[0] - A4[0] * 80 / 72) < 1.5
        assert abs(image.size[1] - A4[1] * 80 / 72) < 1.5
        assert image.convert("L").getpixel((100, 400)) < 50  # inside the block: dark


def fake_apt_get(folder: Path) -> Path:
    """apt-get and useradd that only note how they were called (in the log returned), so the
    install script's root path runs without installing anything."""
    log = folder / "calls.log"
    for tool in ("apt-get", "useradd"):
        stub = folder / tool
        stub.write_text(f'#!/bin/bash\necho "{tool} $*" >> "{log}"\n')
        stub.chmod(0o755)
    return log


def test_make_test_installs_chromium_for_the_browser_tests(bare_path: Path) -> None:
    """`make test` runs .ci/install-tools first: on a machine without Chromium, as root it
    installs Debian's (what Playwright drives); as another user it names it and what skips."""
    script = ROOT / ".ci" / "install-tools"
    if os.geteuid() == 0:
        log = fake_apt_get(bare_path)
        result = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                                check=False, env={"PATH": str(bare_path)})  # fmt: skip
        assert result.returncode == 0, result.stderr
        installs = [line for line in log.read_text().splitlines() if " install " in line]
        assert len(installs) == 1, log.read_text()
        assert " chromium" in installs[0]
    else:
        result = subprocess.run(["bash", str(script)], capture_output=True, text=True,
                                check=False, env={"PATH": str(bare_path)})  # fmt: skip
        assert "chromium: the browser tests (tests/browser, Playwright)" in result.stderr


def test_make_demo_asks_the_install_script_for_chromium_only(bare_path: Path) -> None:
    script = ROOT / ".ci" / "install-tools"
    log = fake_apt_get(bare_path)
    command = ["bash", str(script), "chromium"]
    if os.geteuid() == 0:
        result = subprocess.run(command, capture_output=True, text=True, check=False,
                                env={"PATH": str(bare_path)})  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "apt-get install -y -q --no-install-recommends chromium\n" in log.read_text()
        runuser = shutil.which("runuser")
        assert runuser
        command = [runuser, "-u", "nobody", "--", "env", f"PATH={bare_path}", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False,
                            env={"PATH": str(bare_path)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "chromium: the browser tests" in result.stderr
    assert "poppler-utils" not in result.stderr
    assert "postgresql" not in result.stderr
    assert ".ci/install-tools chromium" in (ROOT / "Makefile").read_text()


def test_make_demo_skips_the_web_screenshots_without_chromium(
    tmp_path: Path, bare_path: Path
) -> None:
    """`make demo` still succeeds on a machine without Chromium, saying what it skipped, and
    still tells how to open the sample ledger in a browser."""
    environment = {**os.environ, "PATH": str(bare_path)}
    result = subprocess.run(
        [sys.executable, "-m", "fundledger.demo_web", "--db", str(tmp_path / "absent.db"),
         "--out", str(tmp_path / "web")],
        capture_output=True, text=True, check=False, env=environment, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Web screenshots skipped: chromium not found" in result.stdout
    assert "make serve" in result.stdout
    assert not (tmp_path / "web").exists()
