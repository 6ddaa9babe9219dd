"""What the budget and the account's pace stand on, on both backends: a create admitted
in its own transaction under the submit lock, the spend read through it, and the pace's
shared row and submits."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ltx_notebook._core.params import Params, validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage import pace
from ltx_notebook._storage.ledger import outlay
from ltx_notebook._storage.store import ADMIT_LOCK, Store
from tests.harness.clock import FakeClock

URL = "https://api.example.test/v1"


def params(prompt: str = "a lighthouse at dusk") -> Params:
    return validate(prompt=prompt)


class Refused(Exception):
    pass


def test_a_refused_admission_writes_nothing(store: Store) -> None:
    def refuse(conn: Any) -> None:
        raise Refused

    with pytest.raises(Refused):
        store.create(params(), cost_estimate=1.0, base_url=URL, admit=refuse)
    assert store.count() == 0


def test_admitted_creates_are_one_at_a_time_whoever_races(store: Store) -> None:
    """Eight threads, each admitting its row only while fewer than three exist: three rows,
    as the check and the insert are one transaction under the lock."""
    cap = 3
    go = threading.Barrier(8)
    refused: list[int] = []

    def under_cap(conn: Any) -> None:
        # Read through the admitting transaction: what another writer committed is seen.
        if outlay(store, None, conn=conn).jobs >= cap:
            raise Refused

    def one(i: int) -> None:
        go.wait(30)
        try:
            store.create(params(f"take {i}"), cost_estimate=1.0, base_url=URL, admit=under_cap)
        except Refused:
            refused.append(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert store.count() == cap and len(refused) == 8 - cap


def test_the_spend_counts_my_rows_and_unowned_ones_or_everyones(store: Store) -> None:
    for owner, cost in (("ann", 1.0), ("bob", 2.0), (None, 4.0)):
        row = store.create(params(), cost_estimate=0.5, base_url=URL, fields={"owner": owner})
        store.update(row.id, status=JobStatus.COMPLETED, cost=cost)
    store.create(params(), cost_estimate=0.25, base_url=URL, fields={"owner": "ann"})  # in flight
    assert outlay(store, None, owner="ann").total == 1.0 + 4.0 + 0.25
    assert outlay(store, None, owner="bob").total == 2.0 + 4.0
    everyone = outlay(store, None)
    assert (everyone.charged, everyone.estimated) == (7.0, 0.25)


def test_the_pace_learned_is_kept_per_service(store: Store, clock: FakeClock) -> None:
    assert store.reading(lambda conn: pace.learned(conn, URL)) is None
    state = pace.Learned(limit=5, kind="unknown", hint_until=clock.now + 12.0)
    store.writing(lambda c: pace.remember(c, URL, state, now=clock.now), doing="t", lock=ADMIT_LOCK)
    assert store.reading(lambda conn: pace.learned(conn, URL)) == state
    assert store.reading(lambda conn: pace.learned(conn, URL + "/other")) is None
    climbed = pace.Learned(limit=6, kind="rate", quiet_since=clock.now, climbs_refused=1)
    store.writing(lambda c: pace.remember(c, URL, climbed, now=clock.now), doing="t")
    assert store.reading(lambda conn: pace.learned(conn, URL)) == climbed


def test_the_accounts_submits_are_the_rows_of_the_service_in_the_window(
    store: Store, clock: FakeClock
) -> None:
    old = store.create(params(), cost_estimate=1.0, base_url=URL)
    clock.advance(70.0)
    start = clock.now
    answered = store.create(params(), cost_estimate=1.0, base_url=URL)
    store.update(answered.id, request_id="req-1", status=JobStatus.QUEUED)
    clock.advance(1.0)
    in_flight = store.create(params(), cost_estimate=1.0, base_url=URL)
    store.create(params(), cost_estimate=1.0, base_url="http://127.0.0.1:9/v1")  # elsewhere

    def read(**kw: Any) -> list[float]:
        return store.reading(lambda c: pace.submits(store, c, URL, since=clock.now - 60, **kw))

    assert old.id not in (answered.id, in_flight.id)
    assert read() == [pytest.approx(start), pytest.approx(start + 1.0)]
    assert read(leave_out=in_flight.id) == [pytest.approx(start)]
