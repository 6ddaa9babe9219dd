"""A history frame's table, cell by cell: HTML for a notebook, text for a terminal.

Two shapes. A whole frame (or some of its rows) is the compact page: a poster, the
id, the owner (when the rows are more than one person's), a status pill, the
parameters that differ between the rows, cost, seconds, tag, rating and notes. A
frame cut down to some columns (``history()[["request_id", "status", "cost"]]``)
shows those columns, in the order asked, each spelled as the compact page spells
it. Both forms are drawn from one :class:`Table`, so terminal IPython shows what
the notebook shows.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pandas as pd

from .._core.config import get_settings
from .._core.params import PARAM_NAMES
from .._storage.cache import playable
from .differ import param_text, split_params
from .grid import relative_src
from .labels import STARS
from .table_style import table_css

__all__ = ["Cell", "Table", "compact_table", "selection_table", "table_html", "table_text"]

THUMB_W, THUMB_H = 64, 36
PROMPT_CHARS: Final = 90
VALUE_CHARS: Final = 60
# A terminal line holds less than an output area: free text is cut shorter there.
TEXT_CHARS: Final = 40
_FREE_TEXT: Final = frozenset({"prompt", "notes", "error", "negative_prompt"})
_PATHS: Final = frozenset({"video_path", "poster_path"})


@dataclass(frozen=True)
class Cell:
    """One cell in both forms; the HTML is escaped already."""

    html: str
    text: str

    @classmethod
    def plain(cls, text: str, title: str = "", css: str = "") -> Cell:
        attrs = f' class="{css}"' if css else ""
        attrs += f' title="{html.escape(title)}"' if title and title != text else ""
        inner = html.escape(text)
        return cls(f"<span{attrs}>{inner}</span>" if attrs else inner, text)


@dataclass(frozen=True)
class Table:
    heads: list[str]
    classes: list[str]  # per column: ltx-num (right-aligned), ltx-text (free text), ltx-thumbcell
    rows: list[list[Cell]]
    summary: Cell
    total: int
    page_rows: int


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _get(row: Mapping[str, Any], name: str) -> Any:
    value = row.get(name)
    return None if _missing(value) else value


def cost_text(cost: Any, estimate: Any) -> str:
    """``$0.36`` billed, ``~$0.36`` estimated, as the tiles and the report spell them."""
    if not _missing(cost):
        return f"${float(cost):.2f}"
    if not _missing(estimate):
        return f"~${float(estimate):.2f}"
    return ""


def _thumb(poster: Any, base_dir: Path | None) -> Cell:
    # What this kernel has (its cache included): a long history fetches nothing.
    path = None if _missing(poster) else playable(get_settings(), str(poster), fetch=False)
    if path is None:
        return Cell('<span class="ltx-nothumb"></span>', "")
    src = relative_src(path, base_dir)
    # By URL and lazily: the page stays small however long the history.
    return Cell(
        f'<img class="ltx-thumb" loading="lazy" decoding="async" alt="" '
        f'src="{html.escape(src)}" width="{THUMB_W}" height="{THUMB_H}">',
        src,
    )


def _stars(rating: Any) -> Cell:
    if _missing(rating) or not int(rating):
        return Cell("", "")
    n = max(0, min(STARS, int(rating)))
    text = "★" * n + "☆" * (STARS - n)
    return Cell(f'<span class="ltx-stars" title="{n} of {STARS}">{text}</span>', text)


def _pill(status: Any) -> Cell:
    text = "" if _missing(status) else str(status)
    esc = html.escape(text)
    return Cell(f'<span class="ltx-pill ltx-{esc.lower()}">{esc}</span>', text)


def _seconds(value: Any) -> Cell:
    return Cell("", "") if _missing(value) else Cell.plain(f"{float(value):.0f} s")


def _free_text(name: str, value: Any, limit: int) -> Cell:
    full = "" if _missing(value) else str(value)
    short = full if len(full) <= limit else full[: limit - 1].rstrip() + "…"
    css = "ltx-prompt" if name == "prompt" else "ltx-note"
    return Cell.plain(short, title=full[:2000], css=css)


def _value(name: str, value: Any, base_dir: Path | None) -> Cell:
    """A cell of a selected column, spelled as the compact page spells that column."""
    if name == "poster_path":
        return _thumb(value, base_dir)
    if _missing(value):
        return Cell("", "")
    if name == "status":
        return _pill(value)
    if name == "rating":
        return _stars(value)
    if name == "cost":
        return Cell.plain(cost_text(value, None))
    if name == "cost_estimate":
        return Cell.plain(cost_text(None, value))
    if name.endswith("_s"):
        return _seconds(value)
    if name in _FREE_TEXT:
        return _free_text(name, value, PROMPT_CHARS)
    if name in PARAM_NAMES:
        return Cell.plain(param_text(name, value, VALUE_CHARS), param_text(name, value, 2000))
    if name in _PATHS:
        where = str(value) if "://" in str(value) else relative_src(Path(str(value)), base_dir)
        return Cell.plain(where, str(value), css="ltx-path")
    if isinstance(value, datetime):
        return Cell.plain(f"{value:%Y-%m-%d %H:%M} UTC", value.isoformat())
    if isinstance(value, bool):
        return Cell.plain("yes" if value else "no")
    if isinstance(value, float):
        return Cell.plain(f"{value:g}")
    text = json.dumps(value, default=str) if isinstance(value, dict | list) else str(value)
    short = text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"
    return Cell.plain(short, title=text[:2000])


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


def _ids(frame: pd.DataFrame) -> list[Any]:
    if frame.index.name == "id":
        return list(frame.index)
    return list(frame["id"]) if "id" in frame.columns else list(frame.index)


def _id_cell(row_id: Any) -> Cell:
    # A sweep's frame() has rows with no id: combinations not sent (yet).
    text = "" if _missing(row_id) else str(row_id)
    return Cell(f'<span class="ltx-id">{html.escape(text)}</span>', text)


def _jobs(total: int) -> str:
    return f"{total:,} job{'s' if total != 1 else ''}"


def compact_table(
    frame: pd.DataFrame,
    payloads: Mapping[int, Mapping[str, Any]] | None,
    page_rows: int,
    base_dir: Path | None,
) -> Table:
    """The compact page of a whole frame; *payloads* are what each job sent, by id.

    Parameters that differ between any of the frame's rows (not only the page's)
    get a column each; those all share are said once above.
    """
    ids = _ids(frame)
    every = _payloads(frame, ids, payloads)
    varying, shared = split_params(every)
    has_notes = "notes" in frame.columns and frame["notes"].notna().any()
    has_tag = "tag" in frame.columns and frame["tag"].notna().any()
    # Whose job it is, only where the rows are more than one person's: no noise for one.
    has_owner = "owner" in frame.columns and frame["owner"].nunique(dropna=False) > 1
    heads = ["", "#", *(["owner"] if has_owner else []), "status"]
    heads += [n.replace("_", " ") for n in varying]
    heads += ["cost", "seconds"] + (["tag"] if has_tag else []) + ["rating"]
    heads += ["notes"] if has_notes else []
    classes = [_COMPACT_CLASSES.get(h, "") for h in heads]

    summary = Cell.plain(_jobs(len(frame)))
    short = [param_text(n, v) for n, v in shared.items() if n != "prompt"]
    if short:
        summary = _join(summary, Cell.plain("all " + " · ".join(short)))
    if "prompt" in shared:
        prompt = param_text("prompt", shared["prompt"], PROMPT_CHARS)
        summary = _join(summary, Cell.plain(prompt, css="ltx-quote"))

    rows = []
    shown = frame.iloc[:page_rows].to_dict("records")
    for row_id, row, payload in zip(ids, shown, every, strict=False):
        cells = [
            _thumb(row.get("poster_path"), base_dir),
            _id_cell(row_id),
            *([Cell.plain(str(_get(row, "owner") or ""))] if has_owner else []),
            _pill(row.get("status")),
        ]
        for name in varying:
            value = payload.get(name)
            if name == "prompt":
                cells.append(_free_text(name, value, PROMPT_CHARS))
                continue
            text = "" if value is None else param_text(name, value, 40)
            full = "" if value is None else param_text(name, value, 2000)
            cells.append(Cell.plain(text, title=full))
        cells.append(Cell.plain(cost_text(row.get("cost"), row.get("cost_estimate"))))
        cells.append(_seconds(row.get("total_s")))
        if has_tag:
            cells.append(Cell.plain(str(_get(row, "tag") or "")))
        cells.append(_stars(row.get("rating")))
        if has_notes:
            cells.append(_free_text("notes", _get(row, "notes"), 120))
        rows.append(cells)
    return Table(heads, classes, rows, summary, len(frame), page_rows)


_COMPACT_CLASSES: Final = {
    "cost": "ltx-num",
    "seconds": "ltx-num",
    "#": "ltx-num",
    "": "ltx-thumbcell",
    "prompt": "ltx-text",
    "notes": "ltx-text",
}


def selection_table(frame: pd.DataFrame, page_rows: int, base_dir: Path | None) -> Table:
    """The columns a frame was cut down to, in its order, after each row's id."""
    names = [str(c) for c in frame.columns]
    heads = ["#", *names]
    classes = ["ltx-num"]
    for name in names:
        if name == "poster_path":
            classes.append("ltx-thumbcell")
        elif name in _FREE_TEXT or name in _PATHS:
            classes.append("ltx-text")
        elif name not in PARAM_NAMES and _is_number(frame[name]):
            classes.append("ltx-num")
        else:
            classes.append("")
    rows = [
        [_id_cell(row_id), *(_value(n, row.get(n), base_dir) for n in names)]
        for row_id, row in zip(_ids(frame), frame.iloc[:page_rows].to_dict("records"), strict=False)
    ]
    return Table(heads, classes, rows, Cell.plain(_jobs(len(frame))), len(frame), page_rows)


def _is_number(column: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def _join(a: Cell, b: Cell) -> Cell:
    return Cell(f"{a.html} · {b.html}", f"{a.text} · {b.text}")


def _more(table: Table) -> Cell | None:
    if table.total <= table.page_rows:
        return None
    n = table.page_rows
    page = f".iloc[{n}:{2 * n}]"
    return Cell(
        f"showing the first {n} of {table.total:,} · the next page: <code>{page}</code> · "
        "every row and column, as pandas draws them: <code>pd.DataFrame(frame)</code>",
        f"showing the first {n} of {table.total:,} · the next page: {page} · "
        "every row and column, as pandas draws them: pd.DataFrame(frame)",
    )


def table_html(table: Table) -> str:
    """The table as the notebook shows it (``tables.css``)."""
    esc = html.escape
    out = [f"<style>{table_css()}</style>", '<div class="ltx-table ltx-history">']
    out.append(f'<div class="ltx-caption">{table.summary.html}</div>')
    out.append("<table><thead><tr>")
    out.extend(
        f'<th class="{c}">{esc(h)}</th>' for c, h in zip(table.classes, table.heads, strict=True)
    )
    out.append("</tr></thead><tbody>")
    for cells in table.rows:
        tds = "".join(
            f'<td class="{c}">{cell.html}</td>'
            for c, cell in zip(table.classes, cells, strict=True)
        )
        out.append(f"<tr>{tds}</tr>")
    out.append("</tbody></table>")
    if (more := _more(table)) is not None:
        out.append(f'<div class="ltx-caption">{more.html}</div>')
    out.append("</div>")
    return "".join(out)


def table_text(table: Table) -> str:
    """The same table as lines of text, for a terminal: no posters, free text cut short."""
    keep = [i for i, c in enumerate(table.classes) if c != "ltx-thumbcell"]

    def text(i: int, cell: Cell) -> str:
        value = cell.text
        if table.classes[i] == "ltx-text" and len(value) > TEXT_CHARS:
            value = value[: TEXT_CHARS - 1].rstrip() + "…"
        return value

    grid = [[table.heads[i] for i in keep]]
    grid += [[text(i, cells[i]) for i in keep] for cells in table.rows]
    widths = [max(len(line[j]) for line in grid) for j in range(len(keep))]
    lines = [table.summary.text]
    for line in grid:
        parts = [
            value.rjust(width) if table.classes[i] == "ltx-num" else value.ljust(width)
            for i, value, width in zip(keep, line, widths, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    if (more := _more(table)) is not None:
        lines.append(more.text)
    return "\n".join(lines)
