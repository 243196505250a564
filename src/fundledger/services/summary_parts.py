"""The parts of a campaign summary's data as the database gives them, whether computed from the
gifts (`fundledger.services.reports`) or read from the stored summaries
(`fundledger.services.summary_store`): the SQL of gifts joined to their conversion factors, and
the shapes the sums come back in."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from fractions import Fraction
from typing import NamedTuple

from sqlalchemy import ColumnElement, Table, and_, case, insert, literal, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation
from fundledger.adapters.db.sql_money import (
    conversion_factor_table,
    convert_minor_fast,
    fits_fast_path,
    lowest_amount_reaching,
)
from fundledger.domain.money import minor_unit_digits
from fundledger.domain.rates import ConversionFactors

SIZE_BOUNDS = (100, 250, 500, 1_000, 5_000, 10_000)  # gift sizes, in whole home-currency units


def size_bounds(home_currency: str) -> list[int]:
    """Where the size bands begin, in home-currency minor units."""
    return [bound * 10 ** minor_unit_digits(home_currency) for bound in SIZE_BOUNDS]


class Factor(NamedTuple):
    """A conversion factor without its rates: what the stored summaries keep."""

    to_home: Fraction
    to_reporting: Fraction


AnyFactor = ConversionFactors | Factor


@contextmanager
def factor_table(
    session: Session, factors: Mapping[tuple[date, str], AnyFactor], bounds: list[int]
) -> Iterator[Table]:
    table = conversion_factor_table(len(bounds))
    connection = session.connection()
    table.create(connection)
    if factors:
        connection.execute(insert(table), [factor_row(*key, factor, bounds) for key, factor in
                                           factors.items()])  # fmt: skip
    try:
        yield table
    finally:
        table.drop(connection)


def factor_row(day: date, currency: str, factor: AnyFactor, bounds: list[int]) -> dict[str, object]:
    row: dict[str, object] = {"day": day, "currency": currency}
    to_home = factor.to_home
    for index, bound in enumerate(bounds):
        row[f"band_{index}"] = lowest_amount_reaching(bound, to_home.numerator, to_home.denominator)
    for name, fraction in (("home", factor.to_home), ("reporting", factor.to_reporting)):
        fast = fits_fast_path(fraction.numerator, fraction.denominator)
        row |= {
            f"{name}_numerator": str(fraction.numerator),
            f"{name}_denominator": str(fraction.denominator),
            f"{name}_numerator_int": fraction.numerator if fast else None,
            f"{name}_denominator_int": fraction.denominator if fast else None,
        }
    return row


class Converted:
    """SQL for the counted gifts of a campaign joined to their conversion factors."""

    def __init__(self, factor: Table, counted: ColumnElement[bool], bounds: list[int]) -> None:
        columns = factor.c
        self.home = convert_minor_fast(
            Donation.amount_minor, columns.home_numerator_int, columns.home_denominator_int,
            columns.home_numerator, columns.home_denominator,
        )  # fmt: skip
        self.reporting = convert_minor_fast(
            Donation.amount_minor, columns.reporting_numerator_int,
            columns.reporting_denominator_int, columns.reporting_numerator,
            columns.reporting_denominator,
        )  # fmt: skip
        # The band from amounts compared with precomputed thresholds: computing each gift's
        # home value once per bound costs several times the whole pass.
        self.band = sum(
            (case((Donation.amount_minor >= columns[f"band_{index}"], 1), else_=0)
             for index in range(len(bounds))),
            literal(0),
        )  # fmt: skip
        self.gifts = (
            select()
            .select_from(Donation)
            .join(factor, and_(columns.day == Donation.donation_date,
                               columns.currency == Donation.currency))
            .where(counted)
        )  # fmt: skip


class DonorSum(NamedTuple):
    """A donor's gifts given by name, merged donors counted as the one they were merged into."""

    donor: int
    gifts: int
    home: int
    reporting: int


class DonorTally(NamedTuple):
    """How many donors gave by name, and the TOP_DONORS largest of them by home value (ties
    by donor id)."""

    named: int
    top: list[DonorSum]


class Gathered(NamedTuple):
    """What the summary needs from the database: the conversion factors used, the grouped
    cells, the donors who gave by name and the median gift in home minor units."""

    factors: dict[tuple[date, str], ConversionFactors]
    cells: list[Cell]
    donors: DonorTally
    median: int | None


class Cell(NamedTuple):
    """One group of the summary's single pass over the gifts."""

    day: date
    currency: str
    method: str | None
    band: int
    gifts: int
    amount: int
    home: int
    reporting: int
    anonymous: int


def middle_offsets(cells: list[Cell], count: int) -> dict[int, list[int]]:
    """Where the middle gift(s) of `count` sit: band -> offsets within the band, in the
    order of home values (the bands are in that order too)."""
    per_band: Counter[int] = Counter()
    for cell in cells:
        per_band[cell.band] += cell.gifts
    bands = range(max(per_band) + 1)
    return locate(sorted({(count - 1) // 2, count // 2}), [per_band[band] for band in bands])


def locate(offsets: list[int], counts: list[int]) -> dict[int, list[int]]:
    """Offsets into a sequence cut in parts of `counts` each: part -> offsets within it."""
    found: dict[int, list[int]] = defaultdict(list)
    for offset in offsets:
        before = 0
        for part, size in enumerate(counts):
            if offset < before + size:
                found[part].append(offset - before)
                break
            before += size
    return found
