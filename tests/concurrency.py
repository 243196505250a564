"""Several processes doing the same work at once, as several treasurers would."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from multiprocessing import Queue
from threading import Barrier
from typing import Any

Span = tuple[float, float]  # when one process began its work, and when it ended


def at_once(work: Callable[..., None], arguments: Sequence[tuple[Any, ...]]) -> list[Span]:
    """`work(*each)` in a spawned process per tuple of `arguments`, all released together once
    every one has started up; returns their spans, once all have finished without error.
    `work` must be a module-level function (spawned processes import it)."""
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(len(arguments))
    spans: Queue[Span] = spawn.Queue()
    workers = [spawn.Process(target=_timed, args=(work, each, start, spans)) for each in arguments]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0] * len(workers)
    return [spans.get(timeout=5) for _ in workers]


def _timed(work: Callable[..., None], each: tuple[Any, ...], start: Barrier,
           spans: Queue[Span]) -> None:  # fmt: skip
    start.wait()
    began = time.monotonic()
    work(*each)
    spans.put((began, time.monotonic()))
