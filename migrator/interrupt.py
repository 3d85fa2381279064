"""SIGINT and SIGTERM during work that must clean up after itself (a backup, a restore).

Left alone, SIGTERM ends the runner on the spot: its pg_dump orphaned, a partial file left behind.
Inside `stopped_by_signals`, either signal cancels the block's task instead, so the block's own
clean-up runs (child programs stopped, partial files removed, a restore rolled back), and the
block ends in `Interrupted`: one error line and exit 128+N, the status a shell reports for a
process that signal N ended. A second signal ends the process at once, as it would have.

Only signals whose handler is still the default are taken over (asyncio.run's Ctrl-C handler
counts as default): an application that handles them itself keeps doing so, and the clean-up
still runs when its handler cancels the task.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import AsyncIterator

from .errors import MigratorError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(MigratorError):
    """SIGINT or SIGTERM stopped the command: exit 128+N."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum


class Stop:
    """The block's side: what to say if a signal comes, and from when it can no longer stop the work."""

    def __init__(self, what: str, stopped: str):
        self.what = what
        self.stopped = stopped  # what is true when a signal stopped the block
        self.finished = "it had finished"  # what is true when the block finished all the same
        self.received: int | None = None
        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self._inside = True
        self._final = False
        self._cancelled = False

    def point_of_no_return(self) -> None:
        """From here on (a COMMIT is on its way) a signal no longer cancels the block; it finishes,
        and the signal is reported when it has."""
        self._final = True

    def _on_signal(self, signum: int, frame) -> None:
        # A signal handler: runs in the main thread between any two bytecodes, so it only records
        # and asks the event loop to do the cancelling when the task is at an `await`.
        if self.received is not None:
            signal.signal(signum, signal.SIG_DFL)  # the second one: what it would have done
            os.kill(os.getpid(), signum)
            return
        self.received = signum
        self._loop.call_soon_threadsafe(self._cancel)

    def _cancel(self) -> None:
        if self._inside and not self._final and self._task is not None:
            self._cancelled = True
            self._task.cancel()

    def _interrupted(self, finished: bool) -> Interrupted:
        assert self.received is not None
        name = signal.Signals(self.received).name
        text = (f"{self.what} received {name} as it finished; {self.finished}" if finished
                else f"{self.what} stopped by {name}; {self.stopped}")
        return Interrupted(text, self.received)


@contextlib.asynccontextmanager
async def stopped_by_signals(what: str, stopped: str) -> AsyncIterator[Stop]:
    """SIGINT / SIGTERM inside the block cancel it; once its clean-up has run, `Interrupted` is
    raised: "<what> stopped by SIGTERM; <stopped>". Outside the main thread nothing is taken over."""
    stop = Stop(what, stopped)
    previous = {}
    for signum in SIGNALS:
        try:
            handler = signal.getsignal(signum)
            if _is_default(signum, handler):
                signal.signal(signum, stop._on_signal)
                previous[signum] = handler
        except ValueError:  # not the main thread: signals are not ours to handle
            break
    try:
        try:
            yield stop
        finally:
            stop._inside = False
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    except (asyncio.CancelledError, MigratorError):
        if stop.received is None:
            raise
        _uncancel(stop)
        raise stop._interrupted(finished=False) from None
    if stop.received is not None:
        _uncancel(stop)
        raise stop._interrupted(finished=True)


def _uncancel(stop: Stop) -> None:
    """The cancellation was ours and it has done its job: the task goes on to report the signal."""
    if stop._cancelled and stop._task is not None:
        stop._task.uncancel()


def _is_default(signum: int, handler) -> bool:
    if handler == signal.SIG_DFL or (signum == signal.SIGINT and handler is signal.default_int_handler):
        return True
    # asyncio.run's own: it cancels the main task on Ctrl-C, then raises KeyboardInterrupt
    owner = getattr(getattr(handler, "func", None), "__self__", None)
    return isinstance(owner, asyncio.Runner)
