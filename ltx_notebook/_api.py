"""The module-level API behind the public face: the default session and what uses it.

``ltx_notebook/__init__.py`` only re-exports; the functions live here (as httpx keeps
``_api.py`` behind its face). The default session is resolved here and nowhere below:
the magic is handed it by :func:`load_ipython_extension`. Importing this module fills
``_jobs/presenters``' slots with functions that import the views when first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._core.params import validate
from ._jobs.presenters import PRESENTERS as _PRESENTERS
from ._jobs.reuse import Reuse
from ._jobs.reuse import refuse_unclear as _refuse_unclear
from ._jobs.reuse import reuse_scope as _reuse_scope
from ._jobs.reuse import same_job as _same_job
from ._jobs.session import Session
from ._jobs.sweeps import sweep as _sweep

if TYPE_CHECKING:
    import os
    from collections.abc import Sequence
    from pathlib import Path

    import pandas as pd

    from ._jobs.job import Job
    from ._jobs.recovery.importer import ImportReport
    from ._jobs.recovery.reconcile import Reconciliation
    from ._jobs.sweeps.sweep import Sweep
    from ._storage.records import JobRecord
    from ._storage.store import Store
    from ._view.ranking import RankFrame
    from ._view.spend import Spend
    from .widgets import ABCompare, Arena, Gallery

# -- the default session: resolved here and nowhere below -------------------------------

_default: Session | None = None


def _default_session() -> Session:
    """The process's session (created on first use) behind the module-level API and the magic."""
    global _default
    if _default is None:
        _default = Session()
    return _default


# -- how jobs and sweeps are drawn: the views, imported when first used ------------------


def _job_html(record: JobRecord) -> str:
    from ._view.cell import job_html

    return job_html(record)


def _sweep_html(handle: Sweep) -> str:
    from ._view.sweep_progress import render_html

    return render_html(handle, live=False)


def _sweep_panel(handle: Sweep) -> Any:
    from .widgets import SweepPanel

    return SweepPanel(handle)


def _prepare_playback(path: Path) -> None:
    from ._view.frontend import prepare_playback

    prepare_playback(path)


_PRESENTERS.job_html = _job_html
_PRESENTERS.prepare_playback = _prepare_playback
_PRESENTERS.sweep_html = _sweep_html
_PRESENTERS.sweep_panel = _sweep_panel


def _history_frame(store: Store, **filters: Any) -> pd.DataFrame:
    from ._view.history import history_view

    return history_view(store, **filters)


_PRESENTERS.history_frame = _history_frame


def generate(
    prompt: str,
    *,
    duration: int | None = None,
    resolution: str | None = None,
    generate_audio: bool | None = None,
    image: str | None = None,
    model: str = "ltx-2-pro",
    tag: str | None = None,
    reuse: Reuse = False,
    again: bool = False,
    extra: dict[str, Any] | None = None,
    **params: Any,
) -> Job:
    """Validate, submit, and return the :class:`Job` once the service accepted it.

    *params* are the model's own (``seed=7, fps=24, num_frames=121`` for
    ``ltx-2-19b-t2v``: see ``ltx_notebook.MODELS`` and docs/models.md); *extra*
    sends params the catalog does not know yet, unchecked. Parameter,
    authentication, credit and budget (:class:`BudgetExceeded`) errors raise here,
    before anything is billed. The job then polls in the background; ``job.wait()``
    (or ``await job``) blocks until it is done and its video is on disk.

    Every call submits, unless *reuse* is true: then a job of the same request
    (model, every parameter, prompt, image) already in the store, in flight or
    COMPLETED on this service, is returned instead and nothing is sent.
    ``reuse=True`` (or ``"mine"``) looks at your own jobs; ``reuse="team"`` at every
    teammate's in a shared store too (theirs is followed from the store, never polled
    here).

    A request whose earlier submit is unclear (its row UNKNOWN or SUBMITTING: it may
    be a billed job) is not sent again: :class:`SubmitUnknown` names that job and
    says to run :func:`reconcile` first. *again* sends it all the same.
    """
    checked = validate(
        model,
        extra=extra,
        prompt=prompt,
        duration=duration,
        resolution=resolution,
        generate_audio=generate_audio,
        image=image,
        **params,
    )
    scope = _reuse_scope(reuse)
    session = _default_session()
    if scope is not None and not again:
        found = _same_job(session, checked, again="again=True", scope=scope)
        if found is not None:
            return found
    elif not again:
        _refuse_unclear(session, [checked], again="again=True")
    return session.submit(checked, tag=tag)


def history(**filters: Any) -> pd.DataFrame:
    """Every recorded job as a DataFrame, newest first, indexed by local job id.

    One typed column per field of the store: the parameters, ``request_id``,
    ``status``, ``error``, the times (``submitted_at``, ``completed_at``,
    ``queue_s``, ``run_s``, ``total_s``), ``cost``, ``video_path``, ``tag``,
    ``sweep_id``, ``rating``, ``notes`` and ``owner`` (who made the job).
    Keyword *filters* keep the rows equal to them:
    ``history(status="FAILED")``, ``history(tag="fox", duration=8)``;
    ``history(owner="me")`` keeps your own jobs (``configure(user=...)``, rows from
    before owners were recorded included), ``history(owner="ana")`` a teammate's.

    A real, whole, typed DataFrame (a subclass) whose notebook display is a
    compact table of one page; ``pd.DataFrame(history())`` shows pandas' own.
    """
    from ._view.history import history_view

    session = _default_session()
    return history_view(session.store, user=session.settings.user, **filters)


def spend(since: Any = None, by: str | Sequence[str] = ("day", "model", "sweep")) -> Spend:
    """What the store's jobs cost: charged and estimated apart, grouped by *by*.

    *since*: a date or datetime, ISO text, ``"session"``, ``"day"``, ``"month"``, a
    ``timedelta`` or ``"24h"``/``"7d"`` (default: every job). *by*: ``day``, ``model``,
    ``sweep`` or any ``history()`` column. ``.frame`` is the table; printed, it reads
    as text with the totals and, when a budget is set, what is left of it.
    """
    from ._view.spend import spend as summarise

    session = _default_session()
    return summarise(session.store, since=since, by=by, settings=session.settings)


def import_history(
    since: Any = None,
    *,
    model: str | None = None,
    until: Any = None,
    wait: bool = True,
    timeout: float | None = None,
) -> ImportReport:
    """Bring jobs this account ran elsewhere (console, other machines) into the store.

    Each request of the history since *since* (default: 7 days ago) not yet in
    the store becomes a row (``origin == "history"``) with its real charge,
    times, inputs and state; completed ones get their video while the service
    still serves it (7 days). Importing twice adds nothing.
    """
    from ._jobs.recovery.importer import import_history as bring

    return bring(
        _default_session(), since=since, until=until, model=model, wait=wait, timeout=timeout
    )


def get_job(key: int | str) -> Job:
    """A past job by local id or request id, rebuilt from the store."""
    return _default_session().get(key)


def resume() -> list[Job]:
    """Re-attach to jobs left unfinished (after a kernel restart): they poll and download again."""
    return _default_session().resume()


def reconcile() -> Reconciliation:
    """Set the store straight against your request history; return what changed.

    Every UNKNOWN, EXPIRED and LOST job is looked up again (a video found is
    downloaded, a running job followed), a job left SUBMITTING by a stopped
    kernel first becomes UNKNOWN, and every finished job gets its real charge
    as ``cost``. Print the result for one line per changed job.
    """
    return _default_session().reconcile()


def adopt(job_id: int, request_id: str) -> Job:
    """Give UNKNOWN job *job_id* (a lost submit) the request *request_id*, and follow it.

    For a lost submit that several requests of your history match: the
    request must have been sent with the job's model and inputs. Also for a
    row a stopped kernel left SUBMITTING, and for the request id a
    ``StoreError`` named (its answer came while the disk was full).
    """
    return _default_session().adopt(job_id, request_id)


def credits() -> dict[str, float | None]:
    """The account's credits, as the service reports them."""
    return _default_session().credits()


def sweep(
    prompts: str | Sequence[str] | None,
    grid: dict[str, Any] | None = None,
    *,
    zip: bool = False,
    concurrency: int | None = None,
    model: str = "ltx-2-pro",
    tag: str | None = None,
    yes: bool = False,
    dry_run: bool = False,
    session: Session | None = None,
    confirm_jobs: int | None = None,
    confirm_cost: float | None = None,
    reuse: Reuse = False,
    extra: dict[str, Any] | None = None,
) -> Sweep:
    """Run *prompts* × *grid* as one sweep; return the :class:`Sweep` at once.

    Every combination is validated first (one bad value raises
    :class:`InvalidParams` and nothing is sent). ``grid["model"]`` may list
    several models: each other key applies where the model takes it, and the
    combinations a model refuses are named before anything is sent. With
    *dry_run* the returned Sweep only lists the plan (``plan()``, shown as a
    table) and nothing is sent.

    Above *confirm_jobs* jobs or *confirm_cost* dollars of *estimated* cost
    (defaults 8 jobs, $5) :class:`ConfirmationRequired` is raised unless *yes*
    is true; it never prompts, so a script or a cell run unattended cannot hang
    on it. A sweep that would pass the budget (``configure(budget=...)``), or
    whose estimate is above the account's credits (read before the first
    submit), raises :class:`BudgetExceeded` with nothing sent. With *reuse*,
    combinations already in the store (in flight or COMPLETED) are not sent
    again: their jobs stand in, and the gate counts only the rest (``reuse="team"``:
    every teammate's jobs too).
    *concurrency* (default 2) caps the jobs running at once.
    """
    return _sweep.sweep(
        prompts,
        grid,
        zip=zip,
        concurrency=_sweep.SWEEP_CONCURRENCY if concurrency is None else concurrency,
        model=model,
        tag=tag,
        yes=yes,
        dry_run=dry_run,
        session=session or _default_session(),
        confirm_jobs=confirm_jobs,
        confirm_cost=confirm_cost,
        reuse=reuse,
        extra=extra,
    )


def compare(
    frame: Any = None,
    by: str | Sequence[str] = ("resolution", "duration"),
    metrics: str | Sequence[str] = ("total_s", "queue_s", "run_s", "cost"),
    plot: bool = False,
    *,
    store: Store | None = None,
) -> Any:
    """Summarise jobs by parameter: how many succeed, how long they take, what they cost.

    *frame* is a ``history()`` frame (filter it first to compare a subset), a
    Sweep, or None for the whole history. One row per combination of *by*
    (any history column), with ``count``; ``completed`` and ``terminal`` (how
    many ended COMPLETED, and ended at all); ``success_rate``; and
    ``<metric>_median`` and ``<metric>_p90`` for each of *metrics*, over the
    COMPLETED jobs only. ``cost`` is the service's charge where it reported
    one, else the estimate. With *plot*, draws median bars with p90 whiskers
    (the ``[plot]`` extra) and returns the matplotlib Axes.
    """
    from ._view.compare import compare as summarise

    if frame is None and store is None:
        store = _default_session().store
    return summarise(frame, by, metrics, plot, store=store)


def gallery(
    jobs_or_frame: Any,
    row: str | None = "resolution",
    col: str | None = "duration",
    *,
    session: Session | None = None,
    **options: Any,
) -> Gallery:
    """A grid of the jobs' videos, played in sync, each rated and noted into the store.

    *jobs_or_frame*: a Sweep, a list of Jobs, a ``history()`` DataFrame or
    local job ids. Rows group by the *row* parameter's values, columns by
    *col*'s (any job field: ``prompt``, ``model``, ``tag``...); None for both
    gives a flat grid. *options*: ``width`` (a CSS width, default ``"100%"``),
    ``embed`` (``"auto"``: inline videos only where the front end cannot
    serve local files; ``"always"``; ``"never"``) and ``embed_cap`` (bytes of
    video inlined at most). ``rate(job_id, stars)`` and ``note(job_id, text)``
    on the returned gallery do what its stars and note boxes do.
    """
    from ._view.grid import session_of
    from .widgets import gallery as draw

    if session is None and session_of(jobs_or_frame) is None:
        # Ids or a history() frame: the default session's store, whose teammates' jobs
        # in flight it re-reads while the gallery shows them.
        session = _default_session()
    return draw(jobs_or_frame, row, col, session=session, **options)


_PRESENTERS.gallery = gallery


def compare_clips(
    a: Any,
    b: Any,
    *,
    mode: str = "side",
    session: Session | None = None,
    **options: Any,
) -> ABCompare:
    """Two clips frame-locked, side by side or as a wipe, with their params' differences.

    *a*, *b*: Jobs, local ids or request ids. *mode*: ``"side"`` or ``"wipe"``.
    Space plays both, ``,`` and ``.`` step one frame; the gallery opens the same
    view when two tiles are picked as A and B.
    """
    from .widgets import compare_clips as draw

    return draw(a, b, mode=mode, session=session or _default_session(), **options)


def arena(
    jobs: Any,
    *,
    by: str | Sequence[str] | None = None,
    voter: str | None = None,
    session: Session | None = None,
    **options: Any,
) -> Arena:
    """Blind A/B votes: two clips of one prompt side by side, which is better?

    *jobs*: what :func:`gallery` takes (a Sweep, Jobs, a ``history()`` frame or
    ids); finished clips of the same prompt are paired. Sides are random and
    the settings stay hidden until the vote: ``←`` left is better, ``→`` right,
    ``↓`` (or ``t``) a tie, ``s`` skip; space plays both, frame-locked. The next
    pair is the one a vote teaches most (a close call, seldom compared). Each
    vote is stored with *voter* (default: the login name), the time, the pair
    and the side each clip was on: see :func:`votes` and :func:`rank`. *by*:
    what the saved notebook's ranking groups by (default: by job). *options*:
    ``seed`` (the sides and ties drawn reproducibly), ``embed`` as in :func:`gallery`.
    """
    from .widgets import arena as draw

    return draw(jobs, by=by, voter=voter, session=session or _default_session(), **options)


_PRESENTERS.arena = arena


def rank(
    source: Any = None,
    by: str | Sequence[str] | None = None,
    *,
    plot: bool = False,
    session: Session | None = None,
) -> RankFrame | Any:
    """The settings (or jobs) of *source* ranked by the arena's votes, with 95 % intervals.

    *source*: a Sweep, Jobs, a ``history()`` frame, ids, or None for every job.
    *by*: any ``history()`` column (``"resolution"``, ``"model"``, several in a
    list), or None to rank the jobs themselves. A Bradley–Terry fit of every
    vote between two of its jobs (ties count half a win each; votes between
    two jobs of one setting say nothing about it and are left out): ``score``
    is the log-odds strength (0 is average; +0.69 wins 2 to 1 against it) with
    ``low`` and ``high`` from a bootstrap of the votes, ``beats_average``, and
    the ``votes``, ``wins``, ``ties`` and ``losses`` behind it, the best first.
    A notebook shows it as a table with the intervals drawn; with *plot*,
    a chart (matplotlib, the ``[plot]`` extra) whose Axes is returned.
    """
    from ._view.ranking import rank as fit

    store = (session or _default_session()).store if session or source is None else None
    return fit(source, by, store=store, plot=plot)


def votes(source: Any = None, *, session: Session | None = None) -> pd.DataFrame:
    """Every arena vote (between *source*'s jobs, when given), oldest first.

    One row per vote: ``voted_at``, ``voter``, ``arena_id``, ``left_job`` and
    ``right_job`` (local ids, as the sides were shown), ``outcome`` (``left``,
    ``right``, ``tie`` or ``skip``), ``winner`` (the job, none for a tie or a
    skip) and both request ids.
    """
    from ._view.grid import collect
    from ._view.ranking import votes_frame

    if source is None:
        return votes_frame((session or _default_session()).store)
    store, records = collect(source, session=session)
    return votes_frame(store, [r.id for r in records])


def export_report(
    source: Any,
    path: str | os.PathLike[str],
    *,
    session: Session | None = None,
    **options: Any,
) -> Any:
    """Write a self-contained HTML page reviewing *source*'s jobs; return its path.

    *source* is what :func:`gallery` takes. The page holds the grid of videos
    with posters and a play-all control, and a table of every job's
    parameters, timings, cost, rating and notes; it needs no Jupyter and no
    network. *options*: ``title``; ``row`` and ``col`` as in :func:`gallery`;
    ``embed`` (False: videos and posters are copied into ``<path
    stem>_media/`` beside the page, to move together; True: inlined as data
    URIs, one file) and ``embed_cap`` (bytes inlined at most; the rest are
    copied, with a warning). When the arena has votes between its jobs, the
    page shows their ranking (as :func:`rank`, by *row* and *col*) and writes
    every vote to ``<path stem>_votes.csv``.
    """
    from ._view.report import export_report as write

    return write(source, path, session=session, **options)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext ltx_notebook``: register the ``%%ltx`` and ``%ltx`` magics."""
    from ._magic.magics import LtxMagics

    configurables = getattr(ipython, "configurables", None)
    if configurables is not None:
        # %reload_ext must not leave a stale instance that %config would still update.
        configurables[:] = [c for c in configurables if type(c).__name__ != "LtxMagics"]
    magics = LtxMagics(shell=ipython, session=_default_session())
    # IPython 9's Magics registers itself for %config; older versions did not (storemagic).
    if configurables is not None and magics not in configurables:
        configurables.append(magics)
    ipython.register_magics(magics)
