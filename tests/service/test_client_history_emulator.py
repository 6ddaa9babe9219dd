"""The client's request history against a real emulator, in each envelope the emulator serves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.errors import InvalidParams, NotFound, SubmitUnknown
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from ltx_notebook.emulator import Emulator, EmulatorConfig
from tests.conftest import API_KEY
from tests.harness.clock import FakeClock

pytestmark = pytest.mark.anyio

WHEN = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
DAY = {"from_date": date(2026, 3, 1), "to_date": date(2026, 3, 1)}


@pytest.fixture(params=["data", "nested", "list"])
def shape(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(render_cache: Path, clock: FakeClock, shape: str) -> Iterator[Emulator]:
    config = EmulatorConfig(
        speed=1,
        render_scale=0.1,
        preset="ultrafast",
        api_key=API_KEY,
        seed=5,
        data_dir=render_cache,
        start_time=WHEN.timestamp(),
        history_envelope=shape,  # type: ignore[arg-type]
    )
    with Emulator(config, clock=clock) as running:
        yield running


@pytest.fixture
async def client(emu: Emulator, policy: RetryPolicy) -> AsyncIterator[Client]:
    settings = Settings(api_key=Secret(API_KEY), base_url=emu.base_url)
    async with Client(settings, retry=policy) as c:
        yield c


def finish(emu: Emulator, clock: FakeClock) -> None:
    assert emu.engine.wait_renders(60)
    clock.now = max(j.completed_at or j.failed_at or 0 for j in emu.engine.jobs.values()) + 1


async def test_the_client_reads_every_envelope_the_emulator_serves(
    client: Client, emu: Emulator, clock: FakeClock, shape: str
) -> None:
    assert client.history_url == emu.url("/inference-request")
    runs = [
        validate(prompt="a fox in the snow", resolution="2k"),
        validate("ltx-2-fast", prompt="a hare", duration=6),
        validate(prompt="an nsfw scene"),
    ]
    ids = []
    for params in runs:
        ids.append((await client.submit(params)).request_id)
        clock.advance(1)
    finish(emu, clock)
    page = await client.history_page(**DAY, sort_order="asc")
    assert [r.request_id for r in page] == ids
    fox, hare, blocked = page.records
    assert (fox.model, fox.status, fox.charge) == ("ltx-2-pro", "COMPLETED", 0.72)
    assert (hare.model, hare.charge) == ("ltx-2-fast", 0.3)  # 6 s 1080p at $0.05/s
    assert [r.request_body for r in page] == [p.payload(None) for p in runs]
    assert fox.generation_url == emu.url(f"/media/{fox.request_id}.mp4")
    assert fox.created == WHEN and hare.created == WHEN + timedelta(seconds=1)
    job = emu.engine.jobs[fox.request_id]
    took = job.completed_at - job.submitted_at  # type: ignore[operator]
    assert fox.updated is not None
    assert fox.updated - WHEN == pytest.approx(timedelta(seconds=took), abs=timedelta(0.001))
    assert fox.latency_ms == round(took * 1000)
    assert blocked.status == "FAILED" and blocked.error and "Content policy" in blocked.error
    assert blocked.generation_url is None
    assert page.charge == pytest.approx(0.72 + 0.3 + 0.36)
    known = shape != "list"
    assert (page.total, page.has_more) == ((3, False) if known else (None, None))
    assert page.per_page == 20
    for record in page:
        assert await client.history_record(record.request_id) == record
    first = await client.history_page(**DAY, per_page=2)
    assert len(first) == 2 and first.has_more is (True if known else None)
    assert [r.request_id for r in await client.history_page(**DAY, status="FAILED")] == [ids[2]]
    assert [r.request_id for r in await client.history_page(**DAY, model="fast")] == [ids[1]]


async def test_a_running_job_is_pending_and_an_old_one_still_resolves(
    client: Client, emu: Emulator, clock: FakeClock
) -> None:
    sub = await client.submit(validate(prompt="still rendering"))
    record = await client.history_record(sub.request_id)
    assert record.status == "PENDING" and not record.is_terminal
    assert record.generation_url is None and record.latency_ms is None
    finish(emu, clock)
    clock.advance(30 * 86400)  # the v2 record is long gone
    with pytest.raises(NotFound, match="records expire"):
        await client.status(sub)
    assert (await client.history_record(sub.request_id)).status == "COMPLETED"


async def test_an_unknown_id_is_not_in_the_history(client: Client) -> None:
    with pytest.raises(NotFound, match="not in your request history") as caught:
        await client.history_record("nope")
    assert caught.value.request_id == "nope"


async def test_a_submit_whose_answer_was_lost_is_found_by_model_window_and_inputs(
    client: Client, emu: Emulator, clock: FakeClock
) -> None:
    await client.submit(validate(prompt="another run"))
    params = validate(prompt="an answer lost on the way back", duration=8)
    emu.engine.inject(route="submit", drop=True)
    with pytest.raises(SubmitUnknown):
        await client.submit(params)
    finish(emu, clock)
    page = await client.history_page(**DAY, model=params.model)
    (found,) = [r for r in page if r.request_body == params.payload(None)]
    assert found.request_id in emu.engine.jobs and found.status == "COMPLETED"
    assert found.charge == 0.48 and found.generation_url


async def test_history_faults_are_retried_and_bad_windows_never_sent(
    client: Client, emu: Emulator, sleeps: list[float]
) -> None:
    emu.engine.inject(route="history", status=503)
    assert len(await client.history_page(**DAY)) == 0
    assert len(sleeps) == 1 and emu.engine.count("history") == 2
    with pytest.raises(InvalidParams, match="at most 31"):
        await client.history_page(from_date=date(2026, 1, 1), to_date=date(2026, 3, 1))
    assert emu.engine.count("history") == 2
