"""``rank()`` and ``votes()``: the arena's votes as a table, and as a ranking of settings.

The fit itself is pure (``_core/ranking``); here votes are read from the
store, each voted job is mapped to its setting (a ``history()`` column, or the
job itself), and the result is a :class:`RankFrame`: a DataFrame of exact
numbers whose notebook display is a compact table with each setting's
interval drawn as a bar, the best first. ``compare()`` asks
:func:`preference` for its preference column.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import pandas as pd

from .._core.config import get_settings
from .._core.params import format_param
from .._core.ranking import BOOTSTRAP_ROUNDS, Comparison, Ranking
from .._core.ranking import rank as fit_rank
from .._storage import votes as ballot
from .._storage.store import Store
from .._storage.tables import history_frame
from .compare_table import number_text
from .table_style import table_css

__all__ = ["RankFrame", "preference", "rank", "rank_html", "votes_frame"]

PLOT_EXTRA: Final = "pip install 'ltx-notebook[plot]'"
_SCORE: Final = {"left": 1.0, "right": 0.0, "tie": 0.5}


def votes_frame(store: Store, jobs: Sequence[int] | None = None) -> pd.DataFrame:
    """Every vote (between *jobs*, when given), oldest first, one row each."""
    rows = [
        {
            "id": v.id,
            "voted_at": v.voted_at,
            "voter": v.voter,
            "arena_id": v.arena_id,
            "left_job": v.left_job,
            "right_job": v.right_job,
            "outcome": v.outcome,
            "winner": v.winner,
            "left_request_id": v.left_request_id,
            "right_request_id": v.right_request_id,
        }
        for v in ballot.read(store, jobs)
    ]
    columns = [
        "id",
        "voted_at",
        "voter",
        "arena_id",
        "left_job",
        "right_job",
        "outcome",
        "winner",
        "left_request_id",
        "right_request_id",
    ]
    frame = pd.DataFrame.from_records(rows, columns=columns).set_index("id")
    frame["voted_at"] = pd.to_datetime(frame["voted_at"], utc=True)
    for name in ("left_job", "right_job", "winner"):
        frame[name] = frame[name].astype("Int64")
    frame["outcome"] = pd.Categorical(frame["outcome"], categories=list(ballot.OUTCOMES))
    return frame


def _frame_of(source: Any, store: Store | None) -> tuple[pd.DataFrame, Store]:
    if store is None:
        owner = source
        if isinstance(source, list | tuple):  # Jobs: the first one's session
            owner = next((x for x in source if hasattr(x, "session")), None)
        session = getattr(owner, "session", None)
        store = getattr(session, "store", None) or Store(get_settings().store_path)
    if source is None:
        return history_frame(store), store
    if not isinstance(source, pd.DataFrame) and callable(getattr(source, "frame", None)):
        return source.frame(), store  # a Sweep
    if isinstance(source, pd.DataFrame):
        return source, store
    ids = [int(getattr(x, "id", x)) for x in source]
    return history_frame(store, id=ids), store


def _fit(
    frame: pd.DataFrame, keys: Sequence[str], store: Store, *, rounds: int, seed: int
) -> tuple[Ranking, pd.Index] | None:
    """The ranking of *frame*'s groups by *keys* (its jobs with no keys), None without votes."""
    data = frame.reset_index() if "id" not in frame.columns else frame
    data = data[data["id"].notna()]  # a sweep's combinations not sent yet have no id
    ids = [int(i) for i in data["id"]]
    cast = [v for v in ballot.read(store, ids) if v.outcome in _SCORE]
    if not cast:
        return None
    if keys:
        groups = data.set_index("id")[list(keys)]
        label = {
            int(i): tuple(row) if len(keys) > 1 else row[0]
            for i, row in zip(groups.index, groups.itertuples(index=False), strict=True)
        }
    else:
        label = {i: i for i in ids}
    items = sorted(set(label.values()), key=lambda x: (str(type(x)), x))
    where = {item: k for k, item in enumerate(items)}
    comparisons: list[Comparison] = []
    for v in cast:
        a, b = label.get(v.left_job), label.get(v.right_job)
        if a is None or b is None or a == b:
            continue  # the same setting on both sides says nothing about the setting
        comparisons.append((where[a], where[b], _SCORE[v.outcome]))
    if not comparisons:
        return None
    names = list(keys) if keys else ["job"]
    index = (
        pd.MultiIndex.from_tuples(items, names=names)
        if len(names) > 1
        else pd.Index(items, name=names[0])
    )
    return fit_rank(items, comparisons, rounds=rounds, seed=seed), index


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if math.isfinite(x) else (1.0 if x > 0 else 0.0)


def rank(
    source: Any = None,
    by: str | Sequence[str] | None = None,
    *,
    store: Store | None = None,
    plot: bool = False,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = 0,
) -> Any:
    """The settings (or jobs) of *source* ranked by the arena's votes; see ``ltx.rank``."""
    frame, store = _frame_of(source, store)
    keys = [by] if isinstance(by, str) else list(by or [])
    for name in keys:
        if name not in frame.columns:
            known = ", ".join(sorted(map(str, frame.columns)))
            raise ValueError(f"rank(): no column {name!r}; known: {known}")
    fitted = _fit(frame, keys, store, rounds=rounds, seed=seed)
    columns = ["score", "low", "high", "beats_average", "votes", "wins", "ties", "losses"]
    if fitted is None:
        out = RankFrame(columns=columns)
        out.index.name = keys[0] if len(keys) == 1 else "job"
    else:
        ranking, index = fitted
        wins = [w - 0.5 * t for w, t in zip(ranking.wins, ranking.ties, strict=True)]
        out = RankFrame(
            {
                "score": ranking.strength,
                "low": ranking.low,
                "high": ranking.high,
                "beats_average": [_sigmoid(s) for s in ranking.strength],
                "votes": ranking.votes,
                "wins": [int(w) for w in wins],
                "ties": ranking.ties,
                "losses": [
                    n - int(w) - t
                    for n, w, t in zip(ranking.votes, wins, ranking.ties, strict=True)
                ],
            },
            index=index,
        ).sort_values("score", ascending=False)
    out.attrs["by"] = keys or ["job"]
    if plot:
        return plot_ranking(out)
    return out


def preference(frame: pd.DataFrame, keys: Sequence[str], store: Store) -> pd.Series | None:
    """Each group's chance to beat an average one, from the votes; None when there are none."""
    fitted = _fit(frame, keys, store, rounds=0, seed=0)
    if fitted is None:
        return None
    ranking, index = fitted
    return pd.Series([_sigmoid(s) for s in ranking.strength], index=index, dtype="Float64")


class RankFrame(pd.DataFrame):  # type: ignore[misc]  # pandas is untyped here (no stubs)
    """A ``rank()`` result: pandas in every way but its notebook display."""

    _metadata: ClassVar[list[str]] = []

    @property
    def _constructor(self) -> type[RankFrame]:
        return RankFrame

    def _repr_html_(self) -> str | None:
        if "score" not in self.columns or not pd.get_option("display.notebook_repr_html"):
            pandas_html: str | None = super()._repr_html_()
            return pandas_html
        return rank_html(self)

    def plot_chart(self) -> Any:
        """Each setting's score with its interval, the best on top (matplotlib)."""
        return plot_ranking(self)


def _label(names: Sequence[str], key: Any) -> str:
    values = key if isinstance(key, tuple) else (key,)
    if list(names) == ["job"]:
        return f"#{key}"
    return " · ".join(format_param(n, v) for n, v in zip(names, values, strict=True))


def rank_html(frame: pd.DataFrame) -> str:
    """The ranking as a compact table: place, setting, score with its interval as a bar."""
    esc = html.escape
    names = [str(n) for n in frame.index.names]
    by = " · ".join(n.replace("_", " ") for n in names)
    if frame.empty:
        return (
            f"<style>{table_css()}</style><div class='ltx-table ltx-rank'><div "
            f"class='ltx-caption'>No votes yet between these jobs' {esc(by)}s: vote in "
            "<code>arena()</code>, then rank again</div></div>"
        )
    finite = [x for x in [*frame["low"], *frame["high"]] if math.isfinite(x)]
    lo, hi = (min(finite), max(finite)) if finite else (-1.0, 1.0)
    span = (hi - lo) or 1.0

    def pct(x: float) -> float:
        return 100 * (min(max(x, lo), hi) - lo) / span

    rows = []
    for place, (key, row) in enumerate(zip(frame.index, frame.to_dict("records"), strict=True)):
        bar = (
            f"<div style='position:relative;height:10px;min-width:140px;"
            "background:var(--jp-layout-color2,rgba(128,128,128,.12));border-radius:3px'>"
            f"<div style='position:absolute;top:3px;height:4px;left:{pct(row['low']):.1f}%;"
            f"width:{max(pct(row['high']) - pct(row['low']), 0.5):.1f}%;"
            "background:var(--jp-brand-color1,#2563eb);opacity:.45;border-radius:2px'></div>"
            f"<div style='position:absolute;top:0;height:10px;width:2px;"
            f"left:calc({pct(row['score']):.1f}% - 1px);"
            "background:var(--jp-brand-color1,#2563eb)'></div></div>"
        )
        interval = f"{row['low']:+.2f} … {row['high']:+.2f}"
        rows.append(
            f"<tr><td class='ltx-num'>{place + 1}</td><th>{esc(_label(names, key))}</th>"
            f"<td class='ltx-num'>{row['score']:+.2f}</td><td class='ltx-num'>{esc(interval)}"
            f"</td><td>{bar}</td>"
            f"<td class='ltx-num'>{esc(number_text(row['beats_average'], '%'))}</td>"
            f"<td class='ltx-num'>{int(row['votes'])}</td>"
            f"<td class='ltx-num'>{int(row['wins'])} / {int(row['ties'])} / "
            f"{int(row['losses'])}</td></tr>"
        )
    total = int(frame["votes"].sum()) // 2
    caption = (
        f"Ranked by {total} blind vote{'s' if total != 1 else ''} · Bradley–Terry score "
        "(log-odds; +0.69 wins 2 to 1 against 0) with its 95 % bootstrap interval"
    )
    head = "".join(
        f"<th{' class=ltx-num' if n else ''}>{esc(t)}</th>"
        for t, n in [
            ("#", True),
            (by, False),
            ("score", True),
            ("95 % interval", True),
            ("", False),
            ("beats average", True),
            ("votes", True),
            ("won / tied / lost", True),
        ]
    )
    return (
        f"<style>{table_css()}</style>"
        f"<div class='ltx-table ltx-rank'><div class='ltx-caption'>{caption}</div>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def plot_ranking(frame: pd.DataFrame) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"rank(plot=True) needs matplotlib: {PLOT_EXTRA} (or pip install matplotlib)"
        ) from exc
    names = [str(n) for n in frame.index.names]
    shown = frame.iloc[::-1]  # the best on top
    labels = [_label(names, k) for k in shown.index]
    fig, ax = plt.subplots(figsize=(6.0, 0.5 * max(len(labels), 2) + 1.0), layout="constrained")
    y = list(range(len(labels)))
    score = shown["score"].astype(float).to_numpy()
    low = [s - lo if math.isfinite(lo) else 0.0 for s, lo in zip(score, shown["low"], strict=True)]
    high = [h - s if math.isfinite(h) else 0.0 for s, h in zip(score, shown["high"], strict=True)]
    ax.errorbar(score, y, xerr=[low, high], fmt="o", color="#2563eb", ecolor="#93c5fd", capsize=4)
    ax.axvline(0.0, color="#9ca3af", linewidth=1, linestyle="--")
    ax.set_yticks(y, labels)
    ax.set_xlabel("Bradley–Terry score (log-odds), 95 % bootstrap interval")
    ax.set_title(f"ranked by votes · by {' · '.join(names)}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.canvas.draw_idle()
    return ax
