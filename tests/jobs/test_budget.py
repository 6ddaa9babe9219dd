"""Learned estimates and the budget, against the emulator: a refusal sends nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from ltx_notebook import BudgetExceeded, Session, Settings
from ltx_notebook._core.params import estimate_cost, validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._jobs.money import budget
from ltx_notebook._jobs.money.costs import learn
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator

PRO_6S = validate("ltx-2-pro", prompt="a fox", duration=6)  # $0.36 at list price


def charged(store: Store, params: object, cost: float | None, **fields: object) -> None:
    """A finished job of this store, billed *cost* (None: charge unknown)."""
    row = store.create(params, cost_estimate=0.36, base_url=None, fields=fields)  # type: ignore[arg-type]
    store.update(row.id, status=JobStatus.COMPLETED, cost=cost)


@pytest.fixture
def capped(settings: Settings) -> Iterator[Session]:
    s = Session(dataclasses.replace(settings, budget=0.5))
    yield s
    s.runtime.stop()


def test_estimates_learn_the_median_of_recent_charges_and_fall_back_to_the_table(
    session: Session,
) -> None:
    store = session.store
    prices = learn(store)
    assert prices.estimate(PRO_6S) == estimate_cost(PRO_6S) and prices.basis(PRO_6S) == "list price"
    for cost in (0.40, 0.50, 0.45):
        charged(store, PRO_6S, cost)
    charged(store, PRO_6S, None)  # no charge known: says nothing of the price
    other = validate("ltx-2-pro", prompt="a fox", duration=8)
    prices = learn(store)
    assert prices.estimate(PRO_6S) == pytest.approx(0.45)
    assert prices.basis(PRO_6S) == "median of 3 recent charges"
    assert prices.estimate(other) == estimate_cost(other)  # another duration: the table


def test_a_submit_and_a_sweep_plan_are_priced_from_past_charges(
    session: Session, emulator: Emulator
) -> None:
    for cost in (0.5, 0.5):
        charged(session.store, PRO_6S, cost)
    # The rows above name no service; learned prices are the service's own.
    assert learn(session.store, base_url=session.settings.base_url).seen == {}
    session.store.update(1, base_url=session.settings.base_url)
    job = session.submit(PRO_6S)
    assert job.record.cost_estimate == pytest.approx(0.5)
    planned = sweep("a fox", {"duration": [6, 8]}, dry_run=True, session=session)
    assert list(planned.plan()["cost_estimate"]) == pytest.approx([0.5, 0.48])
    job.wait(60)
    assert job.record.cost == pytest.approx(0.36)  # the emulator's charge, kept apart


def test_a_submit_past_the_budget_is_refused_with_the_figures_and_sends_nothing(
    capped: Session, emulator: Emulator
) -> None:
    first = capped.submit(PRO_6S)
    assert emulator.engine.count("submit") == 1
    with pytest.raises(BudgetExceeded) as caught:
        capped.submit(PRO_6S)
    exc = caught.value
    assert emulator.engine.count("submit") == 1  # nothing sent
    assert capped.store.count() == 1  # nothing recorded
    assert (exc.cap, exc.limit, exc.requested) == ("budget", 0.5, pytest.approx(0.36))
    assert exc.charged + exc.estimated == pytest.approx(0.36)
    assert "past the budget of $0.50" in str(exc) and "nothing was sent" in str(exc)
    assert "this session" in str(exc)
    first.wait(60)
    # Charged now, not estimated: the figures follow.
    with pytest.raises(BudgetExceeded, match=r"\$0.36 charged \+ ~\$0.00 estimated"):
        capped.submit(PRO_6S)
    assert emulator.engine.count("submit") == 1


def test_a_sweep_past_the_budget_is_refused_whole_before_its_first_submit(
    capped: Session, emulator: Emulator
) -> None:
    with pytest.raises(BudgetExceeded, match="this sweep of 2 jobs"):
        sweep("a fox", {"duration": [6, 8]}, yes=True, session=capped)
    assert emulator.engine.count("submit") == 0 and emulator.engine.count("credits") == 0
    assert capped.store.count() == 0


def test_a_sweep_the_account_cannot_pay_for_is_refused_before_sending(
    session: Session, emulator: Emulator
) -> None:
    emulator.engine.set_credits(1.0)
    with pytest.raises(BudgetExceeded) as caught:
        sweep("a fox", {"resolution": ["1080p", "2k"]}, yes=True, session=session)
    assert caught.value.cap == "credits" and caught.value.limit == 1.0
    assert caught.value.requested == pytest.approx(0.36 + 0.72)
    assert "holds $1.00 of credits" in str(caught.value)
    assert emulator.engine.count("credits") == 1  # the balance was read...
    assert emulator.engine.count("submit") == 0  # ...and nothing sent
    assert session.store.count() == 0
    done = sweep("a fox", {"duration": [6]}, yes=True, session=session).wait(60)
    assert emulator.engine.count("submit") == 1 and done.costs() == (pytest.approx(0.36), 0.0)


def test_the_period_decides_what_counts_and_imported_jobs_never_do(session: Session) -> None:
    store = session.store
    long_ago = datetime.now(UTC) - timedelta(days=40)
    charged(store, PRO_6S, 1.0, submitted_at=long_ago)
    charged(store, PRO_6S, 2.0, submitted_at=budget.SESSION_START - timedelta(seconds=1))
    charged(store, PRO_6S, 4.0)
    charged(store, PRO_6S, None)  # counts at its estimate, 0.36
    charged(store, PRO_6S, 8.0, origin="history")  # ran elsewhere: not this store's spend

    def total(period: str | timedelta) -> float:
        return budget.spent(
            store, dataclasses.replace(session.settings, budget_period=period)
        ).total

    assert total("session") == pytest.approx(4.36)
    assert total("all") == pytest.approx(7.36)
    assert total(timedelta(days=60)) == pytest.approx(7.36)
    assert total("month") in (pytest.approx(6.36), pytest.approx(4.36))  # a new month began?
    assert budget.period_name(timedelta(hours=24)) == "the last 24 hours"
    assert budget.period_name(timedelta(days=7)) == "the last 7 days"


def test_a_sweep_stops_where_charges_above_the_estimates_spend_the_budget(
    session: Session, emulator: Emulator
) -> None:
    # Cheap charges from before this session teach a low estimate ($0.10 for $0.36 jobs).
    before = budget.SESSION_START - timedelta(hours=1)
    for _ in range(3):
        charged(session.store, PRO_6S, 0.10, submitted_at=before)
    for row in session.store.find():
        session.store.update(row.id, base_url=session.settings.base_url)
    capped = Session(dataclasses.replace(session.settings, budget=0.8))
    try:
        run = sweep(
            ["a fox", "a hare", "a stoat"], {"duration": 6}, yes=True, concurrency=1, session=capped
        )
        with pytest.raises(BudgetExceeded, match="past the budget of"):
            run.wait(60)
        # Whole, it looked like $0.30; charged $0.36 each, the third would pass $0.80.
        assert emulator.engine.count("submit") == 2
        assert [item.state for item in run.items][-1] == "REFUSED"
        assert run.costs() == (pytest.approx(0.72), 0.0)
    finally:
        capped.runtime.stop()


def test_the_budget_counts_my_jobs_or_the_teams(settings: Settings, emulator: Emulator) -> None:
    charged(Store(settings.store_path), PRO_6S, 0.40, owner="bob")  # a teammate's job
    capped = dataclasses.replace(settings, budget=0.5, budget_period="all", user="ann")
    mine = Session(capped)
    try:
        mine.submit(PRO_6S)  # ~$0.36 of ann's $0.50: bob's charge is his own
    finally:
        mine.runtime.stop()
    team = Session(dataclasses.replace(capped, budget_scope="team"))
    try:
        with pytest.raises(BudgetExceeded, match=r"\$0\.40 charged"):
            team.submit(PRO_6S)  # the team's: bob's $0.40 and ann's ~$0.36 in flight
    finally:
        team.runtime.stop()
    assert emulator.engine.count("submit") == 1
