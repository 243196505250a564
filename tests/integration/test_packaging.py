"""The wheel carries the migrations, so an installed `fundledger init` can create a ledger, and
the fonts and translations the PDFs need."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from fundledger.adapters.db.migrate import head_revision

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_migrations_and_init_runs_from_it(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path / "dist"), str(REPOSITORY)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("fundledger-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "fundledger/migrations/env.py" in names
    assert "fundledger/migrations/versions/0001_ledger.py" in names
    assert "fundledger/migrations/versions/0002_donor_merge.py" in names
    for shipped in ("reports/pdf/fonts/DejaVuSans.ttf", "reports/pdf/fonts/DejaVuSans-Bold.ttf",
                    "reports/pdf/fonts/LICENSE", "reports/locale/he/LC_MESSAGES/fundledger.po",
                    "reports/locale/ar/LC_MESSAGES/fundledger.po"):  # fmt: skip
        assert f"fundledger/{shipped}" in names

    installed = tmp_path / "installed"
    zipfile.ZipFile(wheel).extractall(installed)
    database = tmp_path / "from-wheel.db"
    script = (
        "from fundledger.adapters.db.migrate import migrations_path\n"
        "from fundledger.cli import main\n"
        "from fundledger.reports.i18n import Reader\n"
        "from fundledger.reports.pdf.fonts import covered, font_path, REGULAR\n"
        "print(migrations_path())\n"
        "print(font_path(REGULAR), len(covered(REGULAR)) > 5000, Reader('he')._('Gifts'))\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "--db", f"sqlite:///{database}", "init"],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == str(installed / "fundledger" / "migrations")
    font = installed / "fundledger" / "reports" / "pdf" / "fonts" / "DejaVuSans.ttf"
    assert result.stdout.splitlines()[1] == f"{font} True תרומות"
    assert f"is at schema {head_revision()}" in result.stdout
    assert database.stat().st_size > 0
