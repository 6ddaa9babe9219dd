"""How fast a sweep may submit: learned from the first 429, before the client knocks again.

Segmind limits submits per minute (5 for a free account, 50 for pro) and
says neither the limit nor when the window frees (no ``Retry-After``). Left
to itself, the client retries a refused submit a few times within the same
full window, each knock a wasted request, before the sweep hears of it. So
the scheduler passes the client a hook (:data:`.._service.retry.RateLimitHook`)
that calls :meth:`SubmitPace.refused`, and the pace takes the 429 over:

* the limit is learned as the number of this sweep's submits accepted in the
  last window, and the next submit waits until the oldest of them leaves it
  (or until the service's own hint, if later), plus a hair for the clocks;
* a 429 the sweep's own submits cannot explain (none accepted in the window:
  another kernel on the same account, a fault) is left to the client's rules;
* a concurrency limit looks the same at first. While the kind of limit is
  unknown, a job ending lets one submit go early (a *probe*, see
  :meth:`SubmitPace.probe`): accepted, the limit was on concurrency, so the
  pace is forgotten and the scheduler's lowered concurrency covers it;
  refused, it was the rate, and the pace holds;
* a known rate climbs by one after a quiet spell (a window, doubled after each
  refused climb), so a limit raised later, or shared with a kernel that went
  quiet, is found again at the cost of a few 429s, not one per window.

Pure bookkeeping on an injectable clock: ``tests/jobs/test_pace.py`` drives it
with a fake one, and ``benchmarks/bench_sweep.py`` measures a sweep under a
3-a-minute limit against the bound that limit sets. What it learns is the
account's, not the sweep's: :mod:`.account_pace` loads the account's submits
and what any kernel learned into it (:meth:`SubmitPace.restore`) before each
decision, and keeps what it learns (:meth:`SubmitPace.learned`) in the store.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final, Literal, cast

from ..._storage.pace import Learned

__all__ = ["RATE_WINDOW", "SubmitPace"]

# Seconds: the service's limits are per minute.
RATE_WINDOW: Final = 60.0
# Share of the window added to each wait: our clock starts after the service's.
MARGIN: Final = 0.005
# A probe proves a concurrency limit only if accepted this share of the window early:
# our clock stamps a submit when its answer is recorded, after the service counted it.
PROBE_SLACK: Final = 0.1
# Share of the window the submits a 429 learns from may reach further back (see refused()).
LEARN_SLACK: Final = 0.1
# Accepted submits remembered: more than any per-minute limit the service has.
REMEMBERED: Final = 512

Kind = Literal["unknown", "rate", "concurrency"]


@dataclass
class SubmitPace:
    """The submits a sweep may send now: learned from its own accepted submits and 429s."""

    window: float = RATE_WINDOW
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    limit: int | None = None  # submits per window, once learned
    kind: Kind | None = None  # None: no 429 this pace could explain yet
    refusals: int = 0  # 429s the client told of
    _accepted: deque[float] = field(default_factory=lambda: deque(maxlen=REMEMBERED))
    _hint_until: float = 0.0
    _quiet_since: float = 0.0
    _climbs_refused: int = 0
    _probing: bool = False

    def learned(self) -> Learned:
        """What this pace knows of the limit, as the account's kernels share it."""
        return Learned(
            limit=self.limit,
            kind=self.kind,
            hint_until=self._hint_until,
            quiet_since=self._quiet_since,
            climbs_refused=self._climbs_refused,
        )

    def restore(self, learned: Learned | None, accepted: Iterable[float]) -> None:
        """Take what the account knows: *learned* (None: nothing yet) and the times of its
        submits (on this pace's clock), in place of this pace's own. A probe under way and
        the count of 429s stay this sweep's."""
        state = learned or Learned()
        self.limit = state.limit
        self.kind = cast("Kind | None", state.kind)
        self._hint_until = state.hint_until
        self._quiet_since = state.quiet_since
        self._climbs_refused = state.climbs_refused
        self._accepted.clear()
        self._accepted.extend(accepted)

    def recent(self, now: float | None = None, span: float | None = None) -> list[float]:
        """This sweep's submits accepted within the last window (or *span*), oldest first."""
        now = self.clock() if now is None else now
        span = self.window if span is None else span
        return [t for t in self._accepted if t > now - span]

    def wait(self) -> float:
        """Seconds until the next submit may go (0: now)."""
        now = self.clock()
        until = self._hint_until
        if self.limit is not None:
            recent = self.recent(now)
            if len(recent) >= self.limit:
                until = max(until, recent[-self.limit] + self.window * (1 + MARGIN))
        return max(0.0, until - now)

    @property
    def probing(self) -> bool:
        return self._probing

    def probe(self) -> bool:
        """Whether a job that just ended may let one submit go early; if so, it goes as a probe."""
        if self.kind != "unknown" or self._probing:
            return False
        self._probing = True
        return True

    def accepted(self) -> None:
        """A submit was accepted just now."""
        early = self.wait()  # before this one is counted
        now = self.clock()
        self._accepted.append(now)
        if self._probing:
            self._probing = False
            if early > PROBE_SLACK * self.window:
                # Accepted well before the learned rate would allow: the limit was on
                # concurrency. (Accepted about when the window freed says nothing.)
                self.kind, self.limit, self._hint_until = "concurrency", None, 0.0
            return
        quiet = self.window * 2**self._climbs_refused
        if self.kind == "rate" and self.limit is not None and now - self._quiet_since >= quiet:
            # A quiet spell: perhaps the limit rose, or a kernel sharing it went quiet.
            self.limit += 1
            self._quiet_since = now

    def refused(self, hint: float | None) -> bool:
        """The client met a 429 on a submit: True when the pace takes it over (see the module)."""
        now = self.clock()
        self.refusals += 1
        # While the kind is not known, a hair more than the window: the service counted
        # its window's submits before it answered and we hear of it, so the oldest may
        # just have left ours. A limit learned one too high costs one 429; one too low
        # lets a probe pass early, taken for a limit on concurrency: the rate forgotten.
        span = self.window * (1 if self.kind == "rate" else 1 + LEARN_SLACK)
        recent = self.recent(now, span)
        if not recent or self.kind == "concurrency":
            self._probing = False
            return False
        if self.kind == "rate":
            self._climbs_refused += 1  # a climb (or another kernel) met the limit
        else:
            # Refused although sent early on a job's end: the limit is on the rate.
            self.kind = "rate" if self._probing else "unknown"
        self._probing = False
        self.limit = len(recent)
        self._hint_until = now + hint if hint else 0.0
        self._quiet_since = now
        return True
