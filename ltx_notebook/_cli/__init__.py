"""The ``ltx-notebook`` command line: ``emulator``, ``demo``, ``lab`` and ``store copy``."""

from .main import main

__all__ = ["main"]
