"""Widgets: the live job panel, the sweep panel, the gallery and the A/B compare.

Each is an ipywidgets widget updated from the runtime thread by setting
traits only; they are displayed from the main thread.
"""

from ._compare import ABCompare, compare_clips
from ._gallery import Gallery, gallery
from ._panel import JobPanel
from ._static import SavedForm, keep_saved
from ._sweep_panel import SweepPanel

__all__ = [
    "ABCompare",
    "Gallery",
    "JobPanel",
    "SavedForm",
    "SweepPanel",
    "compare_clips",
    "gallery",
    "keep_saved",
]
