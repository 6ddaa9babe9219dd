"""``transfer.copy`` from a bucket's store: each video fetched from the bucket, or, for one
whose upload never succeeded, taken from where its kernel downloaded it."""

from __future__ import annotations

import uuid
from pathlib import Path

from ltx_notebook._core.params import validate
from ltx_notebook._storage import transfer
from ltx_notebook._storage.files import RemoteFiles
from ltx_notebook._storage.store import Store


def test_videos_come_from_the_bucket_or_the_only_local_copy(
    tmp_path: Path, mp4_silent: Path
) -> None:
    bucket = f"memory://ltx-{uuid.uuid4().hex[:8]}"
    cache = tmp_path / "alice-cache"
    cache.mkdir()
    source = Store(tmp_path / "team.sqlite")
    rows = {}
    for rid, uploaded in (("req-up000001", True), ("req-local002", False)):
        job = source.create(validate(prompt=rid), cost_estimate=0.1, base_url=None)
        video = cache / f"ltx-{job.id:04d}-{rid[4:12]}.mp4"
        video.write_bytes(mp4_silent.read_bytes() + rid.encode())
        if uploaded:
            RemoteFiles(bucket).put(video, video.name)
            kept = video.read_bytes()
            video.unlink()  # evicted from the cache: only the bucket has it
        else:
            kept = video.read_bytes()
        source.update(job.id, request_id=rid, status="COMPLETED", video_path=str(video))
        rows[rid] = kept

    dest = Store(tmp_path / "mine" / "ltx-jobs.sqlite")
    summary = transfer.copy(
        transfer.plan(source, dest),
        dest,
        source_media=transfer.Media(bucket),
        dest_media=transfer.Media(tmp_path / "mine"),
        owner="alice",
    )
    assert (summary.rows, summary.files, summary.problems) == (2, 2, [])
    for rid, data in rows.items():
        got = dest.get_by_request_id(rid)
        assert got is not None and got.video_path is not None
        assert Path(got.video_path).read_bytes() == data
