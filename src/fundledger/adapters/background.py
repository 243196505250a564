"""Producing items in a child process while the caller consumes them.

Reading and checking a large donation file is pure Python work; so is much of writing it. On
one interpreter the two take turns under the GIL (a thread makes it worse: each database call
releases the GIL and waits to get it back). A second process reads while the first writes.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Bulk work allocates millions of objects that live until their batch is written; at the
    default thresholds the cyclic garbage collector scans them (and everything the program
    imported) over and over. They hold no cycles: collect rarely while the work lasts."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def in_child_process(produce: Callable[..., Iterable[T]], *args: Any) -> Generator[T, None, None]:
    """The items of `produce(*args)`, made in a child process as they are consumed here.

    The child runs at most about one item ahead (a pipe's back-pressure), so memory stays
    bounded. An exception raised in the child is raised here, and stopping early (or an
    exception here) ends the child. `produce`, `args` and the items must be picklable."""
    context = multiprocessing.get_context("spawn")  # nothing of this process is inherited
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(sending, produce, args), daemon=True)
    child.start()
    sending.close()
    try:
        while True:
            try:
                kind, value = receiving.recv()
            except EOFError:
                raise RuntimeError(
                    f"the process producing {getattr(produce, '__qualname__', produce)} "
                    f"ended unexpectedly (exit code {child.exitcode})"
                ) from None
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        receiving.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _produce(sending: Connection, produce: Callable[..., Iterable[Any]], args: tuple[Any]) -> None:
    try:
        with fewer_collections():
            for item in produce(*args):
                sending.send(("item", item))
        sending.send(("done", None))
    except BrokenPipeError:
        pass  # the consumer stopped early, or was stopped
    except BaseException as error:
        try:
            sending.send(("error", error))
        except Exception:
            sending.send(("error", RuntimeError(f"{type(error).__name__}: {error}")))
    finally:
        sending.close()
