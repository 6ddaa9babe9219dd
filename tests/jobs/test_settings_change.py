"""The key or the base URL changed while a job is polled, against real emulators over loopback.

A new key is followed: the next poll sends it. A new base URL is another
service, which knows nothing of the job: its driver pauses with a note saying
how to follow it again, and nothing of it is sent to the new service.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ltx_notebook import JobStatus, Session, configure, validate
from ltx_notebook._core import config
from ltx_notebook._storage.records import JobRecord
from ltx_notebook.emulator import Emulator
from tests.conftest import make_emulator

PROMPT = "a red fox running through fresh snow at sunrise"


@pytest.fixture
def default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """configure() changes this test's settings alone."""
    monkeypatch.setattr(config, "_settings", None)


@pytest.fixture
def slow_emulators(render_cache: Path) -> Iterator[tuple[Emulator, Emulator]]:
    """Two services taking any key, whose jobs last a few seconds (polled several times)."""
    with (
        make_emulator(render_cache, api_key=None, job_seconds=400) as first,
        make_emulator(render_cache, api_key=None, job_seconds=400) as second,
    ):
        yield first, second


def until(read: Callable[[], JobRecord], done: Callable[[JobRecord], bool]) -> JobRecord:
    deadline = time.monotonic() + 60
    while not done(row := read()):
        assert time.monotonic() < deadline, row
        time.sleep(0.02)
    return row


def polled(emulator: Emulator, request_id: str | None) -> int:
    return sum(1 for e in emulator.log if e.kind == "status" and e.request_id == request_id)


def test_a_key_changed_mid_poll_is_followed(
    default_settings: None, slow_emulators: tuple[Emulator, Emulator], tmp_path: Path
) -> None:
    emu, _ = slow_emulators
    old, new = "sk-first-key-0123456789", "sk-second-key-0123456789"
    emu.engine.set_api_key(old)
    configure(api_key=old, base_url=emu.base_url, media_dir=tmp_path)
    session = Session()
    try:
        job = session.submit(validate(prompt=PROMPT))
        until(lambda: job.record, lambda _: polled(emu.engine, job.request_id) >= 1)
        emu.engine.set_api_key(new)  # rotated in the console: the old key is refused now
        configure(api_key=new)
        job.wait(60)
        assert job.status is JobStatus.COMPLETED and job.video_path, job.error
        assert emu.engine.count("submit") == 1
    finally:
        session.runtime.stop()


def test_a_base_url_changed_mid_poll_pauses_the_job_with_a_note(
    default_settings: None, slow_emulators: tuple[Emulator, Emulator], tmp_path: Path
) -> None:
    first, second = slow_emulators
    configure(api_key="sk-first-key-0123456789", base_url=first.base_url, media_dir=tmp_path)
    session = Session()
    try:
        job = session.submit(validate(prompt=PROMPT))
        until(lambda: job.record, lambda _: polled(first.engine, job.request_id) >= 1)
        configure(base_url=second.base_url)
        elsewhere = session.submit(validate(prompt="a heron"))  # the new service's client
        row = until(lambda: session.store.get(job.id), lambda r: "base URL" in (r.error or ""))
        assert not row.status.is_terminal and row.request_id == job.request_id
        assert first.base_url in (row.error or "") and "%ltx resume" in (row.error or "")
        assert polled(second.engine, job.request_id) == 0  # never asked of the new service
        elsewhere.wait(60)

        configure(base_url=first.base_url)
        resumed = {j.id: j for j in session.resume()}
        resumed[job.id].wait(60)
        assert job.status is JobStatus.COMPLETED and job.video_path and job.video_path.is_file()
        assert first.engine.count("submit") == 1 and second.engine.count("submit") == 1
    finally:
        session.runtime.stop()
