"""Many live panels, one ticker: a notebook of 100 running cells must not hold 100 threads."""

from __future__ import annotations

import threading

from ltx_notebook import Session
from ltx_notebook._core.params import validate
from ltx_notebook.emulator import Emulator
from ltx_notebook.widgets._panel import JobPanel


def _ticking() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ltx-panel-tick")]


def test_many_panels_share_one_ticking_thread(session: Session, emulator: Emulator) -> None:
    job = session.submit(validate("ltx-2-pro", prompt="a slow heron"))
    panels = [JobPanel(job, tick=0.05) for _ in range(40)]
    try:
        assert len(_ticking()) <= 1
        # Each panel still moves: the shared ticker redraws every one of them.
        ticked = threading.Event()
        last = panels[-1]
        last.status.value = ""  # the next tick must draw it again
        last.status.observe(lambda _change: ticked.set(), names="value")
        assert ticked.wait(30)
        assert last.status.value
    finally:
        for panel in panels:
            panel.close()
    job.wait(120)
