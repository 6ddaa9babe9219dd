"""A downloaded video's canonical copy in the team's bucket: uploaded, or kept and tried again.

With ``media_dir`` an fsspec URL a job's video is downloaded into the local
cache (:mod:`.._storage.cache`) and then uploaded, poster and video, each
verified (:mod:`.._storage.files`). An upload that still fails after
``backoff.attempts`` tries leaves the job COMPLETED with its local copy, which
is never evicted before it is uploaded, and a note in the row saying so;
:func:`upload_pending` (run by ``%ltx resume`` and at the start of a session)
tries again. Nothing here ever touches the service: the job is paid and done.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from .._core.errors import MediaError
from .._storage.cache import MediaCache, media_cache
from .._storage.records import JobRecord
from .._storage.store import Store
from .job import Driver, Job

__all__ = ["UPLOAD_NOTE", "upload", "upload_pending"]

log = logging.getLogger("ltx_notebook")

UPLOAD_NOTE = "uploading:"


async def upload(driver: Driver, job: Job) -> None:
    """*job*'s local video and poster to the bucket, unless there already; noted on failure."""
    cache = media_cache(driver.settings)
    if cache is None:
        return
    waiting = _waiting(cache, job.record)
    failures = 0
    while waiting:
        try:
            for path in waiting:
                await asyncio.to_thread(cache.store, path)
            break
        except (MediaError, OSError) as exc:
            failures += 1
            if failures >= driver.backoff.attempts:
                await driver.note(job, _kept(exc, job.record, cache))
                return
            log.warning("upload of %s failed (%s); trying again", job.video_path, exc)
            await driver.note(job, f"{UPLOAD_NOTE} {exc}; trying again")
            await driver.rest(job, driver.backoff.delay(failures))
    if (job.error or "").startswith(UPLOAD_NOTE):
        await driver.update(job, error=None)


def upload_pending(driver: Driver, store: Store) -> list[Path]:
    """Upload what the cache holds that is not in the bucket yet; the files uploaded.

    The uploads a failure (or a killed kernel) left behind: each job's note is
    cleared once its video is up. One still failing stays for the next time.
    """
    cache = media_cache(driver.settings)
    if cache is None:
        return []
    done: list[Path] = []
    for path in cache.pending():
        try:
            cache.store(path)
        except (MediaError, OSError) as exc:
            log.warning("upload of %s failed again (%s); it stays here", path, exc)
            continue
        done.append(path)
        for row in store.find(video_path=str(path.resolve())):
            if (row.error or "").startswith(UPLOAD_NOTE):
                store.update(row.id, error=None)
    return done


def _waiting(cache: MediaCache, record: JobRecord) -> list[Path]:
    """The row's poster and video, where this kernel has them and the bucket does not yet."""
    paths = [Path(p) for p in (record.poster_path, record.video_path) if p]
    return [p for p in paths if p.is_file() and not cache.is_stored(p)]


def _kept(exc: BaseException, record: JobRecord, cache: MediaCache) -> str:
    return (
        f"{UPLOAD_NOTE} {exc}; the video is kept here ({record.video_path}) and not evicted "
        f"until it is in {cache.files.where}: %ltx resume (ltx_notebook.resume()) tries again"
    )
