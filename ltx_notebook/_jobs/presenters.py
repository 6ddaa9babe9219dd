"""How jobs and sweeps are drawn: supplied from above, so the domain never imports the view.

A :class:`~.job.Job` has a rich HTML form and a :class:`~.sweep.Sweep` has
``panel()`` and ``gallery()``, but drawing is the view layer's work and this
layer must not import it, not even lazily inside a method (the layer contract
counts every import form). So the slots here are filled by the package face
(``ltx_notebook/__init__.py``) at import time, with small functions that import
the views only when first called: ``import ltx_notebook`` stays light, and a Job
used without the face (a script importing private modules) has no HTML form
rather than a broken one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._core.errors import LtxError
from .._storage.records import JobRecord

__all__ = ["PRESENTERS", "Presenters"]


@dataclass
class Presenters:
    job_html: Callable[[JobRecord], str] | None = None
    # These take a Sweep; typed loosely because sweep.py imports this module.
    sweep_html: Callable[[Any], str] | None = None
    sweep_panel: Callable[[Any], Any] | None = None
    gallery: Callable[..., Any] | None = None
    arena: Callable[..., Any] | None = None
    # (store, **filters) -> a history DataFrame that draws itself as a compact table.
    history_frame: Callable[..., Any] | None = None
    # (video path) -> None: makes, on a worker thread at download time, what the front end
    # will play (VS Code: the copy with MP3 audio), so its first display finds it made.
    prepare_playback: Callable[[Path], None] | None = None

    def require(self, name: str) -> Callable[..., Any]:
        draw: Callable[..., Any] | None = getattr(self, name)
        if draw is None:
            raise LtxError(f"no {name.replace('_', ' ')} is installed: import ltx_notebook first")
        return draw


PRESENTERS = Presenters()
