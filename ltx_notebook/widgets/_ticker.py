"""One thread that keeps every live panel's clock moving.

A panel's elapsed time moves even when its job's state does not, so something
must redraw it about once a second. A thread per panel made a notebook of 100
running cells hold 100 threads, each waking the interpreter; one shared
ticker wakes once per period and calls every panel that is due. It starts
with the first panel and ends when the last one is done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Final

__all__ = ["every"]

log = logging.getLogger("ltx_notebook")

# The shortest period a panel may ask for; finer ticks would only cost CPU.
_FLOOR_S: Final = 0.02


class _Ticker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # callback -> (period, next due time); a callback returns False when done.
        self._due: dict[Callable[[], bool], tuple[float, float]] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, period: float, callback: Callable[[], bool]) -> None:
        period = max(_FLOOR_S, period)
        with self._lock:
            self._due[callback] = (period, time.monotonic() + period)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ltx-panel-tick", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def remove(self, callback: Callable[[], bool]) -> None:
        with self._lock:
            self._due.pop(callback, None)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._due:
                    self._thread = None
                    return
                now = time.monotonic()
                ready = [cb for cb, (_, due) in self._due.items() if due <= now]
                for cb in ready:
                    period, _ = self._due[cb]
                    self._due[cb] = (period, now + period)
                soonest = min(due for _, due in self._due.values())
            for cb in ready:
                try:
                    keep = cb()
                except Exception:  # one broken panel must not stop the others' clocks
                    log.exception("a panel's tick failed; it is ticked no more")
                    keep = False
                if not keep:
                    self.remove(cb)
            self._wake.wait(max(0.0, soonest - time.monotonic()))
            self._wake.clear()


_TICKER = _Ticker()


def every(period: float, callback: Callable[[], bool]) -> Callable[[], None]:
    """Call *callback* about every *period* seconds until it returns False.

    Returns a function that stops it at once.
    """
    _TICKER.add(period, callback)
    return lambda: _TICKER.remove(callback)
