"""A video on its way to disk: part files, one claim per video, resuming, committing.

A download is written to ``<name>.<random>.part``, checked (byte count, then
readable as a video) and only then renamed into place, so a file with the final
name is always a whole, playable video. One process at a time holds a video's
claim (a lock file beside it), so two kernels resuming one job download it once.

This module never talks HTTP: it is handed async iterators of bytes by the
caller (who got them from the client).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import glob
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from .._core.errors import MediaError
from .media import VideoInfo, verify, verify_with_poster

__all__ = [
    "DownloadClaim",
    "append_stream",
    "commit_part",
    "discard_parts",
    "part_path",
    "remove_orphan_parts",
    "save_stream",
]


async def save_stream(
    chunks: AsyncIterator[bytes], dest: str | os.PathLike[str], *, expected_size: int | None
) -> Path:
    """Write *chunks* to *dest* through a ``.part`` file; verify; rename; return *dest*.

    Raises :class:`MediaError` (and leaves no file behind) when the stream is
    shorter or longer than *expected_size*, or the result is not a readable
    video. Any other failure of the stream (a dropped connection, a
    cancellation) also removes the part file and propagates unchanged.

    Chunk writes are plain blocking ``write`` calls on the loop: they only copy
    into the OS page cache (microseconds per chunk), whereas a thread hop per
    chunk would cost more than it saves. The slow steps, ``fsync`` and
    decoding a frame to check the file, run in a worker thread so the loop
    keeps polling other jobs meanwhile.
    """
    dest = Path(dest)
    # A name of its own: two kernels resuming the same job may download it at once.
    part = dest.with_name(f"{dest.stem}.{uuid.uuid4().hex[:8]}.part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with open(part, "wb") as out:
            async for chunk in chunks:
                written += len(chunk)
                if expected_size is not None and written > expected_size:
                    raise MediaError(
                        f"download of {dest.name} is longer than announced "
                        f"({written} > {expected_size} bytes); not kept"
                    )
                out.write(chunk)
            await asyncio.to_thread(_flush, out)
        if expected_size is not None and written != expected_size:
            raise MediaError(
                f"download of {dest.name} is incomplete ({written} of {expected_size} bytes); "
                "not kept"
            )
        await asyncio.to_thread(verify, part, dest.name)
        os.replace(part, dest)
        await asyncio.to_thread(_sync_dir, dest.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return dest


# -- resumable downloads: one claimed writer per video, a part file kept between attempts --


def part_path(dest: str | os.PathLike[str]) -> Path:
    """Where the download of *dest* accumulates: ``ltx-0042-1a2b3c4d.part`` beside it.

    One name per video, not per attempt: a broken download resumes from what
    the part holds (an HTTP ``Range`` request). Only the holder of the
    video's :class:`DownloadClaim` writes it.
    """
    dest = Path(dest)
    return dest.with_name(f"{dest.stem}.part")


class DownloadClaim:
    """The right to download one video, held by one process at a time.

    An exclusive ``flock`` (``msvcrt.locking`` on Windows) on a hidden lock
    file beside the video: two kernels resuming the same job do not both
    download it, and a killed kernel's claim goes with its process, so a
    crash never leaves a video that nobody may fetch. The lock file goes when
    the claim is given up, whatever the download's end; a claim counts only on
    the lock file still in place, so one taken on a file just removed is taken
    again on the new one.
    """

    def __init__(self, dest: str | os.PathLike[str]) -> None:
        dest = Path(dest)
        self.dest = dest
        self.path = dest.with_name(f".{dest.stem}.lock")
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the claim if nobody holds it; never blocks.

        ``OSError`` when the lock file cannot be made (an unwritable folder).
        """
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                _lock(fd)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
                    return False
                raise
            if _same_file(fd, self.path):
                self._fd = fd
                return True
            os.close(fd)  # its holder removed it meanwhile: claim the one now in place

    def release(self) -> None:
        """Give the claim up, and the lock file with it (the video in place or not).

        A process that opened the file just before it went finds, once it holds
        the lock, that it is no longer the one in place, and claims anew
        (:meth:`acquire`): two claims never stand at once.
        """
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Removed while still held: whoever opened it meanwhile finds it gone and retries.
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(fd)  # closing drops the lock


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _lock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def discard_parts(dest: str | os.PathLike[str]) -> None:
    """Remove every part file of *dest*: the claimed one and older random-named ones."""
    dest = Path(dest)
    for part in dest.parent.glob(f"{glob.escape(dest.stem)}*.part"):
        if part.name == f"{dest.stem}.part" or part.name.startswith(f"{dest.stem}."):
            with contextlib.suppress(OSError):
                part.unlink()


def remove_orphan_parts(media_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove the part files a killed download left in *media_dir*; return them.

    A part file is an orphan when nobody holds its video's claim: a live
    download (this kernel's or another's) keeps its part.
    """
    folder = Path(media_dir)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for part in sorted(folder.glob("ltx-*.part")):
        claim = DownloadClaim(folder / f"{part.name.split('.', 1)[0]}.mp4")
        try:
            if not claim.acquire():
                continue
        except OSError:
            continue  # an unwritable folder: nothing can be removed from it either
        try:
            part.unlink()
            removed.append(part)
        except OSError:
            pass
        finally:
            claim.release()
    return removed


class TooLarge(MediaError):
    """A download passed its cap: broken or endless, it is stopped, not tried again."""


async def append_stream(
    chunks: AsyncIterator[bytes],
    part: Path,
    *,
    offset: int,
    total: int | None,
    limit: int | None = None,
) -> int:
    """Write *chunks* into *part* from byte *offset* on; return the part's size.

    What lay beyond *offset* is cut first, so a server that restarted from 0
    overwrites the part. Bytes received before a break stay in the part, for
    the next attempt to resume from. ``MediaError`` if more than *total* arrives;
    :class:`TooLarge` if the file would pass *limit* bytes (nothing past it is written).
    """
    if limit is not None and total is not None and total > limit:
        raise TooLarge(f"the server announces {total:,} bytes, past the cap of {limit:,} bytes")
    part.parent.mkdir(parents=True, exist_ok=True)
    size = offset
    with open(part, "r+b" if offset > 0 else "wb") as out:
        out.seek(offset)
        out.truncate()
        async for chunk in chunks:
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge(f"the answer passed the cap of {limit:,} bytes")
            if total is not None and size > total:
                raise MediaError(
                    f"download of {part.name} is longer than announced ({size} > {total} bytes); "
                    "downloading it again"
                )
            out.write(chunk)
    return size


async def commit_part(
    part: Path, dest: Path, *, expected_size: int | None, poster: Path | None = None
) -> VideoInfo:
    """Check *part* (size, then a decodable frame), make it durable, rename it to *dest*.

    Returns what the check read of its headers (the row needs no second probe).
    *poster*: where to save the video's poster, drawn by the check itself (its
    frame is the proof the video decodes; one opening of the file, not two).
    ``MediaError`` (the part removed) when it is short or not a video.
    """
    try:
        size = part.stat().st_size
        if expected_size is not None and size != expected_size:
            raise MediaError(
                f"download of {dest.name} is incomplete ({size} of {expected_size} bytes); "
                "downloading it again"
            )
        info = await asyncio.to_thread(_durable_and_checked, part, dest.name, poster)
    except MediaError:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    os.replace(part, dest)
    await asyncio.to_thread(_sync_dir, dest.parent)
    return info


def _durable_and_checked(part: Path, name: str, poster: Path | None) -> VideoInfo:
    # One trip to a worker thread for both: each trip wakes the loop twice.
    _fsync_path(part)
    return verify(part, name) if poster is None else verify_with_poster(part, poster)


def _fsync_path(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _flush(out: Any) -> None:
    out.flush()
    os.fsync(out.fileno())


def _sync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on Windows.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
