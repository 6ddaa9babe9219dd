"""The grid of jobs as plain HTML: a ``<table>`` of ``<video controls>`` tiles.

It needs no JavaScript, so the saved notebook, nbviewer, GitHub and a shared
report all show it; the live gallery widget keeps it as its saved form.

Its size is bounded whatever the number of tiles (it is saved into the
notebook): posters are linked by relative URL and loaded lazily, free text is
clipped, inlined (``data:``) posters share one small budget, and tiles stop at
a byte budget, each cell past it saying how many clips it leaves out.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Final

from .._core.params import format_param
from .._storage.records import JobRecord
from .grid import Grid, missing_reason, playable_file, poster_file, relative_src
from .labels import owners_shown, param_title, stars_text, tile_heading, tile_stats

__all__ = [
    "GRID_HTML_BUDGET",
    "POSTER_INLINE_BUDGET",
    "SrcFor",
    "static_grid_css",
    "static_grid_html",
]

# A URL (relative path or data URI) for a local file, or None if it cannot be offered.
SrcFor = Callable[[Path], str | None]

# Bytes of tile HTML one grid may hold (inlined posters included): with the page
# around it, well under 2 MB, however many clips.
GRID_HTML_BUDGET: Final = 1_500_000
# Bytes of data: URI posters one grid may inline; past it, posters are linked.
# Inlining keeps a few stills where no media folder is served (GitHub, nbviewer).
POSTER_INLINE_BUDGET: Final = 400_000
PROMPT_CHARS: Final = 400
NOTES_CHARS: Final = 400
TILE_WIDTH: Final = 320
# A grid of more cells than this (two parameters with many values) is shown flat.
MAX_CELLS: Final = 400


@cache
def static_grid_css() -> str:
    return files(__package__).joinpath("static_grid.css").read_text(encoding="utf-8")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class _Budget:
    html: int
    inline: int


@dataclass
class _Srcs:
    video: SrcFor
    poster: SrcFor
    link: SrcFor | None

    def linked(self, path: Path) -> str:
        """A URL for *path* that is never inlined: *link*, else as the videos are, else relative."""
        if self.link is not None:
            return self.link(path) or ""
        url = self.video(path)
        return url if url is not None and not url.startswith("data:") else relative_src(path)


def _poster(record: JobRecord, srcs: _Srcs, budget: _Budget) -> str:
    """A tile's still: an inlined data URI while the budget lasts, else a URL."""
    path = poster_file(record)
    if path is None:
        return ""
    url = srcs.poster(path)
    if url is not None and url.startswith("data:"):
        if len(url) <= budget.inline:
            budget.inline -= len(url)
            return url
        url = srcs.linked(path)
    return url or ""


def _tile_html(record: JobRecord, srcs: _Srcs, budget: _Budget, *, whose: bool = False) -> str:
    esc = html.escape
    video = playable_file(record)
    src = srcs.video(video) if video is not None else None
    poster_url = _poster(record, srcs, budget)
    aspect = (
        f"{record.video_width}/{record.video_height}"
        if record.video_width and record.video_height
        else "16/9"
    )
    if src is not None:
        if poster_url.startswith("data:"):
            media = (
                f'<video controls muted loop playsinline preload="metadata" poster="{poster_url}" '
                f'src="{esc(src)}" width="{TILE_WIDTH}"></video>'
            )
        else:
            # A relative poster= is not rewritten by JupyterLab (it is asked for at the
            # wrong URL); an <img src> is. So the still is a lazy image under a
            # transparent player, and nothing loads until it scrolls into view or
            # plays: past the inlined few, a long grid asks nothing of the server.
            still = (
                f'<img class="ltx-still" loading="lazy" decoding="async" alt="" '
                f'src="{esc(poster_url)}" width="{TILE_WIDTH}">'
                if poster_url
                else ""
            )
            preload = "none" if poster_url else "metadata"
            media = (
                f'<div class="ltx-frame" style="aspect-ratio:{aspect}">{still}'
                f'<video controls muted loop playsinline preload="{preload}" '
                f'src="{esc(src)}" width="{TILE_WIDTH}"></video></div>'
            )
    else:
        reason = clip(missing_reason(record) or "video not available here", PROMPT_CHARS)
        still = (
            f'<img src="{esc(poster_url)}" loading="lazy" alt="poster" width="{TILE_WIDTH}">'
            if poster_url
            else ""
        )
        media = (
            f'{still}<div class="ltx-missing"><b>No video</b>'
            # A sweep's combination with no job yet is a stand-in with no id of its own.
            f"{f' · job #{record.id}' if record.id > 0 else ''}"
            f"{' · ' + esc(record.request_id) if record.request_id else ''}<br>"
            f"{esc(reason)}</div>"
        )
    notes = (
        f'<div class="ltx-notes">{esc(clip(record.notes, NOTES_CHARS))}</div>'
        if record.notes
        else ""
    )
    prompt = clip(record.prompt, PROMPT_CHARS)
    return (
        f'<figure class="ltx-tile" data-job-id="{record.id}">{media}<figcaption>'
        f"<b>{esc(tile_heading(record, whose=whose))}</b>"
        f'<div class="ltx-prompt" title="{esc(prompt)}">{esc(prompt)}</div>'
        f'<div class="ltx-stats">{esc(tile_stats(record))}</div>'
        f'<div class="ltx-rating">{stars_text(record.rating)}</div>{notes}'
        "</figcaption></figure>"
    )


def _tiles(
    records: tuple[JobRecord, ...], srcs: _Srcs, budget: _Budget, *, whose: bool
) -> tuple[str, int]:
    """The tiles that fit the budget, and how many did not."""
    out: list[str] = []
    for i, record in enumerate(records):
        if budget.html <= 0:
            return "".join(out), len(records) - i
        tile = _tile_html(record, srcs, budget, whose=whose)
        budget.html -= len(tile)
        out.append(tile)
    return "".join(out), 0


def _more(n: int) -> str:
    return f'<div class="ltx-more">+{n:,} more not shown here</div>' if n else ""


def static_grid_html(
    grid: Grid,
    *,
    video_src: SrcFor,
    poster_src: SrcFor | None = None,
    flat_columns: int = 3,
    link_src: SrcFor | None = None,
    budget: int = GRID_HTML_BUDGET,
    inline_budget: int = POSTER_INLINE_BUDGET,
) -> str:
    """The grid as plain HTML (a ``<table>``; no script), for saved notebooks and reports.

    At most about *budget* bytes of tiles, of which at most *inline_budget* are
    posters *poster_src* gives as ``data:`` URIs; a poster past that is linked
    by *link_src* (default: as *video_src* links the videos, else its path relative
    to the working directory). Tiles
    past *budget* are left out, counted where they belong.
    """
    srcs = _Srcs(video=video_src, poster=poster_src or video_src, link=link_src)
    left = _Budget(html=budget, inline=inline_budget)
    whose = owners_shown(grid.records)
    esc = html.escape
    out = [f"<style>{static_grid_css()}</style>", '<div class="ltx-static">']
    out.append('<table class="ltx-grid">')
    cells_count = len(grid.rows) * len(grid.cols)
    if grid.flat or cells_count > MAX_CELLS:
        if not grid.flat:
            out.append(
                f'<caption class="ltx-more">{len(grid.rows):,} × {len(grid.cols):,} '
                "values: too many for a grid, so the clips are shown in order</caption>"
            )
        records = list(grid.records)
        n = max(1, min(flat_columns, len(records)))
        for start in range(0, len(records), n):
            if left.html <= 0:
                out.append(f'<tr><td colspan="{n}">{_more(len(records) - start)}</td></tr>')
                break
            cells: list[str] = []
            for record in records[start : start + n]:
                tile = _tile_html(record, srcs, left, whose=whose)
                left.html -= len(tile)
                cells.append(f"<td>{tile}</td>")
            cells += ["<td></td>"] * (n - len(cells))
            out.append(f"<tr>{''.join(cells)}</tr>")
    else:
        if grid.col is not None:
            corner = (
                f'<th class="ltx-rowhead">{esc(param_title(grid.row))} \\ '
                f"{esc(param_title(grid.col))}</th>"
                if grid.row is not None
                else ""
            )
            heads = "".join(f"<th>{esc(format_param(grid.col, v))}</th>" for v in grid.cols)
            out.append(f"<thead><tr>{corner}{heads}</tr></thead>")
        out.append("<tbody>")
        for r, row_value in enumerate(grid.rows):
            row_cells: list[str] = []
            if grid.row is not None:
                row_cells.append(
                    f'<th class="ltx-rowhead" scope="row">'
                    f"{esc(format_param(grid.row, row_value))}</th>"
                )
            for c in range(len(grid.cols)):
                tiles, left_out = _tiles(grid.cell(r, c), srcs, left, whose=whose)
                row_cells.append(f"<td>{tiles}{_more(left_out)}</td>")
            out.append(f"<tr>{''.join(row_cells)}</tr>")
        out.append("</tbody>")
    out.append("</table></div>")
    return "".join(out)
