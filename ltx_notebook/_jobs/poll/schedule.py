"""When to poll next: where past jobs say this one is likely to end.

The service gives no progress, queue position or ETA, so when a job ends is
learned from the store's history of similar jobs (same model, duration,
resolution and service). What the client knows of a past job is an interval:
after the last poll that saw it running, by the first that saw it done (the
service's own total closes it where it sent one, which it does not promise).
:mod:`.censored` turns those intervals into lengths (Turnbull's estimate); the
submit-to-seen span is never taken as a length, since it holds the client's
own lateness and would make each round's schedule later than the last. A
history of a few jobs is trusted less: the lateness aimed for is shrunk while
it is thin (``THIN``), and a share of the estimate is a conservative prior
around what it learned (``PRIOR_SPREAD``), since three jobs that ended close
together say little of where the next one ends. A poll costs a request for
every job still running; a job that ends between two polls is seen late by the
time left until the next. So polls belong where jobs end, and hardly anywhere else.

**What history says.** Past durations become a kernel density estimate in
log-time, so widths are relative: a second is fine grain for a 70 s job and
a tenth of a 10 s one. The bandwidth is Silverman's from the interquartile
range, so a few 3x outliers do not widen it, and each point's own bandwidth
grows where points are sparse (Abramson's adaptive estimate), so a lone slow
job is a low, wide bump rather than a spike. Job times have a hard floor
(no run is faster than its inference), which kernels smear out below the
shortest job; the mass they put under a floor estimated from the sample is
reflected back above it. A duration over ``TAIL`` times the median is
clipped there: one stalled job must not stretch the estimate across minutes.
The estimate is evaluated once on a grid, as ``S(t)``, the share of jobs
still running at ``t``, whose fall is the density ``f(t)``.

**Where the polls go.** Minimising expected polls for a given expected
lateness is a classic optimal-inspection problem. Locally, a gap ``g`` at
``t`` costs ``S(t) / g`` polls per second and ``f(t) g / 2`` seconds of
lateness per second, so the best gap is

    g(t) = c * sqrt(S(t) / f(t))      (one over the root of the hazard rate)

for a ``c`` that prices lateness in polls: sparse while few of the running
jobs end, dense where most of them do, and denser still towards the end of
the distribution, when the few jobs left are about to end. Each next poll is
the first instant ``u`` with ``u - t >= g(u)``, so a gap never jumps over
the mass ahead of it. ``c`` is then set by bisection so that the **median
lateness** over the learned distribution meets *target*: 0.45 s by default,
a tenth under the 0.5 s a 1 s poller (the official SDK) sees on average,
because the history is only a sample of what comes next. When the history
pins the end down more finely than that (an emulator's totals repeat to the
millisecond), the target is twice its spread instead, so a poll or two sees
the end within it; the spread is never under 1 % of the duration, because
the client's clock starts when the submit is sent, a little before the
service's, and a poll aimed at the service's exact total could come too soon.

Three bounds keep it safe where history says little. Before the mass, a
gap is at most ``1.5 * elapsed + FIRST`` seconds, so a job that ends or
fails far earlier than history says is still seen within about 2.5 times its
runtime. Once a tenth of jobs has ended, a gap is at most 1 s plus a tenth of
the elapsed time, so a hole in the history (a small sample, the gap between
a fast and a slow mode) does not hide a job that ends in it. Once fewer than
``LATE_SHARE`` of jobs would still run, polls back off from the 1 s pace,
the gap growing with lateness up to ``cap``. Without enough
history the window is wide (0.6 to 1.6 times the model's typical time) and
polled at the SDK's 1 s pace, a few tenths past whole seconds (``PHASE``);
before it, polls start at that pace and the gap grows by a quarter of the
elapsed time, since the service may well be far faster than it advertises.

A schedule is planned once per job; :meth:`PollSchedule.next_delay` is then
a pure function of the elapsed time. ``tests/jobs/test_schedule.py``
simulates it on four job-time shapes, and ``benchmarks/bench_polling.py``
measures it against the SDK's loop on the emulator.
"""

from __future__ import annotations

import functools
import math
import statistics
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from ..._core.backoff import EQUAL_JITTER, Backoff
from .censored import Observed, points

__all__ = ["DRIVER_BACKOFF", "PollSchedule", "ScheduleCache"]

MIN_HISTORY = 3
# A thin history says less than it seems to (4 jobs may all miss the slow tail): the
# lateness aimed for is shrunk by 1 - (THIN / n)**2 for n jobs, 0.70 of it at 4 jobs,
# 0.95 at 10, nothing to speak of from 30 on.
THIN = 2.2
# What a thin history cannot rule out: the next job ends outside the range of the n
# before it with a chance of 2 / (n + 1), however close together they ended (they are
# exchangeable). Under WIDE_UNTIL jobs that share of the estimate is a conservative prior:
# log-normal around the learned median, PRIOR_SPREAD wide in log-seconds (two of them
# either side: 0.67 to 1.5 times it, about the window used without history). From
# WIDE_UNTIL jobs on their own spread speaks: ten jobs of a 70 s ±20 % service end
# within 2 % of each other about once in a billion histories.
PRIOR_SPREAD = 0.2
WIDE_UNTIL = 10
# Without history the window is polled this share of a pace past each whole pace. The
# client's clock starts when the submit is sent, before the service's, so a job of a
# round length (the emulator's fixed 10 s) ends a hair past a whole second by it: polls on
# whole seconds see it a whole pace late, where the SDK's loop, drifting by its round
# trip, is a few tenths past (10.3 s at its eleventh poll). For lengths that are not
# round, the phase makes no difference.
PHASE = 0.3
# Seconds: the first poll, and the constant in the early gap's bound (see above).
FIRST = 3.0
# Past the median this many times, a duration is clipped: a stall, not a shape.
TAIL = 5.0
# Smallest log-bandwidth: 1 % of the duration (a steady service repeats itself exactly).
MIN_BANDWIDTH = 0.01
# Share of jobs left running past which polls back off.
LATE_SHARE = 0.03
# Once this share of jobs has ended, a gap is at most 1 s plus this share of the elapsed time.
HOLE = 0.1
# Points of the grid the estimate is evaluated on, log-spaced over its support.
GRID = 600
# Seconds: never two polls closer than this, however dense the history.
MIN_GAP = 0.1
# New durations in a history before its schedule is planned again, and the share
# of a typical job's time between two plans of one kind of job (see ScheduleCache).
RELEARN_AFTER = 5
RELEARN_EVERY = 0.5
_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True)
class PollSchedule:
    """Planned poll times (seconds after submit), then a backoff; see the module docstring."""

    times: tuple[float, ...]
    expected: float | None
    late: float = 1.0
    cap: float = 10.0

    @classmethod
    def learn(
        cls,
        history: Sequence[float | tuple[float, float]],
        *,
        prior: float,
        target: float = 0.45,
        fallback: float = 1.0,
        cap: float = 10.0,
    ) -> PollSchedule:
        """Plan polls from past jobs' lengths, or from *prior* when there are too few.

        Each past length is a number (known exactly) or ``(lo, hi)``: the
        interval its end is known to lie in (:mod:`.censored`). *target* is the
        median lateness to aim for (seconds); *fallback* the pace inside the
        wide window used without history.
        """
        observed = [o for o in map(_observed, history) if o is not None]
        if len(observed) < MIN_HISTORY:
            return cls._without_history(prior, fallback, cap)
        durations = points(observed)
        ending = _Ending.estimate(durations, jobs=len(observed))
        # A few jobs say less than they seem to: aim tighter while the history is thin.
        trust = max(0.5, 1 - (THIN / len(observed)) ** 2)
        times = ending.plan(min(target * trust, 2 * ending.spread), cap=cap)
        return cls(times=times, expected=statistics.median(durations), cap=cap)

    @classmethod
    def _without_history(cls, prior: float, pace: float, cap: float) -> PollSchedule:
        end = 1.6 * prior
        # The window's polls fall PHASE of a pace past each whole one (see PHASE).
        start = math.ceil(0.6 * prior / pace - PHASE) * pace + PHASE * pace
        times: list[float] = []
        t = 0.0
        while t < start:
            # Nothing learned yet (a fresh store, a new service): it may be far faster.
            t = min(t + pace + 0.25 * t, start)
            times.append(t)
        while t + pace <= end:
            t += pace
            times.append(t)
        return cls(times=tuple(times), expected=None, late=pace, cap=cap)

    def next_delay(self, elapsed: float) -> float:
        """Seconds to wait before the next poll, *elapsed* seconds after submit."""
        i = bisect_right(self.times, elapsed)
        if i < len(self.times):
            return self.times[i] - elapsed
        last = self.times[-1] if self.times else 0.0
        return _backoff(elapsed, last, late=self.late, cap=self.cap)

    def progress(self, elapsed: float) -> float | None:
        """A fraction for a progress bar, or None when nothing has been learned yet."""
        if self.expected is None:
            return None
        # Never claim done: creep towards 99 % past the expected end.
        if elapsed <= self.expected:
            return 0.95 * elapsed / self.expected
        return min(0.99, 0.95 + 0.04 * (1 - self.expected / elapsed))


class ScheduleCache:
    """The last schedule planned for each kind of job, planned again only when history moved.

    Planning costs about 15 ms of CPU (a bisection over the estimate), on a
    worker thread that holds the GIL meanwhile: a kernel starting a job a
    second would spend that much of a core on it, and the cells it runs feel
    it. One or two new durations among fifty barely move the estimate, so a
    schedule is kept until ``RELEARN_AFTER`` of its history's durations are new,
    and for at least ``RELEARN_EVERY`` of a typical job's time (its median
    duration, or the prior): a schedule serves a job's whole life, so planning
    more often than that brings no job news sooner. With a hundred jobs in
    flight five end every few seconds, and planning at that pace was a tenth
    of the kernel's CPU; a kernel running a job a minute is not slowed by it.
    A first usable history is learned at once. ``clock``: monotonic seconds.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._plans: dict[object, tuple[tuple[object, ...], PollSchedule, float]] = {}

    def get(
        self, kind: object, history: Sequence[float | tuple[float, float]], *, prior: float
    ) -> PollSchedule:
        known = self._plans.get(kind)
        now = self._clock()
        if known is not None:
            seen, schedule, planned = known
            typical = schedule.expected or prior
            if (len(history) >= MIN_HISTORY) == (len(seen) >= MIN_HISTORY) and (
                now - planned < RELEARN_EVERY * typical
                or len(set(history) - set(seen)) < RELEARN_AFTER
            ):
                return schedule
        schedule = PollSchedule.learn(history, prior=prior)
        self._plans[kind] = (tuple(history), schedule, now)
        return schedule


# How long the driver waits before trying again what failed (a poll, a result, a
# download). The client has already retried each call a few times, so these steps start
# at a second; equal jitter, so it does slow down. ``attempts`` is how many times a
# download is tried before the driver gives up on it (the row keeps the remote URL, and
# ``%ltx show`` tries again).
DRIVER_BACKOFF: Final = Backoff(base=1.0, cap=60.0, jitter=EQUAL_JITTER, attempts=6)


def _observed(length: float | tuple[float, float]) -> Observed | None:
    """A past job's length as an interval; None for what cannot be one (NaN, <= 0, lo > hi)."""
    lo, hi = length if isinstance(length, tuple) else (length, length)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= 0 or not 0 <= lo <= hi:
        return None
    return Observed(float(lo), float(hi))


def _early_gap(elapsed: float) -> float:
    return 1.5 * elapsed + FIRST


def _backoff(elapsed: float, last: float, *, late: float, cap: float) -> float:
    """Past the planned polls: *late* seconds, growing by a quarter of the lateness."""
    return min(cap, late + 0.25 * max(0.0, elapsed - last))


@dataclass(frozen=True)
class _Ending:
    """When a job ends, as learned: ``S`` (share still running) on a log-spaced grid."""

    grid: tuple[float, ...]
    survival: tuple[float, ...]
    spread: float

    @classmethod
    def estimate(cls, durations: Sequence[float], *, jobs: int) -> _Ending:
        median = statistics.median(durations)
        xs = [math.log(min(d, TAIL * median)) for d in durations]
        widths = _bandwidths(xs)
        floor = _floor(xs)
        hi = max(x + 4 * h for x, h in zip(xs, widths, strict=True))
        kernels = [(m, h * _SQRT2) for m, h in zip(xs, widths, strict=True)]
        # The prior's share: what a thin history cannot rule out (see PRIOR_SPREAD).
        share = min(1.0, 2 / (jobs + 1)) if jobs < WIDE_UNTIL else 0.0
        centre = math.log(median)
        lo = min(floor, centre - 3 * PRIOR_SPREAD) if share else floor
        if share:
            hi = max(hi, centre + 3 * PRIOR_SPREAD)
        grid = tuple(math.exp(lo + (hi - lo) * j / GRID) for j in range(GRID + 1))
        wide = PRIOR_SPREAD * _SQRT2

        def running(x: float) -> float:
            learned = 1.0 if x <= floor else _survival(x, kernels, 2 * floor)
            return (1 - share) * learned + share * 0.5 * math.erfc((x - centre) / wide)

        survival = tuple(running(math.log(u)) for u in grid)
        # How finely the history places the typical end, in seconds.
        spread = median * statistics.median(widths)
        return cls(grid, survival, spread)

    def share_running(self, t: float) -> float:
        grid, s = self.grid, self.survival
        if t <= grid[0]:
            return 1.0
        if t >= grid[-1]:
            return 0.0
        j = bisect_right(grid, t)
        a, b = grid[j - 1], grid[j]
        return s[j - 1] + (s[j] - s[j - 1]) * (t - a) / (b - a)

    def times(self, c: float) -> list[float]:
        """Poll times for gap factor *c* (see the module docstring), until few jobs are left."""
        grid, s = self.grid, self.survival
        times: list[float] = []
        t = 0.0
        while (running := self.share_running(t)) >= LATE_SHARE:
            # Inside history's span, a hole in it (a small sample, a gap between a fast
            # and a slow mode) must not leave a job that ends there unseen for long.
            step = t + (_early_gap(t) if running > 1 - HOLE else 1.0 + HOLE * t)
            j = bisect_right(grid, t)
            while j < len(grid) and grid[j] < step:
                mass = s[j - 1] - s[j] if j else 0.0
                if mass > 0 and grid[j] - t >= c * math.sqrt(s[j] * (grid[j] - grid[j - 1]) / mass):
                    step = grid[j]
                    break
                j += 1
            t = max(step, t + MIN_GAP)
            times.append(t)
        return times

    def median_lateness(self, planned: Sequence[float], *, cap: float) -> float:
        """How late a job ending as learned is seen, at the median, polled at *planned*."""
        grid = self.grid
        times, last = list(planned), planned[-1]
        while times[-1] < grid[-1]:
            times.append(times[-1] + _backoff(times[-1], last, late=1.0, cap=cap))
        final = len(times) - 1
        cells = sorted(
            (max(0.0, times[min(bisect_right(times, end), final)] - mid), mass)
            for end, mid, mass in self._cells
        )
        half, seen = 0.5 * sum(m for _, m in cells), 0.0
        for late, m in cells:
            seen += m
            if seen >= half:
                return late
        return cells[-1][0]

    @functools.cached_property
    def _cells(self) -> tuple[tuple[float, float, float], ...]:
        """Each grid cell a job may end in: its end (less a hair), its middle, its mass.

        The same for every schedule :meth:`plan` tries (two dozen of them), so made once.
        """
        grid, s = self.grid, self.survival
        return tuple(
            (grid[j] - 1e-12, 0.5 * (grid[j - 1] + grid[j]), s[j - 1] - s[j])
            for j in range(1, len(grid))
            if s[j - 1] - s[j] > 0
        )

    def plan(self, target: float, *, cap: float) -> tuple[float, ...]:
        """The sparsest schedule whose median lateness meets *target*: bisect the gap factor."""
        lo, hi = math.log(1e-3), math.log(1e3)
        for _ in range(24):
            mid = 0.5 * (lo + hi)
            if self.median_lateness(self.times(math.exp(mid)), cap=cap) > target:
                hi = mid
            else:
                lo = mid
        return tuple(self.times(math.exp(lo)))


def _bandwidths(xs: Sequence[float]) -> list[float]:
    """Abramson's adaptive bandwidths around a Silverman pilot (robust spread: the IQR)."""
    n = len(xs)
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    spread = min(statistics.pstdev(xs), (q3 - q1) / 1.34) or statistics.pstdev(xs)
    pilot = max(0.9 * spread * n**-0.2, MIN_BANDWIDTH)
    density = [sum(math.exp(-0.5 * ((x - y) / pilot) ** 2) for y in xs) / (n * pilot) for x in xs]
    mean_log = statistics.fmean(math.log(d) for d in density)
    return [
        max(MIN_BANDWIDTH, pilot * min(3.0, math.sqrt(math.exp(mean_log) / d))) for d in density
    ]


def _floor(xs: Sequence[float]) -> float:
    """Below this log-time no job is expected to end: the shortest, less its likely shortfall.

    The n shortest of a sample fall short of the true minimum by about the
    range over n + 1; the interquartile range stands in for the range, so a
    slow outlier does not lower the floor.
    """
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return min(xs) - max(MIN_BANDWIDTH, 2 * (q3 - q1) / (len(xs) + 1))


def _survival(x: float, kernels: Sequence[tuple[float, float]], twice_floor: float) -> float:
    """Share still running at log-time *x*: each kernel is (centre, width times root 2)."""
    # Mass the kernels put below the floor is reflected above it (the reflection method).
    erfc = math.erfc
    terms = (0.5 * erfc((x - m) / d) + 0.5 * erfc((x + m - twice_floor) / d) for m, d in kernels)
    return max(0.0, sum(terms) / len(kernels))
