"""The progress bar of long work (imports, batches of receipts and statements): one policy.

A bar is drawn on standard error, only when standard error is a terminal and the work is long
enough to watch: with the count done of the total and the time left. Standard output never
carries it (it is the command's result, often piped), and a log or a pipe on standard error
gets nothing at all, not even the label (click prints the label once there).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

import click
from click._termui_impl import ProgressBar

# Below these sizes the work ends before a bar would be read.
LINES_WORTH_A_BAR = 5_000  # lines of a file read, or rows written
DOCUMENTS_WORTH_A_BAR = 20  # PDFs written

Item = TypeVar("Item")


class Progress(Protocol):
    """How far the work is: `advance_to` a position (a line number), or `advance` by steps."""

    def advance_to(self, position: int) -> None: ...

    def advance(self, steps: int = 1) -> None: ...


def shown_on_terminal() -> bool:
    """Whether standard error is a terminal a person watches."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):
        return False  # closed, or a stream that is no file


class _Bar:
    def __init__(self, bar: ProgressBar[int], length: int) -> None:
        self._bar = bar
        self._length = length

    def advance_to(self, position: int) -> None:
        position = min(position, self._length)
        if position > self._bar.pos:
            self._bar.update(position - self._bar.pos)

    def advance(self, steps: int = 1) -> None:
        self.advance_to(self._bar.pos + steps)


@contextmanager
def progress(length: int, label: str, *, worth_from: int) -> Iterator[Progress]:
    """A bar for `length` steps labelled `label`, hidden when standard error is no terminal or
    the work is shorter than `worth_from` steps. Leaving it draws it full."""
    with click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=True,
        show_eta=True,
        hidden=length < worth_from or not shown_on_terminal(),
    ) as bar:
        shown = _Bar(bar, length)
        yield shown
        shown.advance_to(length)


@contextmanager
def progress_over(items: list[Item], label: str, *, worth_from: int) -> Iterator[Iterator[Item]]:
    """The items, to go through one by one, with a bar counting them (as `progress`)."""
    with progress(len(items), label, worth_from=worth_from) as bar:

        def counted() -> Iterator[Item]:
            for item in items:
                yield item
                bar.advance()

        yield counted()
