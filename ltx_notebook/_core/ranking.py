"""Blind pairwise votes as a ranking: a Bradley–Terry fit, bootstrap intervals, the next pair.

Pure: numbers in, numbers out, no store and no clock. Items are any hashable
keys (job ids, or a setting's values); a comparison is ``(i, j, score)`` with
*i*, *j* indexes into the items and *score* 1 when *i* won, 0 when *j* won and
½ for a tie (ties as half a win each: Davidson's tie model ranks the same way
and needs one more parameter that a few dozen votes cannot pin down).

The model: item *i* has strength ``θ_i`` and beats *j* with probability
``1 / (1 + exp(θ_j − θ_i))``. The fit is the maximum of the posterior, by Newton's
method, with a weak prior: every item played half
a win and half a loss against a virtual opponent of strength 0, so an item
that never lost (or never won) stays finite and a handful of votes does not
claim certainty. Strengths are reported centred (their mean is 0).
Intervals are the percentiles of strengths refitted on the same pairs with
their outcomes drawn again from the fit (a parametric bootstrap: resampling
the votes themselves claims certainty when a few votes all agree), seeded so a
view draws the same numbers twice.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Comparison",
    "Ranking",
    "bootstrap",
    "fit",
    "next_pair",
    "rank",
    "win_probability",
]

Comparison = tuple[int, int, float]
Floats = npt.NDArray[np.float64]

# Half a win and half a loss against a virtual opponent of strength 0, per item.
PRIOR: Final = 0.5
BOOTSTRAP_ROUNDS: Final = 500
LEVEL: Final = 0.95


def _columns(comparisons: Sequence[Comparison]) -> tuple[npt.NDArray[np.int64], ...]:
    data = np.asarray(comparisons, dtype=float).reshape(-1, 3)
    return data[:, 0].astype(int), data[:, 1].astype(int), data[:, 2]


def _tally(n: int, comparisons: Sequence[Comparison]) -> tuple[Floats, Floats]:
    """(games between each pair, wins of each item), ties counting half a win each."""
    games = np.zeros((n, n))
    wins = np.zeros(n)
    if len(comparisons):
        i, j, s = _columns(comparisons)
        np.add.at(games, (i, j), 1.0)
        np.add.at(games, (j, i), 1.0)
        np.add.at(wins, i, s)
        np.add.at(wins, j, 1.0 - s)
    return games, wins


def _newton(
    games: Floats, wins: Floats, prior: float, start: Floats | None, tol: float, steps: int
) -> Floats:
    # The log-posterior is strictly concave (the prior sees to it): damped Newton steps from
    # any start converge, in a handful here, where the MM iteration crawls on lopsided votes.
    n = len(wins)
    theta = np.zeros(n) if start is None else start.copy()
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(theta[None, :] - theta[:, None]))  # P(i beats j)
        p0 = 1.0 / (1.0 + np.exp(-theta))  # P(i beats the virtual opponent)
        grad = wins + prior - (games * p).sum(axis=1) - 2 * prior * p0
        q = games * p * (1.0 - p)
        hess = q.copy()  # the Hessian: q off the diagonal
        hess[np.diag_indices(n)] = -q.sum(axis=1) + np.diag(q) - 2 * prior * p0 * (1.0 - p0)
        move = np.linalg.solve(-hess, grad)
        # At most one unit a step: far from the top (a warm start on votes that flipped) a
        # full step overshoots where the curvature is nearly flat.
        move /= max(1.0, float(np.max(np.abs(move))))
        theta += move
        if np.max(np.abs(move)) < tol:
            break
    return theta


def fit(
    n: int,
    comparisons: Sequence[Comparison],
    *,
    prior: float = PRIOR,
    tol: float = 1e-9,
    steps: int = 100,
) -> Floats:
    """The centred strengths ``θ`` of *n* items from *comparisons* (maximum a posteriori)."""
    if n <= 0:
        return np.zeros(0)
    if prior <= 0:
        raise ValueError("prior must be above 0 (without it an unbeaten item has no estimate)")
    games, wins = _tally(n, comparisons)
    theta = _newton(games, wins, prior, None, tol, steps)
    centred: Floats = theta - theta.mean()
    return centred


def bootstrap(
    n: int,
    comparisons: Sequence[Comparison],
    *,
    rounds: int = BOOTSTRAP_ROUNDS,
    level: float = LEVEL,
    seed: int = 0,
    prior: float = PRIOR,
) -> tuple[Floats, Floats]:
    """(low, high): each item's strength interval at *level*, from *rounds* resamples."""
    if not len(comparisons) or n <= 0 or rounds <= 0:
        return np.full(n, -math.inf), np.full(n, math.inf)
    rng = np.random.default_rng(seed)
    games, wins = _tally(n, comparisons)
    start = _newton(games, wins, prior, None, 1e-9, 100)
    i, j, _ = _columns(comparisons)
    chance = 1.0 / (1.0 + np.exp(start[j] - start[i]))  # each vote's P(i wins) under the fit
    samples = np.empty((rounds, n))
    for r in range(rounds):
        # The same pairs, their outcomes drawn again from the fit (a parametric bootstrap:
        # resampling the votes themselves gives no spread at all when they all agree).
        drawn = (rng.random(len(chance)) < chance).astype(float)
        games, wins = _tally(n, list(zip(i, j, drawn, strict=True)))
        theta = _newton(games, wins, prior, start, 1e-6, 100)
        samples[r] = theta - theta.mean()
    tail = (1.0 - level) / 2 * 100
    low: Floats = np.percentile(samples, tail, axis=0)
    high: Floats = np.percentile(samples, 100 - tail, axis=0)
    return low, high


def win_probability(theta_i: float, theta_j: float) -> float:
    """The chance that an item of strength *theta_i* beats one of *theta_j*."""
    return 1.0 / (1.0 + math.exp(theta_j - theta_i))


@dataclass(frozen=True)
class Ranking:
    """A fit's result, one entry per item, in the items' order (not sorted)."""

    items: tuple[Hashable, ...]
    strength: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    wins: tuple[float, ...]  # ties as halves
    votes: tuple[int, ...]
    ties: tuple[int, ...]

    def order(self) -> list[int]:
        """Indexes of the items, strongest first."""
        return sorted(range(len(self.items)), key=lambda k: -self.strength[k])


def rank(
    items: Sequence[Hashable],
    comparisons: Sequence[Comparison],
    *,
    rounds: int = BOOTSTRAP_ROUNDS,
    level: float = LEVEL,
    seed: int = 0,
) -> Ranking:
    """Fit *comparisons* over *items* and bootstrap their intervals."""
    n = len(items)
    theta = fit(n, comparisons)
    low, high = bootstrap(n, comparisons, rounds=rounds, level=level, seed=seed)
    games, wins = _tally(n, comparisons)
    ties = np.zeros(n, dtype=int)
    for i, j, s in comparisons:
        if s == 0.5:
            ties[i] += 1
            ties[j] += 1
    return Ranking(
        items=tuple(items),
        strength=tuple(float(x) for x in theta),
        low=tuple(float(x) for x in low),
        high=tuple(float(x) for x in high),
        wins=tuple(float(x) for x in wins),
        votes=tuple(int(x) for x in games.sum(axis=1)),
        ties=tuple(int(x) for x in ties),
    )


def next_pair(
    pairs: Sequence[tuple[int, int]],
    n: int,
    comparisons: Sequence[Comparison],
    *,
    rng: np.random.Generator | None = None,
) -> tuple[int, int] | None:
    """Of the candidate *pairs*, the one a vote teaches the most; None when there is none.

    A pair scores ``4·p·(1−p) / (1 + times compared)``: near ½ the current fit
    cannot call it, and a pair seldom shown has been checked least. Equal
    scores are broken at random (*rng*), so two pairs never alternate forever.
    """
    if not pairs:
        return None
    theta = fit(n, comparisons)
    seen: dict[tuple[int, int], int] = {}
    for i, j, _ in comparisons:
        key = (min(i, j), max(i, j))
        seen[key] = seen.get(key, 0) + 1
    rng = rng or np.random.default_rng()
    noise = rng.random(len(pairs)) * 1e-9
    best, best_score = None, -1.0
    for k, (i, j) in enumerate(pairs):
        p = win_probability(float(theta[i]), float(theta[j]))
        score = 4 * p * (1 - p) / (1 + seen.get((min(i, j), max(i, j)), 0)) + noise[k]
        if score > best_score:
            best, best_score = (i, j), score
    return best
