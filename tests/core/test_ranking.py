"""The Bradley–Terry fit against known answers: votes simulated from known strengths."""

from __future__ import annotations

import itertools

import numpy as np

from ltx_notebook._core.ranking import Comparison, fit, next_pair, rank, win_probability

TRUTH = np.array([-1.2, -0.4, 0.3, 1.3])


def simulate(truth: np.ndarray, per_pair: int, seed: int) -> list[Comparison]:
    rng = np.random.default_rng(seed)
    votes: list[Comparison] = []
    for i, j in itertools.combinations(range(len(truth)), 2):
        for _ in range(per_pair):
            left, right = (i, j) if rng.random() < 0.5 else (j, i)  # sides at random
            won = rng.random() < win_probability(truth[left], truth[right])
            votes.append((left, right, 1.0 if won else 0.0))
    return votes


def test_simulated_votes_recover_the_order_and_intervals_cover_the_truth() -> None:
    truth = TRUTH - TRUTH.mean()
    result = rank(["a", "b", "c", "d"], simulate(truth, per_pair=60, seed=1), seed=1)
    assert result.order() == [3, 2, 1, 0]  # strongest first
    for k in range(4):
        assert result.low[k] - 1e-9 <= result.strength[k] <= result.high[k] + 1e-9
    assert sum(result.votes) == 2 * 6 * 60
    # A 95 % interval misses the truth one time in twenty: over many simulated arenas,
    # the share that cover it is about 95 %, and the order comes back nearly always.
    covered = ordered = total = 0
    for seed in range(40):
        got = rank(range(4), simulate(truth, per_pair=30, seed=100 + seed), rounds=200, seed=seed)
        ordered += got.order() == [3, 2, 1, 0]
        for k, true in enumerate(truth):
            covered += got.low[k] <= true <= got.high[k]
            total += 1
    assert covered / total >= 0.88, covered / total
    assert ordered >= 36, ordered


def test_intervals_narrow_with_more_votes() -> None:
    few = rank(range(4), simulate(TRUTH, per_pair=8, seed=5))
    many = rank(range(4), simulate(TRUTH, per_pair=80, seed=5))
    width = lambda r: np.mean(np.subtract(r.high, r.low))  # noqa: E731
    assert width(many) < width(few) / 2


def test_ties_count_half_a_win_and_an_unbeaten_item_stays_finite() -> None:
    tied = fit(2, [(0, 1, 0.5)] * 10)
    assert np.allclose(tied, 0.0)
    unbeaten = fit(2, [(0, 1, 1.0)] * 5)
    assert np.all(np.isfinite(unbeaten)) and unbeaten[0] > 0 > unbeaten[1]
    result = rank(["x", "y"], [(0, 1, 0.5), (0, 1, 1.0)])
    assert result.ties == (1, 1) and result.wins == (1.5, 0.5)


def test_no_votes_means_even_strengths_and_unbounded_intervals() -> None:
    result = rank(["x", "y", "z"], [])
    assert result.strength == (0.0, 0.0, 0.0)
    assert all(lo == -np.inf for lo in result.low) and all(hi == np.inf for hi in result.high)


def test_the_next_pair_is_the_uncertain_rarely_compared_one() -> None:
    pairs = [(0, 1), (0, 2), (1, 2)]
    # 0 beat 1 ten times: settled. 1 vs 2 once each way: open, and seldom compared.
    votes: list[Comparison] = [(0, 1, 1.0)] * 10 + [(1, 2, 1.0), (2, 1, 1.0)]
    assert next_pair(pairs, 3, votes, rng=np.random.default_rng(0)) in {(0, 2), (1, 2)}
    # Never compared beats compared-and-even.
    assert next_pair([(0, 1), (1, 2)], 3, [(0, 1, 0.5)] * 4, rng=np.random.default_rng(0)) == (
        1,
        2,
    )
    assert next_pair([], 3, votes) is None
