"""``export_report``: one self-contained HTML page reviewing a set of jobs.

The page holds the static grid (a tiny script, ``report.js``, plays, pauses and
seeks every clip together; without it each clip still has its own controls),
then a table of every job's parameters, timings, cost, rating and notes.
Videos and posters are copied next to it into ``<stem>_media/`` and linked by
relative path, or embedded as data URIs (``embed=True``) under a size budget.

Without embedding the page stays under 2 MB however many jobs it reviews: the
grid and the table each stop at a byte budget, saying how many they leave out,
and every job (ratings and notes too) is then in ``<stem>_jobs.csv`` beside it.
"""

from __future__ import annotations

import csv
import html
import os
import shutil
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from .._core.status import JobStatus
from .._storage import media
from .._storage.records import FIELD_NAMES, JobRecord
from .differ import param_text, payload_of, split_params
from .grid import collect, layout, missing_reason, playable_file
from .labels import cost_label, costs_total, owners_shown, param_title, stars_text
from .static_grid import clip, static_grid_html

if TYPE_CHECKING:
    from .._jobs.session import Session
    from .._storage.store import Store

__all__ = ["REPORT_EMBED_CAP", "export_report"]

# Total bytes that embed=True inlines into one report (videos and posters); the rest is linked.
REPORT_EMBED_CAP: Final = 100 * 1024 * 1024
# Bytes of the jobs table; past it the page links a CSV of every job instead.
DETAILS_HTML_BUDGET: Final = 300_000
TEXT_CHARS: Final = 300


@cache
def _asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _details_html(
    records: Sequence[JobRecord], link: Callable[[JobRecord], str | None], budget: int
) -> tuple[str, int]:
    """The table of jobs, as many rows as fit *budget* bytes, and how many did not.

    The parameters that differ between the jobs get a column each (read from
    the payloads they sent, whatever the model); those shared are said once.
    """
    esc = html.escape
    payloads = [payload_of(r.params_json, r.model) for r in records]
    varying, shared = split_params(payloads)
    param_heads = "".join(f"<th>{esc(param_title(n))}</th>" for n in varying)
    whose = owners_shown(records)  # an owner column only where the jobs are several people's
    owner_head = "<th>owner</th>" if whose else ""
    head = (
        f"<tr><th>#</th>{owner_head}<th>request id</th>{param_heads}<th>status</th><th>queue s</th>"
        "<th>run s</th><th>total s</th><th>cost</th><th>rating</th><th>notes</th>"
        "<th>video</th></tr>"
    )
    rows: list[str] = []
    for r, payload in zip(records, payloads, strict=True):
        if budget <= 0:
            break
        cost = esc(cost_label(r))
        href = link(r)
        size = f"{r.file_bytes / 1e6:.1f} MB" if r.file_bytes else ""
        dims = f"{r.video_width}×{r.video_height}" if r.video_width and r.video_height else ""
        video = (
            f'<a href="{esc(href)}">{esc(" · ".join(x for x in (dims, size) if x) or "file")}</a>'
            if href and not href.startswith("data:")
            else esc(" · ".join(x for x in (dims, size) if x) or (missing_reason(r) or ""))
        )
        error = f"<br><small>{esc(clip(r.error, TEXT_CHARS))}</small>" if r.error else ""
        params = "".join(
            f"<td>{esc(param_text(n, payload.get(n), TEXT_CHARS))}</td>"
            if n in payload
            else "<td></td>"
            for n in varying
        )
        row = (
            f"<tr><td>{r.id}</td>{_owner_cell(r) if whose else ''}"
            f"<td><code>{esc(r.request_id or '')}</code></td>{params}"
            f"<td>{esc(r.status.value)}{error}</td><td class=num>{_fmt(r.queue_s, '.1f')}</td>"
            f"<td class=num>{_fmt(r.run_s, '.1f')}</td><td class=num>{_fmt(r.total_s, '.1f')}</td>"
            f"<td class=num>{cost}</td><td>{stars_text(r.rating)}</td>"
            f"<td>{esc(clip(r.notes or '', TEXT_CHARS))}</td><td>{video}</td></tr>"
        )
        budget -= len(row)
        rows.append(row)
    shared_text = " · ".join(param_text(n, v, TEXT_CHARS) for n, v in shared.items())
    caption = f'<div class="ltx-sub">every job: {esc(shared_text)}</div>' if shared_text else ""
    table = (
        f'<table class="ltx-details"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
    )
    return caption + table, len(records) - len(rows)


def _owner_cell(record: JobRecord) -> str:
    return f"<td>{html.escape(record.owner or '')}</td>"


def _write_csv(records: Sequence[JobRecord], path: Path) -> None:
    """Every job's row, ratings and notes included, for the rows the page leaves out."""
    names = [n for n in FIELD_NAMES if n not in ("params_json", "metrics_json")]
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow([*names, "payload"])
        for r in records:
            values = [getattr(r, n) for n in names]
            out.writerow(
                [
                    "" if v is None else (v.isoformat() if isinstance(v, datetime) else str(v))
                    for v in values
                ]
                + [r.params_json]
            )
    os.replace(tmp, path)


class _Media:
    """Decides each file's URL in a report: embedded under a budget, else copied alongside.

    Everything embedded (videos and posters) counts against the one budget.
    """

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
            if size <= self.budget:
                uri = media.data_uri(path, max_bytes=None)
                assert uri is not None
                self.budget -= size
                self.links[path] = uri
                return uri
            self.over_budget.append(path.name)
        return self.copy(path)

    def copy(self, path: Path) -> str:
        """*path* copied beside the report (once), as a relative link."""
        path = path.resolve()
        if path in self.links and not self.links[path].startswith("data:"):
            return self.links[path]
        name = path.name
        if self.names.get(name, path) != path:  # same name, another file: keep both
            name = f"{len(self.names):03d}-{name}"
        self.names[name] = path
        dest = self.dir / name
        self.dir.mkdir(parents=True, exist_ok=True)
        if not dest.exists() or dest.stat().st_size != path.stat().st_size:
            shutil.copy2(path, dest)
        link = f"{self.dir.name}/{name}"
        self.links.setdefault(path, link)
        return link


def _ranking_html(store: Store, records: Sequence[JobRecord], by: list[str], report: Path) -> str:
    """The arena's ranking of these jobs by the grid's settings, and its votes as CSV; or ''."""
    from .ranking import rank, rank_html, votes_frame

    ids = [r.id for r in records]
    votes = votes_frame(store, ids)
    if votes.empty:
        return ""
    ranked = rank(ids, by or None, store=store)
    if ranked.empty:
        ranked = rank(ids, None, store=store)  # every vote was within one setting: by job
    table = report.with_name(f"{report.stem}_votes.csv")
    votes.to_csv(table)
    esc = html.escape
    return (
        f"<h2>Ranking</h2>{rank_html(ranked)}<p class='ltx-sub'>Every vote (who, when, which "
        f"pair on which side, the outcome) is in <a href='{esc(table.name)}'>{esc(table.name)}"
        "</a>.</p>"
    )


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
    store: Store | None = None,
) -> Path:
    """Write a self-contained HTML page reviewing *source*'s jobs; return its path.

    *source* is what :func:`gallery` takes (a Sweep, a list of Jobs, a
    ``history()`` DataFrame, local ids). The page holds the grid of videos
    (rows by *row*, columns by *col*; ``None`` for a flat grid) with posters,
    a play-all control, and a table of parameters, timings, cost, ratings and
    notes. No external assets; JavaScript only adds the play-all control.

    Videos and posters are copied into ``<path stem>_media/`` beside the page
    and linked relatively (move the two together), or with ``embed=True``
    inlined as data URIs, up to *embed_cap* bytes of files in all (videos and
    posters): files over that budget are copied alongside instead, with a
    warning. Without *embed* the page stays under 2 MB for any number of jobs
    (see the module's docstring).
    """
    store, records = collect(source, session=session, store=store)  # one query, however many
    report = Path(path)
    if report.suffix.lower() not in (".html", ".htm"):
        report = report.with_suffix(".html")
    report.parent.mkdir(parents=True, exist_ok=True)
    media = _Media(report, embed=embed, embed_cap=embed_cap)
    grid = layout(records, row, col)
    # Posters past the grid's own inline share are copied and linked, even when embedding.
    grid_html = static_grid_html(
        grid,
        video_src=media,
        poster_src=media,
        link_src=media.copy,
        inline_budget=embed_cap if embed else 0,
    )

    def link(record: JobRecord) -> str | None:
        video = playable_file(record)
        return media(video) if video is not None else None

    details, left_out = _details_html(records, link, DETAILS_HTML_BUDGET)
    if left_out:
        table = report.with_name(f"{report.stem}_jobs.csv")
        _write_csv(records, table)
        details += (
            f'<p class="ltx-sub">{left_out:,} more jobs are not in this table (the page stays '
            f'small): every job is in <a href="{html.escape(table.name)}">{html.escape(table.name)}'
            "</a>, ratings and notes included.</p>"
        )
    if media.over_budget:
        warnings.warn(
            f"export_report: {len(media.over_budget)} file(s) did not fit the {embed_cap:,}-byte "
            f"embedding budget and were copied to {media.dir} instead: "
            + ", ".join(media.over_budget),
            stacklevel=2,
        )
    ranking = _ranking_html(store, records, [k for k in (row, col) if k], report)
    sweeps = {r.sweep_id for r in records if r.sweep_id}
    if title is None:
        title = f"LTX review · sweep {next(iter(sweeps))}" if len(sweeps) == 1 else "LTX review"
    done = sum(r.status is JobStatus.COMPLETED for r in records)
    rated = [r.rating for r in records if r.rating]
    ratings = f" · {len(rated)} rated, {sum(rated) / len(rated):.1f}★ on average" if rated else ""
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
        f"{esc(costs_total(records))}{ratings} · exported {esc(when)}"
        f"{' · rows: ' + esc(param_title(row)) if row else ''}"
        f"{' · columns: ' + esc(param_title(col)) if col else ''}</div>"
        f"{grid_html}{ranking}<h2>Jobs</h2>{details}"
        f"<script>{_asset('report.js')}</script></body></html>\n"
    )
    tmp = report.with_name(report.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, report)
    return report
