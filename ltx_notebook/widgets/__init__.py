"""Widgets: the live job panel, the sweep panel, the gallery, the A/B compare and the arena.

Each is an ipywidgets widget updated from the runtime thread by setting
traits only; they are displayed from the main thread.
"""

from ._arena import Arena, arena
from ._compare import ABCompare, compare_clips
from ._gallery import Gallery, gallery
from ._panel import JobPanel
from ._static import SavedForm, keep_saved
from ._sweep_panel import SweepPanel

__all__ = [
    "ABCompare",
    "Arena",
    "Gallery",
    "JobPanel",
    "SavedForm",
    "SweepPanel",
    "arena",
    "compare_clips",
    "gallery",
    "keep_saved",
]
