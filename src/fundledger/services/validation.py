"""Checks of free text typed by people, with limits taken from the schema itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text

from fundledger.domain.errors import FundledgerError, TextRequired
from fundledger.domain.text import control_problem


def bounded_text(
    label: str, value: str | None, column: Any, *, required: bool = False
) -> str | None:
    """Stripped text, or None when blank; refused when longer than the column allows, or
    when it holds a control character (a TEXT column, for notes and reasons, may hold tabs
    and line breaks).

    Checking here rather than relying on the database keeps SQLite (which stores any length)
    and PostgreSQL (which refuses) in agreement.
    """
    text = (value or "").strip() or None
    if text is None:
        if required:
            raise TextRequired(f"{label} must not be empty", label=label)
        return None
    problem = control_problem(text, multiline=isinstance(column.type, Text))
    if problem:
        raise FundledgerError(f"{label} {problem}")
    limit = getattr(column.type, "length", None)
    if limit is not None and len(text) > limit:
        raise FundledgerError(f"{label} is longer than {limit} characters: {text[:40]!r}…")
    return text


def required_text(label: str, value: str | None, column: Any) -> str:
    text = bounded_text(label, value, column, required=True)
    assert text is not None  # bounded_text raises for blank required text
    return text
