"""The grid of jobs as plain HTML: a ``<table>`` of ``<video controls poster=…>`` tiles.

It needs no JavaScript, so the saved notebook, nbviewer, GitHub and a shared
report all show it; the live gallery widget keeps it as its saved form.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from functools import cache
from importlib.resources import files
from pathlib import Path

from .._core.params import format_param
from .._storage.records import JobRecord
from .grid import Grid, missing_reason, poster_file, video_file
from .labels import param_title, stars_text, tile_heading, tile_stats

__all__ = ["SrcFor", "static_grid_css", "static_grid_html"]

# A URL (relative path or data URI) for a local file, or None if it cannot be offered.
SrcFor = Callable[[Path], str | None]


@cache
def static_grid_css() -> str:
    return files(__package__).joinpath("static_grid.css").read_text(encoding="utf-8")


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
    out = [f"<style>{static_grid_css()}</style>", '<div class="ltx-static">']
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
                tiles = "".join(_tile_html(rec, video_src, poster_src) for rec in grid.cell(r, c))
                row_cells.append(f"<td>{tiles}</td>")
            out.append(f"<tr>{''.join(row_cells)}</tr>")
        out.append("</tbody>")
    out.append("</table></div>")
    return "".join(out)
