"""What is on the other end of the kernel: which decides waiting and embedding.

Kernels are not told who drives them, so this reads the traces front ends
leave in the kernel's environment. Jupyter Server (JupyterLab, Notebook 7)
sets ``JPY_SESSION_NAME``; VS Code and Colab set their own variables; nbclient,
nbconvert and papermill set none of these, and terminal IPython has no kernel.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Final

from .._core.config import get_settings
from .._core.errors import MediaError
from .._storage import playback as _playback

__all__ = [
    "COLAB_EMBED_CAP",
    "Frontend",
    "audio_note",
    "detect",
    "embed_cap",
    "playable",
    "prepare_playback",
    "wants_mp3_audio",
]

# Colab keeps every output in the browser tab's memory and its runtime stalls, then
# crashes, on outputs of tens of MB: inline at most this much video in all.
COLAB_EMBED_CAP: Final = 8 * 1024 * 1024

_said_audio = threading.Event()
# Originals whose MP3-audio copy could not be made, and why: said once, not tried again.
_unconvertible: dict[str, str] = {}
_unconvertible_lock = threading.Lock()


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


def wants_mp3_audio() -> bool:
    """Whether players here get the copy with MP3 audio (``configure(playback=...)``).

    ``auto``: in VS Code, whose player has no AAC decoder and never will
    (microsoft/vscode#162062) but plays MP3 audio in MP4.
    """
    mode = get_settings().playback
    return mode == "mp3-audio" or (mode == "auto" and detect() is Frontend.VSCODE)


def playable(path: Path) -> Path:
    """The file a ``<video>`` here is given for the clip at *path*.

    The copy with MP3 audio beside it where :func:`wants_mp3_audio` (made on
    first call, see :mod:`.._storage.playback`), else *path*. A copy that
    cannot be made leaves the original playing: one line says why, once.
    """
    if not wants_mp3_audio():
        return path
    key = str(path)
    if key in _unconvertible:
        return path
    try:
        return _playback.mp3_audio_copy(path)
    except MediaError as exc:
        with _unconvertible_lock:
            first = key not in _unconvertible
            _unconvertible[key] = str(exc)
        if first:
            warnings.warn(f"{exc}; the original plays instead", stacklevel=2)
        return path


def prepare_playback(path: Path) -> None:
    """Make what :func:`playable` will give for *path*, quietly (a failure is said when shown)."""
    if wants_mp3_audio() and str(path) not in _unconvertible:
        with contextlib.suppress(MediaError):
            _playback.mp3_audio_copy(path)


def audio_note(path: str) -> str | None:
    """The one-time VS Code warning that a clip's AAC audio will not play there, or ``None``.

    For a clip VS Code is given as it is (``playback="original"``, or its
    MP3-audio copy could not be made): its player has no AAC decoder
    (microsoft/vscode#162062), so the clip plays silent. Said once per kernel:
    the first such clip shows it, later ones do not repeat it.
    """
    if detect() is not Frontend.VSCODE or _said_audio.is_set():
        return None
    _said_audio.set()
    return (
        "VS Code's player cannot decode this clip's AAC audio track (microsoft/vscode#156558), "
        f"so it plays silent here. To hear it, open {path} in a media player or a browser, "
        "or write a page with ltx.export_report(...) and open that in a browser."
    )
