"""The live progress panel of one job.

Built from stock ipywidgets (``HTML`` bodies and a ``Button`` in a ``VBox``)
so it renders wherever ipywidgets does: JupyterLab, Notebook 7, VS Code,
Colab. It is styled only with the front end's own CSS variables (JupyterLab's
``--jp-*``, VS Code's ``--vscode-*``) with neutral fallbacks, so it follows
light and dark themes; the state pills are saturated colours with white text,
readable on either. Traits are set from the runtime thread, which ipywidgets
allows; the widget is displayed from the main thread only.

The panel's root (the ``VBox``) has the class ``ltx-panel``; inside are
``.ltx-pill[data-state]`` (the state), ``.ltx-elapsed``, ``.ltx-id`` (the
request id, selected whole by one click), a ``role="progressbar"`` track
(``.ltx-indeterminate`` while nothing has been learned), ``.ltx-params``,
``.ltx-prompt``, ``.ltx-error`` and, under a "Stop waiting" button, the note
that the service has no cancel. A finished panel names the saved file rather
than holding the video: the cell's output is replaced by plain HTML for that.
"""

from __future__ import annotations

import html
import threading
from typing import TYPE_CHECKING

import ipywidgets as widgets

from .._view.job_progress import (
    NO_CANCEL,
    render_bar,
    render_info,
    render_request,
    render_status,
)
from ._ticker import every

if TYPE_CHECKING:
    from .._jobs.job import Job

__all__ = ["JobPanel"]


class JobPanel(widgets.VBox):
    """A panel that follows one job until it ends; ``close()`` detaches it.

    Each part is its own ``HTML`` widget and is re-sent only when its text changes
    (traitlets send nothing for an equal value), so the id and prompt stay selectable
    while the elapsed time and the bar tick. ``body`` holds the params and prompt.
    """

    def __init__(self, job: Job, *, tick: float = 1.0) -> None:
        self.job = job
        self._waiting = True
        self.status = widgets.HTML(render_status(job))
        self.request = widgets.HTML(render_request(job))
        self.bar = widgets.HTML(render_bar(job), layout=widgets.Layout(width="100%"))
        self.body = widgets.HTML(render_info(job))
        self.stop_button = widgets.Button(
            description="Stop waiting",
            icon="stop",
            tooltip=NO_CANCEL + " %ltx resume follows it again.",
            layout=widgets.Layout(width="auto"),
        )
        self.stop_button.on_click(self._on_stop)
        self.note = widgets.HTML(html.escape(NO_CANCEL))
        self.top = widgets.HBox([self.status, self.request])
        self.top.add_class("ltx-top")
        self.footer = widgets.HBox([self.stop_button, self.note])
        self.footer.add_class("ltx-foot")
        super().__init__([self.top, self.bar, self.body, self.footer])
        self.add_class("ltx-panel")
        self.add_class("ltx-job-panel")
        self._halt = threading.Event()
        job.add_listener(self._refresh)
        # Elapsed time moves even when the state does not: one shared ticker for all panels.
        self._stop_ticking = every(tick, self._tick)

    def _tick(self) -> bool:
        if self._halt.is_set() or self.job.done:
            return False
        self._refresh(self.job)
        return True

    def _refresh(self, job: Job) -> None:
        self.status.value = render_status(job)
        self.request.value = render_request(job)
        self.bar.value = render_bar(job)
        self.body.value = render_info(job, waiting=self._waiting)
        if job.done or not self._waiting:
            self.footer.layout.display = "none"
            self._halt.set()

    def _on_stop(self, _button: widgets.Button) -> None:
        self._waiting = False
        self.job.stop_waiting()
        self._refresh(self.job)

    def close(self) -> None:
        self._halt.set()
        self._stop_ticking()
        self.job.remove_listener(self._refresh)
        for child in (self.top, self.footer, self.status, self.request, self.bar, self.body):
            child.close()
        self.stop_button.close()
        self.note.close()
        super().close()
