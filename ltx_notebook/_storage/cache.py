"""The local folder the videos play from when their canonical copies are in a bucket.

The browser plays files by relative path beside the notebook, so with
``media_dir`` a URL every clip a view shows needs a local copy: this kernel's
own downloads are written here first (then uploaded, see :mod:`.files`), and a
teammate's clip is fetched here on demand. The folder is kept under a size cap,
least recently used evicted (each use sets a file's modification time).

Only a file whose canonical copy is known to be whole may be evicted: each
gets a hidden marker (``.ltx-0042-1a2b3c4d.mp4.stored``) once its upload was
verified or it was fetched from the bucket. A video without one is the only
copy (its upload failed, or is under way): it is never evicted, and
:meth:`MediaCache.pending` lists it for the upload to be tried again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Final

from .._core.errors import MediaError
from . import playback
from .files import RemoteFiles
from .media import verify

if TYPE_CHECKING:
    from .._core.config import Settings

__all__ = ["MediaCache", "media_cache", "playable"]

log = logging.getLogger("ltx_notebook")

# The files the cache manages: videos and their posters (never the store beside them).
PATTERNS: Final = ("ltx-*.mp4", "ltx-*.jpg")
# A clip that could not be fetched is not asked for again by every view for this long.
RETRY_AFTER_S: Final = 60.0
# A fetch's part file older than this was left by a killed kernel.
STALE_PART_S: Final = 3600.0
GB: Final = 1024**3


class MediaCache:
    """A folder of local copies of the files at *files*, at most *max_bytes* of them."""

    def __init__(self, folder: Path, max_bytes: int, files: RemoteFiles) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.files = files
        self._failed: dict[str, float] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MediaCache({str(self.folder)!r}, {self.max_bytes} bytes, {self.files.where!r})"

    def local(self, name: str) -> Path | None:
        """A local copy of *name* to play, fetched if absent; None if it cannot be had now."""
        path = self.folder / name
        if path.is_file():
            _touch(path)
            return path
        with self._lock:
            failed = self._failed.get(name)
        if failed is not None and time.monotonic() - failed < RETRY_AFTER_S:
            return None
        try:
            self.fetch(name)
        except (MediaError, OSError) as exc:
            with self._lock:
                self._failed[name] = time.monotonic()
            log.warning("cannot play %s: %s", name, exc)
            return None
        with self._lock:
            self._failed.pop(name, None)
        return path

    def fetch(self, name: str) -> Path:
        """Bring *name*'s canonical copy here (streamed, checked, renamed); evict past the cap.

        A video is checked by decoding a frame, as a download is. ``MediaError``
        (nothing left behind) when it is not in the bucket or arrives broken.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        dest = self.folder / name
        part = self.folder / f".{name}.{uuid.uuid4().hex[:8]}.part"
        try:
            self.files.get(name, part)
            if dest.suffix == ".mp4":
                verify(part, name)
            os.replace(part, dest)
        finally:
            with contextlib.suppress(OSError):
                part.unlink()
        self.mark_stored(dest)
        self.evict(keep={name})
        return dest

    def store(self, path: Path) -> None:
        """Upload the local file *path* as its canonical copy (verified); mark it evictable.

        This kernel's own downloads grow the cache too: the cap is kept here as well.
        """
        self.files.put(path, path.name)
        self.mark_stored(path)
        self.evict(keep={path.name})

    def mark_stored(self, path: Path) -> None:
        _marker(path).touch()

    def is_stored(self, path: Path) -> bool:
        return _marker(path).is_file()

    def pending(self) -> list[Path]:
        """The files here whose canonical copy is not known to exist: uploads to try again."""
        return [path for path in self._files() if not self.is_stored(path)]

    def evict(self, keep: Collection[str] = ()) -> list[Path]:
        """Remove the least recently used stored files until the folder is under its cap.

        Never one named in *keep* (the clip just asked for), nor one whose only copy
        is here. Part files a killed fetch left are removed too. Returns what went.
        """
        now = time.time()
        for part in self.folder.glob(".ltx-*.part"):
            with contextlib.suppress(OSError):
                if now - part.stat().st_mtime > STALE_PART_S:
                    part.unlink()
        sized = []
        for path in self._files():
            with contextlib.suppress(OSError):
                stat = path.stat()
                sized.append((stat.st_mtime, stat.st_size + _copy_bytes(path), path))
        total = sum(size for _, size, _ in sized)
        removed: list[Path] = []
        for _, size, path in sorted(sized, key=lambda item: item[0]):
            if total <= self.max_bytes:
                break
            if path.name in keep or not self.is_stored(path):
                continue
            with contextlib.suppress(OSError):
                path.unlink()
                _marker(path).unlink(missing_ok=True)
                playback.copy_path(path).unlink(missing_ok=True)
                total -= size
                removed.append(path)
        return removed

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        # A clip's copy for VS Code is derived, never uploaded: it goes with its clip.
        found = (path for pattern in PATTERNS for path in self.folder.glob(pattern))
        return sorted(path for path in found if not playback.is_copy(path))


def _copy_bytes(path: Path) -> int:
    try:
        return playback.copy_path(path).stat().st_size
    except OSError:
        return 0


def _marker(path: Path) -> Path:
    return path.with_name(f".{path.name}.stored")


def _touch(path: Path) -> None:
    # Each use moves a file to the back of the eviction queue (atime is often not kept).
    with contextlib.suppress(OSError):
        os.utime(path)


_CACHES: dict[tuple[str, tuple[str, ...], str, int], MediaCache] = {}
_CACHES_LOCK = threading.Lock()


def media_cache(settings: Settings) -> MediaCache | None:
    """The cache the videos of *settings* play from; None when ``media_dir`` is a local folder.

    One per URL, folder and cap, so a view's failed fetches are remembered between views.
    """
    url = settings.media_url
    if url is None:
        return None
    options = settings.storage_options
    folder = settings.cache_dir.absolute()
    cap = int(settings.cache_max_gb * GB)
    key = (url, tuple(sorted(options)), str(folder), cap)
    with _CACHES_LOCK:
        cache = _CACHES.get(key)
        if cache is None or not cache.files.uses(options):
            cache = _CACHES[key] = MediaCache(folder, cap, RemoteFiles(url, options))
        return cache


def playable(
    settings: Settings, path: str | os.PathLike[str] | None, *, fetch: bool = True
) -> Path | None:
    """A local file to play for the video (or poster) a row records at *path*; None if none.

    With a local media folder, the file itself if it is there. With a bucket,
    this kernel's cached copy, else (unless *fetch* is False) the canonical copy
    fetched into the cache, else the row's own file if this machine has it.
    """
    if path is None or str(path) == "":
        return None
    path = Path(path)
    cache = media_cache(settings)
    if cache is None:
        return path if path.is_file() else None
    cached = cache.folder / path.name
    if cached.is_file():
        _touch(cached)
        return cached
    # The row's own file is another kernel's cache: maybe not served by this notebook
    # server, and evicted under it at any time. Only when the bucket cannot help.
    got = cache.local(path.name) if fetch else None
    return got or (path if path.is_file() else None)
