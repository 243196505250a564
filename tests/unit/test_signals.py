"""A signal that lands in a finalizer: Python swallows what is raised there, printing a
traceback; the command must print none and still stop before it makes its work permanent."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator

import pytest

from fundledger.cli.signals import Interrupted, Interrupts


@pytest.fixture
def interrupts() -> Iterator[Interrupts]:
    """The handler installed as `fundledger` installs it; the process's own put back after."""
    handlers = {signum: signal.getsignal(signum) for signum in Interrupts.SIGNALS}
    hook, installed = sys.unraisablehook, Interrupts.installed
    try:
        yield Interrupts.install()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        sys.unraisablehook, Interrupts.installed = hook, installed


class _Collected:
    """An object whose finalizer is where the signal lands (as in a garbage collection)."""

    def __init__(self, handler: Interrupts) -> None:
        self.handler = handler

    def __del__(self) -> None:
        self.handler._handle(signal.SIGTERM, None)


def test_a_signal_swallowed_by_a_finalizer_stops_the_command_before_it_commits(
    interrupts: Interrupts, capsys: pytest.CaptureFixture[str]
) -> None:
    _Collected(interrupts)  # dropped at once: its finalizer raises Interrupted, swallowed
    assert capsys.readouterr().err == ""  # no "Exception ignored ... Traceback"
    with pytest.raises(Interrupted) as stopped:
        Interrupts.hold()  # the commit is next: the lost signal stops it first
    assert stopped.value.signum == signal.SIGTERM
    Interrupts.stop_if_lost()  # raised once only


def test_a_signal_swallowed_by_a_finalizer_stops_a_command_that_never_commits(
    interrupts: Interrupts,
) -> None:
    _Collected(interrupts)
    with pytest.raises(Interrupted):
        Interrupts.stop_if_lost()  # as `main` does once the command returned


def test_other_unraisable_exceptions_are_still_reported(interrupts: Interrupts) -> None:
    class Broken:
        def __del__(self) -> None:
            raise ValueError("a finalizer's own bug")

    seen: list[BaseException | None] = []
    hooked = sys.unraisablehook
    try:
        # What the hook passes on reaches the one it replaced (here: this list).
        sys.unraisablehook = lambda report: seen.append(report.exc_value)
        Interrupts.install()
        Broken()
    finally:
        sys.unraisablehook = hooked
    assert [type(error) for error in seen] == [ValueError]
    assert Interrupts.installed is not None
    assert not Interrupts.installed.lost
