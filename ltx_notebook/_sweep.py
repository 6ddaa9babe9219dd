"""Sweeps: one prompt (or several) times a grid of parameters, run politely.

:func:`sweep` builds the plan (every combination validated before anything
is sent), applies the confirmation gate, and returns a :class:`Sweep` at once.
One coroutine on the session's runtime loop, the *scheduler*, then submits
the plan in order:

- at most ``concurrency`` jobs are *active* (submitted and not yet done,
  download included), so a sweep never floods the account;
- a submit refused with 429 (:class:`RateLimited`: the client's own retries
  could not get past it) is never a failure: the scheduler lowers its
  effective concurrency to what the service is currently accepting, backs off
  (``retry_after`` when the service gave one, else exponential with jitter)
  and sends the *same* combination again. A refused submit created nothing
  and billed nothing, so that is safe;
- a :class:`SubmitUnknown` (the submit was sent, the answer never came) is
  recorded as an ``UNKNOWN`` job and never sent again: a resend could bill
  twice. The sweep goes on with the next combination;
- errors every later submit would hit too (bad key, no credits, service
  unreachable) stop the sweep; the jobs already submitted are still followed
  to the end, and :meth:`Sweep.wait` then raises that error.

Every job of a sweep carries the sweep's ``sweep_id`` (and ``tag``) in the
store, so ``history(sweep_id=...)`` finds it after a kernel restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import pandas as pd

from ._errors import (
    AuthenticationError,
    InsufficientCredits,
    InvalidParams,
    LtxError,
    RateLimited,
    SubmitUnknown,
    TransportError,
    WaitTimeout,
)
from ._frame import history_frame, typed
from ._observe import Completion, Listeners
from ._params import Params, estimate_cost, validate
from ._store import JobStatus

if TYPE_CHECKING:
    from ._jobs import Job, Session

__all__ = [
    "SWEEP_CONCURRENCY",
    "SWEEP_CONFIRM_COST",
    "SWEEP_CONFIRM_JOBS",
    "ConfirmationRequired",
    "Sweep",
    "parse_grid",
    "plan_sweep",
    "split_prompts",
    "sweep",
]

log = logging.getLogger("ltx_notebook")

# Above either threshold a sweep needs yes=True (the magic's --yes). Module-level so a
# user can set their own comfort level once: ltx_notebook._sweep.SWEEP_CONFIRM_JOBS = 20.
SWEEP_CONFIRM_JOBS = 8
SWEEP_CONFIRM_COST = 5.0
# Two at a time keeps a free-tier account (reportedly 5 submits a minute) out of trouble.
SWEEP_CONCURRENCY = 2
# A grid this large is almost surely a typo; it would also take minutes just to validate.
SWEEP_MAX_JOBS = 1000
# Sweep-level backoff after a RateLimited: the client has already waited through its own
# retries, so start from seconds, not fractions of one.
BACKOFF_BASE = 5.0
BACKOFF_CAP = 120.0
# After this long without a 429 the effective concurrency climbs back by one.
RECOVER_AFTER = 60.0
# Consecutive refusals (400, 500...) before the sweep concludes the problem is not per-job.
MAX_REFUSALS = 3

SWEEPABLE = ("model", "prompt", "duration", "resolution", "generate_audio", "image")
PENDING = "PENDING"  # not sent yet
SUBMITTING = "SUBMITTING"  # being sent (or waiting out a 429)
DOWNLOADING = "DOWNLOADING"  # COMPLETED on the service, the video not on disk yet
REFUSED = "REFUSED"  # the service refused this combination; nothing was created or billed
SKIPPED = "SKIPPED"  # never sent: the sweep was stopped first
STATES = (
    PENDING,
    SUBMITTING,
    JobStatus.QUEUED.value,
    JobStatus.PROCESSING.value,
    DOWNLOADING,
    JobStatus.COMPLETED.value,
    JobStatus.FAILED.value,
    JobStatus.UNKNOWN.value,
    JobStatus.EXPIRED.value,
    JobStatus.LOST.value,
    REFUSED,
    SKIPPED,
)
# States after which nothing more happens to a combination.
FINAL_STATES = frozenset({REFUSED, SKIPPED} | {s.value for s in JobStatus.terminal()})

Listener = Callable[["Sweep"], None]
# plan_sweep() and sweep() take a parameter named zip (the public spelling); keep the builtin.
builtin_zip = zip


class ConfirmationRequired(LtxError):
    """The sweep is above the confirmation threshold and ``yes=True`` was not given.

    Nothing was sent. ``jobs``, ``estimated_cost`` and ``plan`` (a DataFrame of
    the combinations) say what would have run.
    """

    def __init__(self, message: str, *, jobs: int, estimated_cost: float, plan: pd.DataFrame):
        super().__init__(message)
        self.jobs = jobs
        self.estimated_cost = estimated_cost
        self.plan = plan


# -- building the plan -----------------------------------------------------------------


def split_prompts(text: str) -> list[str]:
    """Prompt variants of a cell: blocks separated by lines holding only ``---``.

    Blank blocks are dropped; each prompt is stripped (inner newlines kept).
    """
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip() == "---":
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [p for p in ("\n".join(b).strip() for b in blocks) if p]


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _coerce(key: str, text: str) -> Any:
    # Magic options arrive as text; validate() does the real checking later.
    text = text.strip()
    if key == "generate_audio":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
    if key == "duration" and text.lstrip("-").isdigit():
        return int(text)
    return text


def parse_grid(options: Iterable[str]) -> dict[str, list[Any]]:
    """``["duration=6,8,10", "resolution=1080p,4k"]`` → ``{"duration": [6, 8, 10], ...}``.

    What the magic's repeated ``--sweep k=v1,v2`` options become. A key given
    twice has its values appended. Raises :class:`InvalidParams` on a malformed
    option; values are validated later, with the rest of the plan.
    """
    grid: dict[str, list[Any]] = {}
    for option in options:
        key, sep, values = option.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InvalidParams(
                f"--sweep takes name=value1,value2 (got {option!r})", param=key or None
            )
        if key not in SWEEPABLE:
            raise InvalidParams(
                f"cannot sweep {key!r}; sweepable: {', '.join(SWEEPABLE)}", param=key
            )
        items = [v for v in values.split(",") if v.strip()]
        if not items:
            raise InvalidParams(f"--sweep {key}= has no values", param=key)
        grid.setdefault(key, []).extend(_coerce(key, v) for v in items)
    return grid


def _axis(key: str, value: Any) -> tuple[list[Any], bool]:
    """The values of one grid entry, and whether it was a single fixed value."""
    if value is None or isinstance(value, str | bytes | bool | int | float | os.PathLike):
        return [value], True
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise InvalidParams(
            f"grid[{key!r}] must be a list of values or a single value (got {value!r})",
            param=key,
        )
    values = list(value)
    if not values:
        raise InvalidParams(f"grid[{key!r}] is empty: give at least one value", param=key)
    return values, False


def _prompt_list(prompts: str | Sequence[str] | None) -> list[str]:
    if prompts is None:
        return []
    if isinstance(prompts, str):
        return [prompts]
    if not isinstance(prompts, Iterable):
        raise InvalidParams("prompts must be a string or a list of strings", param="prompt")
    return list(prompts)


def _describe(combo: Mapping[str, Any], keys: Sequence[str]) -> str:
    parts = []
    for key in keys:
        value = combo.get(key)
        if key == "prompt" and isinstance(value, str) and len(value) > 30:
            value = value[:29] + "…"
        parts.append(f"{key}={value!r}")
    return ", ".join(parts)


def plan_sweep(
    prompts: str | Sequence[str] | None,
    grid: Mapping[str, Any] | None = None,
    *,
    zip: bool = False,
    model: str = "ltx-2-pro",
) -> list[Params]:
    """Every combination of the sweep, validated, in run order. Sends nothing.

    Prompts are the outermost axis; grid keys follow in the order given.
    Without *zip* the grid is a Cartesian product; with it, the grid's lists
    are paired element by element (equal lengths required) and the prompts
    are still crossed with the pairs. A single value (not a list) is held
    fixed. ``grid["prompt"]`` may replace *prompts* (then *zip* pairs it too).
    Raises :class:`InvalidParams` naming the first bad value.
    """
    paired = zip
    grid = dict(grid or {})
    for key in grid:
        if key not in SWEEPABLE:
            raise InvalidParams(
                f"cannot sweep {key!r}; sweepable: {', '.join(SWEEPABLE)}", param=key
            )
    prompt_list = _prompt_list(prompts)
    if "prompt" in grid and prompt_list:
        raise InvalidParams(
            "give the prompts either as the first argument or as grid['prompt'], not both",
            param="prompt",
        )
    if "prompt" not in grid and not prompt_list:
        raise InvalidParams("a sweep needs at least one prompt", param="prompt")

    axes = {key: _axis(key, value) for key, value in grid.items()}
    lists = {k: v for k, (v, fixed) in axes.items() if not fixed}
    fixed = {k: v[0] for k, (v, is_fixed) in axes.items() if is_fixed}
    if paired and lists:
        lengths = {k: len(v) for k, v in lists.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{k}: {n}" for k, n in lengths.items())
            raise InvalidParams(
                f"zip pairs the grid's lists, so they must have equal lengths ({shown})",
                param=next(iter(lengths)),
            )
        rows = [dict(builtin_zip(lists, values)) for values in builtin_zip(*lists.values())]
    else:
        rows = [dict(builtin_zip(lists, values)) for values in itertools.product(*lists.values())]
    prompt_rows = [{"prompt": p} for p in prompt_list] or [{}]
    total = len(prompt_rows) * len(rows)
    if total > SWEEP_MAX_JOBS:
        raise InvalidParams(
            f"this sweep has {total} combinations, more than the limit of {SWEEP_MAX_JOBS}; "
            "split it into smaller sweeps",
            param=None,
        )

    varying = (["prompt"] if len(prompt_list) > 1 else []) + list(lists)
    plan: list[Params] = []
    for i, (p, row) in enumerate(itertools.product(prompt_rows, rows), start=1):
        combo = {**fixed, **p, **row}
        chosen_model = combo.pop("model", model)
        try:
            plan.append(validate(chosen_model, **combo))
        except InvalidParams as exc:
            where = _describe({"model": chosen_model, **combo}, varying) or "the fixed values"
            raise InvalidParams(
                f"sweep combination {i} of {total} ({where}): {exc}; nothing was sent",
                param=exc.param,
            ) from None
    return plan


# -- the sweep handle -----------------------------------------------------------------


@dataclass
class SweepItem:
    """One combination of a sweep: its params, estimate, and what became of it."""

    index: int
    params: Params
    estimate: float
    state: str = PENDING
    job: Job | None = None
    error: str | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES and (self.job is None or self.job.done)

    def refresh(self) -> str:
        job = self.job
        if job is not None:
            if job.status is JobStatus.COMPLETED and not job.done:
                self.state = DOWNLOADING
            else:
                self.state = job.status.value
        return self.state


class Sweep:
    """A running (or planned) sweep: a list-like of its :class:`Job` objects.

    ``len(sweep)``, ``sweep[i]`` and ``for job in sweep`` see the jobs
    *submitted so far*, in submit order (the plan's order, minus combinations
    refused or skipped): before the scheduler is done, iteration yields a
    snapshot and never blocks. ``sweep.size`` is the number of combinations
    planned; ``sweep.plan()`` lists all of them with their state. Call
    :meth:`wait` first to iterate over the complete set.
    """

    def __init__(
        self,
        session: Session,
        plan: Sequence[Params],
        *,
        concurrency: int = SWEEP_CONCURRENCY,
        tag: str | None = None,
        sweep_id: str | None = None,
        dry_run: bool = False,
    ) -> None:
        self._session = session
        self.sweep_id = sweep_id or f"sw-{uuid.uuid4().hex[:12]}"
        self.tag = tag
        self.concurrency = concurrency
        self.effective_concurrency = concurrency
        self.dry_run = dry_run
        self.items = [SweepItem(i, p, estimate_cost(p)) for i, p in enumerate(plan)]
        self.varying = _varying(plan)
        self.rate_limited = 0  # 429s that got past the client's retries to the scheduler
        self.note: str | None = None  # what the scheduler is doing, for the panel
        self.error: LtxError | None = None  # why the sweep stopped early, if it did
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._last_429 = time.monotonic()  # also the start of the current quiet spell
        self._jobs: list[Job] = []
        self._listeners: Listeners[Sweep] = Listeners()
        self._stop = threading.Event()
        # _complete flips first, listeners see it, and only then are waiters released, so a
        # panel has drawn the final state by the time wait() returns.
        self._complete = dry_run
        self._finished = Completion()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._future: Any = None
        if dry_run:
            self._finished.set()

    # -- list-like --------------------------------------------------------------
    @property
    def jobs(self) -> list[Job]:
        """The jobs submitted so far (a snapshot)."""
        return list(self._jobs)

    def __len__(self) -> int:
        return len(self._jobs)

    @overload
    def __getitem__(self, index: int) -> Job: ...
    @overload
    def __getitem__(self, index: slice) -> list[Job]: ...
    def __getitem__(self, index: int | slice) -> Job | list[Job]:
        return list(self._jobs)[index]

    def __iter__(self) -> Iterator[Job]:
        return iter(list(self._jobs))

    @property
    def size(self) -> int:
        """How many combinations the sweep planned."""
        return len(self.items)

    @property
    def estimated_cost(self) -> float:
        """Sum of the per-job estimates (see ``PRICES``): an estimate, not a bill."""
        return round(sum(item.estimate for item in self.items), 4)

    @property
    def session(self) -> Session:
        return self._session

    # -- state ---------------------------------------------------------------------
    @property
    def done(self) -> bool:
        """True once nothing more will be submitted and every submitted job is done."""
        return self._complete

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    @property
    def elapsed(self) -> float:
        if self.started_at is None:
            return 0.0
        return max(0.0, (self.finished_at or time.time()) - self.started_at)

    def counts(self) -> Counter[str]:
        """How many combinations are in each state (a Counter: absent states count 0).

        States: PENDING, SUBMITTING, QUEUED, PROCESSING, DOWNLOADING, COMPLETED,
        FAILED, UNKNOWN, EXPIRED, LOST, REFUSED, SKIPPED.
        """
        found = Counter(item.refresh() for item in self.items)
        return Counter({s: found[s] for s in STATES if found[s]})

    def finished_count(self) -> int:
        return sum(1 for item in self.items if item.final)

    def plan(self) -> pd.DataFrame:
        """Every combination, in order: params, estimated cost, state, request id, error."""
        records = []
        for item in self.items:
            job = item.job
            records.append(
                {
                    **item.params.as_dict(),
                    "cost_estimate": item.estimate,
                    "state": item.refresh(),
                    "request_id": job.request_id if job else None,
                    "job_id": job.id if job else None,
                    "error": (job.error if job else None) or item.error,
                }
            )
        frame = pd.DataFrame.from_records(
            records,
            columns=[
                "model",
                "prompt",
                "duration",
                "resolution",
                "generate_audio",
                "image",
                "cost_estimate",
                "state",
                "request_id",
                "job_id",
                "error",
            ],
        )
        frame = typed(frame)
        frame["state"] = pd.Categorical(frame["state"], categories=list(STATES))
        frame.index.name = "#"
        frame.attrs["sweep_id"] = self.sweep_id
        frame.attrs["estimated_cost"] = self.estimated_cost
        return frame

    def frame(self) -> pd.DataFrame:
        """This sweep's rows of ``history()`` (typed, as there), oldest first."""
        return history_frame(self._session.store, sweep_id=self.sweep_id).sort_index()

    # -- waiting ---------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Sweep:
        """Block until every job is done (videos downloaded); return the sweep.

        FAILED jobs do not raise (check ``counts()``). If the sweep stopped
        early on an error every submit would hit (bad key, no credits, service
        unreachable), that error is raised once the submitted jobs are done.
        If *timeout* runs out, :class:`WaitTimeout` (a ``TimeoutError``) is
        raised and the sweep goes on.
        """
        if not self._finished.wait(timeout):
            counts = ", ".join(f"{n} {s}" for s, n in self.counts().items())
            raise WaitTimeout(
                f"sweep {self.sweep_id} not done after {timeout:g}s ({counts}); it keeps "
                "going: call .wait() again or look at history(sweep_id=...)",
                request_id=None,
            )
        if self.error is not None:
            raise self.error
        return self

    async def wait_async(self) -> Sweep:
        """Wait on any event loop without blocking it; same outcome as :meth:`wait`."""
        await self._finished.wait_async()
        if self.error is not None:
            raise self.error
        return self

    def __await__(self) -> Any:
        return self.wait_async().__await__()

    def stop(self) -> int:
        """Submit nothing more; return how many combinations will not be sent.

        Jobs already submitted cannot be cancelled: the service has no cancel,
        they run (and are billed) to the end and are still followed and
        downloaded. A submit in flight is allowed to finish, never cut off
        (cutting it off could leave a job that exists but is not on record).
        """
        self._stop.set()
        self._poke()
        return sum(1 for item in self.items if item.state == PENDING)

    cancel = stop

    # -- observing -------------------------------------------------------------------
    def add_listener(self, callback: Listener) -> None:
        """Call *callback(sweep)* now and after every change (often from the runtime thread)."""
        self._listeners.add(callback, self)

    def remove_listener(self, callback: Listener) -> None:
        self._listeners.remove(callback)

    def _notify(self) -> None:
        self._listeners.notify(self)

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    def _on_job(self, _job: Job) -> None:
        self._poke()
        self._notify()

    # -- display ---------------------------------------------------------------------
    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items())
        kind = "dry run, nothing sent" if self.dry_run else counts
        return (
            f"<Sweep {self.sweep_id}: {self.size} jobs ({kind}) · "
            f"~${self.estimated_cost:.2f} estimated · concurrency {self.concurrency}>"
        )

    def _repr_html_(self) -> str:
        from .widgets._sweep_panel import render_html

        return render_html(self, live=False)

    def panel(self) -> Any:
        """A live :class:`~ltx_notebook.widgets.SweepPanel` following this sweep."""
        from .widgets._sweep_panel import SweepPanel

        return SweepPanel(self)

    def gallery(self, **kw: Any) -> Any:
        """The jobs' videos side by side, played in sync (see ``ltx_notebook.gallery``).

        Unless given, ``row`` and ``col`` are the parameters the sweep varies
        (prompt last): two of them make a grid, one makes a single row.
        """
        try:
            from .widgets import gallery  # type: ignore[attr-defined]
        except ImportError:  # until widgets/__init__ re-exports it
            from .widgets._gallery import gallery

        row, col = self.axes()
        kw.setdefault("row", row)
        kw.setdefault("col", col)
        kw.setdefault("session", self._session)
        return gallery(self, **kw)

    def axes(self) -> tuple[str | None, str | None]:
        """(row, col) for laying the jobs out: the varied params, prompt last.

        Two of them make a grid, one makes a single row, none a flat grid.
        """
        axes = [k for k in self.varying if k != "prompt"]
        axes += ["prompt"] if "prompt" in self.varying else []
        if len(axes) >= 2:
            return axes[0], axes[1]
        return None, (axes[0] if axes else None)

    # -- the scheduler -----------------------------------------------------------------
    def _start(self) -> None:
        self.started_at = time.time()
        self._future = self._session.runtime.submit(self._run())

    def _active(self) -> int:
        return sum(1 for job in self._jobs if not job.done)

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once on stop() so stopping never waits out a backoff."""
        assert self._wake is not None
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), left)

    async def _slot(self) -> None:
        """Wait until fewer than the effective concurrency of jobs are active."""
        assert self._wake is not None
        while not self._stop.is_set():
            calm = time.monotonic() - self._last_429 >= RECOVER_AFTER
            if calm and self.effective_concurrency < self.concurrency:
                # Additive increase: probe one more slot after a quiet spell.
                self.effective_concurrency += 1
                self._last_429 = time.monotonic()
            if self._active() < self.effective_concurrency:
                return
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    def _backoff(self, exc: RateLimited, streak: int) -> float:
        if exc.retry_after is not None:
            return min(max(0.0, exc.retry_after), BACKOFF_CAP)
        # Exponential with "equal jitter": never less than half the step, so it does slow down.
        step = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, streak - 1))
        return step * (0.5 + random.random() / 2)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            await self._submit_all()
            self.note = None
            self._notify()
            for job in list(self._jobs):
                await job.wait_async()
        except Exception as exc:  # a scheduler bug must end the sweep visibly, not hang wait()
            log.exception("sweep %s scheduler failed", self.sweep_id)
            if self.error is None:
                self.error = LtxError(f"sweep {self.sweep_id} stopped: {type(exc).__name__}: {exc}")
        finally:
            for item in self.items:
                if item.state in (PENDING, SUBMITTING):
                    item.state = SKIPPED
            self.finished_at = time.time()
            self._complete = True
            self._notify()
            self._finished.set()

    async def _submit_all(self) -> None:
        refusals = 0
        for item in self.items:
            await self._slot()
            if self._stop.is_set():
                return
            item.state = SUBMITTING
            self._notify()
            outcome = await self._submit(item)
            if outcome == "stop":
                return
            refusals = refusals + 1 if outcome == "refused" else 0
            if refusals >= MAX_REFUSALS:
                self.error = LtxError(
                    f"sweep {self.sweep_id} stopped after {refusals} refused submits in a row; "
                    f"last: {item.error}"
                )
                return

    async def _submit(self, item: SweepItem) -> str:
        """Send one combination until accepted; never twice if it may have arrived."""
        streak = 0
        session = self._session
        while True:
            try:
                job = await session.submit_async(item.params, tag=self.tag, sweep_id=self.sweep_id)
            except RateLimited as exc:
                # Refused outright: nothing exists, nothing billed, the same combination may go
                # again. Slow down: the service accepts no more than what is running now.
                streak += 1
                self.rate_limited += 1
                self._last_429 = time.monotonic()
                self.effective_concurrency = max(
                    1, min(self.effective_concurrency - 1, self._active())
                )
                delay = self._backoff(exc, streak)
                self.note = (
                    f"rate limited (HTTP 429): next submit in {delay:.0f}s, "
                    f"{self.effective_concurrency} at a time"
                )
                self._notify()
                await self._sleep(delay)
                await self._slot()
                if self._stop.is_set():
                    item.state = SKIPPED
                    return "stop"
                continue
            except SubmitUnknown as exc:
                # The job may exist and be billed: record it, never send it again.
                item.error = str(exc)
                if exc.job_id is not None:
                    job = await asyncio.to_thread(session.get, exc.job_id)
                    self._adopt(item, job)
                else:
                    item.state = JobStatus.UNKNOWN.value
                self._notify()
                return "unknown"
            except (AuthenticationError, InsufficientCredits, TransportError) as exc:
                # Every later submit would meet the same wall: stop, keep what was sent.
                item.state, item.error = REFUSED, str(exc)
                self.error = exc
                self._notify()
                return "stop"
            except LtxError as exc:
                # 400 / 404 / 500 at submit: the service refused this one; nothing exists.
                item.state, item.error = REFUSED, str(exc)
                self._notify()
                return "refused"
            self.note = None
            self._adopt(item, job)
            return "ok"

    def _adopt(self, item: SweepItem, job: Job) -> None:
        item.job = job
        item.refresh()
        self._jobs.append(job)
        job.add_listener(self._on_job)


def _varying(plan: Sequence[Params]) -> list[str]:
    """The parameters that take more than one value across the plan, in display order."""
    out = []
    for name in SWEEPABLE:
        if len({getattr(p, name) for p in plan}) > 1:
            out.append(name)
    return out


# -- the entry point -----------------------------------------------------------------------


def sweep(
    prompts: str | Sequence[str] | None,
    grid: Mapping[str, Any] | None = None,
    *,
    zip: bool = False,
    concurrency: int = SWEEP_CONCURRENCY,
    model: str = "ltx-2-pro",
    tag: str | None = None,
    yes: bool = False,
    dry_run: bool = False,
    session: Session | None = None,
    confirm_jobs: int | None = None,
    confirm_cost: float | None = None,
) -> Sweep:
    """Run *prompts* × *grid* as one sweep; return the :class:`Sweep` at once.

    Every combination is validated first (one bad value raises
    :class:`InvalidParams` and nothing is sent). With *dry_run* the returned
    Sweep only lists the plan (``plan()``, shown as a table) and nothing is
    sent. Above *confirm_jobs* jobs or *confirm_cost* dollars of *estimated*
    cost (defaults :data:`SWEEP_CONFIRM_JOBS`, :data:`SWEEP_CONFIRM_COST`)
    :class:`ConfirmationRequired` is raised unless *yes* is true; it never
    prompts, so a script or a cell run unattended cannot hang on it.
    """
    plan = plan_sweep(prompts, grid, zip=zip, model=model)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidParams(
            f"concurrency must be a whole number of at least 1 (got {concurrency!r})",
            param="concurrency",
        )
    if session is None:
        from ._jobs import default_session

        session = default_session()
    handle = Sweep(session, plan, concurrency=concurrency, tag=tag, dry_run=dry_run)
    if dry_run:
        return handle
    max_jobs = SWEEP_CONFIRM_JOBS if confirm_jobs is None else confirm_jobs
    max_cost = SWEEP_CONFIRM_COST if confirm_cost is None else confirm_cost
    cost = handle.estimated_cost
    if not yes and (handle.size > max_jobs or cost > max_cost):
        raise ConfirmationRequired(
            f"this sweep would run {handle.size} jobs at an estimated ${cost:.2f} (an estimate; "
            f"the service bills the real cost), above the confirmation threshold of {max_jobs} "
            f"jobs or ${max_cost:.2f}; nothing was sent. Pass yes=True (%%ltx --yes) to run it, "
            "or dry_run=True (--dry-run) to list the grid",
            jobs=handle.size,
            estimated_cost=cost,
            plan=handle.plan(),
        )
    handle._start()
    return handle
