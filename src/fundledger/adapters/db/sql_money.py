"""Money arithmetic inside SQL, exact on both databases.

Report totals are sums of per-gift conversions, each rounded once by the ledger's rule
(`fundledger.domain.money.divide_round_half_up`). The database computes them so that no report
loads every donation into Python. Factors are exact fractions whose numerator and denominator
may exceed 64 bits, so they travel as decimal text:
- PostgreSQL: NUMERIC arithmetic with integer `div`, the same formula as the Python rule;
- SQLite (64-bit integers that silently become floats on overflow): a SQL function that calls
  the Python rule itself.
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


def conversion_factor_table() -> Table:
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
        prefixes=["TEMPORARY"],
    )
