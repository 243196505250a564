"""A few gifts into (or out of) the stored summaries, valued and summed in Python.

The upkeep after one gift saved through the web form, or a reversal, touches a handful of
rows, and the general way (`summary_store._Store._apply`: a temporary table of factors, one of
values, one of grouped deltas per sum table, each created and dropped) spends its time on those
fifteen statements, not on the gifts: 19 ms of the form's 50 on the 1M-gift ledger. Here the
gifts are read once, each valued by `convert_minor` (the very rule whose SQL form
`summary_parts.Converted` computes, `fundledger.adapters.db.sql_money`), and the sums added in
three statements. `check` builds the summaries the general way and compares, so the two ways
are held to each other on every ledger checked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Table, bindparam, delete, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation
from fundledger.adapters.db.sql_money import lowest_amount_reaching
from fundledger.adapters.db.upsert import upsert_into
from fundledger.domain.rates import convert_minor
from fundledger.services.conversion import GiftKey
from fundledger.services.summary_parts import (
    ALL,
    CELL_KEYS,
    CELL_SUMS,
    DONOR_KEYS,
    DONOR_SUMS,
    NO_METHOD,
    AnyFactor,
)

# At most this many gifts are valued here; more go the general way (its statements cost the
# same for one gift or a thousand, these grow with the gifts).
FEW_GIFTS = 500


class GiftValue(NamedTuple):
    """A gift as the stored summaries count it: its keys, its amount and its two values."""

    id: int
    campaign_id: int
    donor_id: int | None
    day: date
    currency: str
    method: str
    anonymous: int
    band: int
    amount_minor: int
    home_minor: int
    reporting_minor: int


_GIFT_COLUMNS = (
    Donation.id, Donation.campaign_id, Donation.donor_id, Donation.donation_date,
    Donation.currency, func.coalesce(Donation.method, NO_METHOD), Donation.anonymous,
    Donation.amount_minor,
)  # fmt: skip


def few_gift_values(session: Session, factors: Mapping[GiftKey, AnyFactor],
                    gifts: ColumnElement[bool], bounds: Sequence[int]
                    ) -> list[GiftValue] | None:  # fmt: skip
    """The `gifts` of the dates and currencies of `factors`, valued at those factors; None when
    they are more than FEW_GIFTS (the caller goes the general way)."""
    rows = session.execute(select(*_GIFT_COLUMNS).where(gifts).limit(FEW_GIFTS + 1)).all()
    if len(rows) > FEW_GIFTS:
        return None
    return valued(rows, factors, bounds)


class NewGifts(NamedTuple):
    """Gifts past the stored summaries, read once: their rows, and whether one is a reversal."""

    rows: Sequence[Any]
    reversal: bool


def few_new_gifts(session: Session, included: int, latest: int) -> NewGifts | None:
    """The gifts past id `included` up to `latest`, when they are FEW_GIFTS or fewer (else
    None): the rows `valued` takes, and whether any of them reverses another."""
    if latest - included > FEW_GIFTS:
        return None
    rows = session.execute(
        select(*_GIFT_COLUMNS, Donation.reverses_id)
        .where(Donation.id > included, Donation.id <= latest)
    ).all()  # fmt: skip
    return NewGifts([row[:-1] for row in rows], any(row[-1] is not None for row in rows))


def valued(rows: Iterable[Sequence[Any]], factors: Mapping[GiftKey, AnyFactor],
           bounds: Sequence[int]) -> list[GiftValue]:  # fmt: skip
    """Gift rows (id, campaign, donor, date, currency, method, anonymous, amount) valued at
    the factors of their dates and currencies, each in its size band."""
    thresholds: dict[GiftKey, list[int]] = {}
    values = []
    for gift_id, campaign_id, donor_id, day, currency, method, anonymous, amount in rows:
        factor = factors.get((day, currency))
        if factor is None:  # as the general way's join: no factor, not counted here
            continue
        key = (day, currency)
        if key not in thresholds:
            to_home = factor.to_home
            thresholds[key] = [
                lowest_amount_reaching(bound, to_home.numerator, to_home.denominator)
                for bound in bounds
            ]
        band = sum(1 for lowest in thresholds[key] if amount >= lowest)
        values.append(GiftValue(
            int(gift_id), int(campaign_id), None if donor_id is None else int(donor_id), day,
            currency, method, 1 if anonymous is True else 0, band, int(amount),
            convert_minor(int(amount), factor.to_home),
            convert_minor(int(amount), factor.to_reporting),
        ))  # fmt: skip
    return values


def apply_few(connection: Connection, cells: Table, donors: Table, gifts: Table,
              values: Sequence[GiftValue], sign: int) -> None:  # fmt: skip
    """Add (sign 1) or take out (sign -1) `values` in the three sum tables, as
    `summary_store._Store._apply_values` does with a table of them."""
    if not values:
        return
    if sign > 0:
        connection.execute(gifts.insert(), [
            {"donation_id": value.id, "campaign_id": value.campaign_id,
             "home_minor": value.home_minor} for value in values])  # fmt: skip
    else:
        connection.execute(delete(gifts).where(
            gifts.c.donation_id.in_([value.id for value in values])))  # fmt: skip
    cell_sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(CELL_SUMS))
    donor_sums: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * len(DONOR_SUMS))
    for value in values:
        for campaign in (value.campaign_id, ALL):
            _add(cell_sums[(campaign, value.day, value.currency, value.method, value.band)],
                 (1, value.anonymous, value.amount_minor, value.home_minor,
                  value.reporting_minor), sign)  # fmt: skip
            if value.anonymous == 0 and value.donor_id is not None:
                _add(donor_sums[(campaign, value.donor_id)],
                     (1, value.home_minor, value.reporting_minor), sign)  # fmt: skip
    _add_rows(connection, cells, CELL_KEYS, CELL_SUMS, cell_sums)
    _add_rows(connection, donors, DONOR_KEYS, DONOR_SUMS, donor_sums)
    if sign < 0:  # rows left with no gift go, as the general way's drop_empty_rows does
        for table, keys, rows in ((cells, CELL_KEYS, cell_sums), (donors, DONOR_KEYS,
                                                                   donor_sums)):  # fmt: skip
            if not rows:  # gifts none of which was given by name: no donor row to drop
                continue
            # A key at a time: SQLite reads the whole table for a list of row values.
            connection.execute(
                delete(table).where(table.c.gifts == 0,
                                    *(table.c[key] == bindparam(key) for key in keys)),
                [dict(zip(keys, key, strict=True)) for key in sorted(rows)],
            )  # fmt: skip


def _add(sums: list[int], terms: Iterable[int], sign: int) -> None:
    for index, term in enumerate(terms):
        sums[index] += sign * term


def _add_rows(connection: Connection, table: Table, keys: list[str], sums: list[str],
              rows: Mapping[tuple[Any, ...], list[int]]) -> None:  # fmt: skip
    """Each row's sums added to `table`'s row of its keys (made when there is none)."""
    if not rows:
        return
    statement = upsert_into(connection, table)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[key] for key in keys],
            set_={name: table.c[name] + statement.excluded[name] for name in sums},
        ),
        [dict(zip([*keys, *sums], [*key, *values], strict=True))
         for key, values in sorted(rows.items())],  # in key order: locks taken alike
    )  # fmt: skip
