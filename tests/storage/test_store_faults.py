"""A store that cannot record a job stops the submit, with one clear StoreError and no request.

Every fault is real: a damaged file, a store locked by a second process, a
read-only folder (a second process without root's rights), a full disk (a
tiny tmpfs when this runs as root, and a file-size limit otherwise), a
folder that cannot be made. Each gives a :class:`StoreError` naming the file
and what to do; the emulator's request log shows nothing was sent, and
nobody's row is lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook import LtxError, Session, Settings, StoreError, sweep, validate
from ltx_notebook._core.config import Secret
from ltx_notebook._storage.database import forget_connections
from ltx_notebook._storage.store import QUICK_TIMEOUT_S, Store
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY

PROMPT = "a lighthouse at dusk"


def session_on(emulator: Emulator, store_path: Path) -> Session:
    return Session(
        Settings(
            api_key=Secret(API_KEY),
            base_url=emulator.base_url,
            media_dir=store_path.parent,
            store_path=store_path,
        )
    )


@pytest.fixture
def sessions(emulator: Emulator) -> Iterator[list[Session]]:
    made: list[Session] = []
    yield made
    for session in made:
        session.runtime.stop()


def refused_submit(emulator: Emulator, sessions: list[Session], store_path: Path) -> StoreError:
    session = session_on(emulator, store_path)
    sessions.append(session)
    with pytest.raises(StoreError) as info:
        session.submit(validate(prompt=PROMPT))
    message = str(info.value)
    assert str(store_path) in message and "\n" not in message
    assert info.value.path == store_path
    assert emulator.engine.count() == 0  # nothing sent, so nothing billed
    return info.value


def filled_store(path: Path, rows: int) -> None:
    store = Store(path)
    params = validate(prompt=PROMPT + " " + "x" * 400)
    for i in range(rows):
        job = store.create(params, cost_estimate=0.36, base_url="http://127.0.0.1:1/v1")
        store.update(job.id, request_id=f"r-{i}", status="QUEUED")
    forget_connections()  # as a kernel that wrote it and ended: the WAL checkpointed


# -- a damaged file -------------------------------------------------------------------


def test_a_file_that_is_not_a_database(
    emulator: Emulator, sessions: list[Session], tmp_path: Path
) -> None:
    path = tmp_path / "jobs.sqlite"
    path.write_bytes(b"these are not the pages you are looking for\n" * 100)
    error = refused_submit(emulator, sessions, path)
    assert "damaged" in str(error) and "move it aside" in str(error)
    assert path.read_bytes().startswith(b"these are not")  # left as it was, for recovery


def test_a_truncated_store(emulator: Emulator, sessions: list[Session], tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    filled_store(path, 200)
    for leftover in tmp_path.glob("jobs.sqlite-*"):
        leftover.unlink()  # the WAL was checkpointed when the last connection closed
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    with pytest.raises(StoreError, match="damaged") as info:
        Store(path).find()
    assert str(path) in str(info.value)
    refused_submit(emulator, sessions, path)


# -- a lock held by another process ---------------------------------------------------

HOLDER = """
import sqlite3, sys, time
from pathlib import Path
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("UPDATE jobs SET notes = 'theirs' WHERE id = 1")
Path(sys.argv[2]).touch()
while not Path(sys.argv[3]).exists():
    time.sleep(0.01)
conn.execute("COMMIT")
"""


@contextlib.contextmanager
def held_by_another_process(path: Path, tmp_path: Path) -> Iterator[None]:
    """Another process holds *path*'s write lock (and writes a row) until the block ends."""
    held, release = tmp_path / "held", tmp_path / "release"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(held), str(release)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not held.exists():
            assert holder.poll() is None and time.monotonic() < deadline, "no lock taken"
            time.sleep(0.01)
        yield
    finally:
        release.touch()
        _, err = holder.communicate(timeout=30)
    assert holder.returncode == 0, err


def test_a_store_locked_by_another_process_fails_fast_and_loses_no_row(
    emulator: Emulator, sessions: list[Session], tmp_path: Path
) -> None:
    path = tmp_path / "jobs.sqlite"
    filled_store(path, 1)
    with held_by_another_process(path, tmp_path):
        start = time.monotonic()
        error = refused_submit(emulator, sessions, path)
        waited = time.monotonic() - start
        assert "locked by another process" in str(error)
        assert waited < 2 * QUICK_TIMEOUT_S + 2, f"waited {waited:.1f} s"
        assert Store(path).get(1) is not None  # reading still works meanwhile (WAL)
    store = Store(path)
    assert [(r.id, r.notes) for r in store.find()] == [(1, "theirs")]  # their write landed
    job = sessions[0].submit(validate(prompt=PROMPT))  # and ours goes through once it is free
    assert job.id == 2 and emulator.engine.count("submit") == 1
    job.wait(60)


# -- read-only, full, unreachable ---------------------------------------------------

CHILD = """
import json, sys
from pathlib import Path
from ltx_notebook import Session, Settings, validate, LtxError
from ltx_notebook._core.config import Secret
store, base_url, key = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
settings = Settings(api_key=Secret(key), base_url=base_url, media_dir=store.parent,
                    store_path=store)
try:
    Session(settings).submit(validate(prompt="a lighthouse at dusk"))
except LtxError as exc:
    print(json.dumps({"type": type(exc).__name__, "message": str(exc)}))
else:
    print(json.dumps({"type": None}))
"""


def submit_under_a_file_limit(emulator: Emulator, store: Path, limit: int) -> dict[str, str]:
    """Submit from a second process whose files may not grow past *limit* bytes."""

    def restrict() -> None:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it fails, not kills
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), emulator.base_url, API_KEY],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=restrict,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


def mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    forget_connections()  # the store's connections hold files on the mount open
    for where in reversed(made):
        subprocess.run(["umount", str(where)], check=True)


@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_store(
    emulator: Emulator, sessions: list[Session], mounts: list[Path], tmp_path: Path, what: str
) -> None:
    """Root writes through file modes, so as root the folder is a read-only filesystem."""
    folder = tmp_path / "media"
    if os.geteuid() == 0:
        mount_tmpfs(folder, "1m")
        mounts.append(folder)
    else:
        folder.mkdir()
    path = folder / "jobs.sqlite"
    if what == "file":
        filled_store(path, 1)
        for leftover in folder.glob("jobs.sqlite-*"):
            leftover.unlink()
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        if what == "file":
            path.chmod(0o444)
        folder.chmod(0o555)
    error = refused_submit(emulator, sessions, path)
    assert "read-only" in str(error)
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
    else:
        folder.chmod(0o755)
    if what == "file":  # the rows that were there are still there
        assert [r.request_id for r in Store(path).find()] == ["r-0"]


def test_a_store_on_a_read_only_disk_can_be_read(mounts: list[Path], tmp_path: Path) -> None:
    """Its rows are read (history, reports); a write says read-only, one line."""
    folder = tmp_path / "media"
    if os.geteuid() == 0:
        mount_tmpfs(folder, "1m")
        mounts.append(folder)
    else:
        folder.mkdir()
    path = folder / "jobs.sqlite"
    filled_store(path, 2)
    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        path.chmod(0o444)
        folder.chmod(0o555)
    try:
        store = Store(path)
        assert sorted(r.request_id or "" for r in store.find()) == ["r-0", "r-1"]
        assert store.get_by_request_id("r-1") is not None and store.count() == 2
        with pytest.raises(StoreError, match="read-only"):
            store.update(1, notes="a note")
    finally:
        forget_connections()
        if os.geteuid() == 0:
            subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
        else:
            folder.chmod(0o755)
            path.chmod(0o644)
    assert Store(path).get(1).notes is None  # nothing was written


def test_a_store_that_cannot_grow_under_a_file_size_limit(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "jobs.sqlite"
    filled_store(path, 1)
    # Below SQLite's 32 KiB shared-memory index, which a WAL store must make first: no
    # file of the store can grow (the WAL itself could, up to the file's own size).
    answer = submit_under_a_file_limit(emulator, path, min(path.stat().st_size, 16384))
    assert answer["type"] == "StoreError", answer
    assert str(path) in answer["message"] and "could not be written" in answer["message"]
    assert len(answer["message"]) <= 300 and "\n" not in answer["message"]
    assert emulator.engine.count() == 0
    assert len(Store(path).find()) == 1  # the row that was there is still there


def test_a_full_disk(
    emulator: Emulator, sessions: list[Session], mounts: list[Path], tmp_path: Path
) -> None:
    """A real "No space left on device": a 256 KB tmpfs (needs root), filled up."""
    disk = tmp_path / "tiny"
    mount_tmpfs(disk, "256k")
    mounts.append(disk)
    path = disk / "jobs.sqlite"
    filled_store(path, 1)
    with (disk / "filler").open("wb", buffering=0) as filler:  # take every block left
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
    error = refused_submit(emulator, sessions, path)
    assert "full" in str(error) and "free some space" in str(error)
    (disk / "filler").unlink()
    assert len(Store(path).find()) == 1


def test_a_media_folder_that_cannot_be_made(
    emulator: Emulator, sessions: list[Session], tmp_path: Path
) -> None:
    (tmp_path / "plain-file").write_text("not a folder")
    error = refused_submit(emulator, sessions, tmp_path / "plain-file" / "media" / "jobs.sqlite")
    assert "cannot create" in str(error)
    with pytest.raises(StoreError, match="cannot create"):
        Store(tmp_path / "nul\0here" / "jobs.sqlite")


def test_store_error_is_an_ltx_error() -> None:
    assert issubclass(StoreError, LtxError)


def test_a_paid_jobs_request_id_is_in_the_error_if_it_cannot_be_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the submit the store waits long (BUSY_TIMEOUT_S), and if it still cannot
    write, the one line the user sees names the request id that finds the paid job."""
    from ltx_notebook._storage import store as store_module

    path = tmp_path / "jobs.sqlite"
    filled_store(path, 1)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 1.0)  # the real wait is 30 s
    with (
        held_by_another_process(path, tmp_path),
        pytest.raises(StoreError) as info,
    ):
        Store(path).update(1, request_id="4462ebfc-5f91-4ef0-9cfb-ac6e7687a66e")
    message = str(info.value)
    assert "locked by another process" in message and "\n" not in message
    assert "request id 4462ebfc-5f91-4ef0-9cfb-ac6e7687a66e: keep it" in message
    (row,) = Store(path).find()
    assert (row.request_id, row.notes) == ("r-0", "theirs")  # nothing half-written


def test_a_sweep_stops_at_the_first_job_the_store_cannot_record(
    emulator: Emulator, sessions: list[Session], tmp_path: Path
) -> None:
    path = tmp_path / "jobs.sqlite"
    path.write_bytes(b"not a database\n" * 200)
    session = session_on(emulator, path)
    sessions.append(session)
    handle = sweep(["a fox", "a heron", "an otter"], session=session)
    with pytest.raises(StoreError, match="damaged"):
        handle.wait(60)
    plan = handle.plan()
    assert list(plan["state"]) == ["REFUSED", "SKIPPED", "SKIPPED"]  # not three refusals
    # Only the balance was read before the first submit; no submit was sent.
    assert emulator.engine.count() == emulator.engine.count("credits") == 1
