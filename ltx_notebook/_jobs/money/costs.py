"""Cost estimates that learn from what the service actually charged.

The price table (``estimate_cost``) is the prior: list prices, which the
service may not bill exactly (rounding, a price change, a discount). Every
job the store saw billed is evidence, so the estimate for a model, duration
and resolution is the median of the recent charges for exactly those, when
there are any, and the table's figure otherwise. One query reads every
recent charge (:func:`~.._storage.ledger.charges`), so a whole sweep is
priced from one read.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final

from ..._core.errors import StoreError
from ..._core.params import Params, estimate_cost
from ..._storage.ledger import charges
from ..._storage.store import Store

__all__ = ["Prices", "learn", "learn_or_list"]

# The charges per combination the median looks at: the recent ones say today's price.
SAMPLES: Final = 20

Key = tuple[str, int, str]


@dataclass(frozen=True)
class Prices:
    """Per-job estimates: learned charges where seen, the price table elsewhere."""

    seen: dict[Key, list[float]] = field(default_factory=dict)

    def estimate(self, params: Params) -> float:
        found = self.seen.get(_key(params))
        if found:
            return round(statistics.median(found), 4)
        return estimate_cost(params)

    def basis(self, params: Params) -> str:
        """Where :meth:`estimate`'s figure comes from, in a few words."""
        found = self.seen.get(_key(params))
        if found:
            return f"median of {len(found)} recent charge{'s' if len(found) > 1 else ''}"
        return "list price"

    def total(self, plan: Iterable[Params]) -> float:
        return round(sum(self.estimate(p) for p in plan), 4)


def _key(params: Params) -> Key:
    return (params.model, params.duration, params.resolution)


def learn(store: Store, *, base_url: str | None = None) -> Prices:
    """The estimates *store*'s charges teach, for the service at *base_url* (None: any)."""
    seen: dict[Key, list[float]] = defaultdict(list)
    for model, duration, resolution, charge in charges(store, base_url=base_url):
        found = seen[(model, duration, resolution)]
        if len(found) < SAMPLES:
            found.append(charge)
    return Prices(dict(seen))


def learn_or_list(store: Callable[[], Store], *, base_url: str | None = None) -> Prices:
    """:func:`learn`, or the list prices when the store cannot be read.

    For plans and dry runs: an estimate never stops anything, and a store that
    cannot record a job says so where it matters, before that job is sent.
    """
    try:
        return learn(store(), base_url=base_url)
    except StoreError:
        return Prices()
