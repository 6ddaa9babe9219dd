"""Store.claim / renew / release: exactly one kernel holds a job's lease (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage.store import LeaseLost, Store
from tests.harness.clock import FakeClock

A, B = "host-a:101:aaaaaa", "host-b:202:bbbbbb"


def make_jobs(store: Store, n: int) -> list[int]:
    params = validate(prompt="a heron at the edge of a lake", duration=6)
    ids = []
    for i in range(n):
        row = store.create(params, cost_estimate=0.36, base_url=None)
        store.update(row.id, request_id=f"req-{i}", status=JobStatus.QUEUED)
        ids.append(row.id)
    return ids


def test_a_free_job_is_won_by_the_first_claim_only(store: Store, clock: FakeClock) -> None:
    ids = make_jobs(store, 3)
    assert store.claim(ids, A, lease=90) == ids
    assert store.claim(ids, B, lease=90) == []  # A's leases are live
    row = store.get(ids[0])
    assert row is not None and row.kernel == A
    assert row.lease_until == clock.utc + timedelta(seconds=90)
    assert store.claim(ids[:1], A, lease=90) == ids[:1]  # its own: renewed, still its


def test_a_lapsed_lease_is_taken_over_and_the_old_holder_renews_nothing(
    store: Store, clock: FakeClock
) -> None:
    ids = make_jobs(store, 2)
    store.claim(ids, A, lease=90)
    clock.advance(60)
    assert store.renew(ids, A, lease=90) == ids  # a heartbeat: lapses 90 s from now
    clock.advance(89)
    assert store.claim(ids, B, lease=90) == []
    clock.advance(2)  # A stopped renewing: lapsed
    assert store.claim(ids[:1], B, lease=90) == ids[:1]
    # A wakes up: its heartbeat keeps only what is still its own, and renews nothing of B's.
    assert store.renew(ids, A, lease=90) == ids[1:]
    row = store.get(ids[0])
    assert row is not None and row.kernel == B
    assert row.lease_until == clock.utc + timedelta(seconds=90)


def test_a_write_carrying_its_holder_is_refused_once_taken_over(
    store: Store, clock: FakeClock
) -> None:
    (job,) = make_jobs(store, 1)
    store.claim([job], A, lease=3)
    store.update(job, holder=A, status=JobStatus.PROCESSING)
    clock.advance(4)
    store.claim([job], B, lease=3)
    with pytest.raises(LeaseLost, match=B):
        store.update(job, holder=A, status=JobStatus.COMPLETED, output_url="https://x/v.mp4")
    row = store.get(job)
    assert row is not None and row.status is JobStatus.PROCESSING and row.output_url is None
    store.update(job, holder=B, status=JobStatus.COMPLETED, output_url="https://x/v.mp4")


def test_release_ends_the_lease_and_keeps_who_drove_it(store: Store, clock: FakeClock) -> None:
    (job,) = make_jobs(store, 1)
    store.claim([job], A, lease=90)
    assert not store.release(job, B)  # only the holder releases
    assert store.release(job, A)
    row = store.get(job)
    assert row is not None and row.kernel == A and row.lease_until is None
    assert store.leased([row], B) == []
    assert store.claim([job], B, lease=90) == [job]  # released: free at once


def test_leased_names_the_live_leases_of_other_kernels(store: Store, clock: FakeClock) -> None:
    ids = make_jobs(store, 3)
    store.claim(ids[:2], A, lease=10)
    store.claim(ids[2:], B, lease=30)
    rows = list(store.get_many(ids).values())
    assert {r.id for r in store.leased(rows, B)} == set(ids[:2])
    clock.advance(20)
    rows = list(store.get_many(ids).values())
    assert store.leased(rows, B) == []
    assert {r.id for r in store.leased(rows, A)} == set(ids[2:])


def test_a_lease_leaves_updated_at_alone(store: Store, clock: FakeClock) -> None:
    (job,) = make_jobs(store, 1)
    before = store.get(job)
    clock.advance(5)
    store.claim([job], A, lease=90)
    store.renew([job], A, lease=90)
    after = store.get(job)
    assert before is not None and after is not None
    assert after.updated_at == before.updated_at


def test_kernels_claiming_at_once_each_job_is_won_once(store_path: Path | str) -> None:
    # Real time, real threads, one store object each (separate connections).
    ids = make_jobs(Store(store_path), 12)
    kernels = [f"k{i}" for i in range(4)]
    won: dict[str, list[int]] = {}
    go = threading.Barrier(len(kernels))

    def claim(kernel: str) -> None:
        store = Store(store_path)
        go.wait(30)
        won[kernel] = store.claim(ids, kernel, lease=90)

    threads = [threading.Thread(target=claim, args=(k,)) for k in kernels]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(i for got in won.values() for i in got) == ids, won
    rows = Store(store_path).get_many(ids)
    for kernel, got in won.items():
        assert all(rows[i].kernel == kernel for i in got)
