"""Following a job (or a sweep) in a cell's output, live, then leaving plain HTML behind.

The progress display is shown with a display id. When the subject ends, that
display is updated in place with the final HTML (video + poster, or a
placeholder), which is what the saved notebook keeps. When the cell waits, the
update is sent from the main thread while the cell still runs. When it does
not, the update comes from the runtime thread later; ipykernel >= 7 lets that
thread address the original cell (``set_thread_parent``). Where a front end
ignores late updates, the widget panel stays, in its finished state, naming the
saved file and ``%ltx show ID``: never a player whose ``src`` cannot resolve.

Three forms, by front end:

- interactive (JupyterLab, Notebook, VS Code, Colab): the ipywidgets panel, whose
  bundle also carries the panel as plain HTML; an invisible keeper in it
  (``widgets.keep_saved``) keeps that HTML current in the saved notebook, so a
  notebook saved mid-run and reopened shows the panel's last state, not a
  widget error;
- headless (nbclient, nbconvert, papermill): no widget, since nobody can click
  it and its state would only bloat the saved file; a plain-HTML rendering of
  the same panel, updated in place while the cell waits;
- terminal IPython: one text line rewritten with ``\\r``.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.display import DisplayHandle, display

from .._core.errors import WaitTimeout
from .._view.cell import job_text
from .._view.frontend import Frontend
from .._view.job_progress import (
    job_line,
    render_bar,
    render_info,
    render_request,
    render_status,
)
from .._view.sweep_progress import render_html, sweep_line, text_table

if TYPE_CHECKING:
    from .._jobs.job import Job
    from .._jobs.sweeps.sweep import Sweep

__all__ = ["follow", "follow_sweep"]

# How often the headless HTML panel is refreshed while a cell waits: each refresh
# is one update_display_data message, so not more often than a person could read.
HTML_TICK = 1.0
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Shown:
    """How one followed subject (a Job, a Sweep) looks in each form.

    The subject has ``done``, ``wait(timeout)`` (raising ``WaitTimeout``) and
    ``add_listener``/``remove_listener``; everything else differs and is here.
    """

    subject: Any
    panel: Callable[[], Any]  # the live widget: has .close()
    moved: Callable[[], Any]  # a value that changes when the saved form should (not each tick)
    live_html: Callable[[bool], str]  # the headless panel; the flag: still waiting
    text: Callable[[], str]  # one progress line
    final: Callable[[], dict[str, str]]  # the saved output: text/html + text/plain
    note: Callable[[str], str]  # why the wait ended early -> what to tell the person
    summary: Callable[[], str]  # the terminal's closing lines once done
    hint: str  # how to look it up later

    @property
    def done(self) -> bool:
        return bool(self.subject.done)


def follow(
    job: Job,
    *,
    frontend: Frontend,
    wait: bool,
    timeout: float | None,
    final_html: Callable[[Job], str],
    shell: Any = None,
) -> None:
    """Show *job* in the current cell; block until it ends when *wait* is true.

    Ending the wait early (``timeout``, Ctrl-C) never stops the job: it keeps
    polling in the background and the display is finished when it ends.
    """
    shown = Shown(
        subject=job,
        panel=lambda: _job_panel(job),
        moved=lambda: (job.status, job.done, job.error),
        live_html=lambda waiting: _panel_html(job, waiting=waiting),
        text=lambda: job_line(job),
        final=lambda: {"text/html": final_html(job), "text/plain": job_text(job.record)},
        note=lambda why: (
            f"stopped waiting ({why}); job {job.request_id} keeps running on the service and "
            f"is tracked in the store: %ltx show {job.id} displays the video once it is done, "
            f"%ltx status {job.request_id}"
        ),
        summary=lambda: f"video: {job.video_path}\n" if job.video_path else "",
        hint=f"%ltx status {job.request_id}",
    )
    _follow(shown, frontend=frontend, wait=wait, timeout=timeout, shell=shell)


def follow_sweep(
    sweep: Sweep,
    *,
    frontend: Frontend,
    wait: bool,
    timeout: float | None,
    final_html: Callable[[Sweep], str],
    shell: Any = None,
) -> None:
    """Show *sweep* as one compact panel; at the end, its videos as a static grid."""
    shown = Shown(
        subject=sweep,
        panel=lambda: _sweep_panel(sweep),
        moved=lambda: (tuple(sweep.counts().items()), sweep.done, sweep.note),
        live_html=lambda waiting: render_html(sweep, live=waiting),
        text=lambda: sweep_line(sweep),
        final=lambda: {"text/html": final_html(sweep), "text/plain": text_table(sweep)},
        note=lambda why: (
            f"stopped waiting ({why}); sweep {sweep.sweep_id} keeps submitting and following "
            f"its jobs in the background: ltx_notebook.history(sweep_id={sweep.sweep_id!r})"
        ),
        summary=lambda: text_table(sweep) + "\n",
        hint=f"ltx_notebook.history(sweep_id={sweep.sweep_id!r})",
    )
    _follow(shown, frontend=frontend, wait=wait, timeout=timeout, shell=shell)


def _job_panel(job: Job) -> Any:
    # ipywidgets is loaded only when a live panel is shown, not by %load_ext.
    from ..widgets import JobPanel

    return JobPanel(job)


def _sweep_panel(sweep: Sweep) -> Any:
    from ..widgets import SweepPanel

    return SweepPanel(sweep)


def _follow(
    shown: Shown, *, frontend: Frontend, wait: bool, timeout: float | None, shell: Any
) -> None:
    if frontend is Frontend.TERMINAL:
        _follow_text(shown, wait=wait, timeout=timeout)
        return
    if frontend is Frontend.HEADLESS:
        _follow_html(shown, wait=wait, timeout=timeout, shell=shell)
        return
    panel = shown.panel()
    keeper = _keep_saved(shown, panel)
    bundle = panel._repr_mimebundle_()
    # The widget's own text/plain is its repr (a wall of HTML source): useless in a log.
    bundle["text/plain"] = shown.text()
    bundle["text/html"] = keeper._static
    handle = display(bundle, raw=True, display_id=True)
    assert isinstance(handle, DisplayHandle)
    if wait:
        why = _wait(shown, timeout)
        if why is None:
            handle.update(shown.final(), raw=True)
            panel.close()
            keeper.close()
            return
        print(shown.note(why) + "; the panel keeps following it")
    _finish_later(shown, handle, shell)


def _keep_saved(shown: Shown, panel: Any) -> Any:
    """An invisible keeper in *panel* that keeps its saved form at the subject's last state."""
    from ..widgets import keep_saved

    keeper = keep_saved(panel, shown.live_html(True))
    seen = [shown.moved()]

    def on_change(subject: Any) -> None:
        moved = shown.moved()
        if moved == seen[0]:
            return  # a poll that changed nothing worth saving: no message to the front end
        seen[0] = moved
        if subject.done:
            subject.remove_listener(on_change)
        keeper._static = shown.live_html(not subject.done)

    shown.subject.add_listener(on_change)
    return keeper


def _follow_html(shown: Shown, *, wait: bool, timeout: float | None, shell: Any) -> None:
    handle = display(_live_bundle(shown, waiting=True), raw=True, display_id=True)
    assert isinstance(handle, DisplayHandle)
    if wait:
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not shown.done:
                step = HTML_TICK
                if deadline is not None:
                    step = min(step, deadline - time.monotonic())
                    if step <= 0:
                        break
                _wait_for(shown, step)
                if not shown.done:
                    # Elapsed time moves each tick; the saved notebook keeps only the last.
                    handle.update(_live_bundle(shown, waiting=True), raw=True)
        except KeyboardInterrupt:
            handle.update(_live_bundle(shown, waiting=False), raw=True)
            print(shown.note(INTERRUPTED))
            _finish_later(shown, handle, shell)
            return
        if shown.done:
            handle.update(shown.final(), raw=True)
            return
        handle.update(_live_bundle(shown, waiting=False), raw=True)
        print(shown.note(_timed_out(timeout)))
    _finish_later(shown, handle, shell)


def _wait_for(shown: Shown, seconds: float) -> None:
    """Block up to *seconds* (a tick), however the subject stands then."""
    with contextlib.suppress(WaitTimeout):
        shown.subject.wait(max(0.0, seconds))


def _wait(shown: Shown, timeout: float | None) -> str | None:
    """Wait for the subject; ``None`` when it ended, else why the wait ended first."""
    try:
        shown.subject.wait(timeout)
    except WaitTimeout:
        return _timed_out(timeout)
    except KeyboardInterrupt:
        return INTERRUPTED
    return None


def _timed_out(timeout: float | None) -> str:
    return f"still running after {timeout:g}s"


def _panel_html(job: Job, *, waiting: bool = True) -> str:
    """The widget panel's parts as one static block (the headless form: no widget state)."""
    return (
        '<div class="ltx-panel">'
        f'<div class="ltx-row ltx-top">{render_status(job)}{render_request(job)}</div>'
        f"{render_bar(job)}{render_info(job, waiting=waiting)}</div>"
    )


def _live_bundle(shown: Shown, *, waiting: bool) -> dict[str, str]:
    return {"text/html": shown.live_html(waiting), "text/plain": shown.text()}


def _finish_later(shown: Shown, handle: DisplayHandle, shell: Any) -> None:
    publisher = getattr(shell, "display_pub", None)
    parent = getattr(publisher, "parent_header", None)

    def on_change(subject: Any) -> None:
        if not subject.done:
            return
        subject.remove_listener(on_change)
        bundle = shown.final()
        # Not copied into the panel: a widget's HTML gets no URL rewriting, so a
        # relative <video src> there is a broken player until this update lands.
        token = None
        # The runtime thread has no cell of its own: address the one that showed the subject.
        if parent and publisher is not None and hasattr(publisher, "set_thread_parent"):
            token = publisher.set_thread_parent(parent)
        try:
            handle.update(bundle, raw=True)
        finally:
            if token is not None and publisher is not None:
                publisher.reset_thread_parent(token)

    shown.subject.add_listener(on_change)


def _follow_text(shown: Shown, *, wait: bool, timeout: float | None) -> None:
    stream = sys.stdout
    if not wait:
        stream.write(f"{shown.text()} · follows in the background; {shown.hint}\n")
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while not shown.done:
            stream.write("\r" + shown.text())
            stream.flush()
            if deadline is not None and time.monotonic() >= deadline:
                stream.write("\n" + shown.note(_timed_out(timeout)) + "\n")
                return
            _wait_for(shown, 0.5 if deadline is None else min(0.5, deadline - time.monotonic()))
    except KeyboardInterrupt:
        stream.write("\n" + shown.note(INTERRUPTED) + "\n")
        return
    stream.write("\r" + shown.text() + "\n" + shown.summary())
