"""Review outside the live widget: the grid of jobs, its static HTML, and ``export_report``.

The gallery widget (``widgets/_gallery.py``) and the exported report share
what is here: which jobs a source names (:func:`collect`), how they are laid
out in rows and columns by two parameters (:func:`layout`), how each tile is
labelled, and the static HTML of the grid (:func:`static_grid_html`): plain
``<table>`` markup with ``<video controls poster=…>`` tiles that needs no
JavaScript, so the saved notebook, nbviewer, GitHub and a shared report all
show it.

:func:`export_report` writes one self-contained page: the grid (a tiny inline
script plays, pauses and seeks every clip together; without it each clip
still has its own controls), then a table of every job's parameters, timings,
cost, rating and notes. Videos and posters are copied next to it into
``<stem>_media/`` and linked by relative path, or embedded as data URIs
(``embed=True``) under a size budget.
"""

from __future__ import annotations

import html
import os
import shutil
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pandas as pd

from . import _media
from ._display import timing_and_cost
from ._params import RESOLUTIONS
from ._store import JobRecord, JobStatus, Store

if TYPE_CHECKING:
    from ._jobs import Session

__all__ = [
    "REPORT_EMBED_CAP",
    "Grid",
    "collect",
    "export_report",
    "format_value",
    "layout",
    "missing_reason",
    "static_grid_html",
    "tile_heading",
    "tile_stats",
]

# Total bytes of video that embed=True inlines into one report; the rest is linked.
REPORT_EMBED_CAP: Final = 100 * 1024 * 1024
STARS: Final = 5
_FIELDS: Final = frozenset(f.name for f in fields(JobRecord))
_PROMPT_LABEL: Final = 48
_POSTER_CAP: Final = 512 * 1024  # posters this small are embedded outside the video budget

# A URL (relative path or data URI) for a local file, or None if it cannot be offered.
SrcFor = Callable[[Path], str | None]


# -- which jobs ---------------------------------------------------------------


def collect(source: Any, *, session: Session | None = None) -> tuple[Store, list[JobRecord]]:
    """The store and the freshly read records a *source* names, in its order.

    *source*: a history DataFrame (rows by local id, as ``history()`` returns),
    a Job, a Sweep or any iterable of Jobs, JobRecords or local ids. Records are
    re-read from the store so ratings and notes are current. The store is
    *session*'s, else that of the first Job's session, else the default one.
    """
    from ._jobs import Job, default_session

    if isinstance(source, pd.DataFrame):
        ids = source["id"] if "id" in source.columns else source.index
        items: list[Any] = [int(i) for i in ids]
    elif isinstance(source, Job | JobRecord | int):
        items = [source]
    elif isinstance(source, Iterable) and not isinstance(source, str | bytes):
        items = list(source)
    else:
        raise TypeError(
            f"expected Jobs, a Sweep, a history DataFrame or job ids, not {type(source).__name__}"
        )
    if session is not None:
        store = session.store
    else:
        owner = next((i for i in items if isinstance(i, Job)), None)
        store = (owner._session if owner is not None else default_session()).store
    records: list[JobRecord] = []
    missing: list[int] = []
    for item in items:
        if isinstance(item, Job):
            records.append(store.get(item.id) or item.record)
        elif isinstance(item, JobRecord):
            records.append(store.get(item.id) or item)
        elif isinstance(item, int) and not isinstance(item, bool):
            record = store.get(item)
            if record is None:
                missing.append(item)
            else:
                records.append(record)
        else:
            raise TypeError(f"cannot show {type(item).__name__} {item!r}: expected a Job or an id")
    if missing:
        raise KeyError(f"no job with id {', '.join(map(str, missing))} in {store.path}")
    return store, records


# -- the grid -----------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """Records laid out by two parameters. A ``None`` parameter has the single value ``None``."""

    row: str | None
    col: str | None
    rows: tuple[Any, ...]
    cols: tuple[Any, ...]
    cells: Mapping[tuple[int, int], tuple[JobRecord, ...]]
    records: tuple[JobRecord, ...]

    def cell(self, r: int, c: int) -> tuple[JobRecord, ...]:
        return self.cells.get((r, c), ())

    def position(self, job_id: int) -> tuple[int, int]:
        for key, records in self.cells.items():
            if any(rec.id == job_id for rec in records):
                return key
        raise KeyError(job_id)

    @property
    def flat(self) -> bool:
        return self.row is None and self.col is None


def _check_param(name: str | None) -> None:
    if name is not None and name not in _FIELDS:
        raise ValueError(f"cannot group by {name!r}; known fields: {', '.join(sorted(_FIELDS))}")


def _ordered(param: str | None, values: Iterable[Any]) -> tuple[Any, ...]:
    distinct = list(dict.fromkeys(values))
    known = [v for v in distinct if v is not None]
    tail = [None] if None in distinct else []
    if param == "resolution":
        rank = {r: i for i, r in enumerate(RESOLUTIONS)}
        known.sort(key=lambda v: (rank.get(v, len(rank)), str(v)))
    elif all(isinstance(v, bool) for v in known) or all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in known
    ):
        known.sort()
    elif param == "status":
        order = list(JobStatus)
        known.sort(key=lambda v: order.index(JobStatus(v)) if v in order else len(order))
    return tuple(known + tail)


def _value(record: JobRecord, param: str | None) -> Any:
    if param is None:
        return None
    value = getattr(record, param)
    return value.value if isinstance(value, JobStatus) else value


def layout(records: Iterable[JobRecord], row: str | None, col: str | None) -> Grid:
    """Group *records* into a grid: rows by *row*'s values, columns by *col*'s.

    Values are ordered naturally (resolutions 1080p < 2k < 4k, numbers and
    booleans ascending, anything else in order of first appearance); records
    sharing a cell keep their order.
    """
    _check_param(row)
    _check_param(col)
    records = tuple(records)
    rows = _ordered(row, (_value(r, row) for r in records)) or (None,)
    cols = _ordered(col, (_value(r, col) for r in records)) or (None,)
    cells: dict[tuple[int, int], list[JobRecord]] = {}
    for record in records:
        key = (rows.index(_value(record, row)), cols.index(_value(record, col)))
        cells.setdefault(key, []).append(record)
    return Grid(
        row=row,
        col=col,
        rows=rows,
        cols=cols,
        cells={k: tuple(v) for k, v in cells.items()},
        records=records,
    )


# -- labels -------------------------------------------------------------------


def format_value(param: str | None, value: Any) -> str:
    """A parameter value as a short label: ``6s``, ``1080p``, ``audio``, a clipped prompt."""
    if value is None:
        return "—"
    if param in ("duration", "video_seconds") and isinstance(value, int | float):
        return f"{value:g}s"
    if isinstance(value, bool):
        if param in ("generate_audio", "has_audio"):
            return "audio" if value else "no audio"
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    if param == "prompt" and len(text) > _PROMPT_LABEL:
        text = text[: _PROMPT_LABEL - 1].rstrip() + "…"
    return text


def param_title(param: str | None) -> str:
    return "" if param is None else param.replace("_", " ")


def tile_heading(record: JobRecord) -> str:
    """``#12 · 6s · 1080p · audio``: the local id and the parameters of a tile."""
    parts = [f"#{record.id}", f"{record.duration}s", record.resolution]
    parts.append("audio" if record.generate_audio else "no audio")
    if record.model != "ltx-2-pro":
        parts.insert(1, record.model)
    if record.image:
        parts.append(f"image {Path(record.image).name}")
    return " · ".join(parts)


def tile_stats(record: JobRecord) -> str:
    """``COMPLETED · 41 s · $0.36``: state, wall time and cost (an estimate is marked)."""
    return " · ".join([record.status.value, *timing_and_cost(record)])


def video_file(record: JobRecord) -> Path | None:
    """The record's local video if it is on disk."""
    path = Path(record.video_path) if record.video_path else None
    return path if path is not None and path.is_file() else None


def poster_file(record: JobRecord) -> Path | None:
    path = Path(record.poster_path) if record.poster_path else None
    return path if path is not None and path.is_file() else None


def missing_reason(record: JobRecord) -> str | None:
    """Why a tile has no video (``None`` when it has one)."""
    if video_file(record) is not None:
        return None
    if record.status is JobStatus.COMPLETED:
        if record.video_path:
            return f"video file {Path(record.video_path).name} is missing"
        return "video not downloaded (%ltx show ID fetches it while the service keeps it)"
    if record.status.is_terminal:
        why = f"job ended {record.status.value}"
        return f"{why}: {record.error}" if record.error else why
    return f"job is {record.status.value}"


def stars_text(rating: int | None) -> str:
    if not rating:
        return "unrated"
    rating = max(0, min(STARS, int(rating)))
    return "★" * rating + "☆" * (STARS - rating)


# -- static HTML --------------------------------------------------------------

STATIC_CSS: Final = """
.ltx-static{font:13px/1.4 var(--jp-ui-font-family,system-ui,-apple-system,'Segoe UI',sans-serif);
 color:var(--jp-ui-font-color1,inherit)}
.ltx-static table.ltx-grid{border-collapse:separate;border-spacing:8px;width:100%;
 table-layout:fixed}
.ltx-static table.ltx-grid tr,.ltx-static table.ltx-grid th,.ltx-static table.ltx-grid td{
 background:none!important;border:none!important;max-width:none}
.ltx-static table.ltx-grid th{font-weight:600;text-align:center!important;vertical-align:middle;
 color:var(--jp-ui-font-color2,inherit);padding:2px 6px}
.ltx-static table.ltx-grid th.ltx-rowhead{width:7em;text-align:right!important}
.ltx-static table.ltx-grid td{vertical-align:top;padding:0;text-align:left!important}
.ltx-static figure{margin:0 0 8px;border:1px solid var(--jp-border-color2,rgba(128,128,128,.35));
 border-radius:6px;overflow:hidden;background:var(--jp-layout-color1,transparent)}
.ltx-static video,.ltx-static img{display:block;width:100%;background:#000}
.ltx-static figcaption{padding:5px 8px;font-size:12px}
.ltx-static .ltx-prompt{opacity:.8;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.ltx-static .ltx-stats,.ltx-static .ltx-rating{opacity:.75}
.ltx-static .ltx-notes{font-style:italic;white-space:pre-wrap}
.ltx-static .ltx-missing{padding:18px 10px;text-align:center;
 border-bottom:1px dashed rgba(128,128,128,.6);background:rgba(128,128,128,.12)}
"""


def _tile_html(record: JobRecord, video_src: SrcFor, poster_src: SrcFor) -> str:
    esc = html.escape
    video = video_file(record)
    poster = poster_file(record)
    src = video_src(video) if video is not None else None
    poster_url = poster_src(poster) if poster is not None else None
    if src is not None:
        poster_attr = f' poster="{esc(poster_url)}"' if poster_url else ""
        media = (
            f'<video controls muted loop playsinline preload="metadata"{poster_attr} '
            f'src="{esc(src)}" width="320" style="width:100%"></video>'
        )
    else:
        reason = missing_reason(record) or "video not available here"
        still = f'<img src="{esc(poster_url)}" alt="poster" width="320">' if poster_url else ""
        media = (
            f'{still}<div class="ltx-missing"><b>No video</b> · job #{record.id}'
            f"{' · ' + esc(record.request_id) if record.request_id else ''}<br>"
            f"{esc(reason)}</div>"
        )
    notes = f'<div class="ltx-notes">{esc(record.notes)}</div>' if record.notes else ""
    return (
        f'<figure class="ltx-tile" data-job-id="{record.id}">{media}<figcaption>'
        f"<b>{esc(tile_heading(record))}</b>"
        f'<div class="ltx-prompt" title="{esc(record.prompt)}">{esc(record.prompt)}</div>'
        f'<div class="ltx-stats">{esc(tile_stats(record))}</div>'
        f'<div class="ltx-rating">{stars_text(record.rating)}</div>{notes}'
        "</figcaption></figure>"
    )


def static_grid_html(
    grid: Grid,
    *,
    video_src: SrcFor,
    poster_src: SrcFor | None = None,
    flat_columns: int = 3,
) -> str:
    """The grid as plain HTML (a ``<table>``; no script), for saved notebooks and reports."""
    poster_src = poster_src or video_src
    esc = html.escape
    out = [f"<style>{STATIC_CSS}</style>", '<div class="ltx-static">']
    out.append('<table class="ltx-grid">')
    if grid.flat:
        records = list(grid.records)
        n = max(1, min(flat_columns, len(records)))
        for start in range(0, len(records), n):
            chunk = records[start : start + n]
            cells = "".join(f"<td>{_tile_html(r, video_src, poster_src)}</td>" for r in chunk)
            cells += "<td></td>" * (n - len(chunk))
            out.append(f"<tr>{cells}</tr>")
    else:
        if grid.col is not None:
            corner = (
                f'<th class="ltx-rowhead">{esc(param_title(grid.row))} \\ '
                f"{esc(param_title(grid.col))}</th>"
                if grid.row is not None
                else ""
            )
            heads = "".join(f"<th>{esc(format_value(grid.col, v))}</th>" for v in grid.cols)
            out.append(f"<thead><tr>{corner}{heads}</tr></thead>")
        out.append("<tbody>")
        for r, row_value in enumerate(grid.rows):
            cells = []
            if grid.row is not None:
                cells.append(
                    f'<th class="ltx-rowhead" scope="row">'
                    f"{esc(format_value(grid.row, row_value))}</th>"
                )
            for c in range(len(grid.cols)):
                tiles = "".join(_tile_html(rec, video_src, poster_src) for rec in grid.cell(r, c))
                cells.append(f"<td>{tiles}</td>")
            out.append(f"<tr>{''.join(cells)}</tr>")
        out.append("</tbody>")
    out.append("</table></div>")
    return "".join(out)


# -- export_report ------------------------------------------------------------

_PAGE_CSS: Final = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;
 --card:#f6f8fa;--accent:#2563eb}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;
 --line:#3d444d;--card:#151b23;--accent:#4493f8}}
body{margin:0;padding:24px;background:var(--bg);color:var(--fg);
 font:14px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.ltx-sub{color:var(--muted);margin-bottom:16px}
.ltx-static{color:var(--fg)}
.ltx-static figure{background:var(--card);border-color:var(--line)}
.ltx-static th{color:var(--muted)}
.ltx-sync{display:flex;gap:10px;align-items:center;margin:8px 0;padding:6px 10px;
 border:1px solid var(--line);border-radius:6px;background:var(--card)}
.ltx-sync button{font:inherit;padding:2px 12px;border-radius:4px;border:1px solid var(--line);
 background:var(--bg);color:var(--fg);cursor:pointer}
.ltx-sync input{flex:1}
.ltx-sync span{font-variant-numeric:tabular-nums;color:var(--muted);min-width:8em}
table.ltx-details{border-collapse:collapse;width:100%;font-size:13px}
table.ltx-details th,table.ltx-details td{border-bottom:1px solid var(--line);padding:4px 8px;
 text-align:left;vertical-align:top}
table.ltx-details td.num{text-align:right;font-variant-numeric:tabular-nums}
table.ltx-details th{white-space:nowrap}
table.ltx-details code{font-size:12px}
"""

# Plays, pauses and seeks every clip together; the page works without it.
_SYNC_SCRIPT: Final = """
(() => {
  const vs = [...document.querySelectorAll('.ltx-static video')];
  if (!vs.length) return;
  const bar = document.createElement('div'); bar.className = 'ltx-sync';
  bar.innerHTML = '<button type="button">Play all</button>' +
    '<input type="range" min="0" step="0.01" value="0" aria-label="time of every clip">' +
    '<span>0.0 s</span>';
  const [btn, range, clock] = bar.children;
  document.querySelector('.ltx-static').before(bar);
  const dur = (v) => (isFinite(v.duration) && v.duration > 0 ? v.duration : null);
  const at = (v, t) => { const d = dur(v); return d ? t % d : t; };
  const lead = () => vs.reduce((a, v) => (dur(v) || 0) > (dur(a) || 0) ? v : a, vs[0]);
  let playing = false, raf = 0;
  const span = () => { range.max = Math.max(...vs.map((v) => dur(v) || 0)) || 1; };
  vs.forEach((v) => v.addEventListener('loadedmetadata', span));
  const seek = (t) => { vs.forEach((v) => { v.currentTime = at(v, t); }); show(t); };
  const show = (t) => { range.value = t; clock.textContent = t.toFixed(1) + ' s'; };
  const tick = () => {
    const t = lead().currentTime;
    vs.forEach((v) => { const d = dur(v), want = at(v, t);
      if (d && !v.seeking && Math.min(Math.abs(v.currentTime - want),
          d - Math.abs(v.currentTime - want)) > 0.25) v.currentTime = want; });
    show(t); if (playing) raf = requestAnimationFrame(tick);
  };
  btn.onclick = () => {
    playing = !playing; btn.textContent = playing ? 'Pause all' : 'Play all';
    if (playing) { const t = Number(range.value); vs.forEach((v) => { v.muted = true;
      v.currentTime = at(v, t); v.play().catch(() => {}); }); tick(); }
    else { cancelAnimationFrame(raf); vs.forEach((v) => v.pause()); seek(lead().currentTime); }
  };
  range.oninput = () => seek(Number(range.value));
  span();
})();
"""


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
        cost = (
            f"${r.cost:.2f}"
            if r.cost is not None
            else (f"~${r.cost_estimate:.2f}" if r.cost_estimate is not None else "")
        )
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
            small_image = path.suffix.lower() in (".jpg", ".jpeg", ".png") and size <= _POSTER_CAP
            if small_image or size <= self.budget:
                uri = _media.data_uri(path, max_bytes=None)
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
    total_cost = sum(r.cost if r.cost is not None else (r.cost_estimate or 0.0) for r in records)
    when = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    esc = html.escape
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="ltx-notebook"><title>{esc(title)}</title>'
        f"<style>{_PAGE_CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1>"
        f'<div class="ltx-sub">{len(records)} clips · {done} completed · '
        f"${total_cost:.2f} in all · exported {esc(when)}"
        f"{' · rows: ' + esc(param_title(row)) if row else ''}"
        f"{' · columns: ' + esc(param_title(col)) if col else ''}</div>"
        f"{grid_html}<h2>Jobs</h2>{details}"
        f"<script>{_SYNC_SCRIPT}</script></body></html>\n"
    )
    tmp = report.with_name(report.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, report)
    return report
