"""The style sheet the review tables share (history, compare): ``tables.css``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["table_css"]


@cache
def table_css() -> str:
    return files(__package__).joinpath("tables.css").read_text(encoding="utf-8")
