"""Importing the account's jobs run elsewhere, against the emulator's request history.

"Elsewhere" is a second session with a store of its own (another machine, the
web console): its jobs are in the account's history, not in the store that imports.
"""

from __future__ import annotations

import itertools
import time
from datetime import timedelta
from pathlib import Path

import pytest

from ltx_notebook import Session
from ltx_notebook._core.errors import InvalidParams
from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._jobs.recovery.importer import ORIGIN, import_history, windows
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, make_emulator
from tests.harness.accounts import run_elsewhere, settings_for
from tests.harness.processes import start_together

PLAN = (
    validate("ltx-2-pro", prompt="a fox in snow", duration=6),
    validate("ltx-2-fast", prompt="a heron", duration=8, resolution="2k"),
)


@pytest.fixture
def elsewhere(emulator: Emulator, tmp_path: Path) -> list[str]:
    """Two jobs of the same account, run from another store: their request ids."""
    return run_elsewhere(emulator, tmp_path / "other-machine", *PLAN)


def test_import_brings_jobs_with_charge_params_times_and_video_and_twice_is_once(
    emulator: Emulator, elsewhere: list[str], session: Session
) -> None:
    ids = elsewhere
    charges = {rid: emulator.engine.jobs[rid].cost for rid in ids}
    assert session.store.count() == 0

    report = import_history(session)
    assert len(report.added) == 2 and report.already == 0 and report.videos == 2
    rows = {r.request_id: r for r in session.store.find()}
    assert set(rows) == set(ids)
    for rid, row in rows.items():
        assert row.origin == ORIGIN and row.imported
        assert row.owner == session.settings.user  # the history does not say who sent it
        assert row.status is JobStatus.COMPLETED
        assert row.cost == pytest.approx(charges[rid])  # the real charge, not an estimate
        assert row.submitted_at is not None and row.completed_at is not None
        assert row.video_path is not None and row.video_path.is_file()
        assert row.poster_path is not None
    fast = next(r for r in rows.values() if r.model == "ltx-2-fast")
    assert (fast.duration, fast.resolution, fast.prompt) == (8, "2k", "a heron")

    media_before = emulator.engine.count("media")
    again = import_history(session)
    assert again.added == () and again.already == 2
    assert session.store.count() == 2  # importing twice adds nothing
    assert emulator.engine.count("media") == media_before  # and downloads nothing
    assert "imported 0 jobs" in str(again) and "2 already in the store" in str(again)


def test_import_keeps_one_model_when_asked_and_refuses_an_unknown_one_unsent(
    emulator: Emulator, elsewhere: list[str], session: Session
) -> None:
    history_reads = emulator.engine.count("history")
    with pytest.raises(InvalidParams, match="unknown model 'ltx-3'"):
        import_history(session, model="ltx-3")
    for since in ("last tuesday", "99999999999999999999d", "0001-01-01"):
        with pytest.raises(InvalidParams, match="since must be"):
            import_history(session, since=since)
    with pytest.raises(InvalidParams, match="at most 366 days at a time"):
        import_history(session, since="400d")
    with pytest.raises(InvalidParams, match="timeout"):
        import_history(session, timeout=-1)
    assert emulator.engine.count("history") == history_reads  # refused before sending

    report = import_history(session, model="ltx-2-fast")
    assert [job.params.model for job in report.added] == ["ltx-2-fast"]
    assert session.store.count() == 1


def test_jobs_older_than_the_outputs_life_come_in_without_video_saying_why(
    render_cache: Path, tmp_path: Path
) -> None:
    ten_days_ago = time.time() - 10 * 86400
    with make_emulator(render_cache, start_time=ten_days_ago) as emu:
        here = Session(settings_for(emu, tmp_path / "here"))
        try:
            rid = run_elsewhere(emu, tmp_path / "there", *PLAN)[0]
            media = emu.engine.count("media")
            assert import_history(here).added == ()  # the default: the last 7 days
            report = import_history(here, since=timedelta(days=30))
            assert len(report.added) == 2 and report.videos == 0
            assert emu.engine.count("media") == media  # not even tried
            row = here.store.get_by_request_id(rid)
            assert row is not None and row.status is JobStatus.COMPLETED
            assert row.video_path is None and row.output_url is None
            assert row.error is not None and "more than 7 days ago" in row.error
            assert row.cost == pytest.approx(emu.engine.jobs[rid].cost)
            assert f"{rid}: no video: made" in str(report)
        finally:
            here.runtime.stop()


def test_windows_split_a_long_span_into_the_services_31_days() -> None:
    from datetime import date

    spans = list(windows(date(2026, 1, 1), date(2026, 3, 5)))
    assert spans[0] == (date(2026, 1, 1), date(2026, 1, 31))
    assert spans[-1][1] == date(2026, 3, 5)
    assert all((hi - lo).days + 1 <= 31 for lo, hi in spans)
    assert all(b[0] - a[1] == timedelta(days=1) for a, b in itertools.pairwise(spans))


def test_a_request_whose_answer_was_lost_here_is_left_to_reconcile_not_imported_twice(
    emulator: Emulator, session: Session
) -> None:
    params = validate("ltx-2-pro", prompt="an answer lost on the way back", duration=8)
    job = session.submit(params)
    job.wait(60)
    lost = job.request_id
    # What a submit whose answer never came leaves: a row with no request id, UNKNOWN.
    row = session.store.update(job.id, request_id=None, status=JobStatus.UNKNOWN)

    report = import_history(session)
    assert report.added == () and report.unclaimed == ((lost, row.id),)
    assert session.store.count() == 1  # one paid job, one row
    assert f"it looks like job {row.id}" in str(report)


IMPORTER = """
import sys, time
from pathlib import Path
from ltx_notebook import Session, Settings
from ltx_notebook._core.config import Secret
from ltx_notebook._jobs.recovery.importer import import_history
from ltx_notebook._storage.store import Store

url, media, name, go, key = sys.argv[1:6]
media, go = Path(media), Path(go)
other = "b" if name == "a" else "a"
look = Store.get_by_request_id


def meet_after_the_first_look(self, request_id):
    # Both importers look for the first request before either records it: the race at
    # its narrowest, every time, however the two processes are scheduled.
    found = look(self, request_id)
    mine = go.with_name("looked-" + name)
    if not mine.exists():
        mine.touch()
        deadline = time.monotonic() + 60
        while not go.with_name("looked-" + other).exists() and time.monotonic() < deadline:
            time.sleep(0.002)
    return found


Store.get_by_request_id = meet_after_the_first_look
s = Session(Settings(api_key=Secret(key), base_url=url, media_dir=media,
                     store_path=media / "jobs.sqlite"))
s.store  # opened before the start, so both race on the import, not on the schema
go.with_name("ready-" + name).touch()
while not go.exists():
    time.sleep(0.002)
report = import_history(s, timeout=120)
print(len(report.added), report.already)
s.runtime.stop()
"""


def test_two_processes_importing_at_once_one_imports_the_other_skips_both_download(
    emulator: Emulator, tmp_path: Path
) -> None:
    plan = [validate("ltx-2-pro", prompt=f"a heron, take {i}", duration=6) for i in range(3)]
    ids = run_elsewhere(emulator, tmp_path / "other-machine", *plan)
    media = tmp_path / "here"
    go = tmp_path / "go"
    procs = start_together(
        IMPORTER,
        lambda name: [emulator.base_url, str(media), name, str(go), API_KEY],
        ready=tmp_path,
        go=go,
        what="importers",
    )
    added = 0
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "IntegrityError" not in err, err
        got, already = map(int, out.split())
        assert got + already == len(ids)  # each request imported by one, skipped by the other
        added += got
    assert added == len(ids)
    here = Session(settings_for(emulator, media))
    try:
        rows = here.store.find()
        assert sorted(r.request_id or "" for r in rows) == sorted(ids)  # one row a request
        for row in rows:  # and every video on disk, whoever imported it
            assert row.video_path is not None and row.video_path.is_file(), row.error
    finally:
        here.runtime.stop()
