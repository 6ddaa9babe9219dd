"""``compare()``'s result as a view: exact numbers in the frame, rounded with units on screen.

:class:`CompareFrame` is a pandas DataFrame (a subclass, as :class:`HistoryFrame`
is) whose data stay exact; only its notebook display differs: seconds as
``6.1 s``, cost as ``$0.36``, rates as ``83 %``, each metric's median and p90
under one wrapped heading, in a table that fits the output's width.
"""

from __future__ import annotations

import html
import math
from typing import Any, ClassVar, Final

import pandas as pd

from .._core.params import format_param
from .table_style import table_css

__all__ = ["CompareFrame", "compare_html", "number_text"]

STATS: Final = ("median", "p90")
# What a metric is measured in, by the shape of its name.
LABELS: Final = {"total_s": "total", "queue_s": "queue", "run_s": "run", "cost": "cost"}


class CompareFrame(pd.DataFrame):  # type: ignore[misc]  # pandas is untyped here (no stubs)
    """A ``compare()`` result: pandas in every way but its notebook display."""

    _metadata: ClassVar[list[str]] = []

    @property
    def _constructor(self) -> type[CompareFrame]:
        return CompareFrame

    def _repr_html_(self) -> str | None:
        if (
            "count" not in self.columns
            or not _metrics(self)
            or not pd.get_option("display.notebook_repr_html")
        ):
            pandas_html: str | None = super()._repr_html_()
            return pandas_html
        return compare_html(self)


def _metrics(frame: pd.DataFrame) -> list[str]:
    names = [str(c)[: -len("_median")] for c in frame.columns if str(c).endswith("_median")]
    return [n for n in names if f"{n}_p90" in frame.columns]


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def unit_of(name: str) -> str:
    if name.startswith("cost"):
        return "$"
    if name.endswith("_s") or name.endswith("_seconds"):
        return "s"
    if name.endswith("_rate") or name == "preference":
        return "%"
    return ""


def number_text(value: Any, unit: str) -> str:
    """A number rounded for reading, with its unit; ``—`` when missing."""
    if _missing(value):
        return "—"
    v = float(value)
    if unit == "$":
        return f"${v:.3f}" if 0 < abs(v) < 0.01 else f"${v:.2f}"
    if unit == "%":
        return f"{v * 100:.0f} %"
    if unit == "s":
        return f"{v:.1f} s" if abs(v) < 100 else f"{v:,.0f} s"
    return f"{v:,.0f}" if v == int(v) else f"{v:.3g}"


def _key_text(name: str | None, value: Any) -> str:
    if _missing(value):
        return "—"
    return format_param(name, value.item() if hasattr(value, "item") else value)


def compare_html(frame: pd.DataFrame) -> str:
    """The summary as a compact table: group keys, jobs, success, each metric's median and p90."""
    esc = html.escape
    keys = [str(n) if n is not None else "" for n in frame.index.names]
    metrics = _metrics(frame)
    # cost_estimated (how many completed jobs' cost is only the estimate) is a mark on
    # the cost figures, "~$0.36", not a column of its own.
    shown = {"count", "completed", "terminal", "success_rate", "cost_estimated"}
    shown |= {f"{m}_{s}" for m in metrics for s in STATS}
    others = [str(c) for c in frame.columns if str(c) not in shown]

    def th(text: str, attrs: str = "") -> str:
        return f"<th{attrs}>{esc(text)}</th>"

    top = [th(k.replace("_", " "), ' rowspan="2"') for k in keys]
    top.append(th("jobs", ' rowspan="2" class="ltx-num"'))
    top.append(th("success", ' rowspan="2" class="ltx-num"'))
    for m in metrics:
        unit = unit_of(m)
        label = LABELS.get(m, m.replace("_", " "))
        top.append(th(f"{label} ({unit})" if unit else label, ' colspan="2"'))
    top += [th(o.replace("_", " "), ' rowspan="2" class="ltx-num"') for o in others]
    sub = [th(s, ' class="ltx-num"') for _ in metrics for s in STATS]

    rows: list[str] = []
    for key, row in zip(frame.index, frame.to_dict("records"), strict=True):
        values = key if isinstance(key, tuple) else (key,)
        cells = [
            f"<th>{esc(_key_text(k or None, v))}</th>" for k, v in zip(keys, values, strict=True)
        ]
        count = row.get("count")
        cells.append(f'<td class="ltx-num">{esc(number_text(count, ""))}</td>')
        rate = row.get("success_rate")
        done, ended = row.get("completed"), row.get("terminal")
        detail = (
            f' title="{int(done)} of {int(ended)} ended COMPLETED"'
            if not _missing(done) and not _missing(ended)
            else ""
        )
        cells.append(f'<td class="ltx-num"{detail}>{esc(number_text(rate, "%"))}</td>')
        estimated = row.get("cost_estimated")
        estimated = 0 if _missing(estimated) else int(estimated)
        for m in metrics:
            for s in STATS:
                value = row.get(f"{m}_{s}")
                muted = " ltx-muted" if _missing(value) else ""
                text = number_text(value, unit_of(m))
                title = ""
                if m == "cost" and estimated and not muted:
                    text = f"~{text}"
                    title = f' title="{estimated} of {done} completed not charged yet: estimated"'
                cells.append(f'<td class="ltx-num{muted}"{title}>{esc(text)}</td>')
        for o in others:
            value = row.get(o)
            number = isinstance(value, int | float) or _missing(value)
            text = number_text(value, unit_of(o)) if number else str(value)
            cells.append(f'<td class="ltx-num">{esc(text)}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    by = " · ".join(k.replace("_", " ") for k in keys if k)
    marked = "cost_estimated" in frame.columns and bool((frame["cost_estimated"] > 0).any())
    caption = (
        f"{len(frame)} group{'s' if len(frame) != 1 else ''} by {esc(by)} · timings and cost "
        "over completed jobs"
        + (" · cost charged, or ~ estimated where not charged yet" if marked else "")
        + " · the frame holds the exact values"
    )
    return (
        f"<style>{table_css()}</style>"
        f'<div class="ltx-table ltx-compare"><div class="ltx-caption">{caption}</div>'
        f'<table><thead><tr class="ltx-group">{"".join(top)}</tr><tr>{"".join(sub)}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
