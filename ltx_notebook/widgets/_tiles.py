"""One clip as the front end draws it: a tile's data, shared by the gallery and the A/B view.

Videos and posters are addressed by path relative to the kernel's working
directory, plus their absolute paths, which ``ab.js`` turns into ``/files/``
URLs (widget output gets none of the front end's URL rewriting). Where the
front end cannot serve local files, bytes are inlined under a shared budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._storage import media
from .._storage.records import JobRecord
from .._view.cell import POSTER_EMBED_CAP, relative_src
from .._view.clip_facts import tile_params
from .._view.grid import missing_reason, playable_file, poster_file
from .._view.job_progress import STATE_COLOURS
from .._view.labels import tile_heading, tile_stats

__all__ = ["candidates", "clip_tile"]


def candidates(path: Path | None) -> list[str]:
    """Absolute POSIX spellings of *path* (as given and with links resolved)."""
    if path is None:
        return []
    return list(dict.fromkeys([path.absolute().as_posix(), path.resolve().as_posix()]))


def clip_tile(
    record: JobRecord,
    *,
    base_dir: Path | None = None,
    budget: list[int] | None = None,
    whose: bool = False,
) -> dict[str, Any]:
    """The tile of *record*. With *budget* (bytes left, decremented), inline what fits.

    With *whose* its heading names the job's owner (the view shows several people's).
    """
    video = playable_file(record)
    poster = poster_file(record)
    src = poster_src = None
    if video is not None:
        src = relative_src(video, base_dir)
        size = video.stat().st_size + (poster.stat().st_size if poster is not None else 0)
        if budget is not None and size <= budget[0]:
            budget[0] -= size
            src = media.data_uri(video, max_bytes=None)
            if poster is not None:
                poster_src = media.data_uri(poster, max_bytes=POSTER_EMBED_CAP)
    if poster is not None and poster_src is None:
        poster_src = relative_src(poster, base_dir)
    aspect = (
        record.video_width / record.video_height
        if record.video_width and record.video_height
        else 16 / 9
    )
    return {
        "id": record.id,
        "key": str(record.id),
        "heading": tile_heading(record, whose=whose),
        "owner": record.owner or "",
        "prompt": record.prompt,
        "params": tile_params(record),
        "stats": tile_stats(record),
        "status": record.status.value,
        "colour": STATE_COLOURS.get(record.status, "#6b7280"),
        "request_id": record.request_id or "",
        "src": src,
        "paths": candidates(video),
        "poster": poster_src,
        "poster_paths": candidates(poster),
        "missing": missing_reason(record),
        "duration": record.video_seconds or float(record.duration),
        "fps": record.video_fps or 24.0,
        "aspect": round(aspect, 4),
    }
