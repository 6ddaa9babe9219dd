"""How long past jobs took, when each is only known to have ended within an interval.

The client never sees a job end: it sees a poll that still found it running,
then one that found it done. So what it knows for sure of a job's length is
an interval ``(lo, hi]``: after the last poll that saw it running (or the
submit) and by the first that saw it done. The submit-to-seen span ``hi`` is
the interval's far end, not the length: taking it as the length learns the
client's own lateness too, and a schedule learned from that polls later each
round. The service's ``total_time`` would close the interval, but the
reference only promises ``inference_time`` (a lower bound: the job ran at
least that long), so a total is used only where the service sent one and it
falls inside the interval.

From such intervals the distribution of lengths is Turnbull's nonparametric
maximum-likelihood estimate (the self-consistency EM on the intervals'
endpoints). The schedule's estimate (:mod:`.schedule`) wants points, so each
job is then stood for by where the estimate puts it within its own interval:
the quartiles of that conditional distribution, mass spread evenly inside
each of Turnbull's innermost intervals. A job known exactly stands for itself.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["Observed", "points", "turnbull"]

# EM stops when no support point's mass moves more than this, or after MAX_ROUNDS.
TOLERANCE = 1e-6
MAX_ROUNDS = 200
# Where in its conditional distribution a censored job is stood for: its quartiles.
QUANTILES = (0.25, 0.75)
_RIGHT, _LEFT = 0, 1


class Observed(NamedTuple):
    """A past job's length in seconds: within ``(lo, hi]``; ``lo == hi`` when known exactly."""

    lo: float
    hi: float

    @property
    def exact(self) -> bool:
        return self.lo >= self.hi


def turnbull(observed: Sequence[Observed]) -> list[tuple[float, float, float]]:
    """Turnbull's estimate: ``(left, right, mass)`` of each innermost interval, by position.

    An innermost interval is a left end followed by a right end with no other
    end between them: the only places an interval-censored estimate can put
    mass. An exact observation is its own innermost interval ``(t, t)``.
    """
    lefts = {o.lo for o in observed if not o.exact}
    rights = {o.hi for o in observed if not o.exact}
    exact = {o.hi for o in observed if o.exact}
    # At a tie a right end sorts first: (lo, hi] is open at lo, so (8, 9] and (9, 10]
    # meet at 9 without overlapping.
    ends = sorted([(x, _LEFT) for x in lefts] + [(x, _RIGHT) for x in rights])
    support: list[tuple[float, float]] = []
    for (a, kind_a), (b, kind_b) in itertools.pairwise(ends):
        if kind_a == _LEFT and kind_b == _RIGHT and a < b:
            support.append((a, b))
    support += [(t, t) for t in exact]
    support.sort()
    if not support:
        return []
    # Which support intervals each observation holds: (lo, hi] holds (a, b] when
    # lo <= a and b <= hi; an exact t holds (t, t) only.
    covers = [
        [
            j
            for j, (a, b) in enumerate(support)
            if (a == b == o.hi if o.exact else o.lo <= a and b <= o.hi)
        ]
        for o in observed
    ]
    covers = [c for c in covers if c]
    if not covers:
        return []
    mass = [1.0 / len(support)] * len(support)
    for _ in range(MAX_ROUNDS):
        new = [0.0] * len(support)
        for cover in covers:
            total = sum(mass[j] for j in cover)
            if total <= 0:
                continue
            for j in cover:
                new[j] += mass[j] / total
        new = [m / len(covers) for m in new]
        moved = max(abs(a - b) for a, b in zip(new, mass, strict=True))
        mass = new
        if moved < TOLERANCE:
            break
    return [(a, b, m) for (a, b), m in zip(support, mass, strict=True)]


def points(observed: Sequence[Observed]) -> list[float]:
    """Lengths standing for the observed jobs: exact ones as they are, censored ones
    at the quartiles of where Turnbull's estimate puts them within their interval."""
    usable = [
        Observed(max(0.0, o.lo), o.hi)
        for o in observed
        if math.isfinite(o.lo) and math.isfinite(o.hi) and o.hi > 0 and o.lo <= o.hi
    ]
    if all(o.exact for o in usable):
        return [o.hi for o in usable]
    estimate = turnbull(usable)
    out: list[float] = []
    for o in usable:
        if o.exact:
            out.append(o.hi)
            continue
        inside = [(a, b, m) for a, b, m in estimate if o.lo <= a and b <= o.hi and m > 0]
        total = sum(m for _, _, m in inside)
        if total <= 0:  # nothing learned about where in it: its middle
            out += [o.lo + q * (o.hi - o.lo) for q in QUANTILES]
            continue
        out += [_quantile(inside, total, q) for q in QUANTILES]
    return [p for p in out if p > 0]


def _quantile(cells: Sequence[tuple[float, float, float]], total: float, q: float) -> float:
    """The *q* quantile of mass spread evenly inside each cell (a point mass if a == b)."""
    want, seen = q * total, 0.0
    for a, b, m in cells:
        if seen + m >= want:
            return a + (b - a) * ((want - seen) / m if m else 0.0)
        seen += m
    return cells[-1][1]
