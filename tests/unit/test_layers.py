"""The layers keep to themselves (shared/style.md 4 and 12): an interface (the CLI, the web)
parses, calls one service and prints, and holds no SQL; a service fetches, calls the domain and
commits, and leaves database mechanics (COPY, TRUNCATE, VACUUM, temporary tables, engines,
dialect branches, raw SQL) to adapters/db. Read from the source with `ast`, so a comment or a
docstring that names COPY is no offence, and a query hidden behind an alias still is."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "src" / "fundledger"
INTERFACES = ("cli", "web")  # web: when it exists
SERVICES = "services"

# What builds or runs a query. (Session, Engine, exceptions and make_url are wiring, not SQL.)
QUERY_BUILDERS = {
    "select", "text", "func", "insert", "update", "delete", "inspect", "and_", "or_", "not_",
    "exists", "case", "literal", "literal_column", "column", "table", "union", "union_all",
}  # fmt: skip
QUERYING_MODULES = ("fundledger.adapters.db.models", "fundledger.adapters.db.queries")
SESSION_QUERIES = {"execute", "scalars", "scalar", "get", "query", "exec_driver_sql"}

# Database mechanics, by name wherever they appear in a service.
MECHANIC_NAMES = {
    "create_engine", "make_engine", "render_as_string", "exec_driver_sql", "raw_connection",
    "driver_connection", "dialect", "text",
}  # fmt: skip
MECHANIC_WORDS = re.compile(r"\b(COPY|TRUNCATE|VACUUM|TEMPORARY|CREATE TEMP|PRAGMA)\b")

# What must stay: (module, offence as reported without its line) -> why. Nothing today:
# cli/common.py opening the engine and cli/check.py opening a transaction are wiring, which
# these checks do not flag.
ALLOWED: dict[tuple[str, str], str] = {}


def _modules(folder: str) -> Iterator[Path]:
    root = SOURCE / folder
    if root.is_dir():
        yield from sorted(root.rglob("*.py"))


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string nodes that are docstrings (prose, not SQL)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _imported(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(module, name) of each thing an import statement brings in (name "" for a module)."""
    if isinstance(node, ast.ImportFrom) and node.module:
        for alias in node.names:
            yield node.module, alias.name
    elif isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, ""


def _querying_import(module: str, name: str) -> bool:
    return (
        module.startswith(QUERYING_MODULES)
        or (module == "fundledger.adapters.db" and name in ("models", "queries"))
        or (module.startswith("sqlalchemy") and name in QUERY_BUILDERS)
    )


def interface_offences(source: str) -> Iterator[str]:
    """What, in an interface module, builds or runs a query. (Flask's `session` is the
    signed cookie of a web request, not a database session.)"""
    tree = ast.parse(source)
    flask_session = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "flask"
        and any(alias.name == "session" and alias.asname is None for alias in node.names)
        for node in ast.walk(tree)
    )
    ledger_handles = ("connection",) if flask_session else ("session", "connection")
    for node in ast.walk(tree):
        for module, name in _imported(node):
            if _querying_import(module, name):
                yield f"line {node.lineno}: imports {module}" + (f".{name}" if name else "")
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in ("sqlalchemy", "sa")
            and node.attr in QUERY_BUILDERS
        ):
            yield f"line {node.lineno}: uses sqlalchemy.{node.attr}"
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SESSION_QUERIES
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in ledger_handles
        ):
            yield f"line {node.lineno}: runs {node.func.value.id}.{node.func.attr}()"


def _mechanic_import(module: str, name: str) -> bool:
    return (
        module in ("sqlite3", "psycopg")
        or module.startswith("sqlalchemy.dialects")
        or (module.startswith("sqlalchemy") and name in MECHANIC_NAMES)
    )


def _mechanic_use(node: ast.AST, docstrings: set[int]) -> str | None:
    """What database mechanics `node` is, if any."""
    if isinstance(node, ast.Attribute) and node.attr in MECHANIC_NAMES - {"text"}:
        return f"uses .{node.attr}"
    if isinstance(node, ast.Attribute) and node.attr.startswith(("pg_", "sqlite_")):
        return f"calls the database's own {node.attr}"
    if isinstance(node, ast.Name) and node.id in MECHANIC_NAMES - {"text", "dialect"}:
        return f"uses {node.id}"
    if isinstance(node, ast.keyword) and node.arg == "prefixes":
        return "a table with prefixes (a temporary table)"
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and (word := MECHANIC_WORDS.search(node.value))
    ):
        return f"SQL {word[0]} in a string"
    return None


def service_offences(source: str) -> Iterator[str]:
    """What, in a service module, is database mechanics."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        for module, name in _imported(node):
            if _mechanic_import(module, name):
                yield f"line {node.lineno}: imports {module}" + (f".{name}" if name else "")
        if (found := _mechanic_use(node, docstrings)) is not None:
            yield f"line {getattr(node, 'lineno', 0)}: {found}"  # every node found has a line


def _offenders(folder: str, check: Callable[[str], Iterator[str]]) -> list[str]:
    found = []
    for path in _modules(folder):
        relative = path.relative_to(SOURCE).as_posix()
        offences = sorted(check(path.read_text(encoding="utf-8")),
                          key=lambda offence: int(offence.split()[1].rstrip(":")))  # fmt: skip
        found.extend(f"{relative} {offence}" for offence in offences
                     if (relative, offence.split(":", 1)[1].strip()) not in ALLOWED)  # fmt: skip
    return found


@pytest.mark.parametrize("folder", INTERFACES)
def test_no_interface_holds_a_query(folder: str) -> None:
    offenders = _offenders(folder, interface_offences)
    assert not offenders, (
        "an interface builds or runs a query; give it a service function instead:\n  "
        + "\n  ".join(offenders)
    )


def test_no_service_holds_database_mechanics() -> None:
    offenders = _offenders(SERVICES, service_offences)
    assert not offenders, (
        "a service holds database mechanics; move them behind a named function in "
        "adapters/db:\n  " + "\n  ".join(offenders)
    )


def test_the_guards_see_what_they_guard() -> None:
    """The checks find each kind of offence (else the two tests above could never fail), and
    pass prose that merely names one."""
    cli_source = """
from sqlalchemy import select
from fundledger.adapters.db.models import Receipt
def work(session):
    return session.scalars(select(Receipt.content))
"""
    assert [offence.split(":")[0] for offence in interface_offences(cli_source)] == [
        "line 2", "line 3", "line 5"
    ]  # fmt: skip
    service_source = '''
"""Rows go in by COPY on PostgreSQL."""
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
def write(session, table):
    """Through TRUNCATE, then VACUUM."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("TRUNCATE summary_cell")
    Table("scratch", MetaData(), prefixes=["TEMPORARY"])
    create_engine(session.get_bind().url.render_as_string(hide_password=False))
'''
    found = list(service_offences(service_source))
    assert not any("COPY" in offence or "VACUUM" in offence for offence in found)  # prose
    for expected in ("sqlalchemy.text", "sqlalchemy.dialects", ".dialect",
                     ".exec_driver_sql", "SQL TRUNCATE", "prefixes", "create_engine",
                     ".render_as_string"):  # fmt: skip
        assert any(expected in offence for offence in found), (expected, found)
    assert list(service_offences("def f(label: str) -> str:\n    return label\n")) == []
