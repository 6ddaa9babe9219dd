"""The widgets' front-end files, joined: anywidget takes one ES module and one stylesheet."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

__all__ = ["module_text"]


@cache
def module_text(*names: str) -> str:
    """The package files *names* (``ab.js``, ``gallery.js``…) joined in order."""
    here = files(__package__)
    return "\n".join(here.joinpath(name).read_text(encoding="utf-8") for name in names)
