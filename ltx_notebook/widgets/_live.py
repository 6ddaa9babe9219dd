"""Following a job in a cell's output, live, then leaving plain HTML behind.

The progress display is shown with a display id. When the job ends, that
display is updated in place with the final HTML (video + poster, or a
placeholder), which is what the saved notebook keeps. When the cell waits, the
update is sent from the main thread while the cell still runs. When it does
not, the update comes from the runtime thread later; ipykernel >= 7 lets that
thread address the original cell (``set_thread_parent``), and the widget
panel's own body shows the video too, so the person sees it even where a front
end ignores late updates.

Three forms, by front end:

- interactive (JupyterLab, Notebook, VS Code, Colab): the ipywidgets panel;
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
from typing import TYPE_CHECKING, Any

from IPython.display import DisplayHandle, display

from .. import _display
from .._errors import WaitTimeout
from .._frontend import Frontend
from ._panel import JobPanel, render_bar, render_info, render_request, render_status, text_line

if TYPE_CHECKING:
    from .._jobs import Job

__all__ = ["follow"]

# How often the headless HTML panel is refreshed while a cell waits: each refresh
# is one update_display_data message, so not more often than a person could read.
HTML_TICK = 1.0


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
    if frontend is Frontend.TERMINAL:
        _follow_text(job, wait=wait, timeout=timeout)
        return
    if frontend is Frontend.HEADLESS:
        _follow_html(job, wait=wait, timeout=timeout, final_html=final_html, shell=shell)
        return
    panel = JobPanel(job)
    bundle = panel._repr_mimebundle_()
    # The widget's own text/plain is its repr (a wall of HTML source): useless in a log.
    bundle["text/plain"] = text_line(job)
    handle = display(bundle, raw=True, display_id=True)
    assert isinstance(handle, DisplayHandle)
    if wait:
        why = _wait(job, timeout)
        if why is None:
            handle.update(_bundle(job, final_html), raw=True)
            panel.close()
            return
        print(_early_note(job, why, "the panel keeps following it"))
    _finish_later(job, handle, final_html, shell, panel=panel)


def _follow_html(
    job: Job,
    *,
    wait: bool,
    timeout: float | None,
    final_html: Callable[[Job], str],
    shell: Any,
) -> None:
    handle = display(_panel_bundle(job), raw=True, display_id=True)
    assert isinstance(handle, DisplayHandle)
    if wait:
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not job.done:
                step = HTML_TICK
                if deadline is not None:
                    step = min(step, deadline - time.monotonic())
                    if step <= 0:
                        break
                _wait_for(job, step)
                if not job.done:
                    # Elapsed time moves each tick; the saved notebook keeps only the last.
                    handle.update(_panel_bundle(job), raw=True)
        except KeyboardInterrupt:
            handle.update(_panel_bundle(job, waiting=False), raw=True)
            print(
                _early_note(
                    job, INTERRUPTED, f"%ltx show {job.id} displays the video once it is done"
                )
            )
            _finish_later(job, handle, final_html, shell)
            return
        if job.done:
            handle.update(_bundle(job, final_html), raw=True)
            return
        handle.update(_panel_bundle(job, waiting=False), raw=True)
        print(
            _early_note(
                job, _timed_out(timeout), f"%ltx show {job.id} displays the video once it is done"
            )
        )
    _finish_later(job, handle, final_html, shell)


def _wait_for(job: Job, seconds: float) -> None:
    """Block up to *seconds* (a tick), however the job stands then."""
    with contextlib.suppress(WaitTimeout):
        job.wait(max(0.0, seconds))


def _wait(job: Job, timeout: float | None) -> str | None:
    """Wait for *job*; ``None`` when it ended, else why the wait ended first."""
    try:
        job.wait(timeout)
    except WaitTimeout:
        return _timed_out(timeout)
    except KeyboardInterrupt:
        return INTERRUPTED
    return None


INTERRUPTED = "interrupted"


def _timed_out(timeout: float | None) -> str:
    return f"still running after {timeout:g}s"


def _early_note(job: Job, why: str, then: str) -> str:
    return (
        f"stopped waiting ({why}); job {job.request_id} keeps running on the service and "
        f"is tracked in the store: {then}, %ltx status {job.request_id}"
    )


def _panel_html(job: Job, *, waiting: bool = True) -> str:
    """The widget panel's parts as one static block (the headless form: no widget state)."""
    return (
        '<div class="ltx-panel">'
        f'<div class="ltx-row ltx-top">{render_status(job)}{render_request(job)}</div>'
        f"{render_bar(job)}{render_info(job, waiting=waiting)}</div>"
    )


def _panel_bundle(job: Job, *, waiting: bool = True) -> dict[str, str]:
    return {"text/html": _panel_html(job, waiting=waiting), "text/plain": text_line(job)}


def _bundle(job: Job, final_html: Callable[[Job], str]) -> dict[str, str]:
    return {"text/html": final_html(job), "text/plain": _display.job_text(job.record)}


def _finish_later(
    job: Job,
    handle: DisplayHandle,
    final_html: Callable[[Job], str],
    shell: Any,
    *,
    panel: JobPanel | None = None,
) -> None:
    publisher = getattr(shell, "display_pub", None)
    parent = getattr(publisher, "parent_header", None)

    def on_change(changed: Job) -> None:
        if not changed.done:
            return
        changed.remove_listener(on_change)
        bundle = _bundle(changed, final_html)
        if panel is not None:
            panel.body.value = bundle["text/html"]  # seen at once, wherever widgets render
        token = None
        # The runtime thread has no cell of its own: address the one that showed the job.
        if parent and hasattr(publisher, "set_thread_parent"):
            token = publisher.set_thread_parent(parent)
        try:
            handle.update(bundle, raw=True)
        finally:
            if token is not None:
                publisher.reset_thread_parent(token)

    job.add_listener(on_change)


def _follow_text(job: Job, *, wait: bool, timeout: float | None) -> None:
    stream = sys.stdout
    if not wait:
        stream.write(
            f"{text_line(job)} · follows in the background; %ltx status {job.request_id}\n"
        )
        return
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while not job.done:
            stream.write("\r" + text_line(job))
            stream.flush()
            if deadline is not None and time.monotonic() >= deadline:
                stream.write(
                    "\n" + _early_note(job, _timed_out(timeout), f"%ltx show {job.id} later") + "\n"
                )
                return
            _wait_for(job, 0.5 if deadline is None else min(0.5, deadline - time.monotonic()))
    except KeyboardInterrupt:
        stream.write("\n" + _early_note(job, INTERRUPTED, f"%ltx show {job.id} later") + "\n")
        return
    stream.write("\r" + text_line(job) + "\n")
    if job.video_path:
        stream.write(f"video: {job.video_path}\n")
