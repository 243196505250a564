"""The importer's fast encoding of a gift is, character for character, the canonical one that
`fundledger check` recomputes from the stored row; a difference would make every imported
gift look tampered with."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Table

from fundledger.adapters.db.chain import chained_columns
from fundledger.adapters.db.models import CHAINED_MODELS
from fundledger.domain.canonical import (
    GENESIS,
    canonical,
    donation_fields,
    donation_links,
    link,
    links,
)

texts = st.text(max_size=30)  # any code point: quotes, backslashes, controls, U+2028, emoji
optional_texts = st.none() | texts
gifts = st.tuples(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)),
    st.integers(min_value=1, max_value=10**15),
    st.sampled_from(["ILS", "USD", "EUR", "JPY"]),
    optional_texts,
    texts,
    st.booleans(),
    optional_texts,
    st.none() | st.integers(min_value=1, max_value=10**9),
)


@settings(max_examples=300)
@given(
    st.lists(gifts, min_size=1, max_size=5),
    st.integers(min_value=1, max_value=10**6),
    st.datetimes(timezones=st.just(UTC)),
    texts,
)
def test_the_importers_hashes_are_those_of_the_canonical_encoding(
    rows: list[tuple[date, int, str, str | None, str, bool, str | None, int | None]],
    campaign_id: int,
    recorded_at: datetime,
    actor: str,
) -> None:
    fields = donation_fields(
        [row[0].isoformat() for row in rows], [row[1] for row in rows], [row[2] for row in rows],
        [row[3] for row in rows], [row[4] for row in rows], [row[5] for row in rows],
        [row[6] for row in rows],
    )  # fmt: skip
    hashes = donation_links(GENESIS, [campaign_id + index for index in range(len(rows))],
                            [row[7] for row in rows], fields, recorded_at, actor)  # fmt: skip
    assert hashes == links(GENESIS, [
        canonical([campaign_id + index, donor_id, day, amount, currency, method, reference,
                   anonymous, note, None, recorded_at, actor])
        for index, (day, amount, currency, method, reference, anonymous, note, donor_id)
        in enumerate(rows)
    ])  # fmt: skip


def test_a_row_is_encoded_exactly_and_linked_to_the_one_before() -> None:
    line = canonical([7, None, date(2025, 7, 3), Decimal("3.3760"), 'say "shalom" \\ سلام', True,
                      datetime(2025, 7, 3, 9, 30, tzinfo=UTC)])  # fmt: skip
    assert line == ('[7,null,"2025-07-03","3.376","say \\"shalom\\" \\\\ سلام",true,'
                    '"2025-07-03T09:30:00+00:00"]')  # fmt: skip
    first = link(GENESIS, line)
    assert len(first) == 64
    assert first != link(GENESIS, line.replace("3.376", "3.377"))
    assert links(GENESIS, [line, line]) == [first, link(first, line)]


def _as_json_writes_it(values: list[Any]) -> str:
    """The encoding as first defined (migration 0009 chained rows with it): json.dumps of the
    values, dates and decimals made text first."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        return value

    return json.dumps([plain(value) for value in values], ensure_ascii=False,
                      separators=(",", ":"))  # fmt: skip


fields = (
    texts | st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.dates() | st.datetimes(timezones=st.just(UTC))
    | st.decimals(allow_nan=False, allow_infinity=False, places=10, min_value=-(10**9),
                  max_value=10**9)
)  # fmt: skip


@settings(max_examples=500)
@given(st.lists(fields, max_size=14))
def test_the_encoding_is_still_json_as_first_defined(values: list[Any]) -> None:
    assert canonical(values) == _as_json_writes_it(values)


def test_a_float_has_no_encoding() -> None:
    with pytest.raises(KeyError):
        canonical([3.376])


def test_each_chained_table_still_has_the_columns_its_rows_were_hashed_with() -> None:
    """A column added to a chained table changes the encoding of every row already there:
    such a change needs a migration that says how old rows are verified, not just a column."""
    hashed_with = {
        "donation": ["campaign_id", "donor_id", "donation_date", "amount_minor", "currency",
                     "method", "reference", "anonymous", "note", "reverses_id", "recorded_at",
                     "recorded_by"],
        "exchange_rate": ["rate_date", "base", "quote", "rate", "source", "recorded_at",
                          "recorded_by"],
        "donor_merge": ["merged_donor_id", "into_donor_id", "undoes_id", "reason", "recorded_at",
                        "recorded_by"],
        "setting": ["key", "value", "recorded_at", "recorded_by"],
        "receipt": ["series", "year", "number", "kind", "donation_id", "credits_id", "issued_on",
                    "locale", "content", "issued_at", "issued_by"],
        "audit_event": ["occurred_at", "actor", "command", "action", "entity", "entity_id",
                        "details", "reason"],
        "campaign": ["slug", "name", "goal_minor", "goal_currency", "start_date", "end_date",
                     "partner", "created_at"],
        "donor": ["name", "email", "email_key", "name_key", "loose_key", "tax_id", "created_at"],
        "donor_revision": ["donor_id", "name", "email", "tax_id", "address", "phone", "language",
                           "reason", "recorded_at", "recorded_by"],
        "campaign_name": ["campaign_id", "language", "name", "recorded_at", "recorded_by"],
        "import_profile": ["name", "definition", "reason", "recorded_at", "recorded_by"],
        "donation_correction": ["donation_id", "corrects_id", "reference", "reason",
                                "recorded_at", "recorded_by"],
        "app_user": ["name", "name_key", "revision", "role", "password_hash",
                     "password_revision", "disabled", "language", "recorded_at", "recorded_by"],
        "tax_report": ["donation_id", "number", "reason", "recorded_at", "recorded_by"],
        "delivery": ["document", "receipt_id", "donor_id", "year", "locale", "recipient",
                     "outcome", "answer", "attachment_sha256", "attempted_at", "attempted_by"],
    }  # fmt: skip
    tables = [cast(Table, model.__table__) for model in CHAINED_MODELS]
    assert {table.name: chained_columns(table) for table in tables} == hashed_with
