"""The key that signs session cookies and CSRF tokens: never in the repository or the ledger.

FUNDLEDGER_SECRET_KEY when set (several server processes, or a deployment's secret store);
otherwise a random key kept in a file readable by its owner only, made on first use: beside
a SQLite ledger (`fundledger.db` -> `fundledger.db.secret-key`), and for a PostgreSQL ledger in
`$XDG_CONFIG_HOME/fundledger/web-secret-key` (~/.config/...). Deleting the file signs everybody
out."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

from fundledger.domain.errors import FundledgerError

ENVIRONMENT = "FUNDLEDGER_SECRET_KEY"
MIN_LENGTH = 32  # characters: what an attacker would have to guess offline, from one cookie


class SecretKeyError(FundledgerError):
    """A key given that is too short to sign sessions safely."""


def key_file(database_url: str) -> Path:
    parsed = make_url(database_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        ledger = Path(str(parsed.database))
        return ledger.with_name(ledger.name + ".secret-key")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "fundledger" / "web-secret-key"


def secret_key(database_url: str) -> str:
    given = os.environ.get(ENVIRONMENT, "")
    if given:
        if len(given) < MIN_LENGTH:
            raise SecretKeyError(
                f"{ENVIRONMENT} has {len(given)} characters; use at least {MIN_LENGTH} random "
                'ones, e.g. from: python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return given
    path = key_file(database_url)
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        # O_EXCL: two server processes starting at once agree on the one written first.
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(key + "\n")
    return key
