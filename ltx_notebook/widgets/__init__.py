"""Widgets: the live job panel, the sweep panel and the gallery.

Each is an ipywidgets widget updated from the runtime thread by setting
traits only; they are displayed from the main thread.
"""

from ._gallery import Gallery, gallery
from ._panel import JobPanel
from ._sweep_panel import SweepPanel

__all__ = ["Gallery", "JobPanel", "SweepPanel", "gallery"]
