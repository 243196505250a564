"""A shell that runs `fundledger` against a real database, as a treasurer would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from fundledger.adapters.db.engine import make_engine
from fundledger.adapters.db.models import SUMMARY_MODELS, Base, CheckRun
from fundledger.cli import cli

FUNDLEDGER = Path(sys.executable).with_name("fundledger")


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Shell:
    """Runs the installed `fundledger` command; `in_process` runs the same code via CliRunner,
    faster, for the many small error cases."""

    database_url: str
    folder: Path
    in_process: bool = False

    def run(self, *args: str, expect: int = 0) -> Outcome:
        environment = {"FUNDLEDGER_DB": self.database_url, "FUNDLEDGER_USER": "e2e"}
        if self.in_process:
            # In the shell's folder, as the installed command runs: files a command writes
            # by default (reports/receipts/...) land there, not in the checkout.
            here = Path.cwd()
            os.chdir(self.folder)
            try:
                result = CliRunner().invoke(cli, list(args), env=environment,
                                            prog_name="fundledger")  # fmt: skip
            finally:
                os.chdir(here)
            if result.exception and not isinstance(result.exception, SystemExit):
                raise result.exception
            outcome = Outcome(result.exit_code, result.stdout, result.stderr)
        else:
            completed = subprocess.run(
                [str(FUNDLEDGER), *args],
                capture_output=True,
                text=True,
                cwd=self.folder,
                env={**os.environ, **environment},
                check=False,
            )
            outcome = Outcome(completed.returncode, completed.stdout, completed.stderr)
        assert outcome.returncode == expect, (outcome.stdout, outcome.stderr)
        assert "Traceback" not in outcome.stderr
        return outcome

    def fails(self, *args: str, expect: int = 1) -> str:
        """A user error: exit 1, one line on stderr, nothing on stdout."""
        result = self.run(*args, expect=expect)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert result.stdout == ""
        return lines[0]

    def row_counts(self) -> dict[str, int]:
        """Rows of each table of the ledger's record (the stored summaries derive from it; the
        notes of `check`'s runs are about the record, not part of it)."""
        derived = {model.__tablename__ for model in SUMMARY_MODELS} | {CheckRun.__tablename__}
        engine = make_engine(self.database_url)
        with engine.connect() as connection:
            counts = {
                name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in Base.metadata.tables.items()
                if name not in derived
            }
        engine.dispose()
        return counts
