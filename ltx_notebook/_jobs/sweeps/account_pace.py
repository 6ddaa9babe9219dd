"""The account's submit pace: one :class:`~.pace.SubmitPace` fed from the store.

Segmind's limits are per account, so four kernels' sweeps each pacing itself
would together send four times what the account may. Here every decision of
a sweep's pace reads the account's state first, and what it learns is kept
for every kernel:

* the submits in the window are the store's job rows of the service (any
  kernel's: a row is written before its submit goes, a refused one deleted),
  and what was learned (the limit, its kind, the service's hint) is the
  store's ``submit_pace`` row (:mod:`.._storage.pace`);
* taking a submit's place is one transaction with writing its row, under the
  store's submit lock (:meth:`AccountPace.admit`, run by ``Store.create``):
  two kernels cannot both take the last place of a window. Refused, the row
  is not written and the submit waits (:class:`PaceHold`);
* a 429 and an accepted submit update the shared row under the same lock.

The window is wall-clock time (the store's), so the kernels' machines must
agree on the time to within the pace's margin (0.5% of the window: 0.3 s of
a minute); NTP keeps them far closer. If the store cannot be read, the pace
goes on with what it last knew rather than stop the sweep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from ..._core.errors import StoreError
from ..._storage import pace as shared
from ..._storage.store import ADMIT_LOCK, Store
from .pace import Kind, SubmitPace

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["AccountPace", "PaceHold"]

log = logging.getLogger("ltx_notebook")
T = TypeVar("T")


class PaceHold(Exception):
    """Not now: the account's window is full. Nothing was written or sent."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the account's submit window is full for {wait:.1f}s")
        self.wait = wait


class AccountPace:
    """:class:`SubmitPace`'s face, each answer taken from the account's state in *store*."""

    def __init__(
        self,
        store: Callable[[], Store],
        base_url: str,
        *,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._base_url = base_url
        # Wall-clock time: the rows' stamps are the store's, and other machines read them.
        self.local = SubmitPace(window=window, clock=clock)

    @property
    def kind(self) -> Kind | None:
        return self.local.kind

    @property
    def limit(self) -> int | None:
        return self.local.limit

    @property
    def refusals(self) -> int:
        return self.local.refusals

    @property
    def probing(self) -> bool:
        return self.local.probing

    def probe(self) -> bool:
        return self.local.probe()

    def _load(
        self, conn: sa.Connection, *, leave_out: int | None = None, own: bool = False
    ) -> None:
        pace = self.local
        times = shared.submits(
            self._store(),
            conn,
            self._base_url,
            since=pace.clock() - pace.window,
            leave_out=leave_out,
        )
        if own and times:
            # The refused submit's own row (written just before it went, so among the
            # newest) is no submit the service counted.
            times.pop()
        pace.restore(shared.learned(conn, self._base_url), times)

    def _keep(self, conn: sa.Connection) -> None:
        shared.remember(conn, self._base_url, self.local.learned(), now=self.local.clock())

    def wait(self) -> float:
        """Seconds until the account may submit again (0: now). Blocking: a read."""
        try:
            self._store().reading(self._load, doing="reading the account's submit pace")
        except StoreError as exc:
            log.warning("submit pace: %s; going on with what it last knew", exc)
        return self.local.wait()

    def admit(self, conn: sa.Connection) -> None:
        """In the transaction writing a submit's row: raise :class:`PaceHold` unless the
        account's window has room for it now. A probe goes whatever the window."""
        if self.local.probing:
            return
        self._load(conn)
        wait = self.local.wait()
        if wait > 0:
            raise PaceHold(wait)

    def accepted(self, row: int | None = None) -> None:
        """Submit *row* was accepted just now (see :meth:`SubmitPace.accepted`)."""

        def run(conn: sa.Connection) -> None:
            self._load(conn, leave_out=row)  # "before this one is counted"
            before = self.local.learned()
            self.local.accepted()
            if self.local.learned() != before:
                self._keep(conn)

        self._shared(run, fallback=self.local.accepted)

    def refused(self, hint: float | None) -> bool:
        """The client met a 429 on a submit: True when the pace takes it over.

        The limit is learned from the account's submits in the window, whoever
        sent them, this one left out. Those still in flight count as accepted:
        some are, their answers not yet recorded, and a limit learned too high
        costs a 429 that teaches it again, where one too low could pass a probe
        early and be taken for a limit on concurrency.
        """

        def run(conn: sa.Connection) -> bool:
            self._load(conn, own=True)
            taken = self.local.refused(hint)
            if taken:
                self._keep(conn)
            return taken

        return self._shared(run, fallback=lambda: self.local.refused(hint))

    def _shared(self, run: Callable[[sa.Connection], T], *, fallback: Callable[[], T]) -> T:
        try:
            return self._store().writing(
                run, doing="keeping the account's submit pace", lock=ADMIT_LOCK
            )
        except StoreError as exc:
            log.warning("submit pace: %s; this sweep paces itself meanwhile", exc)
            return fallback()
