"""``history()`` as a view: a DataFrame whose notebook display is a compact table.

:class:`HistoryFrame` *is* a pandas DataFrame (a subclass, kept through
slicing and filtering by pandas' ``_constructor`` protocol), whole and typed:
only its ``_repr_html_`` differs. In a notebook it shows one page of rows,
in the frame's order (newest first from the store), as a small poster, a
status pill, the model and the parameters that differ between the rows, the
cost, the seconds, the tag and the rating; a note says how many rows follow
and how to see them (``.iloc[25:50]``, or ``pd.DataFrame(frame)`` for pandas'
own table). A frame that no longer looks like jobs (``describe()``, a
``groupby`` result) falls back to pandas' display.

Why a subclass and not an accessor or a wrapper: ``history()`` must stay a
real DataFrame that every pandas call takes, and a wrapper would not be one;
an accessor would still leave the 33-column display as the default. Pandas
documents subclassing with ``_constructor`` and ``_metadata`` for exactly this.

The payloads (what each job sent, including parameters added by later models)
ride along in ``_metadata`` from the same single store query that made the
frame, so displaying it never reads the store again.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

import pandas as pd

from .._core.config import get_settings
from .._core.params import PARAM_NAMES
from .._storage.cache import playable
from .._storage.store import Store
from .._storage.tables import frame_of_rows
from .differ import param_text, payload_of, split_params
from .grid import relative_src
from .labels import STARS
from .table_style import table_css

__all__ = ["PAGE_ROWS", "HistoryFrame", "history_html", "history_view"]

PAGE_ROWS: Final = 25
# The columns a frame needs to be drawn as jobs; without them pandas draws it.
NEEDED: Final = frozenset({"status", "request_id"})
THUMB_W, THUMB_H = 64, 36
PROMPT_CHARS: Final = 90


class HistoryFrame(pd.DataFrame):  # type: ignore[misc]  # pandas is untyped here (no stubs)
    """A ``history()`` DataFrame: pandas in every way but its notebook display."""

    _metadata: ClassVar[list[str]] = ["_ltx_payloads", "_ltx_base_dir"]
    _ltx_payloads: Mapping[int, Mapping[str, Any]] | None = None
    _ltx_base_dir: Path | None = None

    @property
    def _constructor(self) -> type[HistoryFrame]:
        return HistoryFrame

    def _repr_html_(self) -> str | None:
        # pandas' own switch for HTML in notebooks is honoured, as pandas does.
        if not set(self.columns) >= NEEDED or not pd.get_option("display.notebook_repr_html"):
            pandas_html: str | None = super()._repr_html_()
            return pandas_html
        return history_html(self, payloads=self._ltx_payloads, base_dir=self._ltx_base_dir)


def history_view(store: Store, *, base_dir: Path | None = None, **filters: Any) -> HistoryFrame:
    """Every job of *store* (filtered like ``history()``), as a :class:`HistoryFrame`.

    One store query: the frame and the payloads come from the same rows.
    """
    rows = store.rows(**filters)
    frame = HistoryFrame(frame_of_rows(rows, store.columns))
    frame._ltx_payloads = {
        int(row["id"]): payload_of(row.get("params_json"), row.get("model")) for row in rows
    }
    frame._ltx_base_dir = base_dir
    return frame


# -- the HTML ---------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _get(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    return None if _missing(value) else value


def _payloads(
    frame: pd.DataFrame, ids: list[Any], payloads: Mapping[int, Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    """What each job sent: its stored payload, else the parameter columns the frame has."""
    stored = [
        payloads.get(int(i)) if payloads is not None and not _missing(i) else None for i in ids
    ]
    if all(p is not None for p in stored):
        return [dict(p or {}) for p in stored]
    # A frame read back from CSV has no payloads: its parameter columns stand in.
    columns = [n for n in PARAM_NAMES if n in frame.columns]
    rows = frame[columns].to_dict("records")
    return [
        dict(p) if p is not None else {k: v for k, v in row.items() if not _missing(v)}
        for p, row in zip(stored, rows, strict=True)
    ]


def cost_text(cost: Any, estimate: Any) -> str:
    """``$0.36`` billed, ``~$0.36`` estimated, as the tiles and the report spell them."""
    if not _missing(cost):
        return f"${float(cost):.2f}"
    if not _missing(estimate):
        return f"~${float(estimate):.2f}"
    return ""


def _thumb(row: Mapping[str, Any], base_dir: Path | None) -> str:
    poster = _get(row, "poster_path")
    # What this kernel has (its cache included): a long history fetches nothing.
    path = playable(get_settings(), str(poster), fetch=False) if poster is not None else None
    if path is None:
        return '<span class="ltx-nothumb"></span>'
    src = html.escape(relative_src(path, base_dir))
    # By URL and lazily: the page stays small however long the history.
    return (
        f'<img class="ltx-thumb" loading="lazy" decoding="async" alt="" src="{src}" '
        f'width="{THUMB_W}" height="{THUMB_H}">'
    )


def _stars(rating: Any) -> str:
    if _missing(rating) or not int(rating):
        return ""
    n = max(0, min(STARS, int(rating)))
    return f'<span class="ltx-stars" title="{n} of {STARS}">{"★" * n}{"☆" * (STARS - n)}</span>'


def _pill(status: Any) -> str:
    text = "" if _missing(status) else str(status)
    return f'<span class="ltx-pill ltx-{html.escape(text.lower())}">{html.escape(text)}</span>'


def history_html(
    frame: pd.DataFrame,
    *,
    payloads: Mapping[int, Mapping[str, Any]] | None = None,
    base_dir: Path | None = None,
    page_rows: int = PAGE_ROWS,
) -> str:
    """The first *page_rows* rows of a history frame as a compact HTML table.

    Parameters that differ between any of the frame's rows (not only the
    page's) get a column each; those all share are said once above.
    """
    esc = html.escape
    if frame.index.name == "id":
        ids = list(frame.index)
    else:
        ids = list(frame["id"]) if "id" in frame.columns else list(frame.index)
    every = _payloads(frame, ids, payloads)
    varying, shared = split_params(every)
    shown = frame.iloc[:page_rows].to_dict("records")
    has_notes = "notes" in frame.columns and frame["notes"].notna().any()
    has_tag = "tag" in frame.columns and frame["tag"].notna().any()

    heads = ["", "#", "status", *(n.replace("_", " ") for n in varying)]
    heads += ["cost", "seconds"] + (["tag"] if has_tag else []) + ["rating"]
    heads += ["notes"] if has_notes else []
    out = [f"<style>{table_css()}</style>", '<div class="ltx-table ltx-history">']
    total = len(frame)
    summary = f"{total:,} job{'s' if total != 1 else ''}"
    short = [esc(param_text(n, v)) for n, v in shared.items() if n != "prompt"]
    if short:
        summary += " · all " + " · ".join(short)
    if "prompt" in shared:
        prompt = param_text("prompt", shared["prompt"], PROMPT_CHARS)
        summary += f' · <span class="ltx-quote">{esc(prompt)}</span>'
    out.append(f'<div class="ltx-caption">{summary}</div>')
    out.append("<table><thead><tr>")
    classes = _classes(heads)
    out.extend(f'<th class="{c}">{esc(h)}</th>' for c, h in zip(classes, heads, strict=True))
    out.append("</tr></thead><tbody>")
    for row_id, row, payload in zip(ids, shown, every, strict=False):
        cells = [
            _thumb(row, base_dir),
            # A sweep's frame() has rows with no id: combinations not sent (yet).
            f'<span class="ltx-id">{"" if pd.isna(row_id) else esc(str(row_id))}</span>',
            _pill(row.get("status")),
        ]
        for name in varying:
            value = payload.get(name)
            limit = PROMPT_CHARS if name == "prompt" else 40
            text = "" if value is None else param_text(name, value, limit)
            full = "" if value is None else param_text(name, value, 2000)
            cls = ' class="ltx-prompt"' if name == "prompt" else ""
            cells.append(f'<span{cls} title="{esc(full)}">{esc(text)}</span>')
        seconds = _get(row, "total_s")
        cells.append(esc(cost_text(row.get("cost"), row.get("cost_estimate"))))
        cells.append("" if seconds is None else f"{float(seconds):.0f} s")
        if has_tag:
            cells.append(esc(str(_get(row, "tag") or "")))
        cells.append(_stars(row.get("rating")))
        if has_notes:
            note = str(_get(row, "notes") or "")
            cells.append(
                f'<span class="ltx-note" title="{esc(note[:2000])}">{esc(note[:120])}</span>'
            )
        tds = "".join(
            f'<td class="{c}">{cell}</td>' for c, cell in zip(classes, cells, strict=True)
        )
        out.append(f"<tr>{tds}</tr>")
    out.append("</tbody></table>")
    if total > page_rows:
        out.append(
            f'<div class="ltx-caption">showing the first {page_rows} of {total:,} · the next '
            f"page: <code>.iloc[{page_rows}:{2 * page_rows}]</code> · every row and column, "
            "as pandas draws them: <code>pd.DataFrame(frame)</code></div>"
        )
    out.append("</div>")
    return "".join(out)


def _classes(heads: list[str]) -> list[str]:
    named = {
        "cost": "ltx-num",
        "seconds": "ltx-num",
        "#": "ltx-num",
        "": "ltx-thumbcell",
        "prompt": "ltx-text",
        "notes": "ltx-text",
    }
    return [named.get(h, "") for h in heads]
