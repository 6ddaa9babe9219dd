"""The runtime's threads yield to the kernel's: polling, store writes and decoding run niced."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from ltx_notebook._core.threads import BACKGROUND_NICE
from ltx_notebook._jobs.poll.runtime import Runtime

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux nice values")


def nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_runtime_thread_and_its_workers_run_below_the_kernels_priority() -> None:
    base = os.getpriority(os.PRIO_PROCESS, os.getpid())
    runtime = Runtime()

    async def both() -> tuple[int, int]:
        return nice_of_this_thread(), await asyncio.to_thread(nice_of_this_thread)

    try:
        loop_nice, worker_nice = runtime.call(both())
    finally:
        runtime.stop()
    expected = min(19, base + BACKGROUND_NICE)
    assert loop_nice == expected and worker_nice == expected  # not added up on inheritance
    assert nice_of_this_thread() == base  # the caller (the kernel's thread) is untouched
