"""A completed job's video brought to disk: claimed, resumed, retried and verified.

The output URL outlives the request record (files are kept 7 days), so a
failed download is worth trying again, and a broken one is worth resuming:

- one process downloads a video at a time (a :class:`~.._storage.parts.DownloadClaim`
  beside it), so two kernels resuming the same job fetch it once; the second
  waits, then finds the video the first recorded;
- bytes go to one part file per video and a broken transfer resumes from its
  end with an HTTP ``Range`` request; the final size is checked against the
  size the server announced, then a frame is decoded, then the part is renamed;
- a failure is tried again after a backoff; progress resets the count, and
  after ``backoff.attempts`` failures in a row the download is given up: the
  row keeps the remote URL, and the message says how to try again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._core.backoff import Backoff
from .._core.errors import ApiError, LtxError, MediaError
from .._service.client import Client
from .._storage import media, parts
from .._storage.records import JobRecord
from .job import Driver, Job
from .presenters import PRESENTERS

__all__ = ["download", "fetch_video", "video_fields"]

log = logging.getLogger("ltx_notebook")

# How often a kernel looks again whether another one has finished the download it waits on.
CLAIM_POLL_S = 0.5


async def download(driver: Driver, job: Job) -> None:
    """A COMPLETED *job*'s video onto disk, its fields (or why it was given up) recorded."""
    url = job.output_url
    if not url:
        raise MediaError(f"job {job.request_id} completed without an output URL")
    dest = media.media_path(driver.settings.local_media, job.id, job.request_id or "")

    async def recorded() -> JobRecord | None:
        return await asyncio.to_thread(driver.store_of(job).get, job.id)

    async def note(text: str) -> None:
        await driver.note(job, text)

    async def rest(seconds: float) -> None:
        await driver.rest(job, seconds)

    outcome = await fetch_video(
        driver.client(),
        url,
        dest,
        backoff=driver.backoff,
        recorded=recorded,
        note=note,
        rest=rest,
        retry_hint=f"the video stays at the service's URL for 7 days: %ltx show {job.id} "
        "(or ltx_notebook.get_job(...).wait()) tries again",
        max_bytes=driver.settings.max_video_bytes,
    )
    if isinstance(outcome, dict) and outcome.get("has_audio") is not False:
        await _prepare_playback(dest)
    await driver.update(job, **({"error": outcome} if isinstance(outcome, str) else outcome))


async def _prepare_playback(dest: Path) -> None:
    """What the front end will play of *dest*, made before the job is shown done.

    Off the loop (a worker thread, then the decoder's); never a reason to lose the
    download: a copy that cannot be made now is tried, and said, when shown.
    """
    prepare = PRESENTERS.prepare_playback
    if prepare is None:
        return
    try:
        await asyncio.to_thread(prepare, dest)
    except Exception:
        log.warning("could not prepare %s for playback", dest.name, exc_info=True)


async def fetch_video(
    client: Client,
    url: str,
    dest: Path,
    *,
    backoff: Backoff,
    recorded: Callable[[], Awaitable[JobRecord | None]],
    note: Callable[[str], Awaitable[None]],
    rest: Callable[[float], Awaitable[None]],
    retry_hint: str,
    max_bytes: int | None = None,
) -> dict[str, Any] | str:
    """Download *url* to *dest*; the row's video fields, or why it was given up.

    *recorded* re-reads the job's row (another kernel may have recorded the
    video meanwhile), *note* records what is going on, *rest* waits (and
    pauses while nobody follows the job), *retry_hint* ends a give-up message.
    Said once, never tried again: a URL that is not http(s) (``file:``,
    ``javascript:``), and an answer longer than *max_bytes*.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        # Not the network's fault, so no retry helps; the address itself is not repeated.
        return (
            f"downloading: the output URL the service gave is not an http(s) address "
            f"({scheme + ':' if scheme else 'no scheme'}…), so it was not followed; the "
            "video is in your Segmind console"
        )
    claim = parts.DownloadClaim(dest)
    failures = 0
    waiting = False
    try:
        while True:
            try:
                if not await asyncio.to_thread(claim.acquire):
                    if not waiting:
                        waiting = True
                        await note("downloading: another kernel is downloading this video")
                    await rest(CLAIM_POLL_S)
                    continue
                done = await _already_there(dest, recorded)
                if done is not None:
                    return done
                return await _transfer(
                    client, url, dest, backoff=backoff, note=note, rest=rest, limit=max_bytes
                )
            except parts.TooLarge as exc:
                await asyncio.to_thread(parts.discard_parts, dest)
                return (
                    f"downloading: stopped: {exc} (max_video_bytes), longer than any video "
                    "should be, so nothing of it was kept; if the video really is larger, "
                    f"raise the cap with ltx_notebook.configure(max_video_bytes=...); {retry_hint}"
                )
            except (LtxError, OSError) as exc:
                failures += 1
                what = _describe(exc)
                if failures >= backoff.attempts:
                    await asyncio.to_thread(parts.discard_parts, dest)
                    return f"downloading: gave up after {failures} attempts ({what}); {retry_hint}"
                delay = backoff.delay(failures)
                log.warning("download of %s failed (%s); trying again in %.1f s", dest, what, delay)
                await note(f"downloading: {what}; trying again")
                await rest(delay)
    finally:
        await asyncio.to_thread(claim.release)


async def _already_there(
    dest: Path, recorded: Callable[[], Awaitable[JobRecord | None]]
) -> dict[str, Any] | None:
    """The video's fields if another kernel (or a crash after the rename) left it in place."""
    row = await recorded()
    if row is not None and row.video_path and Path(row.video_path).is_file():
        return {"error": None}  # recorded by another kernel: only our note to clear
    if dest.is_file():
        try:
            return await asyncio.to_thread(video_fields, dest)
        except MediaError:
            dest.unlink()
    # A part nobody holds a claim on is an orphan of a killed download: start afresh.
    await asyncio.to_thread(parts.discard_parts, dest)
    return None


async def _transfer(
    client: Client,
    url: str,
    dest: Path,
    *,
    backoff: Backoff,
    note: Callable[[str], Awaitable[None]],
    rest: Callable[[float], Awaitable[None]],
    limit: int | None = None,
) -> dict[str, Any]:
    """Fetch into the part file until whole, resuming after each break that made progress."""
    part = parts.part_path(dest)
    stalls = 0
    while True:
        offset = part.stat().st_size if part.exists() else 0
        try:
            async with client.stream_from(url, offset) as got:
                await parts.append_stream(
                    got.chunks, part, offset=got.offset, total=got.total_size, limit=limit
                )
            poster = dest.with_suffix(".jpg")
            info = await parts.commit_part(part, dest, expected_size=got.total_size, poster=poster)
            return video_fields(dest, info, poster)
        except ApiError as exc:
            if exc.status_code == 416:  # the part is longer than the file: start over
                part.unlink(missing_ok=True)
            raise
        except MediaError:
            part.unlink(missing_ok=True)  # a wrong size or not a video: start over
            raise
        except LtxError:
            got_more = part.exists() and part.stat().st_size > offset
            if not got_more:
                raise
            # Progress: the failure is the connection's, not the file's; resume at once.
            stalls += 1
            if stalls >= backoff.attempts * 4:
                raise
            await note(f"downloading: resuming at byte {part.stat().st_size}")
            await rest(backoff.delay(1) / 4)


def video_fields(
    dest: Path, info: media.VideoInfo | None = None, poster: Path | None = None
) -> dict[str, Any]:
    """What the row records of a video on disk (and its poster, made now if not given).

    *info* and *poster*: what the download's check read and drew, when it was
    just downloaded (then nothing here opens the video).
    """
    if info is None:
        info = media.probe(dest)
    if poster is None:
        poster = media.poster(dest, info=info)  # the probe above, not a second one
    return {
        # Absolute: the kernel may %cd, and another kernel may share this store.
        "video_path": str(dest.resolve()),
        "poster_path": str(poster.resolve()),
        "file_bytes": info.file_bytes,
        "video_seconds": info.seconds,
        "video_width": info.width,
        "video_height": info.height,
        "video_fps": info.fps,
        "has_audio": info.has_audio,
        "error": None,
    }


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}: {exc.filename or ''}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"
