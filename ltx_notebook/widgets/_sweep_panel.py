"""One compact panel for a whole sweep: counts, a progress bar, a row per job.

One panel, not one per job: a 24-job sweep with 24 job panels would bury the
notebook. Built like the job panel (stock ipywidgets ``HTML`` + ``Button``,
styled only with the front end's CSS variables with fallbacks, so it follows
light and dark themes). Traits are set from the runtime thread, which
ipywidgets allows; updates are throttled so a busy sweep does not flood the
front end with messages, and a ticker keeps elapsed times moving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .._view.sweep_progress import render_html, sweep_line
from ._ticker import every

if TYPE_CHECKING:
    from .._jobs.sweeps.sweep import Sweep

__all__ = ["SweepPanel"]


class SweepPanel(widgets.VBox):
    """A panel that follows a sweep until it is done; ``close()`` detaches it.

    ``body.value`` holds the rendered HTML and ``text`` the plain-text line;
    the *Stop sweep* button submits nothing more (running jobs go on).
    """

    def __init__(self, sweep: Sweep, *, tick: float = 1.0, min_interval: float = 0.25) -> None:
        self.sweep = sweep
        self.body = widgets.HTML()
        self.text = ""
        self.stop_button = widgets.Button(
            description="Stop sweep",
            icon="stop",
            tooltip="Submit nothing more. Jobs already submitted cannot be cancelled on the "
            "service: they run (and are billed) to the end.",
            # Inside the box, at its natural width: it is one action, not a banner.
            layout=widgets.Layout(width="auto", align_self="flex-start", margin="0 12px"),
        )
        self.stop_button.on_click(self._on_stop)
        super().__init__([self.body, self.stop_button], layout=widgets.Layout(margin="2px 0"))
        self.add_class("ltx-sweep-panel")
        self._tick = tick
        self._min_interval = min_interval
        self._last = 0.0
        self._dirty = False
        self._lock = threading.Lock()
        self._halt = threading.Event()
        sweep.add_listener(self._on_change)
        self._stop_ticking: Callable[[], None] = lambda: None
        if not sweep.done:  # the panels' shared ticker keeps the elapsed times moving
            self._stop_ticking = every(min(tick, min_interval * 2), self._tick_once)

    def _render(self) -> None:
        with self._lock:  # the ticker and the runtime thread may both render
            self._dirty = False
            self._last = time.monotonic()
            self.body.value = render_html(self.sweep)
            self.text = sweep_line(self.sweep)
            if self.sweep.done or self.sweep.stopped or self.sweep.dry_run:
                self.stop_button.layout.display = "none"
            if self.sweep.done:
                self._halt.set()

    def _on_change(self, sweep: Sweep) -> None:
        if sweep.done or time.monotonic() - self._last >= self._min_interval:
            self._render()
        else:
            self._dirty = True  # the ticker draws it shortly

    def _tick_once(self) -> bool:
        if self._halt.is_set():
            return False
        if self._dirty or time.monotonic() - self._last >= self._tick:
            self._render()
        return not self._halt.is_set()

    def _on_stop(self, _button: widgets.Button | None = None) -> None:
        self.sweep.stop()
        self._render()

    def close(self) -> None:
        self._halt.set()
        self._stop_ticking()
        self.sweep.remove_listener(self._on_change)
        super().close()
