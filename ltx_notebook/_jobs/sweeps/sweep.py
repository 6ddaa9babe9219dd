"""Sweeps: one prompt (or several) times a grid of parameters, as one handle.

:func:`sweep` builds the plan (:mod:`.plan`: every combination validated
before anything is sent), applies the confirmation gate, and returns a
:class:`Sweep` at once; the :mod:`.scheduler` then submits the plan on the
session's runtime loop, politely (concurrency, 429s, never a double submit).

Every job of a sweep carries the sweep's ``sweep_id`` (and ``tag``) in the
store, so ``history(sweep_id=...)`` finds it after a kernel restart.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from ..._core.errors import InvalidParams, LtxError, NotSubmitted, WaitTimeout
from ..._core.params import PARAM_NAMES, Params, check_timeout
from ..._core.status import INVALID, PENDING, REFUSED, SKIPPED, SWEEP_STATES
from ..job import Job
from ..money.costs import learn_or_list
from ..observe import Completion, Listeners
from ..presenters import PRESENTERS
from ..reuse import Reuse, reuse_scope, same_jobs
from ..session import Session
from .gate import ConfirmationRequired, admit
from .plan import Refused, plan_grid, varied_params
from .scheduler import Scheduler, SweepItem

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "SWEEP_CONCURRENCY",
    "SWEEP_CONFIRM_COST",
    "SWEEP_CONFIRM_JOBS",
    "SWEEP_MAX_CONCURRENCY",
    "SWEEP_SUBMIT_WAIT",
    "ConfirmationRequired",
    "NotSubmitted",
    "Sweep",
    "SweepItem",
    "sweep",
]

# Above either threshold a sweep needs yes=True (the magic's --yes). Module-level so a
# user can set their own comfort level once:
# ltx_notebook._jobs.sweeps.sweep.SWEEP_CONFIRM_JOBS = 20.
SWEEP_CONFIRM_JOBS = 8
SWEEP_CONFIRM_COST = 5.0
# Two at a time keeps a free-tier account (reportedly 5 submits a minute) out of trouble.
SWEEP_CONCURRENCY = 2
# More at once than the Pro tier's 50 submits a minute would only collect 429s.
SWEEP_MAX_CONCURRENCY = 50
# Seconds sweep[i] waits for combination i to be sent (it waits for a free slot first): a
# cell run before the sweep has got that far gets the job, not another one, or a clear error.
SWEEP_SUBMIT_WAIT = 600.0

Listener = Callable[["Sweep"], None]
log = logging.getLogger("ltx_notebook")


class Sweep:
    """A running (or planned) sweep: a list-like of its combinations' :class:`Job` objects.

    The plan is known from the start, so ``len(sweep)`` is the number of
    combinations and ``sweep[i]`` is the job of combination *i* of the plan
    (``sweep[-1]`` the last), at any time: if it is not sent yet, the call
    waits for its submit (up to :data:`SWEEP_SUBMIT_WAIT` seconds; see
    :meth:`job`), and a combination that will never have a job (refused,
    skipped by ``stop()``, a dry run) raises :class:`NotSubmitted`, never
    stands in for another job. ``for job in sweep`` yields them in plan order
    the same way, leaving out the combinations that will never have a job.
    ``sweep.jobs`` is the snapshot of the jobs submitted so far (never blocks);
    ``sweep.plan()`` lists every combination with its state.
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
        refused: Sequence[Refused] = (),
    ) -> None:
        self._session = session
        # Combinations of a cross-model sweep their model does not accept: never sent.
        self.refused = list(refused)
        self.sweep_id = sweep_id or f"sw-{uuid.uuid4().hex[:12]}"
        self.tag = tag
        self.concurrency = concurrency
        self.dry_run = dry_run
        # Priced from the store's past charges (one read), the price table where it has none.
        prices = learn_or_list(lambda: session.store, base_url=session.settings.base_url)
        self.items = [SweepItem(i, p, prices.estimate(p)) for i, p in enumerate(plan)]
        self.varying = varied_params(plan)
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._listeners: Listeners[Sweep] = Listeners()
        # Notified on every change, so sweep[i] can wait for combination i's submit.
        self._changed = threading.Condition()
        self._scheduler = Scheduler(
            session,
            self.items,
            concurrency=concurrency,
            sweep_id=self.sweep_id,
            tag=tag,
            on_change=self._notify,
            on_job=self._on_submitted,
        )
        # _complete flips first, listeners see it, and only then are waiters released, so a
        # panel has drawn the final state by the time wait() returns.
        self._complete = dry_run
        self._finished = Completion()
        self._future: Any = None
        if dry_run:
            self._finished.set()

    # -- list-like --------------------------------------------------------------
    @property
    def jobs(self) -> list[Job]:
        """The jobs submitted so far, in the order they were sent (a snapshot; never blocks)."""
        return list(self._scheduler.jobs)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> Job: ...
    @overload
    def __getitem__(self, index: slice) -> list[Job]: ...
    def __getitem__(self, index: int | slice) -> Job | list[Job]:
        if isinstance(index, slice):
            return [self.job(i) for i in range(len(self.items))[index]]
        return self.job(index)

    def __iter__(self) -> Iterator[Job]:
        for item in self.items:
            try:
                yield self.job(item.index)
            except NotSubmitted:
                continue  # refused, skipped or a dry run: never a job, nothing to yield

    def job(self, index: int, timeout: float | None = SWEEP_SUBMIT_WAIT) -> Job:
        """The job of combination *index* of the plan, waiting up to *timeout* s for its submit.

        Raises :class:`NotSubmitted` if that combination will never have a job
        (refused by the service, skipped after ``stop()``, a dry run) and
        :class:`WaitTimeout` if it is still waiting to be sent when *timeout*
        runs out (``None`` waits as long as it takes); the sweep goes on.
        """
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"sweep indices are whole numbers, not {type(index).__name__}")
        size = len(self.items)
        if not -size <= index < size:
            raise IndexError(f"sweep {self.sweep_id} has {size} combinations (0 to {size - 1})")
        item = self.items[index % size]
        timeout = check_timeout(timeout, zero=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                if item.job is not None:
                    return item.job
                state = item.refresh()
                # Stopped (by stop() or an error every submit would meet), the scheduler sends
                # nothing still PENDING; it marks them SKIPPED only once its jobs are done.
                halted = state == PENDING and (self.stopped or self.error is not None)
                if self.dry_run or halted or state in (REFUSED, SKIPPED) or self._complete:
                    raise NotSubmitted(self._no_job(item, SKIPPED if halted else state))
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise WaitTimeout(
                        f"{self._where(item)} is still {state} after {timeout:g}s (it waits "
                        f"for a free slot, {self.concurrency} at a time); the sweep goes on: "
                        f"sweep.job({item.index}, timeout=None) waits as long as it takes",
                        request_id=None,
                    )
                self._changed.wait(left)

    def _where(self, item: SweepItem) -> str:
        values = ", ".join(
            f"{name}={getattr(item.params, name)!r}" for name in self.varying if name != "prompt"
        )
        return f"combination {item.index} of {len(self.items)}" + (f" ({values})" if values else "")

    def _no_job(self, item: SweepItem, state: str) -> str:
        if self.dry_run:
            return f"{self._where(item)} has no job: a dry run sends nothing"
        stopped = f"the sweep stopped ({self.error})" if self.error else "the sweep was stopped"
        why = {
            REFUSED: "the service refused it",
            SKIPPED: f"{stopped} before it was sent",
        }.get(state, f"it ended {state} without a job")
        detail = f" ({item.error})" if item.error else ""
        return f"{self._where(item)} has no job: {why}{detail}; nothing stands in for it"

    @property
    def size(self) -> int:
        """How many combinations the sweep planned."""
        return len(self.items)

    @property
    def estimated_cost(self) -> float:
        """Sum of the estimates of the jobs to be sent (past charges, else ``PRICES``).

        An estimate, not a bill. Combinations the re-run guard matched to jobs
        already in the store cost nothing new.
        """
        return round(sum(item.estimate for item in self.items if not item.reused), 4)

    @property
    def reused(self) -> int:
        """How many combinations are shown from jobs already in the store, not sent."""
        return sum(1 for item in self.items if item.reused)

    @property
    def to_send(self) -> int:
        """How many combinations this sweep sends (all of them but the reused ones)."""
        return self.size - self.reused

    def _reuse(self, jobs: Sequence[Job | None]) -> None:
        # Before the scheduler starts: one job (or None) per item, from reuse.same_jobs.
        for item, job in zip(self.items, jobs, strict=True):
            if job is not None:
                item.job, item.reused = job, True
                item.refresh()

    def costs(self) -> tuple[float, float]:
        """``(charged, estimated)`` now: charges known, and estimates of the rest still to bill.

        Combinations refused or skipped were never sent and count nothing.
        """
        charged = estimated = 0.0
        for item in self.items:
            cost = item.job.record.cost if item.job is not None else None
            if cost is not None:
                charged += cost
            elif item.refresh() not in (REFUSED, SKIPPED):
                estimated += item.estimate
        return round(charged, 4), round(estimated, 4)

    def cost_text(self) -> str:
        """``$0.72 charged + ~$0.36 estimated``, or ``~$1.08 estimated`` before any charge."""
        charged, estimated = self.costs()
        if not charged:
            return f"~${estimated:.2f} estimated"
        return f"${charged:.2f} charged" + (f" + ~${estimated:.2f} estimated" if estimated else "")

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
        return self._scheduler.stopped

    @property
    def effective_concurrency(self) -> int:
        """How many jobs may run at once now: lowered after a 429, raised again when calm."""
        return self._scheduler.effective_concurrency

    @property
    def rate_limited(self) -> int:
        """429s that got past the client's own retries to the sweep."""
        return self._scheduler.rate_limited

    @property
    def note(self) -> str | None:
        """What the sweep is doing now, for the panel (e.g. waiting out a 429)."""
        return self._scheduler.note

    @property
    def error(self) -> LtxError | None:
        """Why the sweep stopped early, if it did."""
        return self._scheduler.error

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
        return Counter({s: found[s] for s in SWEEP_STATES if found[s]})

    def finished_count(self) -> int:
        return sum(1 for item in self.items if item.final)

    def plan(self) -> pd.DataFrame:
        """Every combination, in order: params, estimate, charge (once known), state, id, error."""
        import pandas as pd

        from ..._storage.tables import typed

        records = []
        for item in self.items:
            job = item.job
            records.append(
                {
                    **item.params.as_dict(),
                    "cost_estimate": item.estimate,
                    "reused": item.reused,
                    "cost": job.record.cost if job else None,
                    "state": item.refresh(),
                    "request_id": job.request_id if job else None,
                    "job_id": job.id if job else None,
                    "error": (job.error if job else None) or item.error,
                }
            )
        for bad in self.refused:
            records.append({"model": bad.model, "state": INVALID, "error": str(bad)})
        frame = pd.DataFrame.from_records(
            records,
            columns=[
                *PARAM_NAMES,
                "cost_estimate",
                "reused",
                "cost",
                "state",
                "request_id",
                "job_id",
                "error",
            ],
        )
        frame = typed(frame)
        frame["state"] = pd.Categorical(frame["state"], categories=list(SWEEP_STATES))
        frame.index.name = "#"
        frame.attrs["sweep_id"] = self.sweep_id
        frame.attrs["estimated_cost"] = self.estimated_cost
        frame.attrs["reused"] = self.reused
        return frame

    def frame(self) -> pd.DataFrame:
        """Every combination of the plan as a row of ``history()`` (typed, and drawn, as there).

        In plan order, whatever the sweep has reached: a combination with a job
        is that job's row (indexed by its local id); one not sent yet, or never
        sent, is a row of its params with no id, its ``status`` the sweep's state
        (PENDING, SUBMITTING, REFUSED, SKIPPED) and ``cost_estimate`` its estimate.
        ``combination`` is the plan's index. Reused jobs keep the ``sweep_id`` of
        the run that sent them, so they are added by id.
        """
        import pandas as pd

        from ..._storage.tables import history_frame, typed

        # The face installs history()'s own frame, which a notebook draws as a table.
        make = PRESENTERS.history_frame or history_frame
        store = self._session.store
        frame = make(store, sweep_id=self.sweep_id)
        reused = [item.job.id for item in self.items if item.reused and item.job is not None]
        if reused:
            frame = pd.concat([frame, make(store, id=reused)])
            frame = frame[~frame.index.duplicated()]
        at = {item.job.id: item.index for item in self.items if item.job is not None}
        frame = frame.copy()
        frame["combination"] = pd.array([at.get(int(i)) for i in frame.index], dtype="Int64")
        waiting = [item for item in self.items if item.job is None]
        if waiting:
            rows = pd.DataFrame.from_records(
                [
                    {
                        **item.params.as_dict(),
                        "status": item.refresh(),
                        "error": item.error,
                        "cost_estimate": item.estimate,
                        "sweep_id": self.sweep_id,
                        "tag": self.tag,
                        "combination": item.index,
                    }
                    for item in waiting
                ],
                index=pd.Index([pd.NA] * len(waiting), dtype="Int64", name=frame.index.name),
            )
            rows = rows[[c for c in rows.columns if c in frame.columns]]
            frame = typed(pd.concat([frame, rows]))
        frame.index = pd.Index(frame.index, dtype="Int64", name=frame.index.name)
        return frame.sort_values("combination", kind="stable", na_position="last")

    # -- waiting ---------------------------------------------------------------------
    def wait(self, timeout: float | None = None) -> Sweep:
        """Block until every job is done (videos downloaded); return the sweep.

        FAILED jobs do not raise (check ``counts()``). If the sweep stopped
        early on an error every submit would hit (bad key, no credits, service
        unreachable), that error is raised once the submitted jobs are done.
        If *timeout* runs out, :class:`WaitTimeout` (a ``TimeoutError``) is
        raised and the sweep goes on.
        """
        timeout = check_timeout(timeout, zero=True)
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
        self._scheduler.stop()
        return sum(1 for item in self.items if item.state == PENDING)

    cancel = stop

    # -- observing -------------------------------------------------------------------
    def add_listener(self, callback: Listener) -> None:
        """Call *callback(sweep)* now and after every change (often from the runtime thread)."""
        self._listeners.add(callback, self)

    def remove_listener(self, callback: Listener) -> None:
        self._listeners.remove(callback)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()
        self._listeners.notify(self)

    def _on_submitted(self, _item: SweepItem, job: Job) -> None:
        with self._changed:
            self._changed.notify_all()
        job.add_listener(self._on_job)

    def _on_job(self, _job: Job) -> None:
        self._scheduler.poke()
        self._notify()

    # -- display ---------------------------------------------------------------------
    def __repr__(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items())
        kind = "dry run, nothing sent" if self.dry_run else counts
        if self.reused:
            kind += f"; {self.reused} reused from the store"
        return (
            f"<Sweep {self.sweep_id}: {self.size} jobs ({kind}) · "
            f"{self.cost_text()} · concurrency {self.concurrency}>"
        )

    def _repr_html_(self) -> str | None:
        draw = PRESENTERS.sweep_html
        return draw(self) if draw is not None else None

    def panel(self) -> Any:
        """A live :class:`~ltx_notebook.widgets.SweepPanel` following this sweep."""
        return PRESENTERS.require("sweep_panel")(self)

    def gallery(self, **kw: Any) -> Any:
        """The jobs' videos side by side, played in sync (see ``ltx_notebook.gallery``).

        Unless given, ``row`` and ``col`` are the parameters the sweep varies
        (prompt last): two of them make a grid, one makes a single row.
        """
        row, col = self.axes()
        kw.setdefault("row", row)
        kw.setdefault("col", col)
        kw.setdefault("session", self._session)
        return PRESENTERS.require("gallery")(self, **kw)

    def arena(self, **kw: Any) -> Any:
        """Blind A/B votes between this sweep's clips of one prompt (see ``ltx_notebook.arena``).

        Unless given, ``by`` (what the saved ranking groups by) is the parameters
        the sweep varies, prompt aside.
        """
        kw.setdefault("by", [k for k in self.varying if k != "prompt"] or None)
        kw.setdefault("session", self._session)
        return PRESENTERS.require("arena")(self, **kw)

    def axes(self) -> tuple[str | None, str | None]:
        """(row, col) for laying the jobs out: the varied params, prompt last.

        Two of them make a grid, one makes a single row, none a flat grid.
        """
        axes = [k for k in self.varying if k != "prompt"]
        axes += ["prompt"] if "prompt" in self.varying else []
        if len(axes) >= 2:
            return axes[0], axes[1]
        return None, (axes[0] if axes else None)

    # -- running ------------------------------------------------------------------
    def _start(self) -> None:
        self.started_at = time.time()
        self._future = self._session.runtime.submit(self._run())

    async def _run(self) -> None:
        try:
            await self._scheduler.run()
        finally:
            self.finished_at = time.time()
            self._complete = True
            self._notify()
            self._finished.set()


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
    session: Session,
    confirm_jobs: int | None = None,
    confirm_cost: float | None = None,
    reuse: Reuse = False,
    extra: Mapping[str, Any] | None = None,
) -> Sweep:
    """Run *prompts* × *grid* as one sweep; return the :class:`Sweep` at once.

    Every combination is validated first (one bad value raises
    :class:`InvalidParams` and nothing is sent). Across several models
    (``grid["model"]`` a list) each key applies where the model takes it, and
    combinations a model refuses are named in a :class:`ConfirmationRequired`;
    with *yes* the others run and ``Sweep.refused`` keeps them. *extra* params
    are sent unchecked with every job. With *dry_run* the returned
    Sweep only lists the plan (``plan()``, shown as a table) and nothing is
    sent. Above *confirm_jobs* jobs or *confirm_cost* dollars of *estimated*
    cost (defaults :data:`SWEEP_CONFIRM_JOBS`, :data:`SWEEP_CONFIRM_COST`)
    :class:`ConfirmationRequired` is raised unless *yes* is true; it never
    prompts, so a script or a cell run unattended cannot hang on it.

    With *reuse*, a combination whose request is already in the store (in
    flight or COMPLETED on this service) is not sent: its job stands in
    (``Sweep.reused``), so re-running a sweep sends only what is missing. The
    gate then counts only the jobs to be sent. A combination with no such job
    whose earlier submit is unclear (UNKNOWN, SUBMITTING) stops the sweep with
    :class:`SubmitUnknown` before anything is sent: reconcile first. ``reuse=True``
    (``"mine"``) looks at this user's jobs, ``reuse="team"`` at every teammate's too.

    A sweep that would pass the budget, or whose estimate is above the account's
    credits (read before the first submit), raises :class:`BudgetExceeded`, nothing sent.
    """
    scope = reuse_scope(reuse)
    plan, refused = plan_grid(prompts, grid, zip=zip, model=model, extra=extra)
    if refused and len({p.model for p in plan} | {r.model for r in refused}) == 1:
        raise InvalidParams(f"sweep {refused[0]}; nothing was sent", param=refused[0].param)
    if refused and not plan:
        raise InvalidParams(
            f"no combination of this sweep is valid, e.g. {refused[0]}; nothing was sent",
            param=refused[0].param,
        )
    whole = isinstance(concurrency, int) and not isinstance(concurrency, bool)
    if not whole or not 1 <= concurrency <= SWEEP_MAX_CONCURRENCY:
        raise InvalidParams(
            f"concurrency must be a whole number from 1 to {SWEEP_MAX_CONCURRENCY} "
            f"(got {concurrency!r})",
            param="concurrency",
        )
    for name, limit in (("confirm_jobs", confirm_jobs), ("confirm_cost", confirm_cost)):
        # A nan threshold would compare False with everything and wave any sweep through.
        number = isinstance(limit, int | float) and not isinstance(limit, bool)
        if limit is not None and not (number and 0 <= limit < math.inf):
            raise InvalidParams(f"{name} must be a number, 0 or more (got {limit!r})", param=name)
    handle = Sweep(
        session, plan, concurrency=concurrency, tag=tag, dry_run=dry_run, refused=refused
    )
    if scope is not None:
        handle._reuse(same_jobs(session, plan, again="--again (reuse=False)", scope=scope))
    if dry_run:
        return handle
    admit(
        handle,
        refused,
        yes=yes,
        max_jobs=SWEEP_CONFIRM_JOBS if confirm_jobs is None else confirm_jobs,
        max_cost=SWEEP_CONFIRM_COST if confirm_cost is None else confirm_cost,
    )
    handle._start()
    return handle
