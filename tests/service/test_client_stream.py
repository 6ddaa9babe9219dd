"""Media downloads: streamed in chunks, retried before the first byte, key kept home."""

from __future__ import annotations

import asyncio
import tracemalloc

import pytest

from ltx_notebook._core.errors import NotFound, TransportError
from ltx_notebook._service.client import Client
from tests.service.scripted_server import KEY, Reply, ScriptedServer

pytestmark = pytest.mark.anyio

MEDIA = "/media/out.mp4"
SIZE = 50 * 1024 * 1024


async def test_a_large_video_streams_in_chunks_without_being_buffered(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", MEDIA, Reply(size=SIZE, headers={"content-type": "video/mp4"}))
    received = chunks = biggest = 0
    tracemalloc.start()
    try:
        async with client.stream(f"{server.url}{MEDIA}") as (size, content_type, body):
            assert (size, content_type) == (SIZE, "video/mp4")
            async for chunk in body:
                if chunks == 0:
                    # Stop reading a moment: a client that buffered would let the
                    # server finish; ours leaves it blocked on a full socket.
                    await asyncio.sleep(0.3)
                    assert server.sent_bytes < SIZE // 2, server.sent_bytes
                chunks += 1
                received += len(chunk)
                biggest = max(biggest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert received == SIZE
    assert chunks > 100 and biggest <= 1024 * 1024
    assert peak < 10 * 1024 * 1024, f"peak traced memory {peak} bytes"
    assert server.requests[0].headers["accept-encoding"] == "identity"


async def test_the_key_goes_to_the_api_host_and_never_to_another(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", MEDIA, Reply(body=b"same-host"), Reply(body=b"other-host"))
    async with client.stream(f"{server.url}{MEDIA}") as (_, _, body):
        assert b"".join([c async for c in body]) == b"same-host"
    # "localhost" reaches the same server but is another host as far as URLs go.
    async with client.stream(f"http://localhost:{server.port}{MEDIA}") as (_, _, body):
        assert b"".join([c async for c in body]) == b"other-host"
    same, other = server.requests
    assert same.headers["x-api-key"] == KEY
    assert "x-api-key" not in other.headers


async def test_a_redirect_to_another_host_does_not_carry_the_key(
    client: Client, server: ScriptedServer
) -> None:
    elsewhere = f"http://localhost:{server.port}/cdn/out.mp4"
    server.on("GET", MEDIA, Reply(status=302, headers={"location": elsewhere}))
    server.on("GET", "/cdn/out.mp4", Reply(body=b"video", headers={"content-type": "video/mp4"}))
    async with client.stream(f"{server.url}{MEDIA}") as (size, content_type, body):
        assert (size, content_type) == (5, "video/mp4")
        assert b"".join([c async for c in body]) == b"video"
    first, second = server.requests
    assert first.headers["x-api-key"] == KEY
    assert "x-api-key" not in second.headers


async def test_5xx_and_broken_connections_before_the_first_byte_are_retried(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.on(
        "GET",
        MEDIA,
        Reply(status=503, text="busy"),
        Reply(status=500, text="x" * 200_000),  # a big error page is read only in part
        Reply(body=b"payload"),
    )
    async with client.stream(f"{server.url}{MEDIA}") as (size, _, body):
        assert size == 7
        assert b"".join([c async for c in body]) == b"payload"
    assert server.count("GET", MEDIA) == 3
    assert len(sleeps) == 2


async def test_a_break_mid_body_raises_a_transport_error(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", MEDIA, Reply(body=b"\x01" * 200_000, drop_after=70_000))
    received = 0
    with pytest.raises(TransportError, match="download the output URL again") as info:
        async with client.stream(f"{server.url}{MEDIA}") as (size, _, body):
            assert size == 200_000
            async for chunk in body:
                received += len(chunk)
    assert 0 < received < 200_000
    assert f"after {received} bytes" in str(info.value)
    assert server.count("GET", MEDIA) == 1


async def test_an_expired_media_url_is_not_found(client: Client, server: ScriptedServer) -> None:
    server.on("GET", MEDIA, Reply(status=404, json={"error": "expired"}))
    with pytest.raises(NotFound, match="expired"):
        async with client.stream(f"{server.url}{MEDIA}"):
            pass


async def test_endless_redirects_stop(client: Client, server: ScriptedServer) -> None:
    loop = Reply(status=302, headers={"location": MEDIA})
    server.on("GET", MEDIA, *[loop] * 10)
    with pytest.raises(TransportError, match="redirected more than"):
        async with client.stream(f"{server.url}{MEDIA}"):
            pass
