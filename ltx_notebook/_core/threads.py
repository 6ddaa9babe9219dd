"""Background threads yield to the kernel: what the person is waiting for runs first.

Polling, store writes and decoding run on threads of the kernel's own
process. When the machine is busy (two cores shared, a sweep's downloads
ending together), the operating system shares the CPU among all of them
alike, so a trivial cell waits behind a poster being decoded. On Linux each
thread has its own nice value: a background thread that lowers its own
priority (``setpriority`` on its thread id, which needs no privilege) is
scheduled after the kernel's threads that serve cells, and takes the idle
CPU only. Elsewhere this does nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Final

__all__ = ["BACKGROUND_NICE", "background"]

# Added to the thread's nice value: low enough to yield, not so low it starves.
BACKGROUND_NICE: Final = 10


def background() -> None:
    """Lower the calling thread's scheduling priority, where the platform allows it."""
    setpriority = getattr(os, "setpriority", None)
    if setpriority is None or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError):
        # Relative to the process (its main thread), not to the thread that started this
        # one: Linux threads inherit their creator's nice value, and it must not add up.
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + BACKGROUND_NICE)
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < target:
            setpriority(os.PRIO_PROCESS, tid, target)
