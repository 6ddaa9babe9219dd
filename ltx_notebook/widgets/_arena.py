"""The arena: blind A/B votes between two clips of one prompt, the next pair the most telling.

An anywidget over ``arena.js`` (with ``sync.js``, ``saved.js`` and ``ab.js``
joined in front: frame-locked play, the saved form, the A/B view's helpers). The front end gets
each pair *blind*: the clips' files and nothing that names their settings,
and which job is left is decided here at random. A key press (or a button)
sends ``{"vote": ..., "token": ...}`` back; the vote is written to the store
(``_storage/votes``), the pair's settings are revealed, and the next pair is
the one a vote teaches most (``_core/ranking.next_pair``: a win probability
near ½, seldom compared). The token makes a late second key press on a pair
already judged a no-op rather than a vote on the next one.

The display bundle's ``text/html`` is the ranking so far (``_view/ranking``),
which the saved notebook keeps; the ``_static`` trait follows every vote and
``saved.js`` rewrites the saved copy, so a reopened notebook shows the last
ranking, not a widget.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import anywidget
import numpy as np
import traitlets as t

from .._core.ranking import Comparison, next_pair
from .._core.status import JobStatus
from .._jobs.job import Job
from .._jobs.sweeps.sweep import Sweep
from .._storage import votes as ballot
from .._storage.records import JobRecord
from .._storage.store import Store
from .._view import frontend
from .._view.cell import Embed
from .._view.grid import collect, video_file
from .._view.labels import tile_heading
from .._view.ranking import rank, rank_html
from ._assets import module_text
from ._static import WithStatic
from ._tiles import clip_tile

if TYPE_CHECKING:
    from .._jobs.session import Session

__all__ = ["Arena", "arena"]

log = logging.getLogger("ltx_notebook")
# Both clips of a pair inlined (VS Code, Colab) up to this many bytes together.
ARENA_EMBED_CAP: Final = 48 * 1024 * 1024
_SCORE: Final = {"left": 1.0, "right": 0.0, "tie": 0.5}
STATIC_ROUNDS: Final = 200
# What the front end may see of a clip before the vote: how to play it, nothing more.
_BLIND: Final = ("src", "paths", "poster", "poster_paths", "fps", "duration", "aspect")


class Arena(WithStatic, anywidget.AnyWidget):
    """Blind pairwise votes over *records* (JobRecords); see :func:`arena`."""

    _esm = module_text("sync.js", "saved.js", "ab.js", "arena.js")
    _css = module_text("shared.css", "ab.css", "arena.css")

    pair = t.Dict().tag(sync=True)  # {token, left, right}: blind tiles; {} when none is left
    revealed = t.Dict().tag(sync=True)  # the last judged pair, its settings shown
    message = t.Unicode("").tag(sync=True)
    votes_cast = t.Int(0).tag(sync=True)
    _home = t.Unicode("").tag(sync=True)
    _self_id = t.Unicode("").tag(sync=True)
    _static = t.Unicode("").tag(sync=True)  # the ranking so far: what the saved file keeps

    def __init__(
        self,
        records: Sequence[JobRecord],
        store: Store,
        *,
        by: str | Sequence[str] | None = None,
        voter: str | None = None,
        seed: int | None = None,
        embed: Embed | str = Embed.AUTO,
        base_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.by = by
        self.voter = ballot.voter(voter)
        self.arena_id = f"ar-{uuid.uuid4().hex[:12]}"
        self.base_dir = base_dir
        self._random = random.Random(seed)
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._all = list(records)
        self._records = [
            r for r in records if r.status is JobStatus.COMPLETED and video_file(r) is not None
        ]
        self._index = {r.id: k for k, r in enumerate(self._records)}
        self._pairs = [
            (i, j)
            for i, a in enumerate(self._records)
            for j, b in enumerate(self._records)
            if i < j and a.prompt == b.prompt
        ]
        self._shown: tuple[int, int] | None = None
        self._token = ""
        self._embed = Embed(embed)
        super().__init__(_home=Path.home().as_posix())
        self._self_id = self.model_id or ""
        self.on_msg(self._on_msg)
        self._next()

    # -- voting ------------------------------------------------------------------

    @property
    def records(self) -> list[JobRecord]:
        """The clips that can be compared (completed, video on disk)."""
        return list(self._records)

    def _comparisons(self) -> list[Comparison]:
        out: list[Comparison] = []
        for v in ballot.read(self.store, list(self._index)):
            if v.outcome in _SCORE:
                out.append((self._index[v.left_job], self._index[v.right_job], _SCORE[v.outcome]))
        return out

    def _next(self) -> None:
        last = self._shown
        pairs = [p for p in self._pairs if p != last] or self._pairs
        picked = next_pair(pairs, len(self._records), self._comparisons(), rng=self._rng)
        if picked is None:
            self._shown = None
            self.pair = {}
            self.message = self._why_none()
        else:
            i, j = picked if self._random.random() < 0.5 else picked[::-1]  # sides at random
            self._shown = (min(i, j), max(i, j))
            self._token = uuid.uuid4().hex[:8]
            embeds = self._embed is Embed.ALWAYS or (
                self._embed is Embed.AUTO and not frontend.detect().serves_files
            )
            budget = [frontend.embed_cap(ARENA_EMBED_CAP)] if embeds else None
            self._sides = (self._records[i], self._records[j])
            self.pair = {
                "token": self._token,
                "prompt": self._records[i].prompt,
                "left": self._blind(self._records[i], budget),
                "right": self._blind(self._records[j], budget),
            }
        self._static = self.static_html()

    def _blind(self, record: JobRecord, budget: list[int] | None) -> dict[str, Any]:
        tile = clip_tile(record, base_dir=self.base_dir, budget=budget)
        return {k: tile[k] for k in _BLIND}

    def _why_none(self) -> str:
        if len(self._records) < 2:
            return (
                f"{len(self._records)} of {len(self._all)} clips are finished with a video: "
                "the arena needs two of the same prompt"
            )
        return "no two finished clips share a prompt: the arena compares clips of one prompt"

    def vote(self, outcome: str) -> ballot.Vote | None:
        """Judge the pair shown: ``left``, ``right``, ``tie`` or ``skip`` (as the keys do)."""
        return self._cast(outcome, self._token)

    def _cast(self, outcome: str, token: str) -> ballot.Vote | None:
        with self._lock:
            if not self.pair or token != self._token:
                return None  # a second press on a pair already judged
            if outcome not in ballot.OUTCOMES:
                raise ValueError(f"a vote is one of {', '.join(ballot.OUTCOMES)}, not {outcome!r}")
            left, right = self._sides
            try:
                cast = ballot.cast(
                    self.store,
                    arena_id=self.arena_id,
                    voter=self.voter,
                    left=(left.id, left.request_id),
                    right=(right.id, right.request_id),
                    outcome=outcome,
                )
            except Exception as exc:  # shown in the widget, never lost silently
                log.exception("arena could not save a vote")
                self.message = f"could not save the vote: {exc}"
                return None
            self._token = ""
            if outcome != "skip":
                self.votes_cast += 1
            self.revealed = {
                "outcome": outcome,
                "left": {"id": left.id, "heading": tile_heading(left)},
                "right": {"id": right.id, "heading": tile_heading(right)},
            }
            picked = {"left": "left", "right": "right"}.get(outcome)
            self.message = (
                f"voted {picked} (#{(left if picked == 'left' else right).id})"
                if picked
                else ("a tie" if outcome == "tie" else "skipped")
            )
            self._next()
            return cast

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and "vote" in content:
            try:
                self._cast(str(content["vote"]), str(content.get("token", "")))
            except ValueError as exc:
                self.message = str(exc)

    def _add(self, record: JobRecord) -> None:
        """A clip that finished after the arena was drawn: its pairs join the candidates."""
        fresh = self.store.get(record.id) or record
        with self._lock:
            known = any(r.id == fresh.id for r in self._all)
            self._all = [fresh if r.id == fresh.id else r for r in self._all] + (
                [] if known else [fresh]
            )
            if fresh.id in self._index or fresh.status is not JobStatus.COMPLETED:
                return
            if video_file(fresh) is None:
                return
            k = len(self._records)
            self._pairs += [(i, k) for i, r in enumerate(self._records) if r.prompt == fresh.prompt]
            self._records.append(fresh)
            self._index[fresh.id] = k
        if not self.pair:
            self._next()

    # -- the ranking ------------------------------------------------------------------

    def ranking(self) -> Any:
        """The ranking of the arena's clips (by ``by``) from every vote so far, as ``rank()``."""
        # Fewer resamples than rank()'s default: this runs after every vote, in the kernel.
        return rank([r.id for r in self._all], self.by, store=self.store, rounds=STATIC_ROUNDS)

    def static_html(self) -> str:
        return rank_html(self.ranking())

    def __repr__(self) -> str:
        return f"<Arena {len(self._records)} clips · {len(self._pairs)} pairs · {self.voter}>"


def arena(
    jobs: Any,
    *,
    by: str | Sequence[str] | None = None,
    session: Session | None = None,
    voter: str | None = None,
    seed: int | None = None,
    embed: Embed | str = Embed.AUTO,
) -> Arena:
    """Blind A/B votes over *jobs* (a Sweep, Jobs, a history frame or ids); see ``ltx.arena``."""
    store, records = collect(jobs, session=session)
    widget = Arena(records, store, by=by, voter=voter, seed=seed, embed=embed)
    if isinstance(jobs, Sweep):
        _follow_sweep(widget, jobs)
    elif isinstance(jobs, list | tuple):
        _follow(widget, [j for j in jobs if isinstance(j, Job)])
    return widget


def _follow_sweep(widget: Arena, sweep: Sweep) -> None:
    # Told of every poll of every job (iterating a Sweep would wait for its submits): a
    # clip joins once its job is done, whenever it was sent.
    handled: set[int] = set()

    def on_change(changed: Sweep) -> None:
        for job in changed.jobs:
            if job.done and job.id not in handled:
                handled.add(job.id)
                try:
                    widget._add(job.record)
                except Exception:
                    log.exception("arena could not add job %s", job.id)
        if changed.done:
            changed.remove_listener(on_change)

    sweep.add_listener(on_change)


def _follow(widget: Arena, jobs: list[Job]) -> None:
    # Clips still running join the arena as they finish.
    for job in (j for j in jobs if not j.done):

        def on_change(changed: Job) -> None:
            if changed.done:
                changed.remove_listener(on_change)
                try:
                    widget._add(changed.record)
                except Exception:
                    log.exception("arena could not add job %s", changed.id)

        job.add_listener(on_change)
