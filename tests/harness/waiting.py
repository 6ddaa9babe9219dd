"""Waiting on a condition with a deadline: how tests synchronise, instead of sleeping.

``until(lambda: ..., "what")`` returns the condition's first truthy value, or fails
the test naming what never happened. The short pause between looks is only there so
the looking does not take the CPU the awaited thread needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(condition: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:g}s: {what}")
        time.sleep(0.01)
    return value
