"""The job store, every test on a SQLite file and on a PostgreSQL database of its own."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ltx_notebook._core import errors as _errors
from ltx_notebook._core import secrets as _secrets
from ltx_notebook._core.params import Params, validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage import schema
from ltx_notebook._storage.records import JobRecord
from ltx_notebook._storage.store import Store

BASE = "http://127.0.0.1:8765/v1"


def params(**kw: object) -> Params:
    return validate(**{"prompt": "a lighthouse at dusk", **kw})  # type: ignore[arg-type]


def new(store: Store, **kw: object) -> JobRecord:
    return store.create(params(**kw), cost_estimate=0.36, base_url=BASE)


# -- opening, schema, migrations ---------------------------------------------


def raw(store: Store, sql: str) -> list[Any]:
    """*sql*'s rows, read beside the store (not through it), on whichever database it has."""
    with store._db.engine().connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def test_a_fresh_store_gets_the_whole_schema(store: Store, backend: str) -> None:
    assert store.schema_version == len(schema.REVISIONS)
    assert raw(store, "SELECT version_num FROM alembic_version") == [(schema.HEAD,)]
    if backend == "sqlite":
        assert isinstance(store.path, Path) and store.path.is_file()  # parent folders made
        assert raw(store, "PRAGMA journal_mode") == [("wal",)]
        # What the last release before Alembic reads: it still opens this store.
        assert raw(store, "PRAGMA user_version") == [(schema.LEGACY_USER_VERSION,)]


def test_jobrecord_mirrors_the_latest_schema(store: Store) -> None:
    # Guards the rule "a migration that adds a column adds a JobRecord field too".
    assert store.columns == tuple(f.name for f in dataclasses.fields(JobRecord))


def test_the_revisions_named_are_the_scripts_shipped() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(schema.MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(config)
    chain = [s.revision for s in scripts.walk_revisions()][::-1]
    assert tuple(chain) == schema.REVISIONS
    assert scripts.get_current_head() == schema.HEAD


def test_an_empty_existing_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite"
    path.touch()
    store = Store(path)
    assert store.schema_version == len(schema.REVISIONS)
    assert new(store).id == 1


def test_reopening_keeps_every_row(store_path: Path | str) -> None:
    first = Store(store_path)
    ids = [new(first, duration=d).id for d in (6, 8, 10)]
    first.update(ids[0], request_id="rid-0", status=JobStatus.QUEUED)
    again = Store(store_path)
    assert again.schema_version == len(schema.REVISIONS)
    assert [r.id for r in again.find()] == ids[::-1]
    assert again.get_by_request_id("rid-0") == first.get(ids[0])


SEED_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "0099"
down_revision = "{down}"


def upgrade() -> None:
    op.add_column("jobs", sa.Column("seed", sa.BigInteger))
"""


def test_a_later_migration_adds_a_column_without_losing_data(
    store_path: Path | str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Store(store_path)
    job = new(old, duration=8)
    old.update(job.id, request_id="keep-me", status="COMPLETED", cost=0.48)

    # The shipped scripts plus one more, as the next release would ship them.
    scripts = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "r0099_seed.py").write_text(SEED_REVISION.format(down=schema.HEAD))
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", scripts)
    monkeypatch.setattr(schema, "REVISIONS", (*schema.REVISIONS, "0099"))
    monkeypatch.setattr(schema, "HEAD", "0099")
    upgraded = Store(store_path)
    assert upgraded.schema_version == len(schema.REVISIONS)
    assert "seed" in upgraded.columns
    kept = upgraded.get(job.id)
    assert kept is not None
    assert (kept.request_id, kept.duration, kept.cost) == ("keep-me", 8, 0.48)
    upgraded.update(job.id, seed=7)  # the new column is writable...
    assert upgraded.rows()[0]["seed"] == 7  # ...and shows in rows()
    # Re-opening at the same version applies nothing twice.
    assert Store(store_path).schema_version == len(schema.REVISIONS)


def test_a_newer_store_is_read_as_it_is(
    store_path: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A store a later release migrated (a revision this one does not know): opened,
    # read and written, never "upgraded" backwards.
    store = Store(store_path)
    job = new(store)
    with store._db.engine().begin() as conn:
        conn.exec_driver_sql("ALTER TABLE jobs ADD COLUMN colour TEXT")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    again = Store(store_path)
    assert again.schema_version == -1
    assert again.update(job.id, notes="still mine").notes == "still mine"


# -- create / get / update ----------------------------------------------------


def test_create_records_a_submitting_job(store: Store, clock: Any) -> None:
    p = params(duration=8, resolution="2k", generate_audio=False)
    job = store.create(p, cost_estimate=0.96, base_url=BASE, tag="t", sweep_id="s1")
    assert job.id == 1
    assert job.status is JobStatus.SUBMITTING
    assert job.request_id is None
    assert job.params == p
    assert job.payload == p.payload()
    assert (job.cost_estimate, job.base_url, job.tag, job.sweep_id) == (0.96, BASE, "t", "s1")
    assert job.submitted_at == job.updated_at == clock.utc
    assert job.submitted_at.tzinfo is UTC
    assert job.generate_audio is False
    assert store.get(job.id) == job
    assert store.get(999) is None
    assert store.get_by_request_id("nope") is None


def test_create_keeps_the_exact_payload_sent(store: Store, tmp_path: Path) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    p = params(image=str(image))
    sent = p.payload(image_url="https://files.example/first.png")
    job = store.create(p, cost_estimate=None, base_url=BASE, payload=sent)
    assert job.payload == sent
    assert job.image == str(image.resolve())  # the local path, for the user
    assert job.params.image_is_local


def test_update_changes_fields_and_returns_the_row(store: Store, clock: Any) -> None:
    job = new(store)
    clock.advance(2)
    video = Path("/media/ltx-0001-abc.mp4")
    out = store.update(
        job.id,
        request_id="abc",
        status="queued",
        status_url="http://h/v2/requests/abc/status",
        metrics_json={"inference_time": 61.5, "cost": 0.36},
        video_path=video,
        has_audio=True,
    )
    assert out.status is JobStatus.QUEUED
    assert out.request_id == "abc"
    assert out.metrics == {"inference_time": 61.5, "cost": 0.36}
    assert out.video_path == video and out.has_audio is True
    assert out.updated_at == job.updated_at + timedelta(seconds=2)
    assert store.get_by_request_id("abc") == out


def test_update_refuses_unknown_fields_and_values(store: Store) -> None:
    job = new(store)
    with pytest.raises(ValueError, match="unknown job field 'colour'"):
        store.update(job.id, colour="red")
    for managed in ("id", "updated_at"):
        with pytest.raises(ValueError):
            store.update(job.id, **{managed: 5})
    with pytest.raises(ValueError, match="unknown job status"):
        store.update(job.id, status="DONE")
    with pytest.raises(KeyError):
        store.update(999, status="QUEUED")
    assert store.get(job.id) == job  # nothing half-written


def test_request_ids_are_unique(store: Store) -> None:
    a, b = new(store), new(store)
    store.update(a.id, request_id="same")
    with pytest.raises(sqlite3.IntegrityError):  # on every backend, as callers expect
        store.update(b.id, request_id="same")
    assert store.get(b.id) == b


# -- derived timings ----------------------------------------------------------


def test_timings_derived_from_state_changes(store: Store, clock: Any) -> None:
    job = new(store)
    t0 = job.submitted_at
    assert t0 is not None
    tick = clock.advance
    tick(1)
    store.update(job.id, request_id="r1", status="QUEUED")
    tick(9)
    running = store.update(job.id, status="PROCESSING")
    assert running.started_at == t0 + timedelta(seconds=10)
    tick(30)
    again = store.update(job.id, status="PROCESSING")  # seen again: first time kept
    assert again.started_at == t0 + timedelta(seconds=10)
    tick(40)
    done = store.update(job.id, status="COMPLETED")
    assert done.completed_at == t0 + timedelta(seconds=80)
    assert (done.queue_s, done.run_s, done.total_s) == (10, 70, 80)
    assert done.is_terminal
    tick(5)
    later = store.update(job.id, status="COMPLETED", video_path="/v.mp4")
    assert later.completed_at == t0 + timedelta(seconds=80)  # not moved by a second terminal update


def test_timings_given_by_the_service_win(store: Store, clock: Any) -> None:
    job = new(store)
    clock.advance(3)
    store.update(job.id, status="PROCESSING")
    clock.advance(60)
    done = store.update(job.id, status="COMPLETED", run_s=58.25)
    assert done.run_s == 58.25
    assert done.queue_s == 3
    assert done.total_s == 63


def test_a_job_that_never_ran_has_only_a_total(store: Store, clock: Any) -> None:
    job = new(store)
    clock.advance(4)
    failed = store.update(job.id, status="FAILED", error="content blocked")
    assert failed.started_at is None
    assert (failed.queue_s, failed.run_s, failed.total_s) == (None, None, 4)
    assert failed.error == "content blocked"


def test_terminal_statuses() -> None:
    terminal = {s for s in JobStatus if s.is_terminal}
    assert terminal == {"COMPLETED", "FAILED", "EXPIRED", "UNKNOWN", "LOST"}
    assert JobStatus.terminal() == terminal
    assert JobStatus.parse(" processing ") is JobStatus.PROCESSING
    with pytest.raises(ValueError):
        JobStatus.parse("RUNNING")


# -- queries ------------------------------------------------------------------


def test_find_filters_newest_first(store: Store) -> None:
    a = new(store, duration=6)
    b = new(store, duration=8)
    c = new(store, duration=8)
    store.update(a.id, request_id="a", status="COMPLETED")
    store.update(b.id, request_id="b", status="FAILED")
    assert [r.id for r in store.find()] == [c.id, b.id, a.id]
    assert [r.id for r in store.find(duration=8)] == [c.id, b.id]
    assert [r.id for r in store.find(status=JobStatus.COMPLETED)] == [a.id]
    assert [r.id for r in store.find(status=["COMPLETED", "FAILED"])] == [b.id, a.id]
    assert [r.id for r in store.find(request_id=None)] == [c.id]
    assert [r.id for r in store.find(limit=2)] == [c.id, b.id]
    assert [r.id for r in store.find(generate_audio=True, duration=6)] == [a.id]
    assert store.find(status=[]) == []
    assert store.count() == 3 and store.count(duration=8) == 2
    with pytest.raises(ValueError, match="unknown job field"):
        store.find(nope=1)


def test_unfinished_is_what_resume_reattaches(store: Store) -> None:
    submitting = new(store)  # no request id: nothing to poll
    queued = new(store)
    running = new(store)
    done = new(store)
    unknown = new(store)
    elsewhere = store.create(params(), cost_estimate=None, base_url="https://api.segmind.com/v1")
    store.update(queued.id, request_id="q", status="QUEUED")
    store.update(running.id, request_id="p", status="PROCESSING")
    store.update(done.id, request_id="d", status="COMPLETED")
    store.update(unknown.id, status="UNKNOWN")
    store.update(elsewhere.id, request_id="e", status="QUEUED")
    assert [r.id for r in store.unfinished()] == [queued.id, running.id, elsewhere.id]
    assert [r.id for r in store.unfinished(base_url=BASE + "/")] == [queued.id, running.id]
    assert submitting.id not in {r.id for r in store.unfinished()}


def test_durations_learn_from_recent_completed_jobs(store: Store, clock: Any) -> None:
    tick = clock.advance
    for total in (70, 72, 75):
        job = new(store, duration=8)
        tick(total)
        store.update(job.id, status="COMPLETED")
    other = new(store, duration=8, resolution="4k")
    tick(200)
    store.update(other.id, status="COMPLETED")
    failed = new(store, duration=8)
    tick(5)
    store.update(failed.id, status="FAILED")
    new(store, duration=8)  # still running
    # No poll saw them running and the service said nothing: each ended by when it was seen.
    assert store.durations("ltx-2-pro", 8, "1080p") == [(0, 75), (0, 72), (0, 70)]
    assert store.durations("ltx-2-pro", 8, "1080p", limit=2) == [(0, 75), (0, 72)]
    assert store.durations("ltx-2-pro", 8, "4k") == [(0, 200)]
    assert store.durations("ltx-2-fast", 8, "1080p") == []


def test_durations_prefer_the_services_own_figure(store: Store, clock: Any) -> None:
    # The client saw each job end 3 s after the service did: its polling lateness.
    seen = {
        "total": {"total_time": 70.5, "queue_time": 2.0, "inference_time": 68.0, "cost": 0.36},
        "parts": {"queue_time": 2.5, "inference_time": 69.0},
        "inference only": {"inference_time": 66.0},
        "none": None,
    }
    for metrics in seen.values():
        job = new(store)
        clock.advance(74)
        store.update(job.id, status="COMPLETED", metrics=metrics, seen_running_s=60.0)
    # The service's totals fall between the last poll that saw the job running (60 s)
    # and the first that saw it done (74 s): taken. Without one, the interval is what is
    # known; inference_time alone says the job ran at least that long.
    assert store.durations("ltx-2-pro", 6, "1080p") == [
        (60, 74),
        (66, 74),
        (71.5, 71.5),
        (70.5, 70.5),
    ]


def test_durations_do_not_take_a_total_the_polls_contradict(store: Store, clock: Any) -> None:
    # A poll saw the job still running at 72 s: a total of 70.5 s is not its length.
    job = new(store)
    clock.advance(74)
    store.update(job.id, status="COMPLETED", metrics={"total_time": 70.5}, seen_running_s=72.0)
    assert store.durations("ltx-2-pro", 6, "1080p") == [(72, 74)]


def test_rows_are_plain_dicts_for_dataframes(store: Store) -> None:
    job = new(store, generate_audio=False)
    store.update(job.id, has_audio=False, video_seconds=8.0)
    store.create(params(), cost_estimate=None, base_url=BASE, tag="x")
    rows = store.rows()
    assert [r["id"] for r in rows] == [2, 1]
    assert set(rows[0]) == set(store.columns)
    assert rows[1]["generate_audio"] is False and rows[1]["has_audio"] is False
    assert rows[1]["status"] == "SUBMITTING"
    assert datetime.fromisoformat(rows[1]["submitted_at"]).tzinfo == UTC  # ISO text
    assert [r["id"] for r in store.rows(tag="x")] == [2]


# -- the key ------------------------------------------------------------------


def test_a_registered_key_never_reaches_the_store(
    store_path: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sg_TOPSECRET_0123456789abcdef"
    monkeypatch.setattr(_secrets, "_SECRETS", {})
    _errors.register_secret(key)
    store = Store(store_path)
    # Typical writes, plus the ways a key could leak in: a URL with credentials
    # or a query string, a service error echoing the header, metrics.
    job = store.create(
        params(),
        cost_estimate=0.36,
        base_url=f"https://user:{key}@api.segmind.com/v1?api_key={key}",
        tag="t",
    )
    assert job.base_url == "https://api.segmind.com/v1"
    store.update(job.id, request_id="abc123", status="QUEUED", status_url="https://h/s")
    store.update(job.id, status="PROCESSING")
    store.update(
        job.id,
        status="FAILED",
        error=f"401 invalid x-api-key {key}",
        metrics_json={"echo": key, "inference_time": 1.0},
        notes=f"tried {key}",
    )
    record = store.get(job.id)
    assert record is not None and key not in repr(record)
    assert "***" in (record.error or "")
    if isinstance(store_path, Path):
        files = list(store_path.parent.glob(store_path.name + "*"))
        assert store_path in files
        for path in files:  # the database, its WAL and shared-memory index
            assert key.encode() not in path.read_bytes(), path.name
    else:  # every row as the server holds it, every column as text
        (dump,) = raw(store, "SELECT string_agg(jobs::text, '|') FROM jobs")[0]
        assert "abc123" in dump and key not in dump


# -- concurrency in one process -----------------------------------------------


def test_threads_share_a_store(store_path: Path | str) -> None:
    store = Store(store_path)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(50):
                job = new(store, duration=8)
                store.update(job.id, request_id=f"t{n}-{i}", status="QUEUED")
                store.find(limit=5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count(status="QUEUED") == 200


def test_times_are_accepted_in_any_form_and_stored_as_iso_text(store: Store) -> None:
    job = new(store)
    when = datetime(2025, 1, 31, 9, 5, tzinfo=UTC)
    out = store.update(job.id, url_expires_at=when + timedelta(hours=1), submitted_at=when)
    assert out.url_expires_at == datetime(2025, 1, 31, 10, 5, tzinfo=UTC)
    assert store.update(job.id, started_at=when.timestamp() + 30).started_at == when + timedelta(
        seconds=30
    )
    plus_two = datetime(2025, 1, 31, 11, 5, tzinfo=timezone(timedelta(hours=2)))
    assert store.update(job.id, started_at=plus_two).started_at == when
    assert store.update(job.id, started_at="2025-01-31T09:05:00Z").started_at == when
    assert raw(store, "SELECT submitted_at FROM jobs") == [("2025-01-31T09:05:00.000000+00:00",)]


def test_update_takes_metrics_and_payload_as_dicts(store: Store) -> None:
    job = new(store)
    out = store.update(job.id, metrics={"inference_time": 3.5}, payload={"prompt": "x"})
    assert out.metrics == {"inference_time": 3.5}
    assert out.payload == {"prompt": "x"}
    assert store.update(job.id, metrics=None).metrics == {}
    with pytest.raises(ValueError, match="not both"):
        store.update(job.id, metrics={}, metrics_json="{}")


def test_delete_removes_a_refused_submit(store: Store) -> None:
    keep, refused = new(store), new(store)
    assert store.delete(refused.id) is True
    assert store.delete(refused.id) is False
    assert [r.id for r in store.find()] == [keep.id]


def test_history_frame_is_typed_alike_on_every_backend(store: Store, clock: Any) -> None:
    from ltx_notebook._storage.tables import history_frame

    job = new(store, duration=8, generate_audio=False)
    clock.advance(30)
    store.update(job.id, request_id="r", status="COMPLETED", cost=0.48, video_width=1920)
    new(store)
    frame = history_frame(store)
    assert list(frame.index) == [2, 1]
    row = frame.loc[1]
    assert row["status"] == "COMPLETED" and row["duration"] == 8 and row["cost"] == 0.48
    assert bool(row["generate_audio"]) is False and row["video_width"] == 1920
    assert str(frame["submitted_at"].dtype).endswith(", UTC]")
    assert str(frame["video_width"].dtype) == "Int64" and str(frame["cost"].dtype) == "Float64"
    assert str(frame["generate_audio"].dtype) == "boolean"


def test_create_if_new_adds_a_request_once(store: Store) -> None:
    fields = {"request_id": "imp-1", "status": JobStatus.COMPLETED, "origin": "history"}
    first = store.create_if_new(params(), cost_estimate=None, base_url=BASE, fields=fields)
    assert first is not None and first.request_id == "imp-1"
    again = store.create_if_new(params(), cost_estimate=None, base_url=BASE, fields=fields)
    assert again is None  # another process's import got there first: nothing written
    assert [r.id for r in store.find()] == [first.id]


def test_a_relative_store_path_names_a_file_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After a %cd the same setting names another store: the one kept for the old folder must
    # not answer for it (it did: one engine per path as written, not per file).
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    monkeypatch.chdir(first)
    store = Store("ltx_media/jobs.sqlite")
    store.create(params(), cost_estimate=None, base_url=BASE)
    monkeypatch.chdir(second)
    assert Store("ltx_media/jobs.sqlite").count() == 0
    assert (second / "ltx_media" / "jobs.sqlite").is_file()
    monkeypatch.chdir(first)
    assert Store("ltx_media/jobs.sqlite").count() == 1
