"""``export_report``: one self-contained HTML page reviewing a set of jobs.

The page holds the static grid (a tiny script, ``report.js``, plays, pauses and
seeks every clip together; without it each clip still has its own controls),
then a table of every job's parameters, timings, cost, rating and notes.
Videos and posters are copied next to it into ``<stem>_media/`` and linked by
relative path, or embedded as data URIs (``embed=True``) under a size budget.
"""

from __future__ import annotations

import html
import os
import shutil
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .._core.status import JobStatus
from .._storage import media
from .._storage.records import JobRecord
from .cell import POSTER_EMBED_CAP
from .grid import collect, layout, missing_reason, video_file
from .labels import cost_label, costs_total, param_title, stars_text
from .static_grid import static_grid_html

if TYPE_CHECKING:
    from .._jobs.session import Session

__all__ = ["REPORT_EMBED_CAP", "export_report"]

# Total bytes of video that embed=True inlines into one report; the rest is linked.
REPORT_EMBED_CAP: Final = 100 * 1024 * 1024


@cache
def _asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _details_html(records: Iterable[JobRecord], link: Callable[[JobRecord], str | None]) -> str:
    esc = html.escape
    head = (
        "<tr><th>#</th><th>request id</th><th>prompt</th><th>duration</th><th>resolution</th>"
        "<th>audio</th><th>status</th><th>queue s</th><th>run s</th><th>total s</th>"
        "<th>cost</th><th>rating</th><th>notes</th><th>video</th></tr>"
    )
    rows = []
    for r in records:
        cost = esc(cost_label(r))
        href = link(r)
        size = f"{r.file_bytes / 1e6:.1f} MB" if r.file_bytes else ""
        dims = f"{r.video_width}×{r.video_height}" if r.video_width and r.video_height else ""
        video = (
            f'<a href="{esc(href)}">{esc(" · ".join(x for x in (dims, size) if x) or "file")}</a>'
            if href and not href.startswith("data:")
            else esc(" · ".join(x for x in (dims, size) if x) or (missing_reason(r) or ""))
        )
        status = esc(r.status.value) + (f"<br><small>{esc(r.error)}</small>" if r.error else "")
        rows.append(
            f"<tr><td>{r.id}</td><td><code>{esc(r.request_id or '')}</code></td>"
            f"<td>{esc(r.prompt)}</td><td class=num>{r.duration}s</td>"
            f"<td>{esc(r.resolution)}</td><td>{'yes' if r.generate_audio else 'no'}</td>"
            f"<td>{status}</td><td class=num>{_fmt(r.queue_s, '.1f')}</td>"
            f"<td class=num>{_fmt(r.run_s, '.1f')}</td><td class=num>{_fmt(r.total_s, '.1f')}</td>"
            f"<td class=num>{cost}</td><td>{stars_text(r.rating)}</td>"
            f"<td>{esc(r.notes or '')}</td><td>{video}</td></tr>"
        )
    return f'<table class="ltx-details"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


class _Media:
    """Decides each file's URL in a report: embedded under a budget, else copied alongside."""

    def __init__(self, report: Path, *, embed: bool, embed_cap: int) -> None:
        self.dir = report.parent / f"{report.stem}_media"
        self.report = report
        self.embed = embed
        self.budget = embed_cap
        self.names: dict[str, Path] = {}
        self.links: dict[Path, str] = {}
        self.over_budget: list[str] = []

    def __call__(self, path: Path) -> str:
        path = path.resolve()
        if path in self.links:
            return self.links[path]
        if self.embed:
            size = path.stat().st_size
            small_image = (
                path.suffix.lower() in (".jpg", ".jpeg", ".png") and size <= POSTER_EMBED_CAP
            )
            if small_image or size <= self.budget:
                uri = media.data_uri(path, max_bytes=None)
                assert uri is not None
                self.budget -= 0 if small_image else size
                self.links[path] = uri
                return uri
            self.over_budget.append(path.name)
        name = path.name
        if self.names.get(name, path) != path:  # same name, another file: keep both
            name = f"{len(self.names):03d}-{name}"
        self.names[name] = path
        dest = self.dir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        if not dest.exists() or dest.stat().st_size != path.stat().st_size:
            shutil.copy2(path, dest)
        self.links[path] = f"{self.dir.name}/{name}"
        return self.links[path]


def export_report(
    source: Any,
    path: str | os.PathLike[str],
    *,
    embed: bool = False,
    title: str | None = None,
    row: str | None = "resolution",
    col: str | None = "duration",
    session: Session | None = None,
    embed_cap: int = REPORT_EMBED_CAP,
) -> Path:
    """Write a self-contained HTML page reviewing *source*'s jobs; return its path.

    *source* is what :func:`gallery` takes (a Sweep, a list of Jobs, a
    ``history()`` DataFrame, local ids). The page holds the grid of videos
    (rows by *row*, columns by *col*; ``None`` for a flat grid) with posters,
    a play-all control, and a table of parameters, timings, cost, ratings and
    notes. No external assets; JavaScript only adds the play-all control.

    Videos and posters are copied into ``<path stem>_media/`` beside the page
    and linked relatively (move the two together), or with ``embed=True``
    inlined as data URIs, up to *embed_cap* bytes of files in all: files over
    that budget are copied alongside instead, with a warning.
    """
    store, records = collect(source, session=session)
    del store
    report = Path(path)
    if report.suffix.lower() not in (".html", ".htm"):
        report = report.with_suffix(".html")
    report.parent.mkdir(parents=True, exist_ok=True)
    media = _Media(report, embed=embed, embed_cap=embed_cap)
    grid = layout(records, row, col)
    grid_html = static_grid_html(grid, video_src=media, poster_src=media)

    def link(record: JobRecord) -> str | None:
        video = video_file(record)
        return media(video) if video is not None else None

    details = _details_html(records, link)
    if media.over_budget:
        warnings.warn(
            f"export_report: {len(media.over_budget)} file(s) did not fit the {embed_cap:,}-byte "
            f"embedding budget and were copied to {media.dir} instead: "
            + ", ".join(media.over_budget),
            stacklevel=2,
        )
    sweeps = {r.sweep_id for r in records if r.sweep_id}
    if title is None:
        title = f"LTX review · sweep {next(iter(sweeps))}" if len(sweeps) == 1 else "LTX review"
    done = sum(r.status is JobStatus.COMPLETED for r in records)
    when = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    esc = html.escape
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="ltx-notebook"><title>{esc(title)}</title>'
        f"<style>{_asset('report.css')}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        f'<div class="ltx-sub">{len(records)} clips · {done} completed · '
        f"{esc(costs_total(records))} · exported {esc(when)}"
        f"{' · rows: ' + esc(param_title(row)) if row else ''}"
        f"{' · columns: ' + esc(param_title(col)) if col else ''}</div>"
        f"{grid_html}<h2>Jobs</h2>{details}"
        f"<script>{_asset('report.js')}</script></body></html>\n"
    )
    tmp = report.with_name(report.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, report)
    return report
