"""Two clips side by side as plain HTML, with their params' differences: the A/B's saved form.

No script, so GitHub, nbconvert and a notebook reopened without its kernel
show it; the live A/B widget (frame-locked, wipe) keeps it as its text/html.
"""

from __future__ import annotations

import html

from .._storage.records import JobRecord
from .clip_facts import param_diff
from .grid import missing_reason, poster_file, video_file
from .labels import owners_shown, tile_heading, tile_stats
from .static_grid import SrcFor

__all__ = ["ab_static_html"]

_CSS = (
    ".ltx-ab-static{font:13px/1.4 var(--jp-ui-font-family,system-ui,sans-serif);"
    "color:var(--jp-ui-font-color1,inherit)}"
    ".ltx-ab-static .ltx-ab-pair{display:grid;grid-template-columns:1fr 1fr;gap:8px}"
    ".ltx-ab-static figure{margin:0}"
    ".ltx-ab-static video,.ltx-ab-static img{display:block;width:100%;background:#000}"
    ".ltx-ab-static figcaption{font-size:12px;opacity:.8;padding:3px 0}"
    ".ltx-ab-static table{border-collapse:collapse;margin-top:6px;font-size:12px;width:100%}"
    ".ltx-ab-static th,.ltx-ab-static td{text-align:left!important;padding:2px 8px;"
    "border-bottom:1px solid rgba(128,128,128,.35);vertical-align:top}"
    ".ltx-ab-static tr.ltx-ab-diff td{font-weight:600}"
)


def _clip(
    which: str, record: JobRecord, video_src: SrcFor, poster_src: SrcFor, *, whose: bool
) -> str:
    esc = html.escape
    video, poster = video_file(record), poster_file(record)
    src = video_src(video) if video is not None else None
    poster_url = poster_src(poster) if poster is not None else None
    if src is not None:
        poster_attr = f' poster="{esc(poster_url)}"' if poster_url else ""
        media = (
            f'<video controls muted loop playsinline preload="metadata"{poster_attr} '
            f'src="{esc(src)}" width="480"></video>'
        )
    else:
        why = missing_reason(record) or "not available here"
        media = f"<div><b>No video</b> · {esc(why)}</div>"
    return (
        f'<figure data-job-id="{record.id}">{media}<figcaption><b>{which}</b> · '
        f"{esc(tile_heading(record, whose=whose))} · {esc(tile_stats(record))}"
        "</figcaption></figure>"
    )


def ab_static_html(a: JobRecord, b: JobRecord, *, video_src: SrcFor, poster_src: SrcFor) -> str:
    """Clip *a* beside clip *b* and a table of their params, the differing ones first."""
    esc = html.escape
    diff, same = param_diff(a, b)
    rows = [
        f'<tr class="{cls}"><th>{esc(name.replace("_", " "))}</th>'
        f"<td>{esc(va)}</td><td>{esc(vb)}</td></tr>"
        for cls, group in (("ltx-ab-diff", diff), ("ltx-ab-same", same))
        for name, va, vb in group
    ]
    head = "differs" if diff else "no differences"
    whose = owners_shown([a, b])
    return (
        f"<style>{_CSS}</style><div class='ltx-ab-static'>"
        f"<div style='font-weight:600;margin:4px 0'>LTX A/B · #{a.id} vs #{b.id}</div>"
        f"<div class='ltx-ab-pair'>{_clip('A', a, video_src, poster_src, whose=whose)}"
        f"{_clip('B', b, video_src, poster_src, whose=whose)}</div>"
        f"<table><thead><tr><th>{head}</th><th>A · #{a.id}</th><th>B · #{b.id}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
