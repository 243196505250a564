"""pg_dump ended by PostgreSQL to break a deadlock with a writer (an import emptying summary
tables as the dump locks them, seen in CI) is taken again; any other failure is said at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from fundledger.adapters.db import dumps
from fundledger.domain.errors import FundledgerError

DEADLOCK = "pg_dump failed: pg_dump: error: query failed: ERROR:  deadlock detected"


def failing(*errors: str) -> tuple[list[list[str]], object]:
    calls: list[list[str]] = []
    pending = list(errors)

    def run(command: list[str], tool: str) -> None:
        calls.append(command)
        Path(command[3].removeprefix("--file=")).write_bytes(b"partial")
        if pending:
            raise FundledgerError(pending.pop(0))

    return calls, run


def test_a_dump_ended_by_a_deadlock_is_taken_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls, run = failing(DEADLOCK)
    monkeypatch.setattr(dumps, "_run", run)
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/ledger")
    dumps._postgresql_dump(engine, tmp_path / "copy.dump")
    assert len(calls) == 2


def test_other_failures_and_a_lasting_deadlock_are_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/ledger")
    calls, run = failing("pg_dump failed: connection refused")
    monkeypatch.setattr(dumps, "_run", run)
    with pytest.raises(FundledgerError, match="connection refused"):
        dumps._postgresql_dump(engine, tmp_path / "copy.dump")
    assert len(calls) == 1
    calls, run = failing(*[DEADLOCK] * dumps.DUMP_ATTEMPTS)
    monkeypatch.setattr(dumps, "_run", run)
    with pytest.raises(FundledgerError, match="deadlock detected"):
        dumps._postgresql_dump(engine, tmp_path / "copy.dump")
    assert len(calls) == dumps.DUMP_ATTEMPTS
