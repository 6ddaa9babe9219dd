"""A/B compare: two clips frame-locked, side by side or as a wipe, with their params' differences.

An anywidget over ``ab.js`` (the same view the gallery opens when two tiles
are picked as A and B). B is held on A's frame while playing, and the frame
buttons (or ``,`` and ``.``) step both to the same frame, which is how two
settings of a video model are judged. Its display bundle carries the static
pair (``_view/ab_static``) as ``text/html``, which the saved notebook keeps.
"""

from __future__ import annotations

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
from ._assets import module_text
from ._static import WithStatic
from ._tiles import clip_tile

if TYPE_CHECKING:
    from .._jobs.session import Session

__all__ = ["ABCompare", "compare_clips"]

MODES: Final = ("side", "wipe")
# Both clips inlined (VS Code, Colab) up to this many bytes together.
AB_EMBED_CAP: Final = 48 * 1024 * 1024


class ABCompare(WithStatic, anywidget.AnyWidget):
    """Clips *a* and *b* (JobRecords) frame-locked; ``mode`` is ``"side"`` or ``"wipe"``."""

    _esm = module_text("sync.js", "ab.js", "compare.js")
    _css = module_text("shared.css", "ab.css")

    a = t.Dict().tag(sync=True)
    b = t.Dict().tag(sync=True)
    mode = t.Enum(MODES, default_value="side").tag(sync=True)
    _home = t.Unicode("").tag(sync=True)
    _self_id = t.Unicode("").tag(sync=True)

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
        embeds = embed is Embed.ALWAYS or (
            embed is Embed.AUTO and not frontend.detect().serves_files
        )
        budget = [frontend.embed_cap(AB_EMBED_CAP)] if embeds else None
        super().__init__(
            a=clip_tile(a, base_dir=base_dir, budget=budget),
            b=clip_tile(b, base_dir=base_dir, budget=budget),
            mode=mode,
            _home=Path.home().as_posix(),
        )
        self._self_id = self.model_id or ""

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
    return ABCompare(_record(store, a), _record(store, b), mode=mode, embed=embed)
