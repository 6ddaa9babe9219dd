"""Exactly one kernel drives a job: this kernel's id, the leases it holds, their heartbeat.

Kernels sharing a store (a team's PostgreSQL, or one SQLite file on one
machine) could each poll and download the same job. So a kernel drives a job
only while it holds the job's lease: its id in the row's ``kernel`` and a time
in ``lease_until``, taken with one conditional write (:meth:`Store.claim
<.._storage.store.Store.claim>`) that two kernels cannot both win. One
heartbeat task per session renews every lease it holds every
``heartbeat_seconds`` (one write per store, whatever the number of jobs); a
kernel that stops renewing (killed, frozen, its machine gone) loses its jobs
``lease_seconds`` after its last renewal, and another kernel's resume takes
them over (at once when it ran on this machine and its process has ended:
a restarted kernel's resume takes its predecessor's jobs back). A kernel that
finds a lease taken over stops driving the job; its writes carry its id and
are refused once the row names another kernel, so a kernel woken from a
freeze never records over the one driving now.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable

from ..._core.config import Settings
from ..._storage.records import JobRecord
from ..._storage.store import Store

__all__ = ["Leases", "driven_elsewhere", "ended_here", "kernel_id"]

log = logging.getLogger("ltx_notebook")

_IDS: dict[int, str] = {}


def kernel_id() -> str:
    """This process's id as a driver of jobs: readable (host and pid) and unique (a random part).

    Made once per process (a forked child gets its own): a restarted kernel is a
    new driver, whose old leases lapse like any dead kernel's.
    """
    pid = os.getpid()
    if pid not in _IDS:
        _IDS[pid] = f"{socket.gethostname()}:{pid}:{secrets.token_hex(3)}"
    return _IDS[pid]


def ended_here(kernel: str | None) -> bool:
    """*kernel* ran on this machine and its process has ended: its leases need not lapse.

    What lets a restarted kernel take its predecessor's jobs over at once. Only
    a process surely gone counts: another machine's kernel, a pid now another
    process's, or a system without POSIX signals, all wait for the lease.
    """
    host, _, rest = (kernel or "").partition(":")
    pid, _, _ = rest.partition(":")
    if os.name != "posix" or host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # this very process, alive (a test playing two kernels)
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # it exists, as another user's
        return False
    return False


def driven_elsewhere(store: Store, records: Iterable[JobRecord], kernel: str) -> list[JobRecord]:
    """Those of *records* another kernel drives now: its lease live, its process not seen gone."""
    return [r for r in store.leased(records, kernel) if not ended_here(r.kernel)]


class Leases:
    """The jobs one session drives, by store, and the heartbeat that keeps their leases.

    Used on the session's runtime loop only (no lock: one thread touches it).
    """

    def __init__(self, kernel: str, settings: Callable[[], Settings]) -> None:
        self.kernel = kernel
        self._settings = settings
        self._held: dict[Store, set[int]] = {}
        self._beat: asyncio.Task[None] | None = None

    def holds(self, store: Store, id: int) -> bool:
        """This kernel drives job *id*, as far as its last claim or heartbeat knows."""
        return id in self._held.get(store, ())

    async def claim(self, store: Store, id: int, *, holder: str | None = None) -> bool:
        """Take (or renew) job *id*'s lease; False if another kernel's live lease holds it.

        *holder*: who the row last named; a kernel of this machine that has ended
        loses the job at once, without waiting for its lease to lapse.
        """
        lease = self._settings().lease_seconds
        dead = [holder] if holder and holder != self.kernel and ended_here(holder) else []
        won = id in await asyncio.to_thread(store.claim, [id], self.kernel, lease=lease, dead=dead)
        if won:
            self._held.setdefault(store, set()).add(id)
            self._start_beating()
        else:
            self.drop(store, id)
        return won

    def drop(self, store: Store, id: int) -> None:
        """Forget job *id*: another kernel drives it now (or this one is done with it)."""
        held = self._held.get(store)
        if held is not None:
            held.discard(id)
            if not held:
                del self._held[store]

    async def release(self, store: Store, id: int) -> None:
        """Done with job *id*: its lease ends now, so nobody waits for it to lapse."""
        self.drop(store, id)
        await asyncio.to_thread(store.release, id, self.kernel)

    def _start_beating(self) -> None:
        if self._beat is None or self._beat.done():
            self._beat = asyncio.get_running_loop().create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        while self._held:
            await asyncio.sleep(self._settings().heartbeat_seconds)
            await self.renew()

    async def renew(self) -> None:
        """One heartbeat: every lease held renewed, one write per store; the lost dropped."""
        lease = self._settings().lease_seconds
        for store, held in list(self._held.items()):
            ids = set(held)
            try:
                kept = await asyncio.to_thread(store.renew, ids, self.kernel, lease=lease)
            except Exception as exc:  # the store out of reach: the next beat tries again
                log.warning("could not renew the leases of %d job(s): %s", len(ids), exc)
                continue
            for id in ids - set(kept):
                log.info(
                    "job %s: taken over by another kernel; %s stops driving it", id, self.kernel
                )
                self.drop(store, id)
