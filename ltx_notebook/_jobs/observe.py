"""Being waited on and watched from any thread or event loop: what Job and Sweep share.

Both are changed by the runtime thread and read from the kernel's main
thread, from the kernel's own event loop (``await job``) and from widgets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Completion", "Listeners"]

T = TypeVar("T")
log = logging.getLogger("ltx_notebook")


class Completion:
    """A ``threading.Event`` that coroutines on *any* event loop can also await.

    Awaiting costs a future on the waiter's own loop, not a thread: a sweep
    of fifty jobs awaited from the kernel's loop must not exhaust an executor.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    def clear(self) -> None:
        self._event.clear()

    def set(self) -> None:
        with self._lock:
            self._event.set()
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future)

    async def wait_async(self) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._event.is_set():
                return
            self._waiters.append((loop, future))
        await future


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Listeners(Generic[T]):
    """Callbacks told of every change of one subject.

    A failing callback (a broken panel) is logged and never stops the job or
    the sweep that called it, nor goes unseen.
    """

    def __init__(self) -> None:
        self._callbacks: list[Callable[[T], None]] = []

    def add(self, callback: Callable[[T], None], subject: T) -> None:
        """Register *callback* and call it once at once, so it starts from the present."""
        self._callbacks.append(callback)
        callback(subject)

    def remove(self, callback: Callable[[T], None]) -> None:
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def notify(self, subject: T) -> None:
        for callback in list(self._callbacks):
            try:
                callback(subject)
            except Exception:
                log.exception("listener %r of %r failed", callback, subject)
