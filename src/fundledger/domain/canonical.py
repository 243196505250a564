"""The canonical encoding of a ledger row, which the hash chain (adapters/db/chain.py) covers.

A row is encoded as a JSON array of its fields in table order: text as JSON strings (not
escaped beyond what JSON requires), integers as numerals, booleans and NULL as JSON's, dates
and moments in ISO 8601, decimals exact without trailing zeros ("3.376"). Its link in the
chain is SHA-256 over the previous row's hash (64 hex digits), a newline, and the encoding.

This encoding is part of every ledger written: it must never change. It needs nothing but the
standard library, so that the process that reads a large donation file can encode its rows
while the importing process writes them (`donation_fields`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

GENESIS = "0" * 64


def json_text(value: str | None) -> str:
    """One text field as JSON writes it, without escaping more than JSON requires."""
    return "null" if value is None else str(encode_basestring(value))


def _moment(value: date) -> str:
    return f'"{value.isoformat()}"'


# Each field by its exact type (a float, or anything else, has no encoding: it fails). What
# json.dumps(ensure_ascii=False) writes for the JSON types; a date, moment or decimal as text.
_FIELD: dict[type, Callable[[Any], str]] = {
    str: json_text,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _: "null",
    date: _moment,
    datetime: _moment,
    Decimal: lambda value: f'"{format(value.normalize(), "f")}"',
}


def canonical(values: Iterable[Any]) -> str:
    """The row whose fields, in table order, are `values`."""
    field = _FIELD
    return "[" + ",".join([field[type(value)](value) for value in values]) + "]"


def link(previous: str, line: str) -> str:
    """The chain hash of the row encoded as `line`, after the row whose hash is `previous`."""
    return hashlib.sha256(f"{previous}\n{line}".encode()).hexdigest()


def links(previous: str, lines: Iterable[str]) -> list[str]:
    """The chain hashes of consecutive rows, after the row whose hash is `previous`."""
    sha256 = hashlib.sha256
    hashes = []
    for line in lines:
        previous = sha256(f"{previous}\n{line}".encode()).hexdigest()
        hashes.append(previous)
    return hashes


def donation_fields(
    day_texts: Sequence[str],
    amounts_minor: Sequence[int],
    currencies: Sequence[str],
    methods: Sequence[str | None],
    references: Sequence[str | None],
    anonymous: Sequence[bool],
    notes: Sequence[str | None],
) -> list[str]:
    """The middle of each gift's encoding, from `donation_date` to `note`: the fields a donation
    file gives. The importer adds the ledger's own fields around it (`donation_links`)."""
    return [
        f'"{day}",{amount},{json_text(currency)},{json_text(method)},{json_text(reference)},'
        f"{'true' if anonymous else 'false'},{json_text(note)}"
        for day, amount, currency, method, reference, anonymous, note in zip(
            day_texts, amounts_minor, currencies, methods, references, anonymous, notes,
            strict=True,
        )
    ]  # fmt: skip


def donation_links(
    previous: str,
    campaign_ids: Iterable[int],
    donor_ids: Iterable[int | None],
    fields: Iterable[str],
    recorded_at: datetime,
    recorded_by: str,
) -> list[str]:
    """The chain hashes of imported gifts (no reversal among them), after the row whose hash is
    `previous`: each gift encoded as `canonical` writes the donation table's columns
    (campaign_id, donor_id, the file's fields from `donation_fields`, reverses_id, recorded_at,
    recorded_by). One loop that encodes and links: a million gifts are hashed in the process
    that writes them, and this is most of the time it adds to their import."""
    tail = f",null,{json_text(recorded_at.isoformat())},{json_text(recorded_by)}]"
    sha256 = hashlib.sha256
    hashes = []
    for campaign_id, donor_id, middle in zip(campaign_ids, donor_ids, fields, strict=True):
        donor = "null" if donor_id is None else donor_id
        previous = sha256(f"{previous}\n[{campaign_id},{donor},{middle}{tail}".encode()).hexdigest()
        hashes.append(previous)
    return hashes
