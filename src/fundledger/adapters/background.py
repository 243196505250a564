"""Producing items in a child process while the caller consumes them.

Reading and checking a large donation file is pure Python work; so is much of writing it. On
one interpreter the two take turns under the GIL (a thread makes it worse: each database call
releases the GIL and waits to get it back). A second process reads while the first writes.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, Generic, TypeVar, cast

from fundledger.domain.errors import FundledgerError

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


class InChildProcess(Generic[T]):
    """The items of `produce(*args)`, made in a child process started at once (it gets going
    while the caller prepares) and consumed by iterating here.

    The child is a fresh interpreter that imports only what `produce` needs (multiprocessing's
    spawn would import the whole command first, half a second). Items come back pickled through
    a pipe, whose back-pressure keeps the child about one item ahead: memory stays bounded.
    An exception raised in the child is raised here; `close()` (or leaving the `with` block)
    ends the child. `produce`, `args` and the items must be picklable."""

    def __init__(self, produce: Callable[..., Iterable[T]], *args: Any) -> None:
        self._child = subprocess.Popen(  # noqa: S603 (this interpreter, running our module)
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self._child.stdin is not None
        assert self._child.stdout is not None
        # A child that died at once (say, unable to start) is reported by the first `next`.
        with suppress(BrokenPipeError), self._child.stdin as orders:
            pickle.dump(sys.path, orders)  # where `produce` and its arguments are found
            pickle.dump((produce, args), orders)
        self._items = self._child.stdout
        self._name = getattr(produce, "__qualname__", repr(produce))
        self._done = False

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        try:
            kind, value = pickle.load(self._items)  # noqa: S301 (our own child writes it)
        except EOFError:
            self.close()
            raise FundledgerError(
                f"the process producing {self._name} ended unexpectedly "
                f"(exit code {self._child.returncode})"
            ) from None
        if kind == "item":
            return cast(T, value)
        self.close()
        if kind == "error":
            raise value
        raise StopIteration

    def close(self) -> None:
        self._done = True
        if self._child.poll() is None:
            self._child.terminate()
        self._child.wait()
        self._items.close()

    def __enter__(self) -> InChildProcess[T]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _produce() -> None:
    """The child's side: read what to produce from standard input, write pickled items."""
    # The items go to the original standard output; anything else printed goes to stderr.
    items = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.path[:] = pickle.load(sys.stdin.buffer)  # noqa: S301 (written by our parent)
    try:
        produce, args = pickle.load(sys.stdin.buffer)  # noqa: S301
        with fewer_collections():
            for item in produce(*args):
                pickle.dump(("item", item), items, protocol=pickle.HIGHEST_PROTOCOL)
                items.flush()
        pickle.dump(("done", None), items)
    except BrokenPipeError:
        return  # the consumer stopped early, or was stopped
    except BaseException as error:
        try:
            pickle.dump(("error", error), items)
        except Exception:
            pickle.dump(("error", RuntimeError(f"{type(error).__name__}: {error}")), items)
    with suppress(BrokenPipeError):
        items.close()


if __name__ == "__main__":
    _produce()
