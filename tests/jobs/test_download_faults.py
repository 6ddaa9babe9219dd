"""Downloads under faults: a paid video reaches the disk, or the row says how to get it.

The emulator's media route answers ``Range`` requests (206), so a download
broken mid-body resumes where it stopped; a folder that cannot be written
(read-only, or a full filesystem) ends in a row that keeps the remote URL and
a panel that says how to try again.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ltx_notebook import JobStatus, Session, Settings, validate
from ltx_notebook._view.cell import placeholder_html
from ltx_notebook._view.job_progress import render_info
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.processes import start_together
from tests.jobs.conftest import make_quick
from tests.service.scripted_server import Reply, serve

PROMPT = "a red fox running through fresh snow at sunrise"


def served_size(emulator: Emulator, request_id: str | None) -> int:
    size = emulator.engine.jobs[str(request_id)].file_size
    assert size
    return size


def test_a_download_dropped_mid_body_resumes_with_a_range_request(
    quick: Session, emulator: Emulator
) -> None:
    emulator.engine.inject("media", drop=True)
    job = quick.submit(validate(prompt=PROMPT)).wait(60)
    assert job.status is JobStatus.COMPLETED and job.video_path and job.video_path.is_file()
    assert job.video_path.stat().st_size == served_size(emulator, job.request_id)
    assert job.record.file_bytes == job.video_path.stat().st_size
    assert emulator.engine.count("media", status=206) == 1  # the rest, not the whole again
    assert not list(job.video_path.parent.glob("*.part"))


MEDIA_FAULTS = {
    "media 404 x2": {"status": 404, "times": 2},
    "media 503 x6": {"status": 503, "times": 6},
    "media 403 x1": {"status": 403, "times": 1},
}


@pytest.mark.parametrize("fault", list(MEDIA_FAULTS.values()), ids=list(MEDIA_FAULTS))
def test_a_failing_media_url_is_tried_again_with_backoff(
    quick: Session, emulator: Emulator, fault: dict[str, int]
) -> None:
    emulator.engine.inject("media", **fault)
    job = quick.submit(validate(prompt=PROMPT)).wait(60)
    row = quick.store.get(job.id)
    assert row.status is JobStatus.COMPLETED and row.video_path and row.video_path.is_file()
    assert row.error is None
    assert row.file_bytes == served_size(emulator, job.request_id)


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """*folder* cannot be written to, even by root (an immutable folder on ext4)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


@contextlib.contextmanager
def full(folder: Path) -> Iterator[None]:
    """*folder* on a filesystem with no room for a video (a 16 KiB tmpfs; root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny filesystem needs root")
    folder.mkdir(parents=True, exist_ok=True)
    mount = ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(folder)]
    if subprocess.run(mount, capture_output=True).returncode:
        pytest.skip("tmpfs cannot be mounted here")
    try:
        yield
    finally:
        # Room again, for the retry: a bigger filesystem in the same place.
        subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)


@pytest.mark.parametrize("trouble", [read_only, full], ids=["read-only folder", "disk full"])
def test_an_unwritable_media_folder_keeps_the_row_and_says_how_to_retry(
    settings: Settings, emulator: Emulator, tmp_path: Path, trouble: object
) -> None:
    videos = tmp_path / "videos"
    s = make_quick(Session(replace(settings, media_dir=videos)))
    try:
        with trouble(videos):  # type: ignore[operator]
            job = s.submit(validate(prompt=PROMPT)).wait(60)
            row = s.store.get(job.id)
            assert row.status is JobStatus.COMPLETED and row.video_path is None
            assert row.output_url  # the paid result is still reachable
            assert row.error and f"%ltx show {job.id}" in row.error
            assert f"%ltx show {job.id}" in placeholder_html(row)
            assert "%ltx show" in render_info(job)
            assert not list(videos.glob("*.part"))
        again = s.refetch(job).wait(60)
        assert again.video_path and again.video_path.is_file() and again.error is None
    finally:
        s.runtime.stop()
        if trouble is full:
            subprocess.run(["umount", str(videos)], check=False)


def test_orphan_part_files_of_a_killed_download_are_removed_on_resume(
    settings: Settings, emulator: Emulator
) -> None:
    first = Session(settings)
    job = first.submit(validate(prompt=PROMPT))
    first.runtime.stop()  # the kernel dies before the video is in
    media = settings.media_dir
    head = f"ltx-{job.id:04d}-{(job.request_id or '')[:8]}"
    # What a download killed mid-body leaves (older versions named parts at random).
    orphans = [media / f"{head}.part", media / f"{head}.1a2b3c4d.part", media / "ltx-0099.part"]
    for orphan in orphans:
        orphan.write_bytes(b"\x00" * 1000)

    second = Session(settings)
    try:
        (resumed,) = second.resume()
        resumed.wait(60)
        assert resumed.video_path and resumed.video_path.is_file()
        assert not list(media.glob("*.part"))
    finally:
        second.runtime.stop()


RESUMER = """
import sys, time
from pathlib import Path
from ltx_notebook import Session, Settings
from ltx_notebook._core.config import Secret

url, media, name, go = sys.argv[1], Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
s = Session(Settings(api_key=Secret(sys.argv[5]), base_url=url, media_dir=media,
                     store_path=media / "jobs.sqlite"))
s.store  # opened before the start, so both race on the job, not on imports
go.with_name("ready-" + name).touch()
while not go.exists():
    time.sleep(0.002)
s.resume()  # the job, unless the other process already drives it: then ...
job = s.get(int(sys.argv[6])).wait(120)  # ... waiting follows its row until it ends
print(job.status.value, job.video_path)
"""


def test_two_processes_resuming_one_job_download_it_once(
    settings: Settings, emulator: Emulator, tmp_path: Path
) -> None:
    first = Session(settings)
    job = first.submit(validate(prompt=PROMPT))
    first.runtime.stop()
    # The first kernel is gone: its lease lapsed (as lease_seconds after its last heartbeat).
    first.store.update(job.id, lease_until=0)
    emulator.engine.inject("media", delay=1.0, times=2)  # a slow download: they overlap
    go = tmp_path / "go"
    procs = start_together(
        RESUMER,
        lambda name: [
            *(emulator.base_url, str(settings.media_dir), name, str(go), API_KEY, str(job.id))
        ],
        ready=tmp_path,
        go=go,
        what="resumers",
    )
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        outs.append(out.split())
    assert all(out[0] == "COMPLETED" for out in outs), outs
    assert outs[0][1] == outs[1][1] and Path(outs[0][1]).is_file()
    served = sum(emulator.engine.count("media", status=code) for code in (200, 206))
    assert served == 1, emulator.engine.log
    row = first.store.get(job.id)
    assert row.video_path and row.video_path.is_file()


# -- output URLs not to be followed, answers that never end -----------------------------------


def found_in_the_history(session: Session, emulator: Emulator, generation_url: str) -> int:
    """A row whose job the history says COMPLETED at *generation_url*: its id, after reconcile."""
    params = validate(prompt=PROMPT)
    root = emulator.base_url.removesuffix("/v1")
    reply = httpx.post(
        f"{root}/v2/ltx-2-pro", json=params.payload(), headers={"x-api-key": API_KEY}
    )
    rid = reply.json()["request_id"]
    deadline = time.monotonic() + 60
    while emulator.engine.status_of(rid) != "COMPLETED":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    emulator.engine.edit_history(rid, generation_url=generation_url)
    row = session.store.create(params, cost_estimate=0.36, base_url=session.settings.base_url)
    session.store.update(row.id, request_id=rid, status=JobStatus.EXPIRED, error="gone")
    session.reconcile().wait(60)
    return row.id


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(document.domain)"])
def test_an_output_url_that_is_not_http_is_said_once_not_retried(
    quick: Session, emulator: Emulator, url: str
) -> None:
    job_id = found_in_the_history(quick, emulator, url)
    row = quick.store.get(job_id)
    assert row.status is JobStatus.COMPLETED and row.video_path is None
    error = row.error or ""
    assert "not an http" in error and url.split(":")[0] in error
    assert "SEGMIND_BASE_URL" not in error and "attempts" not in error
    assert "passwd" not in error and "alert" not in error  # the address itself is not echoed


@pytest.mark.parametrize("announce", [True, False], ids=["announced", "chunked"])
def test_a_video_download_stops_at_the_cap(
    settings: Settings, emulator: Emulator, announce: bool
) -> None:
    session = make_quick(Session(replace(settings, max_video_bytes=1_000_000)))
    try:
        with serve() as host:
            # Far past the cap (bounded, so a client without a cap still ends).
            host.on("GET", "/endless.mp4", Reply(size=60_000_000, announce=announce))
            job_id = found_in_the_history(session, emulator, f"{host.url}/endless.mp4")
            row = session.store.get(job_id)
            assert row.status is JobStatus.COMPLETED and row.video_path is None
            assert "1,000,000 bytes" in (row.error or "") and "max_video_bytes" in (row.error or "")
            assert host.count("GET", "/endless.mp4") == 1  # stopped, not tried again
            assert not list(session.settings.media_dir.glob("*.part"))
    finally:
        session.runtime.stop()


SCRIPT_THAT_ENDS = """
import sys, time
import ltx_notebook as ltx

url, media, key = sys.argv[1:4]
ltx.configure(api_key=key, base_url=url, media_dir=media)
job = ltx.generate("a red fox running through fresh snow at sunrise")
deadline = time.monotonic() + 60
while job.status is not ltx.JobStatus.COMPLETED:  # from now on, its video is on its way
    assert time.monotonic() < deadline, job.status
    time.sleep(0.01)
print(job.id, flush=True)
# The script ends here, its download still running: a plain script forgets to wait.
"""


def test_a_script_that_exits_mid_download_exits_quietly_and_the_video_comes_on_resume(
    settings: Settings, emulator: Emulator
) -> None:
    emulator.engine.inject("media", delay=3.0)  # the download is in flight at the exit
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT_THAT_ENDS,
            emulator.base_url,
            str(settings.media_dir),
            API_KEY,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LTX_NOTEBOOK_STORE": str(settings.store_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # no traceback, no warning: nothing went wrong
    job_id = int(done.stdout.split()[0])
    later = Session(settings)
    try:
        assert later.store.get(job_id).video_path is None  # it was cut short, not lost
        (job,) = later.resume()
        job.wait(60)
        assert job.id == job_id and job.video_path and job.video_path.is_file()
        assert emulator.engine.count("submit") == 1
    finally:
        later.runtime.stop()


def test_a_download_given_up_leaves_no_hidden_lock_file(quick: Session, emulator: Emulator) -> None:
    emulator.engine.inject("media", 404, times=1000)
    job = quick.submit(validate(prompt=PROMPT)).wait(60)
    assert job.video_path is None and "gave up" in (job.error or "")
    media = quick.settings.media_dir
    assert not list(media.glob(".*.lock")) and not list(media.glob("*.part"))
