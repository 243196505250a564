"""Money arithmetic inside SQL, exact on both databases.

Report totals are sums of per-gift conversions, each rounded once by the ledger's rule
(`fundledger.domain.money.divide_round_half_up`). The database computes them so that no report
loads every donation into Python. Factors are exact fractions whose numerator and denominator
may exceed 64 bits, so they travel as decimal text:
- PostgreSQL: NUMERIC arithmetic with integer `div`, the same formula as the Python rule;
- SQLite (64-bit integers that silently become floats on overflow): a SQL function that calls
  the Python rule itself.
Both are slow over a million rows (a Python call, or NUMERIC arithmetic, per gift). Almost every
real factor is a small fraction (3376/1000), so each factor also travels as 64-bit integers when
the formula of `convert_minor_fast` provably cannot overflow with them; rows whose factor does not
fit fall back, row by row, to the exact slow path.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import BigInteger, Column, Date, MetaData, String, Table, Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from fundledger.domain.money import divide_round_half_up

SQLITE_CONVERT_FUNCTION = "fundledger_convert_minor"


def _convert_minor_text(amount_minor: int, numerator: str, denominator: str) -> int:
    return divide_round_half_up(amount_minor * int(numerator), int(denominator))


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    connection.create_function(SQLITE_CONVERT_FUNCTION, 3, _convert_minor_text, deterministic=True)


class convert_minor(FunctionElement[int]):  # noqa: N801  (SQL function style)
    """convert_minor(amount_minor, numerator_text, denominator_text): rounded minor units."""

    type = BigInteger()
    inherit_cache = True
    name = "convert_minor"


@compiles(convert_minor, "sqlite")
def _compile_sqlite(element: convert_minor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{SQLITE_CONVERT_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(convert_minor, "postgresql")
def _compile_postgresql(element: convert_minor, compiler: SQLCompiler, **kw: Any) -> str:
    amount, numerator, denominator = (
        f"CAST({compiler.process(clause, **kw)} AS NUMERIC)" for clause in element.clauses
    )
    # sign(a) * floor((2|a|n + d) / 2d): half up, ties away from zero, as divide_round_half_up.
    return (
        f"(SIGN({amount}) * DIV(2 * ABS({amount}) * {numerator} + {denominator}, "
        f"2 * {denominator}))"
    )


# The integer path computes round_half_up(|a| n / d) as q n + (2 r n + d) div 2d, with q, r the
# quotient and remainder of |a| by d. Intermediate values stay below 2 r n + d < 2 d n + d, and
# q n is at most the converted amount itself (which the ledger bounds): safe when 2 d n + d fits.
_LARGEST_SIGNED_64 = 2**63 - 1


def fits_fast_path(numerator: int, denominator: int) -> bool:
    if numerator < 0 or denominator <= 0:
        return False
    return 2 * denominator * numerator + denominator <= _LARGEST_SIGNED_64


class convert_minor_fast(FunctionElement[int]):  # noqa: N801  (SQL function style)
    """convert_minor_fast(amount, numerator_int, denominator_int, numerator_text,
    denominator_text): as `convert_minor`, in 64-bit integer arithmetic where the integer
    factor is given (not NULL), else by `convert_minor` on the text factor."""

    type = BigInteger()
    inherit_cache = True
    name = "convert_minor_fast"


@compiles(convert_minor_fast)
def _compile_fast(element: convert_minor_fast, compiler: SQLCompiler, **kw: Any) -> str:
    clauses = list(element.clauses)
    amount, numerator, denominator = (compiler.process(clause, **kw) for clause in clauses[:3])
    exact = compiler.process(convert_minor(clauses[0], *clauses[3:]), **kw)
    # Integer division truncates in both databases; on |a| >= 0 it is the floor we need.
    quotient = f"(ABS({amount}) / {denominator})"
    whole = f"{quotient} * {numerator}"
    # The remainder without `%`, which psycopg would read as a placeholder.
    rest = f"(2 * (ABS({amount}) - {quotient} * {denominator}) * {numerator} + {denominator})"
    magnitude = f"({whole} + {rest} / (2 * {denominator}))"
    return (
        f"(CASE WHEN {numerator} IS NULL THEN {exact} WHEN {amount} < 0 THEN -{magnitude} "
        f"ELSE {magnitude} END)"
    )


def lowest_amount_reaching(bound_minor: int, numerator: int, denominator: int) -> int:
    """The smallest amount a (minor units, a > 0) that converts to at least `bound_minor`:
    round_half_up(a n / d) >= B exactly when 2 a n >= (2B - 1) d."""
    if bound_minor <= 0:
        return 1
    if numerator == 0:
        return 2**63 - 1  # nothing reaches it; still a 64-bit integer
    return -(-(2 * bound_minor - 1) * denominator // (2 * numerator))


def conversion_factor_table(bands: int = 0) -> Table:
    """A temporary table of exact conversion factors per (date, currency), for one report.

    Numerators and denominators are decimal text: they can exceed 64 bits.
    """
    return Table(
        "fundledger_conversion_factor",
        MetaData(),
        Column("day", Date, primary_key=True),
        Column("currency", String(3), primary_key=True),
        Column("home_numerator", Text, nullable=False),
        Column("home_denominator", Text, nullable=False),
        Column("reporting_numerator", Text, nullable=False),
        Column("reporting_denominator", Text, nullable=False),
        # The same factors as 64-bit integers, where `fits_fast_path`; NULL otherwise.
        Column("home_numerator_int", BigInteger),
        Column("home_denominator_int", BigInteger),
        Column("reporting_numerator_int", BigInteger),
        Column("reporting_denominator_int", BigInteger),
        # Size bands by home value, as amounts of the gift's own currency (see
        # `lowest_amount_reaching`): band = how many of these the amount reaches.
        *(Column(f"band_{index}", BigInteger) for index in range(bands)),
        prefixes=["TEMPORARY"],
    )
