"""A/B compare: two clips frame-locked, side by side or as a wipe, with their params' differences.

An anywidget over ``ab.js`` (the same view the gallery opens when two tiles
are picked as A and B). B is held on A's frame while playing, and the frame
buttons (or ``,`` and ``.``) step both to the same frame, which is how two
settings of a video model are judged. Its display bundle carries the static
pair (``_view/ab_static``) as ``text/html``, which the saved notebook keeps.
Given jobs still running (``compare_clips(grid[0], grid[-1])`` right after a
sweep cell), it follows them: each clip appears when its video is in, and the
saved form (the ``_static`` trait, which ``saved.js`` writes into the notebook)
follows too.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anywidget
import traitlets as t

from .._core.config import get_settings
from .._jobs.job import Job
from .._storage.records import JobRecord
from .._storage.store import Store
from .._view import frontend
from .._view.ab_static import ab_static_html
from .._view.cell import Embed, poster_src, relative_src
from .._view.labels import owners_shown
from ._assets import module_text
from ._static import WithStatic
from ._tiles import clip_tile

if TYPE_CHECKING:
    from .._jobs.session import Session

__all__ = ["ABCompare", "compare_clips"]

log = logging.getLogger("ltx_notebook")
MODES: Final = ("side", "wipe")
# Both clips inlined (VS Code, Colab) up to this many bytes together.
AB_EMBED_CAP: Final = 48 * 1024 * 1024


class ABCompare(WithStatic, anywidget.AnyWidget):
    """Clips *a* and *b* (JobRecords) frame-locked; ``mode`` is ``"side"`` or ``"wipe"``."""

    _esm = module_text("sync.js", "saved.js", "ab.js", "compare.js")
    _css = module_text("shared.css", "ab.css")

    a = t.Dict().tag(sync=True)
    b = t.Dict().tag(sync=True)
    mode = t.Enum(MODES, default_value="side").tag(sync=True)
    _home = t.Unicode("").tag(sync=True)
    _self_id = t.Unicode("").tag(sync=True)
    # The static pair of the current state: what the saved notebook keeps (saved.js).
    _static = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        a: JobRecord,
        b: JobRecord,
        *,
        mode: str = "side",
        embed: Embed | str = Embed.AUTO,
        base_dir: Path | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.records = (a, b)
        self.base_dir = base_dir
        embed = Embed(embed)
        self._embeds = embed is Embed.ALWAYS or (
            embed is Embed.AUTO and not frontend.detect().serves_files
        )
        self._lock = threading.Lock()
        self.store: Store | None = None
        tile_a, tile_b = self._tiles(a, b)
        super().__init__(a=tile_a, b=tile_b, mode=mode, _home=Path.home().as_posix())
        self._self_id = self.model_id or ""
        self._static = self.static_html()

    def _tiles(self, a: JobRecord, b: JobRecord) -> tuple[dict[str, Any], dict[str, Any]]:
        budget = [frontend.embed_cap(AB_EMBED_CAP)] if self._embeds else None
        whose = owners_shown([a, b])  # named where the two are not both the user's
        return (
            clip_tile(a, base_dir=self.base_dir, budget=budget, whose=whose),
            clip_tile(b, base_dir=self.base_dir, budget=budget, whose=whose),
        )

    def refresh(self) -> ABCompare:
        """Re-read both clips from the store (jobs that were still running)."""
        if self.store is not None:
            with self._lock:
                a, b = (self.store.get(r.id) or r for r in self.records)
                self.records = (a, b)
                tile_a, tile_b = self._tiles(a, b)
                with self.hold_sync():
                    if tile_a != self.a:
                        self.a = tile_a
                    if tile_b != self.b:
                        self.b = tile_b
                    self._static = self.static_html()
        return self

    def _follow(self, store: Store, jobs: list[Job]) -> None:
        self.store = store
        for job in jobs:
            if job.done:
                continue
            seen: list[Any] = [None]

            def on_change(changed: Job, seen: list[Any] = seen) -> None:
                # Told of every poll: redraw when the state moves, and once done.
                state = (changed.status, changed.done)
                if state == seen[0]:
                    return
                seen[0] = state
                if changed.done:
                    changed.remove_listener(on_change)
                try:
                    self.refresh()
                except Exception:
                    log.exception("A/B refresh after job %s failed", changed.id)

            job.add_listener(on_change)

    def static_html(self) -> str:
        srcs = {
            Path(p).as_posix(): tile["src"]
            for tile in (self.a, self.b)
            for p in tile["paths"][:1]
            if tile["src"]
        }

        def video_src(path: Path) -> str | None:
            return srcs.get(path.absolute().as_posix()) or relative_src(path, self.base_dir)

        def poster(path: Path) -> str:
            return poster_src(path, self.base_dir)

        a, b = self.records
        return ab_static_html(a, b, video_src=video_src, poster_src=poster)

    def __repr__(self) -> str:
        a, b = self.records
        return f"<ABCompare #{a.id} vs #{b.id} · {self.mode}>"


def _record(store: Store, item: Any) -> JobRecord:
    if isinstance(item, Job):
        return store.get(item.id) or item.record
    if isinstance(item, JobRecord):
        return store.get(item.id) or item
    if isinstance(item, str) and not item.strip().isdigit():
        found = store.get_by_request_id(item.strip())
        if found is None:
            raise KeyError(f"no job with request id {item!r} in {store.path}")
        return found
    if isinstance(item, int | str) and not isinstance(item, bool):
        record = store.get(int(item))
        if record is None:
            raise KeyError(f"no job with id {int(item)} in {store.path}")
        return record
    raise TypeError(
        f"cannot compare {type(item).__name__} {item!r}: give a Job, an id or a request id"
    )


def compare_clips(
    a: Any,
    b: Any,
    *,
    mode: str = "side",
    session: Session | None = None,
    embed: Embed | str = Embed.AUTO,
) -> ABCompare:
    """Clips *a* and *b* (Jobs, local ids or request ids) frame-locked, with their params' diff.

    *mode*: ``"side"`` (side by side) or ``"wipe"`` (B over A, a slider moves
    the edge). Space plays both, ``,`` and ``.`` step one frame.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    owner = next((x for x in (a, b) if isinstance(x, Job)), None)
    if session is not None:
        store = session.store
    elif owner is not None:
        store = owner.session.store
    else:
        store = Store(get_settings().store_path)
    widget = ABCompare(_record(store, a), _record(store, b), mode=mode, embed=embed)
    widget._follow(store, [x for x in (a, b) if isinstance(x, Job)])
    return widget
