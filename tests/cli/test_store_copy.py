"""``ltx-notebook store copy``: a personal store into a team's (PostgreSQL, a bucket) and back.

Through the real console script in a subprocess, against a real PostgreSQL
server (tests/harness/postgres.py) and moto's S3 server over real S3 HTTP
(tests/harness/s3.py).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ltx_notebook._core.params import validate
from ltx_notebook._storage import media, votes
from ltx_notebook._storage.records import JobRecord
from ltx_notebook._storage.store import Store
from tests.harness.s3 import ACCESS_KEY, SECRET_KEY, s3
from tests.storage.media_videos import make_mp4

BASE = "https://api.segmind.com/v1"
SCRIPT = Path(sys.executable).with_name("ltx-notebook")


def ltx(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The console script as a person runs it (else the same main() in a fresh interpreter)."""
    command = (
        [str(SCRIPT)]
        if SCRIPT.is_file()
        else [
            sys.executable,
            "-c",
            "import sys; from ltx_notebook._cli import main; sys.exit(main())",
        ]
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LTX_NOTEBOOK_")}
    environ.update(env)
    return subprocess.run(
        [*command, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=240
    )


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_mp4(tmp_path_factory.mktemp("clip") / "clip.mp4", audio=False, seconds=0.5)


def finished(store: Store, folder: Path, prompt: str, rid: str, clip: Path) -> JobRecord:
    """A paid job with its video and poster in *folder*, named as a download names them."""
    job = store.create(validate(prompt=prompt), cost_estimate=0.42, base_url=BASE)
    video = media.media_path(folder, job.id, rid)
    video.write_bytes(clip.read_bytes() + prompt.encode())  # each its own bytes
    poster = media.poster(video)
    return store.update(
        job.id,
        request_id=rid,
        status="COMPLETED",
        cost=0.42,
        video_path=str(video.resolve()),
        poster_path=str(poster.resolve()),
        file_bytes=video.stat().st_size,
        tag="moving-in",
    )


@pytest.fixture
def personal(tmp_path: Path, clip: Path) -> Path:
    """A personal store: two videos, one video deleted since, a job never sent, a vote."""
    folder = tmp_path / "me" / "ltx_media"
    store = Store(folder / "ltx-jobs.sqlite")
    first = finished(store, folder, "a lighthouse at dusk", "req-aaaa1111-0001", clip)
    gone = finished(store, folder, "a fox in snow", "req-bbbb2222-0002", clip)
    Path(str(gone.video_path)).unlink()
    unsent = store.create(validate(prompt="never sent"), cost_estimate=0.42, base_url=BASE)
    store.update(unsent.id, status="FAILED", error="refused before it was sent")
    last = finished(store, folder, "rain on a tin roof", "req-cccc3333-0003", clip)
    votes.cast(
        store,
        arena_id="arena-1",
        voter="me",
        left=(first.id, first.request_id),
        right=(last.id, last.request_id),
        outcome="left",
    )
    return folder / "ltx-jobs.sqlite"


def by_request(store: Store) -> dict[str | None, JobRecord]:
    return {r.request_id: r for r in store.find()}


def test_a_personal_store_moves_into_postgres_and_a_bucket_once_and_back(
    personal: Path, postgres_url: str, bucket: str, s3_env: str, tmp_path: Path
) -> None:
    media_to = f"s3://{bucket}/team"
    first = ltx(
        *("store", "copy", str(personal), postgres_url, "--media-to", media_to),
        cwd=tmp_path,
        LTX_NOTEBOOK_USER="alice",
    )
    # The deleted video is reported, one line, and the rest is copied.
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    assert "job 2 (request req-bbbb2222-0002, COMPLETED): its video is not copied" in first.stderr
    assert "copied 4 job(s) and 4 file(s)" in first.stdout, first.stdout

    team = Store(postgres_url)
    rows = by_request(team)
    assert len(rows) == 4 and None in rows  # the job never sent is copied too
    source = by_request(Store(personal))
    bucket_fs = s3(s3_env)
    for rid in ("req-aaaa1111-0001", "req-cccc3333-0003"):
        got, had = rows[rid], source[rid]
        assert (got.owner, got.cost, got.tag, got.status) == (
            "alice",
            0.42,
            "moving-in",
            had.status,
        )
        assert got.submitted_at == had.submitted_at and got.params_json == had.params_json
        name = media.media_path("", got.id, rid).name  # named by the team's id
        assert str(got.video_path) == name and str(got.poster_path) == name[:-4] + ".jpg"
        uploaded = bucket_fs.cat_file(f"{bucket}/team/{name}")
        assert hashlib.md5(uploaded, usedforsecurity=False).hexdigest() == md5(
            Path(str(had.video_path))
        )
        assert bucket_fs.exists(f"{bucket}/team/{name[:-4]}.jpg")
    missing = rows["req-bbbb2222-0002"]
    assert missing.video_path is None and missing.poster_path is None
    assert missing.status.value == "COMPLETED" and missing.cost == 0.42
    (vote,) = votes.read(team)
    assert (vote.left_job, vote.right_job) == (
        rows["req-aaaa1111-0001"].id,
        rows["req-cccc3333-0003"].id,
    )

    # Run twice: nothing new the second time, not even the job never sent.
    again = ltx(
        *("store", "copy", str(personal), postgres_url, "--media-to", media_to), cwd=tmp_path
    )
    assert "copied 0 job(s) and 0 file(s)" in again.stdout and "4 job(s) were there" in again.stdout
    assert len(team.find()) == 4 and len(votes.read(team)) == 1

    # The deleted video found again: the next run brings it, and only it.
    found = Path(str(source["req-bbbb2222-0002"].video_path))
    found.write_bytes(Path(str(source["req-aaaa1111-0001"].video_path)).read_bytes())
    third = ltx(
        *("store", "copy", str(personal), postgres_url, "--media-to", media_to), cwd=tmp_path
    )
    assert third.returncode == 0, third.stderr
    assert "copied 0 job(s) and 2 file(s)" in third.stdout
    brought = team.get(missing.id)
    assert brought is not None and brought.video_path is not None
    assert bucket_fs.exists(f"{bucket}/team/{brought.video_path}")

    # And back: the team's store into a new personal one, the bucket named by the settings.
    back = tmp_path / "back" / "ltx_media" / "ltx-jobs.sqlite"
    home = ltx(
        *("store", "copy", postgres_url, str(back)),
        cwd=tmp_path,
        LTX_NOTEBOOK_MEDIA_DIR=media_to,
    )
    assert home.returncode == 0, home.stderr
    mine = by_request(Store(back))
    assert len(mine) == 4
    for rid, had in source.items():
        if had.video_path is None:
            continue
        path = Path(str(mine[rid].video_path))
        assert path.parent == back.parent.resolve() and path.is_file()
        assert md5(path) == md5(Path(str(had.video_path)))
        assert mine[rid].owner == "alice"
    for result in (first, again, third, home):
        for secret in (SECRET_KEY, ACCESS_KEY):
            assert secret not in result.stdout + result.stderr


def test_a_dry_run_lists_the_jobs_and_changes_nothing(personal: Path, tmp_path: Path) -> None:
    dest = tmp_path / "team" / "ltx-jobs.sqlite"
    result = ltx("store", "copy", str(personal), str(dest), "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "job 1 (request req-aaaa1111-0001, COMPLETED), with its video ltx-0001-reqaaaa1.mp4" in (
        result.stdout
    )
    assert "job 3 (never sent, FAILED)" in result.stdout
    assert "4 job(s) to copy, 0 there already" in result.stdout
    assert not dest.exists()


def test_a_local_copy_keeps_ids_apart_by_request_id(
    personal: Path, tmp_path: Path, clip: Path
) -> None:
    # A team store with jobs of its own: the copied ones take the next ids, their files
    # named by them, nothing of the team's overwritten.
    team_folder = tmp_path / "team"
    team = Store(team_folder / "ltx-jobs.sqlite")
    own = finished(team, team_folder, "the team's own", "req-dddd4444-0004", clip)
    result = ltx("store", "copy", str(personal), str(team.path), cwd=tmp_path)
    assert result.returncode == 1  # the deleted video
    rows = by_request(team)
    assert rows["req-dddd4444-0004"] == own
    copied = rows["req-aaaa1111-0001"]
    assert copied.id == own.id + 1
    assert Path(str(copied.video_path)) == (team_folder / "ltx-0002-reqaaaa1.mp4").resolve()
    assert md5(Path(str(own.video_path))) != md5(Path(str(copied.video_path)))


def test_failures_are_one_line_without_credentials(tmp_path: Path) -> None:
    nothing = ltx("store", "copy", str(tmp_path / "none.sqlite"), str(tmp_path / "b"), cwd=tmp_path)
    assert nothing.returncode == 1
    assert nothing.stderr.strip().splitlines() == [
        f"ltx-notebook store copy: there is no store file at {tmp_path / 'none.sqlite'}: "
        "nothing to copy"
    ]
    src = Store(tmp_path / "me.sqlite")
    unreachable = "postgresql+psycopg://ltx:hunter2-sekrit@127.0.0.1:9/ltx"
    down = ltx("store", "copy", str(src.path), unreachable, cwd=tmp_path)
    assert down.returncode == 1
    (line,) = down.stderr.strip().splitlines()
    assert line.startswith("ltx-notebook store copy: ") and "hunter2-sekrit" not in line
    same = ltx("store", "copy", str(src.path), str(src.path), cwd=tmp_path)
    assert same.returncode == 1 and "the same store" in same.stderr
