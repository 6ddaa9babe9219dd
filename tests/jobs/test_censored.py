"""Turnbull's estimate from interval-censored lengths: a known distribution, recovered."""

from __future__ import annotations

import random

import pytest

from ltx_notebook._jobs.poll.censored import Observed, points, turnbull


def share_by(estimate: list[tuple[float, float, float]], t: float) -> float:
    """The estimate's share of jobs ended by *t* (mass spread evenly inside each cell)."""
    total = 0.0
    for a, b, m in estimate:
        if b <= t:
            total += m
        elif a < t:
            total += m * (t - a) / (b - a)
    return total


def test_lengths_seen_only_between_polls_recover_their_distribution() -> None:
    # Lengths uniform on 8..12 s, each seen only between two polls of a 0.7 s grid with a
    # random phase: the client never learns a length, only an interval around it.
    rng = random.Random(11)
    observed = []
    for _ in range(400):
        length, phase = rng.uniform(8, 12), rng.uniform(0, 0.7)
        polls = [phase + 0.7 * k for k in range(30)]
        seen = next(p for p in polls if p >= length)
        observed.append(Observed(seen - 0.7, seen))
    estimate = turnbull(observed)
    assert sum(m for _, _, m in estimate) == pytest.approx(1.0)
    for t in (8.5, 9.0, 10.0, 11.0, 11.5):
        assert share_by(estimate, t) == pytest.approx((t - 8) / 4, abs=0.06), t
    middle = sorted(points(observed))[len(observed)]  # the median of the stand-in points
    assert middle == pytest.approx(10.0, abs=0.25)


def test_the_span_to_when_a_job_was_seen_is_not_taken_as_its_length() -> None:
    # Every job ended at 10 s and was seen at 11 s by a poller with 1 s gaps: the points
    # stand inside (10, 11], not at 11, and a late poll does not drag them late.
    observed = [Observed(10.0, 11.0)] * 5 + [Observed(9.5, 10.5)] * 5
    pts = points(observed)
    assert all(10.0 <= p <= 10.5 for p in pts), pts


def test_exact_lengths_stand_for_themselves() -> None:
    assert points([Observed(7.0, 7.0), Observed(8.5, 8.5)]) == [7.0, 8.5]
    # Mixed: an exact length inside a censored interval takes that interval's mass.
    mixed = points([Observed(9.0, 9.0), Observed(9.0, 9.0), Observed(5.0, 12.0)])
    assert mixed[:2] == [9.0, 9.0] and all(p == pytest.approx(9.0) for p in mixed[2:])
