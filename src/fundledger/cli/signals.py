"""The signals that stop a command: SIGINT, SIGTERM and SIGHUP become an exception, so the
usual clean-up runs (the transaction rolls back, staged files go), until the command starts to
make its work permanent; from then on it finishes first."""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType
from typing import ClassVar


class Interrupted(SystemExit):
    """SIGINT, SIGTERM or SIGHUP arrived: the command stops, cleaning up as for any error. A
    SystemExit, so `except Exception` never swallows it and drivers cancel what they wait on
    (psycopg cancels the query)."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


class Interrupts:
    """The process's handler of SIGINT, SIGTERM and SIGHUP (one per process, as signal
    handlers are). The first signal raises Interrupted, unless the command is making its work
    permanent (`hold`): then it finishes, and exits as it would have. Later signals wait, so
    that the clean-up is not cut short."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    installed: ClassVar[Interrupts | None] = None

    def __init__(self) -> None:
        self.holding = False
        self.received: int | None = None
        self.lost = False  # Interrupted was raised where Python swallows it (see install)

    @classmethod
    def install(cls) -> Interrupts:
        handler = cls()
        for signum in cls.SIGNALS:
            # A signal the caller ignores stays ignored: `nohup` ignores SIGHUP, a shell
            # script's background job SIGINT.
            if signal.getsignal(signum) != signal.SIG_IGN:
                signal.signal(signum, handler._handle)
        # A signal can land in a finalizer or a weakref callback (SQLAlchemy's, during a
        # garbage collection): Python prints an exception raised there as "Exception ignored
        # ... Traceback" and goes on. Not printed, it stops the command at the next point
        # that can (`stop_if_lost`, `hold`, `release`).
        previous = sys.unraisablehook

        def unraisable(report: sys.UnraisableHookArgs) -> None:
            if isinstance(report.exc_value, Interrupted):
                handler.lost = True
            else:
                previous(report)

        sys.unraisablehook = unraisable
        cls.installed = handler
        return handler

    @classmethod
    def hold(cls) -> None:
        """From now on a signal no longer stops the command (a no-op without a handler); one
        that arrived but was lost stops it now, before its work is made permanent."""
        if cls.installed is not None:
            cls.stop_if_lost()
            cls.installed.holding = True

    @classmethod
    def stop_if_lost(cls) -> None:
        """Raise the Interrupted that a finalizer swallowed, if one did."""
        handler = cls.installed
        if handler is not None and handler.lost and handler.received is not None:
            handler.lost = False
            raise Interrupted(handler.received)

    @classmethod
    def release(cls) -> None:
        """A piece of work made permanent, the next may be stopped (a batch that commits as
        it goes): a signal that arrived while holding stops the command now."""
        handler = cls.installed
        if handler is None:
            return
        handler.holding = False
        if handler.received is not None:
            handler.lost = False
            raise Interrupted(handler.received)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.holding or self.received is not None:
            self.received = self.received or signum
            return
        self.received = signum
        raise Interrupted(signum)

    @staticmethod
    def die(signum: int) -> None:
        """End the process by `signum` itself, so its parent (a shell loop) sees how it
        ended."""
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        sys.exit(128 + signum)  # in case the signal is blocked
