"""What is on the other end of the kernel: which decides waiting and embedding.

Kernels are not told who drives them, so this reads the traces front ends
leave in the kernel's environment. Jupyter Server (JupyterLab, Notebook 7)
sets ``JPY_SESSION_NAME``; VS Code and Colab set their own variables; nbclient,
nbconvert and papermill set none of these, and terminal IPython has no kernel.
"""

from __future__ import annotations

import os
import threading
import warnings
from enum import StrEnum
from typing import Final

__all__ = ["COLAB_EMBED_CAP", "Frontend", "audio_note", "detect", "embed_cap"]

# Colab keeps every output in the browser tab's memory and its runtime stalls, then
# crashes, on outputs of tens of MB: inline at most this much video in all.
COLAB_EMBED_CAP: Final = 8 * 1024 * 1024

_said_audio = threading.Event()


class Frontend(StrEnum):
    JUPYTER = "jupyter"  # JupyterLab / Notebook 7 through Jupyter Server
    VSCODE = "vscode"
    COLAB = "colab"
    HEADLESS = "headless"  # nbclient, nbconvert, papermill: nobody watching live
    TERMINAL = "terminal"  # IPython in a terminal: no widgets, no HTML

    @property
    def interactive(self) -> bool:
        """A person watches live outputs, so a cell may return before the job ends."""
        return self in (Frontend.JUPYTER, Frontend.VSCODE, Frontend.COLAB)

    @property
    def serves_files(self) -> bool:
        """Relative file URLs next to the notebook load in this front end."""
        return self in (Frontend.JUPYTER, Frontend.HEADLESS)

    @property
    def has_widgets(self) -> bool:
        return self is not Frontend.TERMINAL

    def waits(self, mode: str, asked: bool | None = None) -> bool:
        """Whether a cell blocks until its job ends: as *asked* (``--wait``/``--no-wait``)
        when given, else by *mode*: ``always``, ``never``, or ``auto`` (when nobody watches).
        """
        if asked is not None:
            return asked
        return mode == "always" or (mode == "auto" and not self.interactive)


def detect() -> Frontend:
    """The front end this process serves; ``LTX_NOTEBOOK_FRONTEND`` overrides the guess."""
    env = os.environ
    override = env.get("LTX_NOTEBOOK_FRONTEND", "").strip().lower()
    if override:  # an explicit override, for tests and odd set-ups
        try:
            return Frontend(override)
        except ValueError:
            # A typo must not break every cell: say so once and guess as usual.
            warnings.warn(
                f"LTX_NOTEBOOK_FRONTEND={override!r} is not one of "
                f"{', '.join(f.value for f in Frontend)}; ignored",
                stacklevel=2,
            )
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return Frontend.TERMINAL
    shell = get_ipython()
    if shell is None or "ZMQInteractiveShell" not in type(shell).__name__:
        return Frontend.TERMINAL
    if "COLAB_RELEASE_TAG" in env:
        return Frontend.COLAB
    if "VSCODE_PID" in env or "VSCODE_CWD" in env:
        return Frontend.VSCODE
    if "JPY_SESSION_NAME" in env:
        return Frontend.JUPYTER
    return Frontend.HEADLESS


def embed_cap(cap: int) -> int:
    """*cap* (bytes of video to inline), lowered to what the front end survives."""
    return min(cap, COLAB_EMBED_CAP) if detect() is Frontend.COLAB else cap


def audio_note(path: str) -> str | None:
    """The one-time VS Code warning that a clip's AAC audio will not play there, or ``None``.

    VS Code's built-in player has no AAC decoder (microsoft/vscode#156558), so
    a clip plays silent. Said once per kernel: the first clip with sound shows
    it, later ones do not repeat it.
    """
    if detect() is not Frontend.VSCODE or _said_audio.is_set():
        return None
    _said_audio.set()
    return (
        "VS Code's player cannot decode this clip's AAC audio track (microsoft/vscode#156558), "
        f"so it plays silent here. To hear it, open {path} in a media player or a browser, "
        "or write a page with ltx.export_report(...) and open that in a browser."
    )
