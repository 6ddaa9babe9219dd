"""A background runtime: one daemon thread running its own asyncio event loop.

Polling and downloads must never block the kernel, and must keep going while
another cell computes. Running them on the kernel's own loop would stall
whenever a cell blocks the main thread, and ``asyncio.run`` cannot be called
from inside a running loop. A private loop in a thread behaves the same in
ipykernel 6 and 7, VS Code, Colab and plain Python, and needs no patching of
asyncio (this is how IPython's ``%%script --bg`` works too).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..._core.threads import background

__all__ = ["Runtime"]

T = TypeVar("T")

# How long an interrupted call waits for its coroutine's cleanup (a second Ctrl-C ends it).
CLEANUP_WAIT_S = 5.0


class Runtime:
    """Owns one event loop in a daemon thread; started on first use."""

    def __init__(self, name: str = "ltx-notebook-runtime") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                self._start()
            assert self._loop is not None
            return self._loop

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def main() -> None:
            background()  # polls and downloads yield to the cells the person runs
            asyncio.set_event_loop(loop)
            # Store writes and other blocking steps (asyncio.to_thread) yield too.
            loop.set_default_executor(
                concurrent.futures.ThreadPoolExecutor(
                    thread_name_prefix=f"{self._name}-worker", initializer=background
                )
            )
            loop.call_soon(ready.set)
            loop.run_forever()

        thread = threading.Thread(target=main, name=self._name, daemon=True)
        thread.start()
        ready.wait()
        self._loop, self._thread = loop, thread
        # Stop the loop cleanly at interpreter exit, or when this object is dropped.
        weakref.finalize(self, _stop_loop, loop, thread)
        atexit.register(_stop_loop, loop, thread)
        # At exit, before concurrent.futures shuts the executors (its own hook, run after
        # ours): a download cancelled then still releases its claim through a worker, and
        # a script that ends mid-download exits quietly; resume() finishes the download.
        with contextlib.suppress(AttributeError, RuntimeError):  # private, or exiting now
            threading._register_atexit(_stop_loop, loop, thread)  # type: ignore[attr-defined]

    @property
    def in_runtime_thread(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule *coro* on the runtime's loop; returns a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run *coro* on the runtime and block the calling thread for its result.

        If the caller is interrupted (Ctrl-C) the coroutine is cancelled, and
        the caller waits a moment for it to clean up (a submit deletes or marks
        its row) so what it leaves behind is settled when the cell ends.
        """
        if self.in_runtime_thread:
            coro.close()
            raise RuntimeError("Runtime.call() would deadlock inside the runtime thread")
        settled = threading.Event()

        async def run() -> T:
            try:
                return await coro
            finally:
                settled.set()

        future = self.submit(run())
        try:
            return future.result(timeout)
        except BaseException:
            # An interrupt in the caller must not leave the coroutine half-done unnoticed.
            future.cancel()
            settled.wait(CLEANUP_WAIT_S)
            raise

    def stop(self) -> None:
        with self._lock:
            if self._loop is not None and self._thread is not None:
                _stop_loop(self._loop, self._thread)
            self._loop = self._thread = None


def _stop_loop(loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
    if loop.is_closed() or not thread.is_alive():
        return

    async def cancel_all() -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
        asyncio.run_coroutine_threadsafe(cancel_all(), loop).result(timeout=5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
