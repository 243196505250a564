"""Scratch tables: a connection's own, for a step that joins a few thousand computed rows
against a million stored ones (bounds of a search, a refresh's values, a verification's
expected sums). Created and dropped by their user; gone at the connection's end anyway."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, Table


def temporary_table(name: str, *columns: Column[Any]) -> Table:
    """A CREATE TEMPORARY TABLE `name` of `columns`, on a metadata of its own (never the
    ledger's: a temporary table is no part of the schema the migrations keep)."""
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])
