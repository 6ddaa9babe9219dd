"""A job's progress as HTML and as one line of text: what the live panel shows.

The parts are separate strings because the panel re-sends each only when its
text changes: the state pill and the clock tick, the request id stays put (so
a reader's selection survives), and the bar follows the learned duration.
Terminals and logs get :func:`job_line` instead.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .._core.catalog import CATALOG
from .._core.status import JobStatus
from .cell import relative_src
from .labels import clock

if TYPE_CHECKING:
    from .._jobs.job import Job

__all__ = [
    "NO_CANCEL",
    "STATE_COLOURS",
    "expected_text",
    "job_line",
    "render_bar",
    "render_info",
    "render_request",
    "render_status",
]

# Saturated enough for white text (WCAG AA for 11px bold) on light and dark pages.
STATE_COLOURS = {
    JobStatus.SUBMITTING: "#64748b",
    JobStatus.QUEUED: "#64748b",
    JobStatus.PROCESSING: "#2563eb",
    JobStatus.COMPLETED: "#15803d",
    JobStatus.FAILED: "#dc2626",
    JobStatus.EXPIRED: "#b45309",
    JobStatus.LOST: "#b45309",
    JobStatus.UNKNOWN: "#b45309",
}
DOWNLOADING_COLOUR = "#0e7490"
NO_CANCEL = (
    "The service has no cancel: stopping only stops following here; "
    "the job still runs and is billed."
)
PROMPT_CHARS = 160

_CSS = """
<style>
.ltx-panel{max-width:760px;box-sizing:border-box;padding:10px 14px 8px;margin:2px 0;
 border:1px solid var(--jp-border-color1,var(--vscode-panel-border,rgba(128,128,128,.45)));
 border-radius:8px;gap:0;
 background:var(--jp-layout-color1,var(--vscode-editor-background,transparent));
 color:var(--jp-ui-font-color1,var(--vscode-foreground,inherit));
 font-family:var(--jp-ui-font-family,var(--vscode-font-family,system-ui,sans-serif));
 font-size:13px;line-height:1.5}
.ltx-panel .widget-html,.ltx-panel .widget-html>.widget-html-content{margin:0;
 line-height:1.5;height:auto}
.ltx-panel .ltx-top{align-items:center;justify-content:space-between;flex-wrap:wrap;gap:6px 12px}
.ltx-panel .ltx-row{display:flex;gap:6px 10px;align-items:center;flex-wrap:wrap}
.ltx-panel .ltx-pill{color:#fff;border-radius:999px;padding:1px 10px;font-size:11px;
 font-weight:700;letter-spacing:.05em;line-height:18px}
.ltx-panel .ltx-elapsed{font-variant-numeric:tabular-nums;font-weight:600}
.ltx-panel .ltx-muted{color:var(--jp-ui-font-color2,var(--vscode-descriptionForeground,#888))}
.ltx-panel .ltx-id{font-size:12px;
 font-family:var(--jp-code-font-family,var(--vscode-editor-font-family,monospace));
 padding:0 6px;border-radius:4px;user-select:all;-webkit-user-select:all;
 cursor:text;color:var(--jp-content-font-color1,inherit);
 background:var(--jp-layout-color2,var(--vscode-textCodeBlock-background,rgba(128,128,128,.15)));
 border:1px solid var(--jp-border-color2,rgba(128,128,128,.3))}
.ltx-panel .ltx-track{position:relative;height:6px;border-radius:3px;margin:7px 0 5px;
 overflow:hidden;
 background:rgba(128,128,128,.3)}
.ltx-panel .ltx-fill{height:100%;border-radius:3px;transition:width .8s linear}
.ltx-panel .ltx-indeterminate{position:absolute;left:0;top:0;width:30%;
 animation:ltx-slide 1.6s ease-in-out infinite}
@keyframes ltx-slide{0%{left:-30%}100%{left:100%}}
.ltx-panel .ltx-params{font-size:12px}
.ltx-panel .ltx-prompt{font-size:12px;margin-top:2px;overflow:hidden;text-overflow:ellipsis;
 white-space:nowrap}
.ltx-panel .ltx-error{color:var(--jp-error-color1,#dc2626);margin-top:6px;white-space:pre-wrap;
 overflow-wrap:anywhere}
.ltx-panel .ltx-note{font-size:12px;margin-top:6px}
.ltx-panel code{font-family:var(--jp-code-font-family,monospace);font-size:12px}
.ltx-panel .ltx-foot{align-items:center;gap:10px;margin-top:6px}
.ltx-panel .ltx-foot .widget-html-content{font-size:12px;
 color:var(--jp-ui-font-color2,var(--vscode-descriptionForeground,#888))}
.ltx-panel .ltx-foot .jupyter-button{margin:0}
</style>
"""


def _look(job: Job) -> tuple[str, str, bool]:
    """(label, colour, running) of *job*; a completed job is DOWNLOADING until done."""
    status = job.status
    downloading = status is JobStatus.COMPLETED and not job.done
    label = "DOWNLOADING" if downloading else status.value
    colour = DOWNLOADING_COLOUR if downloading else STATE_COLOURS.get(status, "#64748b")
    return label, colour, not status.is_terminal or downloading


def expected_text(job: Job) -> str:
    """``usually ~1:10`` (this service's past jobs of the kind) or ``typically ~1:10``.

    Before a few jobs of its kind have ended here (a fresh store, a new emulator) the
    model's typical time for the clip stands in: a wait is never left unexplained.
    """
    learned = job.expected_seconds()
    if learned:
        return f"usually ~{clock(learned)}"
    model = CATALOG.get(job.params.model)
    if model is None:
        return ""
    return f"typically ~{clock(model.typical_for(job.params.values))}"


def render_status(job: Job) -> str:
    """The state pill and the elapsed time (changes every tick)."""
    label, colour, running = _look(job)
    timing = " elapsed"
    if running and (expected := expected_text(job)):
        timing += f" · {expected}"
    return (
        f'<div class="ltx-row"><span class="ltx-pill" data-state="{html.escape(label)}" '
        f'style="background:{colour}">{html.escape(label)}</span>'
        f'<span><span class="ltx-elapsed">{clock(job.elapsed)}</span>'
        f'<span class="ltx-muted">{html.escape(timing)}</span></span></div>'
    )


def render_request(job: Job) -> str:
    """The request id, selectable with one click (changes once, at submit).

    Kept apart from what ticks: re-rendering an element drops the reader's selection.
    """
    rid = html.escape(job.request_id or "not submitted yet")
    return (
        f'{_CSS}<div class="ltx-row"><span class="ltx-muted">request</span>'
        f'<span class="ltx-id" title="request id: click to select">{rid}</span></div>'
    )


def render_bar(job: Job) -> str:
    """The progress bar: from the expected duration, indeterminate when none was learned."""
    _label, colour, running = _look(job)
    progress = job.progress()
    if progress is None and running:
        return (
            '<div class="ltx-track" role="progressbar" aria-label="job progress (unknown)">'
            f'<div class="ltx-fill ltx-indeterminate" style="background:{colour}"></div></div>'
        )
    pct = 100.0 if not running else 100.0 * (progress or 0.0)
    return (
        '<div class="ltx-track" role="progressbar" aria-label="job progress" '
        f'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{pct:.0f}">'
        f'<div class="ltx-fill" style="width:{pct:.1f}%;background:{colour}"></div></div>'
    )


def render_info(job: Job, *, waiting: bool = True) -> str:
    """Model and params in one line, the prompt, and the reason of a failure (escaped)."""
    _label, _colour, running = _look(job)
    prompt = job.params.prompt
    short = prompt if len(prompt) <= PROMPT_CHARS else prompt[: PROMPT_CHARS - 1] + "…"
    parts = [
        f'<div class="ltx-params ltx-muted">{html.escape(job.params.summary())}</div>',
        f'<div class="ltx-prompt" title="{html.escape(prompt)}">{html.escape(short)}</div>',
    ]
    if job.error and job.status.is_terminal and not running:
        parts.append(f'<div class="ltx-error">{html.escape(job.error)}</div>')
    elif job.error:
        # A note of passing trouble (a 404, a failed download being retried): the job goes on.
        parts.append(f'<div class="ltx-muted ltx-note">{html.escape(job.error)}</div>')
    again = f"%ltx show {job.id}"
    unfetched = job.status is JobStatus.COMPLETED and job.done and job.video_path is None
    if unfetched and again not in (job.error or ""):
        parts.append(
            '<div class="ltx-muted ltx-note">The video is not on disk; '
            f"<code>{html.escape(again)}</code> tries the download again.</div>"
        )
    if job.status is JobStatus.COMPLETED and job.video_path is not None:
        # Replaced by the video in place; this stays only where a front end drops late
        # updates, and a widget cannot hold a playable relative <video src> itself.
        where = html.escape(relative_src(job.video_path))
        again = html.escape(f"%ltx show {job.request_id}")
        parts.append(
            f'<div class="ltx-muted ltx-note">Saved as <code>{where}</code>; '
            f"<code>{again}</code> plays it.</div>"
        )
    if not waiting and running:
        parts.append(
            '<div class="ltx-muted ltx-note">Stopped waiting. The job still runs on the service '
            "(there is no cancel); <code>%ltx resume</code> follows it again.</div>"
        )
    return "".join(parts)


def job_line(job: Job) -> str:
    """The plain-text progress line for terminals and front ends without widgets."""
    expected = "" if job.status.is_terminal else expected_text(job)
    eta = f" ({expected})" if expected else ""
    line = f"[ltx] {job.request_id or '-'} {job.status.value:<10} {clock(job.elapsed)}{eta}"
    if job.error:  # an outcome once terminal, else a note of trouble being worked around
        line += f" · {job.error}"
    return line
