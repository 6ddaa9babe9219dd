"""A widget that carries its own static copy: the HTML a saved notebook keeps."""

from __future__ import annotations

from typing import Any

from .._view import frontend

__all__ = ["WithStatic"]


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
