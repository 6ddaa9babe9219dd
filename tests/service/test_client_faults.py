"""Submits and waits at the edges: an answer cut off after the id, waits the service asks for.

Over real loopback HTTP against the scripted server.
"""

from __future__ import annotations

import asyncio

import pytest

from ltx_notebook._core.config import Settings
from ltx_notebook._core.errors import RateLimited, SubmitUnknown
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import NothingSent, RetryPolicy
from tests.service.scripted_server import Reply, ScriptedServer

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("route")]

RID = "req-cut-0123"
SUBMIT = "/v2/ltx-2-pro"
STATUS = f"/v2/requests/{RID}/status"
ANSWER = {"request_id": RID, "status": "QUEUED", "status_url": "x" * 200}


@pytest.mark.parametrize("code", [200, 202, 502])
async def test_an_answer_cut_off_after_the_request_id_keeps_it(
    client: Client, server: ScriptedServer, code: int
) -> None:
    server.on("POST", SUBMIT, Reply(status=code, json=ANSWER, drop_after=60))
    with pytest.raises(SubmitUnknown) as info:
        await client.submit(validate(prompt="x"))
    assert info.value.request_id == RID
    assert RID in str(info.value)
    assert server.count("POST", SUBMIT) == 1


async def test_an_answer_cut_off_inside_the_request_id_names_none(
    client: Client, server: ScriptedServer
) -> None:
    server.on("POST", SUBMIT, Reply(json=ANSWER, drop_after=20))  # '{"request_id": "req-'
    with pytest.raises(SubmitUnknown) as info:
        await client.submit(validate(prompt="x"))
    assert info.value.request_id is None
    assert server.count("POST", SUBMIT) == 1


async def test_a_wait_longer_than_max_wait_is_not_waited_but_said(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    huge = Reply(status=429, json={"error": "slow down"}, headers={"retry-after": "100000"})
    server.on("POST", SUBMIT, huge, Reply(json=ANSWER))
    with pytest.raises(RateLimited) as info:
        await client.submit(validate(prompt="x"))
    assert info.value.retry_after == pytest.approx(100000)
    assert "100000 s" in str(info.value)
    assert sleeps == [] and server.count("POST", SUBMIT) == 1


async def test_the_waits_of_one_call_add_up_to_at_most_max_wait(
    settings: Settings, server: ScriptedServer, sleeps: list[float]
) -> None:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    policy = RetryPolicy(max_wait=120.0, sleep=fake_sleep)
    hint = Reply(status=429, json={"error": "slow down"}, headers={"retry-after": "100"})
    server.on("GET", STATUS, hint, hint, hint, Reply(json={"status": "QUEUED"}))
    async with Client(settings, retry=policy) as client:
        with pytest.raises(RateLimited) as info:
            await client.status(RID)
    assert sleeps == [100.0]  # a second 100 s would pass the 120 s a call may wait
    assert info.value.retry_after == pytest.approx(100)


async def test_cancelled_while_waiting_out_a_refusal_says_nothing_was_sent(
    settings: Settings, server: ScriptedServer
) -> None:
    waiting = asyncio.Event()

    async def sleep_forever(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    refusal = Reply(status=429, json={"error": "slow down"})
    server.on("POST", SUBMIT, refusal, Reply(json=ANSWER))
    async with Client(settings, retry=RetryPolicy(sleep=sleep_forever)) as client:

        async def submit() -> str:
            try:
                await client.submit(validate(prompt="x"))
            except NothingSent:
                return "nothing sent"
            return "sent"

        task = asyncio.create_task(submit())
        await waiting.wait()
        task.cancel()
        assert await task == "nothing sent"
    assert server.count("POST", SUBMIT) == 1
