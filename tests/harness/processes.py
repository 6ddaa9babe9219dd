"""Python processes started so that their work overlaps: all ready, then all go.

Each runs *script* with its name (``a``, ``b``, or the *names* given) among its
arguments; the script
touches ``ready-<name>`` in the ready folder, then waits for the *go* file. A
process that dies before it is ready fails the test with its stderr.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tests.harness.waiting import until

NAMES = ("a", "b")


def start_together(
    script: str,
    args: Callable[[str], Sequence[str]],
    *,
    ready: Path,
    go: Path,
    what: str,
    names: Sequence[str] = NAMES,
) -> list[subprocess.Popen[str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, *args(name)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]

    def all_ready() -> bool:
        assert all(p.poll() is None for p in procs), [p.stderr.read() for p in procs if p.stderr]
        return all((ready / f"ready-{n}").exists() for n in names)

    until(all_ready, f"the {what} started", timeout=120)
    go.touch()
    return procs
