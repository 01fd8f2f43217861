"""A small stoppable background loop shared by the queue workers, scheduler and snapshotter.

Each loop owns a ``threading.Event``: stopping is setting it and joining the thread, so a
Ctrl-C never leaves a half-finished handler call behind (the current step runs to its end).
A step that raises is logged by exception type only and retried after a pause, because
exception messages from handlers can carry phone numbers or message text.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

# Pause after a failed step, so an unreachable endpoint does not spin the CPU.
ERROR_BACKOFF_SECONDS = 1.0


def describe_exception(exc: BaseException) -> str:
    """Name the exception and where it was raised, without its message.

    Handler exceptions may quote the message that failed (a body, a phone number);
    the type and the innermost frame are enough to find the bug locally.
    """
    tb = exc.__traceback__
    where = ""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
    return f"{type(exc).__name__}{where}"


class BackgroundLoop:
    """Calls :meth:`step` on a daemon thread until :meth:`stop`.

    ``step`` returns how many seconds to wait before the next call; the wait ends early
    when the loop is stopped.
    """

    name = "loop"

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def step(self) -> float:
        raise NotImplementedError

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("%s did not stop within %.0f s", self.name, timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                delay = self.step()
            except Exception as exc:  # keep the loop alive; see module docstring
                log.error("%s: step failed: %s", self.name, describe_exception(exc))
                delay = ERROR_BACKOFF_SECONDS
            if delay > 0:
                self.stopping.wait(delay)
