"""``compare()``: jobs summarised by parameter, as a table or a chart.

How many ran, how often they succeeded, and the median and p90 of their
timings and cost, per combination of the parameters asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from .._core.config import get_settings
from .._core.status import JobStatus
from .._storage.store import Store
from .._storage.tables import history_frame
from .compare_table import CompareFrame

__all__ = ["compare"]

DEFAULT_BY = ("resolution", "duration")
DEFAULT_METRICS = ("total_s", "queue_s", "run_s", "cost")
PLOT_EXTRA = "pip install 'ltx-notebook[plot]'"


def compare(
    frame: Any = None,
    by: str | Sequence[str] = DEFAULT_BY,
    metrics: str | Sequence[str] = DEFAULT_METRICS,
    plot: bool = False,
    *,
    store: Store | None = None,
) -> Any:
    """Summarise jobs by parameter: how many, how often they succeed, how long, how much.

    *frame* is a ``history()`` frame (filter it first to compare a subset), a
    Sweep (its ``frame()``), or None for the whole history of *store* (the
    default session's when not given). One row per combination of *by*, with

    - ``count``: every job in the group; ``completed``, ``terminal``: how many
      ended COMPLETED, and ended at all;
    - ``success_rate``: completed / terminal (NA while none has ended);
    - ``<metric>_median`` and ``<metric>_p90`` for each of *metrics*, over the
      COMPLETED jobs only (a failure's timing says nothing about a clip's).
      ``cost`` is the service's charge where known, else the estimate, and
      then ``cost_estimated`` counts, per group, the completed jobs whose cost
      is an estimate (0: every figure is a charge);
    - ``preference``, when the arena has votes between these jobs: the group's
      chance to beat an average group, from a Bradley–Terry fit (see ``rank()``).

    The result is a DataFrame of exact values; a notebook shows it rounded,
    with units (``6.1 s``, ``$0.36``, ``83 %``), fitting the output's width.

    With *plot*, draws median bars with p90 whiskers, one panel per metric
    (matplotlib, the ``[plot]`` extra) and returns the array of Axes.
    """
    if frame is None:
        frame = history_frame(store or Store(get_settings().store_path))
    elif not isinstance(frame, pd.DataFrame) and callable(getattr(frame, "frame", None)):
        frame = frame.frame()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"compare() takes a history DataFrame, a Sweep or None, not {frame!r}")
    keys = [by] if isinstance(by, str) else list(by)
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    columns = set(frame.columns) | set(frame.index.names)
    for name in [*keys, *names, "status"]:
        if name not in columns:
            raise ValueError(
                f"compare(): no column {name!r}; known: {', '.join(sorted(map(str, columns)))}"
            )
    if not keys:
        raise ValueError("compare(): give at least one column to group by")
    for name in names:
        if not pd.api.types.is_numeric_dtype(frame[name]):
            raise ValueError(f"compare(): metric {name!r} is not numeric")

    data = frame.reset_index() if any(k in frame.index.names for k in keys) else frame
    data = data.copy()
    estimated = "cost" in names and "cost_estimate" in data
    if estimated:
        data["_estimated"] = data["cost"].isna().astype(int)
        data["cost"] = data["cost"].astype("Float64").fillna(data["cost_estimate"])
    status = data["status"].astype("string")
    terminal_states = [s.value for s in JobStatus.terminal()]
    data["_completed"] = (status == JobStatus.COMPLETED.value).fillna(False).astype(int)
    data["_terminal"] = status.isin(terminal_states).fillna(False).astype(int)
    groups = data.groupby(keys, observed=True, dropna=False, sort=True)
    out = pd.DataFrame(
        {
            "count": groups.size(),
            "completed": groups["_completed"].sum(),
            "terminal": groups["_terminal"].sum(),
        }
    )
    for name in ("count", "completed", "terminal"):
        out[name] = out[name].astype("Int64")
    rate = out["completed"].astype("Float64") / out["terminal"].astype("Float64")
    out["success_rate"] = rate.where(out["terminal"] > 0, pd.NA).astype("Float64")
    done = data[data["_completed"] == 1]
    done_groups = done.groupby(keys, observed=True, dropna=False, sort=True)
    for name in names:
        values = done_groups[name]
        out[f"{name}_median"] = _numeric(values.median(), out.index)
        out[f"{name}_p90"] = _numeric(values.quantile(0.9), out.index)
        if name == "cost" and estimated:
            counted = done_groups["_estimated"].sum().reindex(out.index).fillna(0)
            out["cost_estimated"] = counted.astype("Int64")
    liked = _preference(frame, keys, store)
    if liked is not None:
        out["preference"] = liked.reindex(out.index).astype("Float64")
    out.attrs["by"] = keys
    out.attrs["metrics"] = names
    if plot:
        return _plot(out, keys, names)
    # Exact values in the frame; rounded, with units, only in its notebook display.
    view = CompareFrame(out)
    view.attrs.update(out.attrs)
    return view


def _preference(frame: pd.DataFrame, keys: list[str], store: Store | None) -> pd.Series | None:
    # The arena's votes between these jobs, as each group's chance to beat an average one.
    from .ranking import preference

    if "id" not in frame.columns and frame.index.name != "id":
        return None  # not a frame of jobs (no ids to find their votes by)
    return preference(frame, keys, store or Store(get_settings().store_path))


def _numeric(series: pd.Series, index: pd.Index) -> pd.Series:
    # Groups with no completed job are absent from the per-metric results: NA, not 0.
    return series.astype("Float64").reindex(index)


def _plot(summary: pd.DataFrame, keys: list[str], names: list[str]) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"compare(plot=True) needs matplotlib: {PLOT_EXTRA} (or pip install matplotlib)"
        ) from exc
    labels = [
        " · ".join(str(v) for v in (key if isinstance(key, tuple) else (key,)))
        for key in summary.index
    ]
    fig, axes = plt.subplots(
        1,
        len(names),
        figsize=(max(4.0, 1.1 * len(labels)) * len(names) / 1.5, 3.4),
        squeeze=False,
        layout="constrained",
    )
    positions = list(range(len(labels)))
    for ax, name in zip(axes[0], names, strict=True):
        median = summary[f"{name}_median"].astype("float64").fillna(0.0).to_numpy()
        p90 = summary[f"{name}_p90"].astype("float64").fillna(0.0).to_numpy()
        ax.bar(positions, median, color="#2563eb", alpha=0.85, label="median")
        ax.vlines(positions, median, p90, color="#1e3a8a", linewidth=1.5, label="p90")
        ax.scatter(positions, p90, marker="_", s=120, color="#1e3a8a")
        ax.set_xticks(positions, labels, rotation=30 if len(labels) > 3 else 0, ha="right")
        unit = "$" if name.startswith("cost") else "s" if name.endswith("_s") else ""
        ax.set_title(f"{name} ({unit})" if unit else name, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"by {' · '.join(keys)} (completed jobs)", fontsize=10)
    return axes[0]
