"""Who did what, against the emulator over loopback: the owner of every row, and reuse by scope.

Two users share one store: ``ana`` (this process) and ``bo`` (another Session, or a
real second interpreter). ``reuse="mine"`` (``True``) shows only ana's jobs again,
``reuse="team"`` bo's too; a job of bo's in flight is watched from the store by
ana's kernel, never polled there, and ana's views follow it to its clip.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook import InvalidParams, JobStatus, Session, Settings, validate
from ltx_notebook._core.config import Secret
from ltx_notebook._jobs.reuse import reuse_line, reuse_scope, same_job
from ltx_notebook._jobs.sweeps.sweep import sweep
from ltx_notebook.emulator import Emulator, EmulatorConfig
from ltx_notebook.widgets import gallery
from tests.conftest import API_KEY
from tests.harness.clock import FakeClock
from tests.harness.sweeps import FAST, accepted_submits
from tests.harness.waiting import until


@pytest.fixture
def emulator_options() -> dict[str, object]:
    return FAST


@pytest.fixture(params=["sqlite", "postgresql"])
def team_store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store the team shares: a SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        return str(tmp_path / "media" / "jobs.sqlite")
    url: str = request.getfixturevalue("postgres_url")
    return url


def user_settings(emu: Emulator, folder: Path, user: str, store: str) -> Settings:
    """One store and media folder for the team; each user their own settings."""
    return Settings(
        api_key=Secret(API_KEY),
        base_url=emu.base_url,
        media_dir=folder / "media",
        store_path=store,
        user=user,
        match_settle=0.2,
    )


@pytest.fixture
def ana_and_bo(
    emulator: Emulator, tmp_path: Path, team_store: str
) -> Iterator[tuple[Session, Session]]:
    ana = Session(user_settings(emulator, tmp_path, "ana", team_store))
    ana.watch.every = 0.05
    bo = Session(user_settings(emulator, tmp_path, "bo", team_store))
    yield ana, bo
    ana.runtime.stop()
    bo.runtime.stop()


def test_every_row_records_its_owner(ana_and_bo: tuple[Session, Session]) -> None:
    ana, bo = ana_and_bo
    job = ana.submit(validate(prompt="a heron")).wait(60)
    assert job.record.owner == "ana" and ana.store.get(job.id).owner == "ana"  # type: ignore[union-attr]
    run = sweep(["a fox", "an owl"], {"duration": [6]}, session=bo, yes=True).wait(60)
    assert {j.record.owner for j in run.jobs} == {"bo"}


def test_mine_reuses_only_my_jobs_and_team_every_owners(
    ana_and_bo: tuple[Session, Session], emulator: Emulator
) -> None:
    ana, bo = ana_and_bo
    params = validate(prompt="a heron at dawn")
    theirs = bo.submit(params).wait(60)
    assert theirs.status is JobStatus.COMPLETED

    assert same_job(ana, params) is None  # "mine", the default: bo's job is not ana's
    found = same_job(ana, params, scope="team")
    assert found is not None and found.id == theirs.id and found.done
    assert not found.driven  # read from the store, not followed by ana's session
    assert reuse_line(found, user="ana").startswith(f"same request as bo's job {theirs.id} ")

    # Re-running bo's sweep as the team sends nothing; as ana alone it would send it all.
    sent = accepted_submits(emulator)
    again = sweep(["a heron at dawn"], {"duration": [6]}, session=ana, reuse="team", yes=True)
    assert again.reused == 1 and again.to_send == 0
    alone = sweep(["a heron at dawn"], {"duration": [6]}, session=ana, reuse="mine", dry_run=True)
    assert alone.reused == 0 and alone.to_send == 1
    assert accepted_submits(emulator) == sent


def test_a_row_from_before_owners_counts_as_mine(ana_and_bo: tuple[Session, Session]) -> None:
    ana, _ = ana_and_bo
    params = validate(prompt="an old heron")
    old = ana.submit(params).wait(60)
    ana.store.update(old.id, owner=None)  # as a store upgraded to 0006 has it
    found = same_job(ana, params)
    assert found is not None and found.id == old.id


def test_a_bad_reuse_is_refused_before_anything_is_sent(
    ana_and_bo: tuple[Session, Session], emulator: Emulator
) -> None:
    ana, _ = ana_and_bo
    assert reuse_scope(True) == "mine" and reuse_scope("team") == "team"
    assert reuse_scope(False) is None
    with pytest.raises(InvalidParams, match="'mine' or 'team'"):
        sweep(["a heron"], {"duration": [6]}, session=ana, reuse="everyone", yes=True)
    assert accepted_submits(emulator) == 0


# A teammate's kernel: a plain interpreter that submits one job and drives it to its clip.
TEAMMATE = """
import sys
from pathlib import Path
from ltx_notebook import Session, Settings, validate
from ltx_notebook._core.config import Secret

base_url, key, folder, store = sys.argv[1:5]
session = Session(Settings(api_key=Secret(key), base_url=base_url,
                           media_dir=Path(folder) / "media", store_path=store, user="bo"))
job = session.submit(validate(prompt="bo's heron over the marsh"))
print(job.id, flush=True)
job.wait(300)
print(job.status.value, flush=True)
session.runtime.stop()
"""


def test_a_teammates_job_in_flight_is_watched_live_and_never_driven_here(
    render_cache: Path, tmp_path: Path, team_store: str
) -> None:
    clock = FakeClock()  # the service's time stands still until the test moves it
    config = EmulatorConfig(
        speed=100.0, render_scale=0.1, api_key=API_KEY, seed=7, data_dir=render_cache,
        preset="ultrafast",
    )  # fmt: skip
    with Emulator(config, clock=clock) as emu:
        bo = subprocess.Popen(
            [sys.executable, "-c", TEAMMATE, emu.base_url, API_KEY, str(tmp_path), team_store],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ana = Session(user_settings(emu, tmp_path, "ana", team_store))
        ana.watch.every = 0.05
        try:
            assert bo.stdout is not None
            job_id = int(bo.stdout.readline() or 0)
            assert job_id, bo.stderr.read() if bo.stderr else ""

            # Ana asks for the same request as the team: bo's job, watched, not driven.
            job = same_job(ana, validate(prompt="bo's heron over the marsh"), scope="team")
            assert job is not None and job.id == job_id and job.record.owner == "bo"
            assert job.status is JobStatus.QUEUED and not job.driven
            assert ana.watch.watching(job)

            # Ana's gallery of the store's rows shows it in flight, then its clip.
            view = gallery(ana.store.find(id=[job_id]), session=ana)
            assert view.tiles[0]["status"] == "QUEUED" and view.tiles[0]["src"] is None
            # So does her sweep of the same request, which sends nothing.
            run = sweep(
                ["bo's heron over the marsh"], {"duration": [6]}, session=ana, reuse="team",
                yes=True,
            )  # fmt: skip
            assert run.reused == 1 and run.to_send == 0
            grid = gallery(run)
            assert grid.tiles[0]["id"] == job_id and grid.tiles[0]["src"] is None
            seen: list[str] = []
            job.add_listener(lambda j: seen.append(j.status.value))
            clock.advance(3600)  # the service finishes it; bo's kernel polls and downloads
            until(
                lambda: view.tiles[0]["status"] == "COMPLETED" and view.tiles[0]["src"],
                "ana's gallery shows bo's clip",
                timeout=120,
            )
            assert job.wait(60).status is JobStatus.COMPLETED and job.video_path is not None
            assert run.wait(60).done and [j.id for j in run.jobs] == [job_id]
            until(lambda: grid.tiles[0]["src"], "ana's sweep grid shows bo's clip", timeout=60)
            assert grid.tiles[0]["status"] == "COMPLETED"
            assert not job.driven and "COMPLETED" in seen
            assert not ana.watch.watching(job)  # finished: no longer re-read
            assert bo.wait(60) == 0, bo.stderr.read() if bo.stderr else ""
            assert accepted_submits(emu) == 1  # bo's one submit: nothing sent by ana
            view.close()
        finally:
            if bo.poll() is None:
                bo.kill()
            ana.runtime.stop()


def test_a_teammates_row_is_watched_while_a_gallery_shows_it(
    ana_and_bo: tuple[Session, Session],
) -> None:
    ana, _ = ana_and_bo
    # bo's job in flight, whose kernel is elsewhere: nobody here drives it.
    made = ana.store.create(
        validate(prompt="bo's kite"), cost_estimate=0.36, base_url=ana.settings.base_url,
        fields={"owner": "bo"},
    )  # fmt: skip
    ana.store.update(made.id, request_id="rid-bo", status=JobStatus.QUEUED)
    view = gallery([made.id], session=ana)
    job = ana.get(made.id)
    assert ana.watch.watching(job) and not job.driven
    ana.store.update(made.id, status=JobStatus.PROCESSING)  # as bo's kernel writes it
    until(lambda: view.tiles[0]["status"] == "PROCESSING", "the gallery shows bo's poll")
    view.close()
    assert not ana.watch.watching(job)  # no view wants it: no longer re-read
