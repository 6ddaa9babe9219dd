"""A wait or a sweep's limits that are not finite numbers are refused at once, as InvalidParams.

``inf`` passed a "> 0" check and then overflowed inside ``threading`` (after
the job was billed); ``nan`` compares False with everything, so it ended a
wait at once or waved a sweep past its confirmation gate.
"""

from __future__ import annotations

from typing import Any

import pytest

from ltx_notebook import InvalidParams, JobStatus, Session, WaitTimeout, sweep, validate
from ltx_notebook.emulator import Emulator

NOT_WAITS: list[Any] = [
    float("inf"),
    float("nan"),
    1e309,
    float("-inf"),
    -1,
    10**400,
    1e12,
    "10",
    True,
]


def test_job_wait_refuses_a_timeout_that_is_not_a_number_of_seconds(
    session: Session, emulator: Emulator
) -> None:
    job = session.submit(validate(prompt="a kettle boiling on a stove"))
    for timeout in NOT_WAITS:
        with pytest.raises(InvalidParams, match="timeout must be a number of seconds from 0"):
            job.wait(timeout)
        with pytest.raises(InvalidParams):
            session.wait_all([job], timeout)
    with pytest.raises(WaitTimeout):
        job.wait(0)  # zero still means "has it ended yet?"
    assert job.wait(60).status is JobStatus.COMPLETED
    assert job.wait(604800) is job
    assert emulator.engine.count("submit") == 1


def test_sweep_wait_refuses_them_too(session: Session, emulator: Emulator) -> None:
    handle = sweep(["a fox", "a heron"], session=session)
    for timeout in NOT_WAITS:
        with pytest.raises(InvalidParams, match="timeout must be a number of seconds from 0"):
            handle.wait(timeout)
    assert handle.wait(120).counts() == {"COMPLETED": 2}
    assert emulator.engine.count("submit") == 2


# Each is gated by one threshold only, so a nan there would have waved it through.
DEAR = (["a fox", "a heron", "an otter"], {"duration": [10], "resolution": ["4k"]})  # 3, $7.20
MANY = ([f"a fox, take {i}" for i in range(9)], {"duration": [6]})  # 9 jobs, $3.24


@pytest.mark.parametrize(
    ("options", "plan"),
    [
        ({"concurrency": 10**20}, DEAR),
        ({"concurrency": 51}, DEAR),
        ({"concurrency": 0}, DEAR),
        ({"concurrency": 2.5}, DEAR),
        ({"confirm_cost": float("nan")}, DEAR),
        ({"confirm_cost": float("inf")}, DEAR),
        ({"confirm_cost": -1.0}, DEAR),
        ({"confirm_jobs": float("nan")}, MANY),
        ({"confirm_jobs": "8"}, MANY),
    ],
    ids=lambda v: repr(v) if isinstance(v, dict) else "",
)
def test_sweep_limits_that_are_not_numbers_send_nothing(
    session: Session,
    emulator: Emulator,
    options: dict[str, Any],
    plan: tuple[list[str], dict[str, list[Any]]],
) -> None:
    with pytest.raises(InvalidParams, match=next(iter(options))):
        sweep(plan[0], plan[1], session=session, **options)
    assert emulator.engine.count() == 0 and session.store.count() == 0
