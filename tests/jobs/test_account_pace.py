"""The account's pace between two kernels' sweeps, on one store (both backends), on a fake
clock: what one learns from a 429 holds the other, and a window's last place is taken once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._jobs.sweeps.account_pace import AccountPace, PaceHold
from ltx_notebook._jobs.sweeps.pace import MARGIN
from ltx_notebook._storage.store import Store
from tests.harness.clock import FakeClock

URL = "https://api.example.test/v1"
WINDOW = 60.0


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Store:
    where = (
        tmp_path / "jobs.sqlite"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    return Store(where, clock=clock)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def kernel(store: Store, clock: FakeClock) -> AccountPace:
    return AccountPace(lambda: store, URL, window=WINDOW, clock=clock)


def submit(store: Store, pace: AccountPace, n: int) -> int:
    """Kernel *pace* takes a place and its submit is accepted; the row's id."""
    row = store.create(
        validate(prompt=f"take {n}"), cost_estimate=1.0, base_url=URL, admit=pace.admit
    )
    store.update(row.id, request_id=f"req-{n}", status=JobStatus.QUEUED)
    pace.accepted(row.id)
    return row.id


def refused(store: Store, pace: AccountPace) -> bool:
    """Kernel *pace* sends a submit the service refuses with 429: the client's hook is told
    while the submit's row is there, and the row is then deleted (nothing was made)."""
    row = store.create(
        validate(prompt="refused"), cost_estimate=1.0, base_url=URL, admit=pace.admit
    )
    taken = pace.refused(None)
    store.delete(row.id)
    return taken


def test_what_one_kernel_learns_from_a_429_holds_the_other(store: Store, clock: FakeClock) -> None:
    a, b = kernel(store, clock), kernel(store, clock)
    start = clock.now
    for n in range(3):  # the account's three submits, two of them a's, one b's
        submit(store, a if n != 1 else b, n)
        clock.advance(1.0)
    assert refused(store, a) is True and a.limit == 3  # learned from every kernel's submits
    # b never met a 429, yet waits for the window: the oldest leaves it at 60 s.
    assert b.wait() == pytest.approx(start + WINDOW * (1 + MARGIN) - clock.now)
    assert b.limit == 3 and b.kind == "unknown"
    with pytest.raises(PaceHold):
        store.create(validate(prompt="too soon"), cost_estimate=1.0, base_url=URL, admit=b.admit)
    assert store.count() == 3  # refused: nothing written
    clock.advance(b.wait())
    submit(store, b, 3)  # the window has room again: b takes it


def test_the_last_place_of_a_window_is_taken_once(store: Store, clock: FakeClock) -> None:
    a, b = kernel(store, clock), kernel(store, clock)
    for n in range(2):
        submit(store, a, n)
    refused(store, a)  # limit 2, learned
    clock.advance(WINDOW * (1 + MARGIN))  # both places free again
    submit(store, a, 2)
    submit(store, b, 3)  # the last place: b's
    for pace in (a, b):  # neither kernel takes a third
        with pytest.raises(PaceHold):
            store.create(validate(prompt="more"), cost_estimate=1.0, base_url=URL, admit=pace.admit)
    assert store.count() == 4


def test_a_probe_goes_whatever_the_window(store: Store, clock: FakeClock) -> None:
    a = kernel(store, clock)
    submit(store, a, 0)
    refused(store, a)
    assert a.wait() > 0 and a.probe() is True
    submit(store, a, 1)  # sent early on a job's end, to tell a rate from a concurrency limit
    assert a.kind == "concurrency"  # accepted well before the window: not a rate
