"""Retries over real loopback HTTP: reads survive trouble, submits are never doubled."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.errors import (
    RateLimited,
    ServiceError,
    SubmitUnknown,
    TransportError,
)
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from tests.service.scripted_server import Reply, ScriptedServer, free_port

# Through a proxy a closed port is the proxy's 502: an answer, tested as one elsewhere.
DIRECT_ONLY = pytest.mark.parametrize("route", ["direct"], indirect=True)
pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("route")]

RID = "req-retry"
STATUS = f"/v2/requests/{RID}/status"
SUBMIT = "/v2/ltx-2-pro"
V1 = "/v1/ltx-2-pro"
OK = Reply(json={"status": "PROCESSING", "request_id": RID})
ACCEPTED = Reply(json={"request_id": RID, "status": "QUEUED"})
NOW = datetime(2030, 1, 1, tzinfo=UTC).timestamp()


async def test_a_502_then_200_while_polling_is_survived(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.on("GET", STATUS, Reply(status=502, text="Bad Gateway"), Reply(status=503), OK)
    assert (await client.status(RID)).status == "PROCESSING"
    assert server.count("GET", STATUS) == 3
    assert sleeps == [0.5, 1.0]  # full jitter with random()=0.5: 0.5 * 1, 0.5 * 2


async def test_a_dropped_connection_while_polling_is_retried(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.on("GET", STATUS, Reply(json={"status": "QUEUED", "pad": "x" * 100}, drop_after=10), OK)
    assert (await client.status(RID)).status == "PROCESSING"
    assert len(sleeps) == 1


async def test_a_read_timeout_while_polling_is_retried(
    settings: Settings, server: ScriptedServer, policy: RetryPolicy, sleeps: list[float]
) -> None:
    server.on("GET", STATUS, Reply(json={"status": "QUEUED"}, delay=1.0), OK)
    async with Client(settings, retry=policy, timeout=httpx.Timeout(0.3)) as client:
        assert (await client.status(RID)).status == "PROCESSING"
    assert len(sleeps) == 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "Tue, 01 Jan 2030 00:00:12 GMT"}, 12.0),
        ({"x-rate-limit-reset-at-utc": "2030-01-01T00:00:20Z"}, 20.0),
        ({"x-rate-limit-reset-at-utc": str(int(NOW) + 9)}, 9.0),
        ({}, 0.5),  # no hint: jittered backoff
    ],
)
async def test_429_honours_the_services_wait(
    settings: Settings,
    server: ScriptedServer,
    sleeps: list[float],
    headers: dict[str, str],
    expected: float,
) -> None:
    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    policy = RetryPolicy(sleep=fake_sleep, random=lambda: 0.5, clock=lambda: NOW)
    server.on(
        "GET", "/v1/get-user-credits", Reply(status=429, json={"error": "slow"}, headers=headers)
    )
    server.on("GET", "/v1/get-user-credits", Reply(json={"credits": 1}))
    async with Client(settings, retry=policy) as client:
        assert (await client.credits()).credits == 1.0
    assert sleeps == [expected]


async def test_reads_give_up_with_the_right_error(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.on("GET", STATUS, *[Reply(status=429, headers={"retry-after": "30"})] * 4)
    with pytest.raises(RateLimited) as limited:
        await client.status(RID)
    assert limited.value.retry_after == 30.0
    assert "after 4 attempts" in str(limited.value) and "in 30 s" in str(limited.value)
    assert server.count("GET", STATUS) == 4
    assert sleeps == [30.0] * 3

    server.reset()
    server.on("GET", STATUS, *[Reply(status=503, text="upstream down")] * 4)
    with pytest.raises(ServiceError, match="upstream down"):
        await client.status(RID)
    assert server.count("GET", STATUS) == 4


@DIRECT_ONLY
async def test_reads_to_a_closed_port_end_in_a_transport_error(
    policy: RetryPolicy, sleeps: list[float]
) -> None:
    settings = Settings(
        api_key=Secret("k-closed-port"), base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    async with Client(settings, retry=policy) as client:
        with pytest.raises(TransportError) as info:
            await client.status(RID)
    assert type(info.value) is TransportError
    assert "ConnectError" in str(info.value) and "after 4 attempts" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 3


# -- submits ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "error", "words"),
    [
        (Reply(status=500, json={"error": "Invalid duration"}), SubmitUnknown, "may be billed"),
        (Reply(status=502, text="Bad Gateway"), SubmitUnknown, "may be billed"),
        (Reply(status=503, json={"error": "overloaded"}), SubmitUnknown, "may be billed"),
        (Reply(status=418, text="odd"), SubmitUnknown, "may be billed"),
        (Reply(status=504, text="Gateway Timeout"), SubmitUnknown, "may be billed"),
        (Reply(status=502, json={"error": "x", "request_id": "r-1"}), SubmitUnknown, "r-1"),
        (Reply(json={"request_id": RID, "status": "QUEUED"}, drop_after=5), SubmitUnknown,
         "RemoteProtocolError"),
        (Reply(status=400, json={"error": "bad"}), Exception, "HTTP 400"),
    ],
)  # fmt: skip
async def test_a_submit_that_may_have_arrived_is_sent_exactly_once(
    client: Client,
    server: ScriptedServer,
    sleeps: list[float],
    reply: Reply,
    error: type[Exception],
    words: str,
) -> None:
    server.on("POST", SUBMIT, reply, ACCEPTED, ACCEPTED)
    with pytest.raises(error) as info:
        await client.submit(validate(prompt="x"))
    assert words in str(info.value)
    assert server.count("POST", SUBMIT) == 1
    assert sleeps == []


async def test_a_submit_read_timeout_is_unknown_and_not_resent(
    settings: Settings, server: ScriptedServer, policy: RetryPolicy, sleeps: list[float]
) -> None:
    server.on("POST", SUBMIT, Reply(json={"request_id": RID}, delay=1.0), ACCEPTED)
    async with Client(settings, retry=policy, timeout=httpx.Timeout(0.3)) as client:
        with pytest.raises(SubmitUnknown) as info:
            await client.submit(validate(prompt="x"))
    message = str(info.value)
    assert "ReadTimeout" in message and "may exist" in message and "console" in message
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert server.count("POST", SUBMIT) == 1
    assert sleeps == []


async def test_a_rate_limited_submit_is_retried(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    refusal = Reply(status=429, json={"error": "rate limit"}, headers={"retry-after": "2"})
    server.on("POST", SUBMIT, refusal, ACCEPTED)
    assert (await client.submit(validate(prompt="x"))).request_id == RID
    assert server.count("POST", SUBMIT) == 2
    assert len(sleeps) == 1


@DIRECT_ONLY
async def test_a_submit_to_a_closed_port_is_retried_then_fails_as_not_sent(
    policy: RetryPolicy, sleeps: list[float]
) -> None:
    settings = Settings(
        api_key=Secret("k-closed-port"), base_url=f"http://127.0.0.1:{free_port()}/v1"
    )
    async with Client(settings, retry=policy) as client:
        with pytest.raises(TransportError) as info:
            await client.submit(validate(prompt="x"))
    assert type(info.value) is TransportError  # not SubmitUnknown: it never left
    assert "nothing was sent" in str(info.value)
    assert len(sleeps) == 3


class FailFirstConnect(httpx.AsyncBaseTransport):
    """A real transport whose first connection attempt fails as if refused."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.failed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.failed:
            self.failed = True
            raise httpx.ConnectError("connection refused", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_submit_after_a_connect_error_is_sent_once_and_succeeds(
    settings: Settings, server: ScriptedServer, policy: RetryPolicy, sleeps: list[float]
) -> None:
    server.on("POST", SUBMIT, ACCEPTED)
    async with Client(settings, retry=policy, transport=FailFirstConnect()) as client:
        assert (await client.submit(validate(prompt="x"))).request_id == RID
    assert server.count("POST", SUBMIT) == 1
    assert len(sleeps) == 1


# -- v1 sync run -------------------------------------------------------------------


async def test_run_sync_streams_the_video_and_reads_remaining_credits(
    client: Client, server: ScriptedServer
) -> None:
    server.on(
        "POST",
        V1,
        Reply(
            size=3 * 1024 * 1024,
            headers={"content-type": "video/mp4", "x-remaining-credits": "41.37"},
        ),
    )
    received = 0
    async with client.run_sync(validate(prompt="x")) as run:
        assert (run.expected_size, run.content_type) == (3 * 1024 * 1024, "video/mp4")
        assert run.remaining_credits == 41.37
        async for chunk in run.chunks:
            received += len(chunk)
    assert received == 3 * 1024 * 1024
    assert server.requests[0].json()["prompt"] == "x"


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(status=502, text="Bad Gateway"), SubmitUnknown),
        (Reply(status=504, text="Gateway Timeout"), SubmitUnknown),
        (Reply(status=503, text="Unavailable"), SubmitUnknown),
        (Reply(status=500, json={"error": "bad value"}), SubmitUnknown),
    ],
)
async def test_run_sync_is_never_resent_after_a_gateway_error(
    client: Client, server: ScriptedServer, sleeps: list[float], reply: Reply, error: type
) -> None:
    server.on("POST", V1, reply, Reply(body=b"video"))
    with pytest.raises(error):
        async with client.run_sync(validate(prompt="x")):
            pass
    assert server.count("POST", V1) == 1
    assert sleeps == []


async def test_run_sync_broken_mid_body_says_the_run_was_billed(
    client: Client, server: ScriptedServer
) -> None:
    server.on("POST", V1, Reply(body=b"\x00" * 100_000, drop_after=1000), Reply(body=b"v"))
    with pytest.raises(TransportError, match="billed"):
        async with client.run_sync(validate(prompt="x")) as run:
            async for _chunk in run.chunks:
                pass
    assert server.count("POST", V1) == 1


async def test_run_sync_429_is_retried(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.on(
        "POST", V1, Reply(status=429), Reply(body=b"mp4", headers={"content-type": "video/mp4"})
    )
    async with client.run_sync(validate(prompt="x")) as run:
        assert b"".join([c async for c in run.chunks]) == b"mp4"
    assert server.count("POST", V1) == 2
