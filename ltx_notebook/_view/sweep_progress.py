"""A sweep's progress as HTML and text: counts, a bar, a row per combination.

What the live sweep panel shows, and (``live=False``) a sweep's rich display.
Self-contained styles scoped under ``.ltx-sweep``, so either panel can change
its look without breaking the other.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .._core.params import format_param
from .._core.status import JobStatus
from .job_progress import STATE_COLOURS
from .labels import clock

if TYPE_CHECKING:
    from .._jobs.sweeps.scheduler import SweepItem
    from .._jobs.sweeps.sweep import Sweep

__all__ = ["COLOURS", "render_html", "sweep_line", "text_table"]

_GREY = "#6b7280"
_AMBER = "#b45309"
COLOURS: dict[str, str] = {
    **{status.value: colour for status, colour in STATE_COLOURS.items()},
    "PENDING": _GREY,
    "SUBMITTING": _GREY,
    "DOWNLOADING": STATE_COLOURS[JobStatus.PROCESSING],
    "REFUSED": _AMBER,
    "SKIPPED": _GREY,
}

# Self-contained (not the job panel's stylesheet), scoped under .ltx-sweep, so either
# panel can change its look without breaking the other.
_CSS = """
<style>
.ltx-sweep{font-family:var(--jp-ui-font-family,var(--vscode-font-family,system-ui,sans-serif));
 font-size:13px;line-height:1.45;color:var(--jp-ui-font-color1,var(--vscode-foreground,inherit));
 border:1px solid var(--jp-border-color2,var(--vscode-panel-border,rgba(128,128,128,.35)));
 border-radius:6px;padding:8px 12px;max-width:760px;box-sizing:border-box;
 background:var(--jp-layout-color1,var(--vscode-editor-background,transparent))}
.ltx-sweep-panel{max-width:760px;box-sizing:border-box;margin:2px 0;padding:0 0 10px;
 border:1px solid var(--jp-border-color2,var(--vscode-panel-border,rgba(128,128,128,.35)));
 border-radius:6px;background:var(--jp-layout-color1,var(--vscode-editor-background,transparent))}
.ltx-sweep-panel .ltx-sweep{border:none;padding-bottom:4px}
.ltx-sweep .ltx-row{display:flex;gap:6px 10px;align-items:center;flex-wrap:wrap}
.ltx-sweep .ltx-pills{display:flex;gap:4px 6px;flex-wrap:wrap;align-items:center;margin-top:4px}
.ltx-sweep .ltx-pill{color:#fff;border-radius:999px;padding:1px 9px;font-size:11px;
 font-weight:600;letter-spacing:.04em}
.ltx-sweep .ltx-pill.ltx-small{font-size:10px;padding:0 7px}
.ltx-sweep .ltx-muted{color:var(--jp-ui-font-color2,var(--vscode-descriptionForeground,#888))}
.ltx-sweep .ltx-id{
 font-family:var(--jp-code-font-family,var(--vscode-editor-font-family,monospace));font-size:11px;user-select:all;-webkit-user-select:all;cursor:text}
.ltx-sweep .ltx-track{height:6px;border-radius:3px;margin:7px 0 5px;overflow:hidden;
 background:var(--jp-layout-color3,var(--vscode-editorWidget-background,rgba(128,128,128,.25)))}
.ltx-sweep .ltx-fill{height:100%;border-radius:3px;transition:width .8s linear}
.ltx-sweep .ltx-error{color:var(--jp-error-color1,var(--vscode-errorForeground,#dc2626));
 margin-top:4px;white-space:pre-wrap}
.ltx-sweep .ltx-note{font-size:12px}
.ltx-sweep .ltx-scroll{max-height:320px;overflow-y:auto;margin-top:6px}
.ltx-sweep table{border-collapse:collapse;width:100%;font-size:12px}
.ltx-sweep th{text-align:left;font-weight:600;position:sticky;top:0;
 background:var(--jp-layout-color1,var(--vscode-editor-background,Canvas));
 color:var(--jp-ui-font-color2,var(--vscode-descriptionForeground,#888))}
.ltx-sweep th,.ltx-sweep td{padding:2px 8px 2px 0;vertical-align:middle;
 border-bottom:1px solid var(--jp-border-color3,var(--vscode-panel-border,rgba(128,128,128,.15)))}
.ltx-sweep td.ltx-num{text-align:right;font-variant-numeric:tabular-nums}
.ltx-sweep .ltx-prompt{min-width:200px;max-width:380px;white-space:normal;overflow:hidden;
 text-align:left!important;
 display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical}
</style>
"""


def _value(item: SweepItem, name: str) -> str:
    return format_param(name, getattr(item.params, name), prompt_chars=None)


def _pill(state: str, *, small: bool = False) -> str:
    colour = COLOURS.get(state, _GREY)
    cls = "ltx-pill ltx-small" if small else "ltx-pill"
    return f'<span class="{cls}" style="background:{colour}">{html.escape(state)}</span>'


def _item_elapsed(item: SweepItem) -> str:
    return clock(item.job.elapsed) if item.job is not None else "—"


def render_html(sweep: Sweep, *, live: bool = True) -> str:
    """The panel's HTML for *sweep* now (pure; also the Sweep's static ``_repr_html_``)."""
    counts = sweep.counts()
    total = sweep.size
    finished = sweep.finished_count()
    fraction = 1.0 if total == 0 else finished / total
    head = [f"sweep <span class='ltx-id'>{html.escape(sweep.sweep_id)}</span>"]
    if sweep.dry_run:
        head.append("dry run: nothing sent")
    head.append(f"{finished}/{total} done")
    if sweep.reused:
        head.append(f"{sweep.reused} reused from the store")
    head.append(sweep.cost_text())
    if sweep.started_at is not None:
        head.append(f"{clock(sweep.elapsed)} elapsed")
    if not sweep.dry_run:
        head.append(f"{sweep.effective_concurrency}/{sweep.concurrency} at a time")
    pills = "".join(_pill(state) + f"<span>{n}</span>" for state, n in counts.items())
    colour = COLOURS["COMPLETED"] if sweep.done and sweep.error is None else COLOURS["PROCESSING"]
    parts = [
        _CSS,
        '<div class="ltx-sweep">',
        f'<div class="ltx-row">{" · ".join(head)}</div>',
        f'<div class="ltx-pills">{pills}</div>',
    ]
    if not sweep.dry_run:
        parts.append(
            f'<div class="ltx-track"><div class="ltx-fill" style="width:{100 * fraction:.1f}%;'
            f'background:{colour}"></div></div>'
        )
    if sweep.note and not sweep.done:
        parts.append(f'<div class="ltx-muted ltx-note">{html.escape(sweep.note)}</div>')
    if sweep.error is not None:
        parts.append(f'<div class="ltx-error">stopped: {html.escape(str(sweep.error))}</div>')
    elif sweep.stopped and not sweep.done:
        parts.append(
            '<div class="ltx-muted ltx-note">Stopped: nothing more is submitted. Jobs already '
            "submitted cannot be cancelled on the service; they run to the end.</div>"
        )
    columns = sweep.varying or ["duration", "resolution"]
    header = "".join(f"<th>{html.escape(c)}</th>" for c in ["#", *columns])
    if sweep.dry_run:
        header += "<th>est. $</th>"
    else:
        header += "<th>state</th><th>elapsed</th><th>request id</th>"
    rows = []
    for item in sweep.items:
        state = item.refresh()
        cells = [f'<td class="ltx-num">{item.index + 1}</td>']
        for name in columns:
            text = html.escape(_value(item, name))
            cls = ' class="ltx-prompt"' if name == "prompt" else ""
            cells.append(f"<td{cls} title='{text}'>{text}</td>")
        if sweep.dry_run:
            cost = "reused" if item.reused else f"{item.estimate:.2f}"
            cells.append(f'<td class="ltx-num">{cost}</td>')
        else:
            rid = item.job.request_id if item.job is not None else None
            error = (item.job.error if item.job is not None else None) or item.error
            title = f" title='{html.escape(error)}'" if error else ""
            reused = ' <span class="ltx-muted">reused</span>' if item.reused else ""
            cells.append(f"<td{title}>{_pill(state, small=True)}{reused}</td>")
            cells.append(f'<td class="ltx-num">{_item_elapsed(item)}</td>')
            cells.append(f'<td class="ltx-id">{html.escape(rid or "—")}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    parts.append(
        f'<div class="ltx-scroll"><table><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    if sweep.done and not sweep.dry_run:
        review = f"ltx_notebook.gallery(ltx_notebook.history(sweep_id={sweep.sweep_id!r}))"
        whose = ""
        if sweep.reused:  # reused jobs keep the sweep_id of the run that sent them
            review, whose = "NAME.gallery()", " (NAME: the Sweep, kept by %%ltx -o NAME)"
        parts.append(
            f'<div class="ltx-muted ltx-note">Done; <code>{html.escape(review)}</code> '
            f"reviews the clips side by side{html.escape(whose)}.</div>"
        )
    if live and not sweep.done and not sweep.dry_run:
        parts.append(
            '<div class="ltx-muted ltx-note">Runs in the background; keep working. '
            "<code>.wait()</code> blocks until it is done.</div>"
        )
    parts.append("</div>")
    return "".join(parts)


def sweep_line(sweep: Sweep) -> str:
    """One plain-text progress line for terminals and front ends without widgets."""
    counts = " ".join(f"{state}={n}" for state, n in sweep.counts().items())
    line = (
        f"[ltx sweep {sweep.sweep_id}] {sweep.finished_count()}/{sweep.size} done "
        f"{clock(sweep.elapsed)} · {counts}"
    )
    if sweep.reused:
        line += f" · {sweep.reused} reused"
    if sweep.note and not sweep.done:
        line += f" · {sweep.note}"
    if sweep.error is not None:
        line += f" · stopped: {sweep.error}"
    return line


def text_table(sweep: Sweep) -> str:
    """The whole sweep as plain text, one line per combination."""
    lines = [sweep_line(sweep)]
    for item in sweep.items:
        values = " ".join(_value(item, n) for n in sweep.varying) or item.params.summary()
        rid = item.job.request_id if item.job is not None else "-"
        lines.append(
            f"  {item.index + 1:>3} {values:<40} {item.refresh():<11} "
            f"{_item_elapsed(item):>5} {rid or '-'}"
        )
    return "\n".join(lines)
