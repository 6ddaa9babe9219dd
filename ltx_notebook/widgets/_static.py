"""Widgets that carry their own static copy: the HTML a saved notebook keeps.

:class:`WithStatic` is mixed into the anywidgets (gallery, A/B): their bundle
carries ``text/html`` beside the widget view, and their ``_static`` trait keeps
it current, which ``saved.js`` writes into the saved notebook. The panels are
stock ipywidgets with no module of their own, so :func:`keep_saved` puts an
invisible :class:`SavedForm` in one to do the same for it.
"""

from __future__ import annotations

from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets as t

from .._view import frontend
from ._assets import module_text

__all__ = ["SavedForm", "WithStatic", "keep_saved"]


class WithStatic:
    """Mixed in before ``anywidget.AnyWidget``; the class defines ``static_html()``."""

    def static_html(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        static = {"text/plain": repr(self), "text/html": self.static_html()}
        if not frontend.detect().interactive:
            # Nobody can click it (nbclient, nbconvert, a terminal), and exporters would
            # pick the widget view and draw nothing offline: only the static copy.
            return static
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        if bundle is None:
            return None
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        return {**data, **static}, metadata


class SavedForm(anywidget.AnyWidget):
    """Draws nothing; keeps the saved output of the view ``_self_id`` as ``_static``."""

    _esm = module_text("saved.js", "keeper.js")
    _self_id = t.Unicode("").tag(sync=True)
    _static = t.Unicode("").tag(sync=True)


def keep_saved(panel: widgets.Box, html: str) -> SavedForm:
    """Put a :class:`SavedForm` for *panel* (showing *html* when saved) inside it.

    Set the returned keeper's ``_static`` as the panel changes; close it with the panel.
    """
    keeper = SavedForm(
        _self_id=panel.model_id or "", _static=html, layout=widgets.Layout(display="none")
    )
    panel.children = (*panel.children, keeper)
    return keeper
