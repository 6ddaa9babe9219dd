"""The ``ltx-notebook`` command line: ``emulator``, ``demo`` and ``lab``."""

from .main import main

__all__ = ["main"]
