"""A submit's 429 is told to the caller at once, and the caller may take it over."""

from __future__ import annotations

import pytest

from ltx_notebook._core.errors import RateLimited, SubmitUnknown
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from tests.service.scripted_server import Reply, ScriptedServer

pytestmark = pytest.mark.anyio

RID = "req-hook"
SUBMIT = "/v2/ltx-2-pro"
ACCEPTED = Reply(json={"request_id": RID, "status": "QUEUED"})
REFUSED = Reply(status=429, json={"error": "rate limit"}, headers={"retry-after": "2"})


async def test_a_hook_that_takes_the_429_over_ends_the_retries_at_once(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    told: list[float | None] = []

    def take_over(hint: float | None) -> bool:
        told.append(hint)
        return True

    server.on("POST", SUBMIT, REFUSED, ACCEPTED)
    with pytest.raises(RateLimited) as info:
        await client.submit(validate(prompt="x"), on_429=take_over)
    assert told == [2.0]  # with the service's own hint
    assert server.count("POST", SUBMIT) == 1 and sleeps == []  # no second knock
    assert info.value.retry_after == 2.0


async def test_a_hook_that_declines_leaves_the_clients_retries(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    told: list[float | None] = []

    def decline(hint: float | None) -> bool:
        told.append(hint)
        return False

    server.on("POST", SUBMIT, REFUSED, REFUSED, ACCEPTED)
    assert (await client.submit(validate(prompt="x"), on_429=decline)).request_id == RID
    assert told == [2.0, 2.0] and server.count("POST", SUBMIT) == 3 and sleeps == [2.0, 2.0]


async def test_other_refusals_never_reach_the_hook(client: Client, server: ScriptedServer) -> None:
    told: list[float | None] = []
    server.on("POST", SUBMIT, Reply(status=503, json={"error": "busy"}), ACCEPTED)
    with pytest.raises(SubmitUnknown):  # a 503 may hide a job: never resent, never paced
        await client.submit(validate(prompt="x"), on_429=lambda hint: bool(told.append(hint)))
    assert told == []
