"""Status codes to exceptions, plain-text reasons, and the key never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ltx_notebook._core.errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    InsufficientCredits,
    LtxError,
    NotFound,
    RateLimited,
    ServiceError,
)
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from tests.service.scripted_server import KEY, Reply, ScriptedServer

pytestmark = pytest.mark.anyio

RID = "req-err"
STATUS = f"/v2/requests/{RID}/status"


@pytest.mark.parametrize(
    ("code", "kind", "advice"),
    [
        (400, BadRequest, "check the parameters"),
        (401, AuthenticationError, "SEGMIND_API_KEY"),
        (403, AuthenticationError, "configure(api_key=...)"),
        (404, NotFound, "expire after 1 hour"),
        (406, InsufficientCredits, "top up"),
        (429, RateLimited, "try again"),
        (500, ServiceError, "try again later"),
        (502, ServiceError, "try again later"),
        (503, ServiceError, "try again later"),
        (504, ServiceError, "try again later"),
        (418, ApiError, "unexpected HTTP 418"),
    ],
)
async def test_each_status_code_maps_to_its_exception(
    client: Client, server: ScriptedServer, code: int, kind: type[ApiError], advice: str
) -> None:
    reason = f"reason for {code}"
    server.on("GET", STATUS, *[Reply(status=code, json={"error": reason})] * 4)
    with pytest.raises(kind) as info:
        await client.status(RID)
    exc = info.value
    assert type(exc) is kind
    assert exc.status_code == code
    assert exc.detail == reason
    assert exc.request_id == RID
    message = str(exc)
    assert "\n" not in message
    assert reason in message and advice in message and f"HTTP {code}" in message


@pytest.mark.parametrize("code", [400, 401, 404, 406])
async def test_client_errors_are_not_retried(
    client: Client, server: ScriptedServer, sleeps: list[float], code: int
) -> None:
    server.on("GET", STATUS, Reply(status=code, json={"error": "no"}))
    with pytest.raises(ApiError):
        await client.status(RID)
    assert server.count("GET", STATUS) == 1
    assert sleeps == []


async def test_plain_text_reason_is_carried_and_truncated(
    client: Client, server: ScriptedServer
) -> None:
    server.on("POST", "/v2/ltx-2-pro", Reply(status=400, text="Invalid resolution\n" + "x" * 2000))
    with pytest.raises(BadRequest) as info:
        await client.submit(validate(prompt="x"))
    assert info.value.detail is not None and info.value.detail.startswith("Invalid resolution x")
    assert len(str(info.value)) <= 300
    assert str(info.value).startswith("the service refused the submit to ltx-2-pro (HTTP 400)")


async def test_error_body_with_message_or_nested_error(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", "/v1/get-user-credits", Reply(status=401, json={"message": "Invalid key"}))
    with pytest.raises(AuthenticationError, match="Invalid key"):
        await client.credits()
    server.on("GET", "/v1/get-user-credits", Reply(status=406, json={"error": {"code": "low"}}))
    with pytest.raises(InsufficientCredits, match='"code": "low"'):
        await client.credits()


async def test_a_submit_error_carries_the_request_id_when_the_body_names_one(
    client: Client, server: ScriptedServer
) -> None:
    server.on("POST", "/v2/ltx-2-pro", Reply(status=406, json={"error": "low", "request_id": "r9"}))
    with pytest.raises(InsufficientCredits) as info:
        await client.submit(validate(prompt="x"))
    assert info.value.request_id == "r9"


async def test_the_key_never_shows_in_messages_reprs_or_logs(
    client: Client, server: ScriptedServer, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    # A hostile or careless service echoing the key back must not make us print it.
    echo = {"error": f"bad key {KEY}", "request_id": RID}
    for code in (400, 401, 403, 404, 406, 422, 429, 500, 502, 503, 504):
        server.on("GET", STATUS, *[Reply(status=code, json=echo)] * 4)
        with pytest.raises(LtxError) as info:
            await client.status(RID)
        exc = info.value
        assert KEY not in str(exc) and KEY not in repr(exc)
        assert KEY not in str(getattr(exc, "detail", ""))
        assert "***" in str(exc)
    server.on("POST", "/v2/ltx-2-pro", Reply(status=504, text=f"gateway saw {KEY}"))
    with pytest.raises(LtxError) as info:
        await client.submit(validate(prompt="x"))
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert KEY not in repr(client)
    assert repr(client) == f"Client(base_url='{server.url}/v1', api_key='sk…ef')"
    assert KEY not in caplog.text
    # ...while it really was sent, to the API's own host.
    assert all(r.headers.get("x-api-key") == KEY for r in server.requests)
