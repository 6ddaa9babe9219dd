"""Short texts for a job, shared by every view: the panel, captions, tiles, reports.

One spelling for each: a clock, a time-and-cost pair (an estimate always says
so), a tile's heading (whose clip it is, where the clips are not all yours), a
star rating. A parameter's own label is
:func:`~ltx_notebook._core.params.format_param`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Final

from .._core.config import get_settings
from .._core.params import format_param
from .._storage.records import JobRecord

__all__ = [
    "STARS",
    "clock",
    "cost_label",
    "costs_total",
    "owners_shown",
    "param_title",
    "stars_text",
    "tile_heading",
    "tile_stats",
    "timing_and_cost",
]

STARS: Final = 5


def clock(seconds: float) -> str:
    """``1:05``: minutes and seconds, for elapsed times."""
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


def cost_label(record: JobRecord) -> str:
    """``$0.36`` (charged), ``~$0.36 (estimate)`` (not billed yet or not known), or ``""``."""
    if record.cost is not None:
        return f"${record.cost:.2f}"
    if record.cost_estimate is not None:
        return f"~${record.cost_estimate:.2f} (estimate)"
    return ""


def costs_total(records: Iterable[JobRecord]) -> str:
    """``$1.08 charged + ~$0.36 estimated``: charges and estimates summed apart, never mixed."""
    charged = estimated = 0.0
    for record in records:
        if record.cost is not None:
            charged += record.cost
        else:
            estimated += record.cost_estimate or 0.0
    if not estimated:
        return f"${charged:.2f} charged"
    if not charged:
        return f"~${estimated:.2f} estimated"
    return f"${charged:.2f} charged + ~${estimated:.2f} estimated"


def timing_and_cost(record: JobRecord) -> list[str]:
    """``["41 s", "$0.36"]``: wall time and the billed cost, or the estimate, marked so."""
    parts = []
    if record.total_s is not None:
        parts.append(f"{record.total_s:.0f} s")
    if cost := cost_label(record):
        parts.append(cost)
    return parts


def param_title(param: str | None) -> str:
    return "" if param is None else param.replace("_", " ")


def owners_shown(records: Iterable[JobRecord], user: str | None = None) -> bool:
    """Whether a view names each clip's owner: when the clips are not all *user*'s own.

    One person's views stay as they were; a row with no owner (made before owners
    were recorded) is the user's. *user*: the settings' by default.
    """
    me = user or get_settings().user
    return bool({r.owner or me for r in records if r.id > 0} - {me})


def tile_heading(record: JobRecord, *, whose: bool = False) -> str:
    """``#12 · 6s · 1080p · audio``: the local id and the parameters of a tile.

    With *whose*, ``… · by ana``: the job's owner, where a view shows several people's.
    """
    names = ("duration", "resolution", "generate_audio")
    # A sweep's combination with no job yet stands in with id -(index + 1) (_view.grid).
    name = f"#{record.id}" if record.id > 0 else f"combination {-record.id}"
    parts = [name, *(format_param(n, getattr(record, n)) for n in names)]
    if record.model != "ltx-2-pro":
        parts.insert(1, record.model)
    if record.image:
        parts.append(f"image {Path(record.image).name}")
    if whose and record.owner:
        parts.append(f"by {record.owner}")
    return " · ".join(parts)


def tile_stats(record: JobRecord) -> str:
    """``COMPLETED · 41 s · $0.36``: state, wall time and cost (an estimate is marked)."""
    state = record.status.value if record.id > 0 else "not sent"
    return " · ".join([state, *timing_and_cost(record)])


def stars_text(rating: int | None) -> str:
    if not rating:
        return "unrated"
    rating = max(0, min(STARS, int(rating)))
    return "★" * rating + "☆" * (STARS - rating)
