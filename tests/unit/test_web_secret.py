"""The key that signs the web sessions: from FUNDLEDGER_SECRET_KEY, or a file of its owner's
beside the ledger, made once; never a short one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fundledger.web.secret import ENVIRONMENT, SecretKeyError, key_file, secret_key


def test_a_key_file_is_made_beside_a_sqlite_ledger_once_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    url = f"sqlite:///{tmp_path / 'fundledger.db'}"
    first = secret_key(url)
    path = tmp_path / "fundledger.db.secret-key"
    assert key_file(url) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 48
    assert secret_key(url) == first  # the same key on the next start: sessions survive


def test_a_postgresql_ledger_keeps_its_key_in_the_config_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert key_file("postgresql://u:secret@db/ledger") == tmp_path / "fundledger" / "web-secret-key"
    assert secret_key("postgresql://u:secret@db/ledger") == secret_key("postgresql://db/other")


def test_the_environment_wins_and_a_short_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'fundledger.db'}"
    monkeypatch.setenv(ENVIRONMENT, "s" * 40)
    assert secret_key(url) == "s" * 40
    assert not (tmp_path / "fundledger.db.secret-key").exists()
    monkeypatch.setenv(ENVIRONMENT, "short")
    with pytest.raises(SecretKeyError, match="has 5 characters; use at least 32"):
        secret_key(url)
