"""The review gallery: a grid of clips played in sync, each rated and noted into the store.

An anywidget: the Python side holds the state as traits (``tiles``, the
row/column labels, ``ratings``, ``notes``) and one ES module
(``gallery.js``) draws it. Play, pause and seek are the front end's alone
(one control bar drives every ``<video>``); a star click or a note edit comes
back as a change of the ``ratings`` / ``notes`` Dict traits, which the
observers below write to the store with ``store.update``, so they show in
``history()``. Python can do the same with :meth:`Gallery.rate` and
:meth:`Gallery.note`.

Videos are addressed as in ``_display``: by path relative to the kernel's
working directory (the notebook's folder). Widget output is not rewritten
by JupyterLab's URL resolver, so each tile also carries its absolute path
and the front end turns it into a ``/files/`` URL under the server root it
reads from the page config. Where the front end cannot serve local files
(VS Code, Colab) ``embed="auto"`` inlines them as data URIs under a budget.

Widget state is not saved with most notebooks, so the display bundle also
carries ``text/html``: the static grid (posters, ``<video controls>``, labels,
ratings) that nbviewer, GitHub and nbconvert show instead. JupyterLab and
Notebook 7 always prefer the widget view of a bundle, and a saved view whose
model is gone reads "Error displaying widget: model not found" (ipywidgets'
renderer shows that once the manager has restored and the id is unknown). So
once the live view is drawn, ``saved.js`` drops the widget view from the
*saved* copy of its output (the output model's data, which Lab serialises),
leaving the static grid: a reopened notebook shows the grid, with or without
a kernel, and re-running the cell brings the live gallery back. The static
grid is kept current in the ``_static`` trait, and ``saved.js`` writes each
new one into the saved copy: the notebook keeps the gallery's last state.

A gallery of a :class:`Sweep` has a tile for every combination of its plan
from the first draw (a stand-in while it waits to be sent, then its live
status, then its clip) and follows the sweep to the end.

The payload stays bounded whatever the number of clips: tiles carry paths,
not bytes (the front end turns them into ``/files/`` URLs and loads videos as
they scroll into view), posters are inlined into the static grid under a
budget, and the store is read in one query.
"""

from __future__ import annotations

import html
import logging
import threading
from pathlib import Path
from typing import Any, Final

import anywidget
import traitlets as t

from .._core.params import format_param
from .._jobs.job import Job
from .._jobs.session import Session
from .._jobs.sweeps.sweep import Sweep
from .._jobs.team.watch import finished
from .._storage import media
from .._storage.records import JobRecord
from .._storage.store import Store
from .._view import frontend
from .._view.cell import POSTER_EMBED_CAP, Embed, relative_src
from .._view.clip_facts import prompt_parts
from .._view.differ import split_params
from .._view.grid import (
    Grid,
    collect,
    layout,
    plan_records,
    playable_file,
    poster_file,
    session_of,
)
from .._view.labels import STARS, owners_shown, param_title
from .._view.static_grid import static_grid_html
from .._view.sweep_progress import COLOURS
from ._assets import module_text
from ._static import WithStatic
from ._tiles import clip_tile

__all__ = ["GALLERY_EMBED_CAP", "STATIC_POSTER_BUDGET", "STATIC_TILES_MAX", "Gallery", "gallery"]

log = logging.getLogger("ltx_notebook")
# Total bytes of video one gallery inlines when it embeds; the rest is linked.
GALLERY_EMBED_CAP: Final = 64 * 1024 * 1024
# The saved static grid inlines posters up to this many bytes in all (later ones are
# linked by path), and shows at most this many tiles: a notebook stays small, however
# many clips the live gallery holds.
STATIC_POSTER_BUDGET: Final = 768 * 1024
STATIC_TILES_MAX: Final = 240


class Gallery(WithStatic, anywidget.AnyWidget):
    """A grid of jobs' videos with one play/pause/seek control, star ratings and notes.

    Made by :func:`gallery`. ``ratings`` maps a job's local id (as text) to
    1–5 or ``None``; ``notes`` maps it to text. Changing either (from the
    front end or Python) writes the store.
    """

    # sync.js (clips played as one), saved.js (the saved form kept as the last state),
    # ab.js (helpers, the A/B view) and tools.js (filter, sort) go in front, as
    # shared.css goes before the sheets: anywidget takes one module and one style sheet.
    _esm = module_text("sync.js", "saved.js", "ab.js", "tools.js", "gallery.js")
    _css = module_text("shared.css", "gallery.css", "ab.css")

    tiles = t.List(t.Dict()).tag(sync=True)
    rows = t.List(t.Unicode()).tag(sync=True)
    cols = t.List(t.Unicode()).tag(sync=True)
    row_param = t.Unicode(None, allow_none=True).tag(sync=True)
    col_param = t.Unicode(None, allow_none=True).tag(sync=True)
    ratings = t.Dict().tag(sync=True)
    notes = t.Dict().tag(sync=True)
    width = t.Unicode("100%").tag(sync=True)
    min_tile = t.Int(220).tag(sync=True)  # px: columns are as many as fit the output's width
    params = t.List(t.Unicode()).tag(sync=True)  # the params that vary, to filter and sort by
    message = t.Unicode("").tag(sync=True)
    _home = t.Unicode("").tag(sync=True)
    # The view finds its own output by this id to keep only the static grid in the saved file.
    _self_id = t.Unicode("").tag(sync=True)
    # The static grid of the current state: what the saved notebook keeps (saved.js).
    _static = t.Unicode("").tag(sync=True)

    def __init__(
        self,
        records: list[JobRecord],
        store: Store,
        *,
        row: str | None = "resolution",
        col: str | None = "duration",
        width: str = "100%",
        min_tile: int = 220,
        embed: Embed | str = Embed.AUTO,
        embed_cap: int = GALLERY_EMBED_CAP,
        base_dir: Path | None = None,
    ) -> None:
        self.store = store
        self.embed = Embed(embed)
        self.embed_cap = frontend.embed_cap(embed_cap)
        self.base_dir = base_dir
        self._row, self._col = row, col
        self._records = list(records)
        self._lock = threading.Lock()
        self._srcs: dict[str, str] = {}
        self._grid: Grid = layout(self._records, row, col)
        # A sweep's combinations with no job yet, by stand-in id (plan_records): their state.
        self._states: dict[int, str] = {}
        self._sweep: Sweep | None = None
        self._seen: Any = None
        self._unlisten = []  # the listeners on watched jobs, removed when the view closes
        super().__init__(width=width, min_tile=min_tile, _home=Path.home().as_posix())
        self._self_id = self.model_id or ""
        self._apply(self._records)

    # -- state ----------------------------------------------------------------

    @property
    def records(self) -> list[JobRecord]:
        """The jobs shown, as last read from the store."""
        return list(self._records)

    @property
    def grid(self) -> Grid:
        return self._grid

    def refresh(self) -> Gallery:
        """Re-read every job from the store (a sweep that was still running, new ratings)."""
        if self._sweep is not None:
            records, self._states = plan_records(self._sweep, self.store)
            self._apply(records)
            return self
        found = {r.id: r for r in self.store.find(id=[r.id for r in self._records])}
        fresh = [found.get(r.id, r) for r in self._records]
        self._apply(fresh)
        return self

    def _apply(self, records: list[JobRecord]) -> None:
        with self._lock:
            self._records = records
            self._grid = grid = layout(records, self._row, self._col)
            budget = [self.embed_cap]
            self._srcs = {}
            self._parts = prompt_parts(rec.prompt for rec in records)
            tiles: list[dict[str, Any]] = []
            self._whose = owners_shown(records)
            for r, _row_value in enumerate(grid.rows):
                for c, _col_value in enumerate(grid.cols):
                    tiles.extend(self._tile(rec, r, c, budget) for rec in grid.cell(r, c))
            varying, _ = split_params([t["params"] for t in tiles])
            with self.hold_sync():
                self.params = varying
                self.row_param, self.col_param = grid.row, grid.col
                self.rows = [format_param(grid.row, v) for v in grid.rows] if grid.row else []
                self.cols = [format_param(grid.col, v) for v in grid.cols] if grid.col else []
                self.tiles = tiles
                self._syncing = True
                try:
                    # Stand-ins of a sweep's unsent combinations have no row to rate yet.
                    jobs = [rec for rec in records if rec.id > 0]
                    self.ratings = {str(rec.id): rec.rating for rec in jobs}
                    self.notes = {str(rec.id): rec.notes or "" for rec in jobs}
                finally:
                    self._syncing = False
                self._static = self.static_html()

    def _embeds(self) -> bool:
        if self.embed is Embed.ALWAYS:
            return True
        return self.embed is Embed.AUTO and not frontend.detect().serves_files

    def _tile(self, record: JobRecord, r: int, c: int, budget: list[int]) -> dict[str, Any]:
        tile = clip_tile(
            record,
            base_dir=self.base_dir,
            budget=budget if self._embeds() else None,
            whose=self._whose,
        )
        video, poster = playable_file(record), poster_file(record)
        if video is not None and tile["src"] is not None:
            self._srcs[video.resolve().as_posix()] = tile["src"]
        if poster is not None and tile["poster"] is not None:
            self._srcs[poster.resolve().as_posix()] = tile["poster"]
        tile.update(
            row=r,
            col=c,
            prompt_parts=self._parts.get(record.prompt, [(record.prompt, False)]),
        )
        state = self._states.get(record.id)
        if state is not None and state != tile["status"]:
            # PENDING, SUBMITTING, DOWNLOADING, REFUSED, SKIPPED: the sweep knows, not the row.
            tile.update(status=state, colour=COLOURS.get(state, "#6b7280"))
        return tile

    # -- ratings and notes ------------------------------------------------------

    _syncing = False
    _whose = False  # the tiles name their owners: the clips are not all the user's
    _parts: dict[str, list[tuple[str, bool]]] = {}  # noqa: RUF012 - replaced, never mutated

    def rate(self, job_id: int, stars: int | None) -> None:
        """Rate job *job_id* 1–5 (``None`` clears), as a star click does."""
        self.ratings = {**self.ratings, str(job_id): stars}

    def note(self, job_id: int, text: str | None) -> None:
        """Set job *job_id*'s notes, as editing its note box does."""
        self.notes = {**self.notes, str(job_id): text or ""}

    @t.validate("ratings")
    def _valid_ratings(self, proposal: Any) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for key, value in dict(proposal["value"]).items():
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 1 <= value <= STARS
                or int(value) != value
            ):
                raise t.TraitError(f"rating of job {key} must be 1–{STARS} or None, not {value!r}")
            out[str(key)] = None if value is None else int(value)
        return out

    @t.observe("ratings")
    def _ratings_changed(self, change: dict[str, Any]) -> None:
        self._write_changes(change, "rating", lambda v: v)

    @t.observe("notes")
    def _notes_changed(self, change: dict[str, Any]) -> None:
        self._write_changes(change, "notes", lambda v: (str(v).strip() or None) if v else None)

    def _write_changes(self, change: dict[str, Any], field: str, clean: Any) -> None:
        if self._syncing:
            return
        old, new = change["old"] or {}, change["new"] or {}
        known = {str(r.id): r for r in self._records if r.id > 0}
        for key in sorted(set(old) | set(new), key=str):
            if old.get(key) == new.get(key):
                continue
            value = clean(new.get(key))
            if key not in known:
                sent = not key.lstrip("-").isdigit() or int(key) > 0
                self.message = (
                    f"job {key} is not in this gallery"
                    if sent
                    else "that combination has no job yet: rate it once it has a clip"
                )
                continue
            try:
                record = self.store.update(int(key), **{field: value})
            except Exception as exc:  # shown in the widget, never lost silently
                log.exception("gallery could not save %s of job %s", field, key)
                self.message = f"could not save {field} of job {key}: {exc}"
                return
            self._records = [record if r.id == record.id else r for r in self._records]
            if field == "rating":
                what = f"rating {'★' * value}" if value else "rating cleared"
            else:
                what = "note saved" if value else "note cleared"
            self.message = f"#{key}: {what}"
            # The saved notebook keeps the new stars: the static grid is drawn from _grid.
            self._grid = layout(self._records, self._row, self._col)
            self._static = self.static_html()

    # -- display ----------------------------------------------------------------

    def static_html(self) -> str:
        """The grid as plain HTML with posters, for the saved notebook (no widget needed).

        Bounded: at most :data:`STATIC_TILES_MAX` tiles, posters inlined up to
        :data:`STATIC_POSTER_BUDGET` bytes in all and linked by path after that.
        """
        srcs = self._srcs
        poster_budget = [STATIC_POSTER_BUDGET]

        def src_for(path: Path) -> str | None:
            return srcs.get(path.resolve().as_posix()) or relative_src(path, self.base_dir)

        def poster_for(path: Path) -> str:
            size = path.stat().st_size
            if size <= min(poster_budget[0], POSTER_EMBED_CAP):
                uri = media.data_uri(path, max_bytes=POSTER_EMBED_CAP)
                if uri is not None:
                    poster_budget[0] -= size
                    return uri
            return relative_src(path, self.base_dir)

        records = self._records
        grid = self._grid
        more = ""
        if len(records) > STATIC_TILES_MAX:
            grid = layout(records[:STATIC_TILES_MAX], self._row, self._col)
            more = (
                f"<div style='margin:4px 8px;opacity:.75'>… and {len(records) - STATIC_TILES_MAX}"
                " more clips: run the cell to see them all in the live gallery</div>"
            )
        title = ""
        if grid.row or grid.col:
            by = " × ".join(param_title(p) for p in (grid.row, grid.col) if p)
            title = f"<div style='font-weight:600;margin:4px 8px'>LTX gallery · {html.escape(by)}"
            title += f" · {len(records)} clips</div>"
        return title + static_grid_html(grid, video_src=src_for, poster_src=poster_for) + more

    def __repr__(self) -> str:
        by = " × ".join(p for p in (self._row, self._col) if p) or "flat"
        return f"<Gallery {len(self._records)} clips · {by}>"

    # -- following running jobs -----------------------------------------------

    def _follow_sweep(self, sweep: Sweep) -> None:
        """Show every combination of *sweep*'s plan and redraw as each one moves."""
        self._sweep = sweep
        self.refresh()
        sweep.add_listener(self._on_sweep)

    def _on_sweep(self, sweep: Sweep) -> None:
        # Told of every poll of every job: redraw only when a tile would change.
        seen = tuple(
            (item.refresh(), item.job.id, item.job.record.video_path) if item.job else item.state
            for item in sweep.items
        )
        if seen == self._seen and not sweep.done:
            return
        self._seen = seen
        if sweep.done:
            sweep.remove_listener(self._on_sweep)
        try:
            self.refresh()
        except Exception:
            log.exception("gallery refresh of sweep %s failed", sweep.sweep_id)

    def _follow(self, jobs: list[Job]) -> None:
        pending = [job for job in jobs if not job.done]
        for job in pending:

            def on_change(changed: Job, job: Job = job) -> None:
                if changed.done:
                    changed.remove_listener(on_change)
                    try:
                        self.refresh()
                    except Exception:
                        log.exception("gallery refresh after job %s failed", job.id)

            job.add_listener(on_change)

    def _watch_others(self, session: Session) -> None:
        """Follow, by their rows, the unfinished jobs shown that no driver here follows.

        A teammate's job (or one a kernel of ours left running) is another kernel's to
        poll: its row is re-read from the store while this gallery shows it
        (``Session.watch``), and each move (QUEUED, PROCESSING, its clip) redrawn.
        """
        unfinished = [r for r in self._records if r.id > 0 and not finished(r)]
        jobs = [session.track(r, self.store) for r in unfinished]
        jobs = [job for job in jobs if not job.driven and not job.done]
        if not jobs:
            return
        self._watched = (session, jobs)
        session.watch.add(jobs, self.store)
        for job in jobs:

            def on_change(changed: Job) -> None:
                seen = {r.id: (r.status, r.video_path) for r in self._records}
                if seen.get(changed.id) == (changed.status, changed.record.video_path):
                    return
                if changed.done:
                    changed.remove_listener(on_change)
                try:
                    self.refresh()
                except Exception:
                    log.exception("gallery refresh after job %s failed", changed.id)

            self._unlisten.append((job, on_change))
            job.add_listener(on_change)

    _unlisten: list[tuple[Job, Any]]
    _watched: tuple[Session, list[Job]] | None = None

    def close(self) -> None:
        """Close the view; the teammates' jobs it showed are no longer re-read for it."""
        if self._watched is not None:
            session, jobs = self._watched
            self._watched = None
            session.watch.drop(jobs)
            for job, listener in self._unlisten:
                job.remove_listener(listener)
        super().close()


def gallery(
    jobs_or_frame: Any,
    row: str | None = "resolution",
    col: str | None = "duration",
    *,
    session: Session | None = None,
    width: str = "100%",
    min_tile: int = 220,
    embed: Embed | str = Embed.AUTO,
    embed_cap: int = GALLERY_EMBED_CAP,
) -> Gallery:
    """A grid of the jobs' videos, played in sync, each rated and noted into the store.

    *jobs_or_frame*: a list of Jobs, a Sweep, a ``history()`` DataFrame (rows
    by local id), or local ids. Rows group by the *row* parameter's values,
    columns by *col*'s (any job field: ``prompt``, ``generate_audio``,
    ``tag``…); ``None`` for both gives a flat grid. Left at the defaults over
    clips of several models, rows are the models. *width* is a CSS width
    for the whole grid; tiles scale to it, as many columns as fit tiles of at
    least *min_tile* pixels (a row × column grid keeps its columns and fills
    them). Pick two tiles' A and B to compare them frame by frame; space
    plays, arrows move, ``,`` and ``.`` step a frame. *embed*: ``never`` links files by
    relative path, ``always`` inlines them (up to *embed_cap* bytes in all),
    ``auto`` inlines only where the front end cannot serve local files.
    """
    if isinstance(jobs_or_frame, Sweep):
        session = session or jobs_or_frame.session
    store, records = collect(jobs_or_frame, session=session)
    if (row, col) == ("resolution", "duration") and len({r.model for r in records}) > 1:
        row = "model"  # the default layout, over several models: a row per model
    widget = Gallery(
        records,
        store,
        row=row,
        col=col,
        width=width,
        min_tile=min_tile,
        embed=embed,
        embed_cap=embed_cap,
    )
    if isinstance(jobs_or_frame, Sweep):
        widget._follow_sweep(jobs_or_frame)
    elif isinstance(jobs_or_frame, Job):
        widget._follow([jobs_or_frame])
    elif isinstance(jobs_or_frame, list | tuple):
        widget._follow([j for j in jobs_or_frame if isinstance(j, Job)])
    follower = session or session_of(jobs_or_frame)
    # A Sweep's jobs are followed through the sweep; only a Session can watch rows.
    if isinstance(follower, Session) and not isinstance(jobs_or_frame, Sweep):
        widget._watch_others(follower)
    return widget
