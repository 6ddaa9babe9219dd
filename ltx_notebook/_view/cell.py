"""The final output of a job as plain HTML, so the saved notebook keeps it.

Widget state is not saved by most front ends, so a finished cell shows a
``<video>`` element with a *relative* ``src`` and a poster image: it plays in
JupyterLab and Notebook 7 tomorrow, long after the service's URL expired, and
nbviewer or GitHub still show the poster. Bytes are embedded only on request
(or for ``auto`` where local files cannot be served) and under a size cap, so
a large sweep never bloats the notebook file.
"""

from __future__ import annotations

import html
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .._core.status import JobStatus
from .._storage import media as _media
from .._storage.records import JobRecord
from . import frontend as _frontend
from .grid import layout, playable_file, poster_file, relative_src, video_file
from .labels import timing_and_cost
from .static_grid import static_grid_html

if TYPE_CHECKING:
    from .._jobs.sweeps.sweep import Sweep

__all__ = [
    "Embed",
    "job_html",
    "job_text",
    "placeholder_html",
    "poster_src",
    "relative_src",
    "sweep_html",
    "video_html",
]

DEFAULT_EMBED_CAP: Final = 20 * 1024 * 1024
# Posters this small are inlined wherever they are shown, outside any video budget.
POSTER_EMBED_CAP: Final = 512 * 1024


class Embed(StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def poster_src(path: Path, base_dir: Path | None = None) -> str:
    """A poster as a ``data:`` URI (small JPEGs), else its relative path.

    Inlined because front ends rewrite a relative ``src`` but not ``poster``
    (JupyterLab serves files under ``/files/``, and asks the wrong URL for a
    relative poster), and because nbviewer and GitHub have no media folder.
    """
    return _media.data_uri(path, max_bytes=POSTER_EMBED_CAP) or relative_src(path, base_dir)


def _caption(record: JobRecord) -> str:
    return " · ".join([record.params.summary(), *timing_and_cost(record)])


def video_html(
    record: JobRecord,
    *,
    embed: Embed | str = Embed.NEVER,
    embed_cap: int = DEFAULT_EMBED_CAP,
    base_dir: Path | None = None,
    width: str = "100%",
) -> str:
    """A ``<video controls>`` for a completed job's local file, with its poster.

    ``embed``: ``never`` links the file by relative path, ``always`` inlines the
    bytes whatever their size, ``auto`` inlines them only when the front end
    cannot serve local files (VS Code, Colab) and they fit under *embed_cap*.
    """
    path = video_file(record)
    if path is None:
        return placeholder_html(record)
    embed = Embed(embed)
    played = playable_file(record) or path
    src = None
    if embed is Embed.ALWAYS or (embed is Embed.AUTO and not _frontend.detect().serves_files):
        cap = None if embed is Embed.ALWAYS else _frontend.embed_cap(embed_cap)
        src = _media.data_uri(played, max_bytes=cap)
    src = src or relative_src(played, base_dir)
    poster = ""
    still = poster_file(record)
    if still is not None:
        poster = f' poster="{html.escape(poster_src(still, base_dir))}"'
    title = html.escape(record.prompt)
    # Played as it is (no copy wanted, or none could be made): VS Code plays its AAC silent.
    silent_here = played == path and (record.has_audio or record.generate_audio)
    note = _frontend.audio_note(str(path)) if silent_here else None
    note_html = (
        f'<div class="ltx-audio-note" style="font:12px/1.4 sans-serif;margin-top:4px">'
        f"🔇 {html.escape(note)}</div>"
        if note
        else ""
    )
    return (
        f'<figure class="ltx-video" style="margin:0;max-width:{width}">'
        f'<video controls preload="metadata" playsinline{poster} '
        f'src="{html.escape(src)}" title="{title}" '
        f'style="width:100%;max-width:960px;display:block;background:#000"></video>'
        f'<figcaption style="font:12px/1.4 sans-serif;opacity:.75;margin-top:4px">'
        f"{html.escape(record.request_id or '')} · {html.escape(_caption(record))}"
        f"</figcaption>{note_html}</figure>"
    )


def placeholder_html(record: JobRecord) -> str:
    """What a job shows when there is no local video (yet, or any more)."""
    if record.status is JobStatus.COMPLETED:
        why = (
            f"The video file {html.escape(str(record.video_path))} is missing."
            if record.video_path
            else "The video has not been downloaded."
        )
        if record.error:
            why += f" The last attempt to fetch it failed: {html.escape(record.error)}"
        hint = (
            f"Run <code>%ltx show {record.id}</code> to download it again (the service keeps "
            "output files for 7 days)."
        )
    elif record.status.is_terminal:
        why = f"The job ended {record.status.value}."
        if record.error:
            why += f" {html.escape(record.error)}"
        hint = ""
    else:
        why = f"The job is {record.status.value}."
        hint = "Run <code>%ltx resume</code> to follow it again."
    return (
        '<div class="ltx-placeholder" style="border:1px dashed #888;border-radius:6px;'
        'padding:10px 14px;font:13px/1.5 sans-serif;max-width:960px">'
        f"<b>LTX job {record.id} · {html.escape(record.request_id or 'not submitted')}</b><br>"
        f"{html.escape(record.params.summary())}<br>"
        f"<i>{html.escape(record.prompt)}</i><br>{why} {hint}</div>"
    )


def job_text(record: JobRecord) -> str:
    """The plain-text form of a job's final output (logs, terminals, nbconvert to text)."""
    head = f"LTX job {record.id} {record.request_id or '-'} {record.status.value}"
    path = video_file(record) if record.status is JobStatus.COMPLETED else None
    if path is not None:
        return f"{head}: {path} ({record.params.summary()})"
    if record.error:
        return f"{head}: {record.error} ({record.params.summary()})"
    if record.status is JobStatus.COMPLETED:
        return f"{head}: video file missing; %ltx show {record.id} fetches it again"
    return f"{head} ({record.params.summary()})"


def job_html(
    record: JobRecord,
    *,
    embed: Embed | str = Embed.NEVER,
    embed_cap: int = DEFAULT_EMBED_CAP,
    base_dir: Path | None = None,
) -> str:
    """The saved output for a job in any state (see :func:`video_html` for *embed*)."""
    if record.status is JobStatus.COMPLETED and record.video_path:
        return video_html(record, embed=embed, embed_cap=embed_cap, base_dir=base_dir)
    return placeholder_html(record)


def sweep_html(sweep: Sweep) -> str:
    """A finished sweep's saved output: its videos as a static grid (posters inlined)."""
    row, col = sweep.axes()
    grid = layout([job.record for job in sweep.jobs], row, col)
    title = (
        f"<div style='font-weight:600;margin:4px 8px'>LTX sweep {sweep.sweep_id} · "
        f"{len(grid.records)} clips</div>"
    )
    return title + static_grid_html(grid, video_src=relative_src, poster_src=poster_src)
