"""Videos in a bucket: canonical copies on S3 (moto's server over real HTTP), played from a cache.

A job's video and poster go up verified; a teammate's kernel with an empty
cache plays the clip from the bucket; the cache evicts the least recently used
past its cap but never a video whose only copy it holds; a failed upload
leaves the job COMPLETED with its local copy and a note, and a retry uploads
it; no credential reaches the store, a message or a log line.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook import JobStatus, Session, Settings, validate
from ltx_notebook._core import config as _config
from ltx_notebook._core.config import Secret
from ltx_notebook._core.errors import MediaError
from ltx_notebook._storage.cache import MediaCache
from ltx_notebook._storage.files import RemoteFiles
from ltx_notebook._view.cell import job_html, job_text
from ltx_notebook._view.report import export_report
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.s3 import ACCESS_KEY, SECRET_KEY, s3
from tests.jobs.conftest import make_quick

PROMPT = "a red fox running through fresh snow at sunrise"


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def team_settings(emulator: Emulator, root: Path, media: str, cache: str) -> Settings:
    return Settings(
        api_key=Secret(API_KEY),
        base_url=emulator.base_url,
        media_dir=media,
        cache_dir=root / cache,
        store_path=root / "store" / "ltx-jobs.sqlite",
    )


@pytest.fixture
def team(emulator: Emulator, tmp_path: Path, bucket: str) -> Iterator[Session]:
    """A kernel whose videos go to s3://<bucket>/team, playing from tmp/cache-me."""
    s = make_quick(Session(team_settings(emulator, tmp_path, f"s3://{bucket}/team", "cache-me")))
    yield s
    s.runtime.stop()


def test_a_jobs_video_and_poster_land_in_the_bucket_verified(team: Session, bucket: str) -> None:
    job = team.submit(validate(prompt=PROMPT)).wait(60)
    assert job.status is JobStatus.COMPLETED and job.error is None
    video = job.video_path
    assert video is not None and video.is_file()
    assert video.parent == team.settings.cache_dir.resolve()  # the local copy plays from here
    remote = s3(os.environ["AWS_ENDPOINT_URL_S3"])
    poster = Path(str(job.record.poster_path))
    for local in (video, poster):
        key = f"{bucket}/team/{local.name}"
        assert remote.cat_file(key) == local.read_bytes()
        assert remote.info(key)["ETag"].strip('"') == md5(local.read_bytes())
    # Nothing half-written is left beside them, and both are known to be up.
    assert sorted(p.rsplit("/", 1)[-1] for p in remote.ls(f"{bucket}/team")) == sorted(
        [video.name, poster.name]
    )
    assert MediaCache(video.parent, 10**9, RemoteFiles(f"s3://{bucket}/team")).pending() == []


def test_a_teammate_with_an_empty_cache_plays_the_clip_from_the_bucket(
    team: Session,
    emulator: Emulator,
    tmp_path: Path,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = team.submit(validate(prompt=PROMPT)).wait(60)
    assert job.video_path is not None
    mine = job.video_path.read_bytes()
    # The teammate shares the store, not the disk: their cache is empty.
    mate = Session(team_settings(emulator, tmp_path, f"s3://{bucket}/team", "cache-mate"))
    try:
        theirs = mate.store.get(job.id)
        assert theirs.status is JobStatus.COMPLETED
        # The job handle, as the API and %ltx show see it.
        handle = mate.track(theirs, mate.store)
        played = mate.local_video(handle)
        assert played is not None and played.parent == (tmp_path / "cache-mate").absolute()
        assert played.read_bytes() == mine
        assert handle.result() == played
        # The views (which read the settings in force), by relative path beside the notebook.
        played.unlink()
        monkeypatch.setattr(_config, "_settings", mate.settings)
        page = job_html(theirs, base_dir=tmp_path)
        assert f'src="cache-mate/{job.video_path.name}"' in page
        assert (tmp_path / "cache-mate" / job.video_path.name).read_bytes() == mine
        assert str(tmp_path / "cache-mate" / job.video_path.name) in job_text(theirs)
        # A report works from the cache too, evicted or not: the clip is copied beside it.
        (tmp_path / "cache-mate" / job.video_path.name).unlink()
        report = export_report([job.id], tmp_path / "review.html", store=mate.store)
        assert (tmp_path / "review_media" / job.video_path.name).read_bytes() == mine
        assert f"review_media/{job.video_path.name}" in report.read_text()
        # Nothing was uploaded back.
        assert mate.upload_pending() == []
    finally:
        mate.runtime.stop()


def put_clip(files: RemoteFiles, clip: Path, name: str, scratch: Path) -> int:
    local = scratch / name
    shutil.copyfile(clip, local)
    files.put(local, name)
    return local.stat().st_size


def test_the_cache_evicts_the_least_recently_used_past_its_cap(
    bucket: str, tmp_path: Path, mp4_silent: Path
) -> None:
    files = RemoteFiles(f"s3://{bucket}/clips")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    names = [f"ltx-000{i}-abc.mp4" for i in range(1, 5)]
    size = max(put_clip(files, mp4_silent, name, scratch) for name in names)
    cache = MediaCache(tmp_path / "cache", 2 * size, files)  # room for two clips
    first, second, third, fourth = names
    assert cache.local(first) is not None
    assert cache.local(second) is not None
    assert cache.local(first) is not None  # used again: now the second is the oldest
    assert cache.local(third) is not None
    assert sorted(p.name for p in cache.folder.glob("ltx-*.mp4")) == [first, third]
    # A video whose only copy is here (its upload failed) is never evicted.
    own = cache.folder / "ltx-0009-mine.mp4"
    shutil.copyfile(mp4_silent, own)
    os.utime(own, (0, 0))  # the oldest of all
    assert cache.local(fourth) is not None
    assert own.is_file() and (cache.folder / fourth).is_file()
    assert cache.pending() == [own]
    # An evicted clip comes back from the bucket when a view asks for it again.
    again = cache.local(second)
    assert again is not None and again.read_bytes() == mp4_silent.read_bytes()
    assert sorted(p.name for p in cache.folder.glob("ltx-*.mp4")) == [second, own.name]
    # Once uploaded it is a clip like the others, and the least recently used goes first.
    cache.store(own)
    assert cache.pending() == [] and own.is_file()
    assert cache.local(fourth) is not None
    assert sorted(p.name for p in cache.folder.glob("ltx-*.mp4")) == [second, fourth]
    assert sorted(p.name for p in cache.folder.glob(".*.stored")) == [
        f".{second}.stored",
        f".{fourth}.stored",
    ]


def test_a_clip_that_arrives_broken_is_not_kept(
    bucket: str, tmp_path: Path, mp4_silent: Path
) -> None:
    files = RemoteFiles(f"s3://{bucket}/clips")
    broken = tmp_path / "ltx-0001-bad.mp4"
    broken.write_bytes(mp4_silent.read_bytes()[:2000])  # not a playable video
    files.put(broken, broken.name)
    cache = MediaCache(tmp_path / "cache", 10**9, files)
    with pytest.raises(MediaError, match=r"ltx-0001-bad\.mp4"):
        cache.fetch(broken.name)
    assert list(cache.folder.iterdir()) == []
    assert cache.local(broken.name) is None  # a view shows the placeholder


def test_a_failed_upload_keeps_the_job_completed_with_its_local_copy_and_retries(
    emulator: Emulator,
    tmp_path: Path,
    s3_env: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    missing = "ltx-not-made-yet"  # the bucket does not exist until the retry
    settings = team_settings(emulator, tmp_path, f"s3://{missing}/team", "cache-me")
    # Credentials given the other way too: as storage options.
    settings = Settings(
        **{
            **{f: getattr(settings, f) for f in ("api_key", "base_url", "media_dir")},
            "cache_dir": settings.cache_dir,
            "store_path": settings.store_path,
            "storage_options": {"key": ACCESS_KEY, "secret": SECRET_KEY},
        }
    )
    session = make_quick(Session(settings))
    try:
        job = session.submit(validate(prompt=PROMPT)).wait(60)
        row = session.store.get(job.id)
        assert row.status is JobStatus.COMPLETED
        assert row.video_path is not None and row.video_path.is_file()
        assert row.error is not None and row.error.startswith("uploading:")
        assert "kept here" in row.error and "%ltx resume" in row.error
        assert session.upload_pending() == []  # still no bucket: still kept, still noted
        assert row.video_path.is_file()
        s3(s3_env).mkdir(missing)
        session.resume()  # what %ltx resume does: the upload is tried again
        assert session._retrying is not None
        uploaded = session._retrying.result(timeout=60)
        assert sorted(p.name for p in uploaded) == sorted(
            [row.video_path.name, Path(str(row.poster_path)).name]
        )
        assert session.store.get(job.id).error is None
        remote = s3(s3_env)
        assert remote.cat_file(f"{missing}/team/{row.video_path.name}") == (
            row.video_path.read_bytes()
        )
        assert session.upload_pending() == []
        shown = [repr(settings), str(settings.describe()), repr(settings.storage_options)]
    finally:
        session.runtime.stop()
    out = capsys.readouterr()
    everything = "\n".join([*shown, out.out, out.err, caplog.text, str(row.error)])
    store_bytes = b"".join(p.read_bytes() for p in settings.store_path.parent.iterdir())
    for secret in (ACCESS_KEY, SECRET_KEY):
        assert secret not in everything
        assert secret.encode() not in store_bytes


def test_a_local_media_dir_stays_the_default_with_no_cache() -> None:
    settings = Settings()
    assert settings.media_url is None
    assert settings.local_media == Path("ltx_media")
    assert Settings(media_dir="file:///tmp/videos").local_media == Path("/tmp/videos")


def test_any_fsspec_url_works_alike_without_an_etag(tmp_path: Path, mp4_silent: Path) -> None:
    # fsspec's memory store has no ETag: the upload is checked by reading it back.
    import fsspec

    root = f"memory://ltx-{os.getpid()}-{tmp_path.name}"
    files = RemoteFiles(root)
    local = tmp_path / "ltx-0001-abc.mp4"
    shutil.copyfile(mp4_silent, local)
    files.put(local, local.name)
    files.put(local, local.name)  # already there, whole: kept as is
    memory = fsspec.filesystem("memory")
    assert [p.rsplit("/", 1)[-1] for p in memory.ls(root, detail=False)] == [local.name]
    cache = MediaCache(tmp_path / "cache", 10**9, files)
    played = cache.local(local.name)
    assert played is not None and played.read_bytes() == local.read_bytes()
    with pytest.raises(MediaError, match="is not at"):
        files.get("ltx-0002-none.mp4", tmp_path / "nothing")
    memory.rm(root, recursive=True)


def test_an_upload_to_a_stopped_server_is_kept_and_done_once_it_is_back(
    emulator: Emulator, tmp_path: Path, s3_env: str
) -> None:
    from moto.server import ThreadedMotoServer

    own = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    own.start()
    host, port = own.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3(endpoint).mkdir("ltx-stopped")
    own.stop()  # down before the job's video is ready
    settings = team_settings(emulator, tmp_path, "s3://ltx-stopped/team", "cache-me")
    settings = Settings(
        api_key=settings.api_key,
        base_url=settings.base_url,
        media_dir=settings.media_dir,
        cache_dir=settings.cache_dir,
        store_path=settings.store_path,
        # One attempt per request from botocore (s3fs still tries each call a few times).
        storage_options={
            "endpoint_url": endpoint,
            "config_kwargs": {"retries": {"max_attempts": 1}},
        },
    )
    session = make_quick(Session(settings))
    try:
        job = session.submit(validate(prompt=PROMPT)).wait(60)
        row = session.store.get(job.id)
        assert row.status is JobStatus.COMPLETED and row.error is not None
        assert row.error.startswith("uploading:") and "kept here" in row.error
        assert row.video_path is not None and row.video_path.is_file()
        back = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        back.start()  # the same port; moto's buckets live in this process
        try:
            session.resume()
            assert session._retrying is not None
            assert len(session._retrying.result(timeout=60)) == 2
            assert s3(endpoint).cat_file(f"ltx-stopped/team/{row.video_path.name}") == (
                row.video_path.read_bytes()
            )
            assert session.store.get(job.id).error is None
        finally:
            back.stop()
    finally:
        session.runtime.stop()
