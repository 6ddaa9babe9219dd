"""``history()`` as a view: a DataFrame whose notebook display is a compact table.

:class:`HistoryFrame` *is* a pandas DataFrame (a subclass, kept through
slicing and filtering by pandas' ``_constructor`` protocol), whole and typed:
only its display differs. In a notebook it shows one page of rows, in the
frame's order (newest first from the store), as a small poster, a status
pill, the model and the parameters that differ between the rows, the cost,
the seconds, the tag and the rating; a note says how many rows follow and how
to see them (``.iloc[25:50]``, or ``pd.DataFrame(frame)`` for pandas' own
table). A frame cut down to some columns shows those columns. Its ``repr()``
(what terminal IPython prints) is the same table as text (history_table.py
draws both); ``to_string()`` stays pandas'. A frame that no longer looks like
jobs (``describe()``, a ``groupby`` result) falls back to pandas' display.

Why a subclass and not an accessor or a wrapper: ``history()`` must stay a
real DataFrame that every pandas call takes, and a wrapper would not be one;
an accessor would still leave the 33-column display as the default. Pandas
documents subclassing with ``_constructor`` and ``_metadata`` for exactly this.

The payloads (what each job sent, including parameters added by later models)
ride along in ``_metadata`` from the same single store query that made the
frame, so displaying it never reads the store again.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

import pandas as pd

from .._core.config import get_settings
from .._storage.records import owned_by
from .._storage.store import Store
from .._storage.tables import LEADING, frame_of_rows
from .differ import payload_of
from .history_table import Table, compact_table, selection_table, table_html, table_text

__all__ = ["ME", "PAGE_ROWS", "HistoryFrame", "history_html", "history_text", "history_view"]

PAGE_ROWS: Final = 25
# Rows are jobs when indexed by id or when they have these; else pandas draws the frame.
NEEDED: Final = frozenset({"status", "request_id"})
# A frame with every history column is drawn as the compact page; one cut down to
# some columns shows the columns it kept. (A frame saved before owners still is whole.)
WHOLE: Final = frozenset(LEADING) - {"owner"}
# history(owner="me"): the settings' user, and rows made before owners were recorded.
ME: Final = "me"


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
        if _shape(self) == "pandas" or not pd.get_option("display.notebook_repr_html"):
            pandas_html: str | None = super()._repr_html_()
            return pandas_html
        return history_html(self, payloads=self._ltx_payloads, base_dir=self._ltx_base_dir)

    def __repr__(self) -> str:
        # What a terminal shows: the notebook's table as text. ``to_string()`` is pandas'.
        if _shape(self) == "pandas":
            pandas_text: str = super().__repr__()
            return pandas_text
        return history_text(self, payloads=self._ltx_payloads, base_dir=self._ltx_base_dir)


def history_view(
    store: Store, *, base_dir: Path | None = None, user: str | None = None, **filters: Any
) -> HistoryFrame:
    """Every job of *store* (filtered like ``history()``), as a :class:`HistoryFrame`.

    ``owner="me"`` keeps *user*'s rows (default the settings' user) and those with no
    owner (made before owners were recorded: a personal store upgraded stays its
    owner's). One store query: the frame and the payloads come from the same rows.
    """
    if filters.get("owner") == ME:
        filters["owner"] = owned_by(user or get_settings().user)
    rows = store.rows(**filters)
    frame = HistoryFrame(frame_of_rows(rows, store.columns))
    frame._ltx_payloads = {
        int(row["id"]): payload_of(row.get("params_json"), row.get("model")) for row in rows
    }
    frame._ltx_base_dir = base_dir
    return frame


# -- the table ---------------------------------------------------------------------------


def _shape(frame: pd.DataFrame) -> str:
    """``compact`` (every history column), ``selection`` (jobs, some columns), or ``pandas``."""
    if set(frame.columns) >= WHOLE:
        return "compact"
    jobs = frame.index.name == "id" or set(frame.columns) >= NEEDED
    return "selection" if jobs and len(frame.columns) else "pandas"


def history_table(
    frame: pd.DataFrame,
    *,
    payloads: Mapping[int, Mapping[str, Any]] | None = None,
    base_dir: Path | None = None,
    page_rows: int = PAGE_ROWS,
) -> Table:
    """The first *page_rows* rows of a jobs frame as a table: compact, or the columns kept."""
    if _shape(frame) == "compact":
        return compact_table(frame, payloads, page_rows, base_dir)
    return selection_table(frame, page_rows, base_dir)


def history_html(
    frame: pd.DataFrame,
    *,
    payloads: Mapping[int, Mapping[str, Any]] | None = None,
    base_dir: Path | None = None,
    page_rows: int = PAGE_ROWS,
) -> str:
    """The first *page_rows* rows of a jobs frame as a compact HTML table."""
    table = history_table(frame, payloads=payloads, base_dir=base_dir, page_rows=page_rows)
    return table_html(table)


def history_text(
    frame: pd.DataFrame,
    *,
    payloads: Mapping[int, Mapping[str, Any]] | None = None,
    base_dir: Path | None = None,
    page_rows: int = PAGE_ROWS,
) -> str:
    """The same table as text: what a terminal shows for a history frame."""
    table = history_table(frame, payloads=payloads, base_dir=base_dir, page_rows=page_rows)
    return table_text(table)
