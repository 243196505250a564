"""Items made by a child process: all of them, in order, and its failures raised here."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fundledger.adapters.background import InChildProcess
from fundledger.domain.errors import FundledgerError


def numbers(count: int, fail_at: int | None = None) -> Iterator[tuple[int, int]]:
    for number in range(count):
        if number == fail_at:
            raise FundledgerError(f"cannot make {number}")
        yield number, os.getpid()


def test_items_arrive_in_order_from_another_process() -> None:
    with InChildProcess(numbers, 1000) as produced:
        items = list(produced)
    assert [number for number, _ in items] == list(range(1000))
    assert {pid for _, pid in items} != {os.getpid()}


def test_an_error_in_the_child_is_raised_here_after_the_items_before_it() -> None:
    received: list[int] = []
    with pytest.raises(FundledgerError, match="cannot make 3"):
        received.extend(number for number, _ in InChildProcess(numbers, 10, 3))
    assert received == [0, 1, 2]


def test_stopping_early_ends_the_child() -> None:
    items = InChildProcess(numbers, 10**9)
    assert next(items)[0] == 0
    child_pid = next(items)[1]
    items.close()
    assert list(items) == []
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)
