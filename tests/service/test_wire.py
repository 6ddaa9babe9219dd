"""The client's HTTP/1.1 transport (``_service/wire``) on real sockets: plain, TLS, broken.

A small asyncio server answers each request with what the test scripts; it
counts the connections it accepted, so keep-alive is seen from the server's
side. The client's fault tests (``test_client_faults``, ``test_client_retry``)
run over this transport too.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
import trustme

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import surely_not_sent
from ltx_notebook._service.wire import KEEP_ALIVE, Wire

pytestmark = pytest.mark.anyio

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

# The request's head -> the bytes to send; None: hang up; b"": never answer.
Answer = Callable[[bytes], bytes | None]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.answer: Answer = lambda head: OK
        self.close_after_answer = False
        self.port = 0


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            await reader.readexactly(int(line.split(b":")[1]))
    return head


@asynccontextmanager
async def serving(tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    server = Server()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        server.connections += 1
        try:
            while (head := await _read_request(reader)) is not None:
                server.requests.append(head)
                answer = server.answer(head)
                if answer is None:
                    break
                if not answer:
                    await reader.read()  # until the client hangs up
                    break
                writer.write(answer)
                await writer.drain()
                if server.close_after_answer:
                    break
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    server.port = listening.sockets[0].getsockname()[1]
    async with listening:
        yield server


async def test_sequential_requests_share_one_connection() -> None:
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:
        for _ in range(20):
            response = await client.get(f"http://127.0.0.1:{server.port}/v1/x")
            assert response.text == "ok"
    assert server.connections == 1
    assert len(server.requests) == 20


async def test_a_burst_keeps_at_most_keep_alive_connections_idle() -> None:
    wire = Wire()
    async with serving() as server, httpx.AsyncClient(transport=wire) as client:
        url = f"http://127.0.0.1:{server.port}/"
        answers = await asyncio.gather(*(client.get(url) for _ in range(3 * KEEP_ALIVE)))
        assert all(a.status_code == 200 for a in answers)
        assert server.connections > KEEP_ALIVE
        assert sum(len(idle) for idle in wire._idle.values()) == KEEP_ALIVE


async def test_a_connection_the_server_closed_is_not_reused() -> None:
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:
        server.close_after_answer = True  # yet the answer does not say "Connection: close"
        url = f"http://127.0.0.1:{server.port}/"
        assert (await client.get(url)).text == "ok"
        await asyncio.sleep(0.05)  # the close reaches the client's loop
        assert (await client.get(url)).text == "ok"
    assert server.connections == 2


async def test_an_answer_saying_connection_close_is_not_reused() -> None:
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:
        server.answer = lambda head: OK.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        url = f"http://127.0.0.1:{server.port}/"
        for _ in range(3):
            assert (await client.get(url)).text == "ok"
    assert server.connections == 3


async def test_an_unread_body_closes_its_connection() -> None:
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100_000
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:
        server.answer = lambda head: big
        url = f"http://127.0.0.1:{server.port}/"
        async with client.stream("GET", url) as response:
            async for _chunk in response.aiter_raw():
                break  # a download given up half way
        server.answer = lambda head: OK
        assert (await client.get(url)).text == "ok"
    assert server.connections == 2  # the half-read one was not handed to the next request


async def test_a_body_cut_short_is_a_remote_protocol_error() -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:
        server.answer = lambda head: cut
        server.close_after_answer = True
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"http://127.0.0.1:{server.port}/")


async def test_no_answer_at_all_is_a_remote_protocol_error_not_a_connect_error() -> None:
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:
        server.answer = lambda head: None  # read the request, then hang up
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response") as info:
            await client.post(f"http://127.0.0.1:{server.port}/", json={"a": 1})
    assert not surely_not_sent(info.value)  # the request may have been acted on


async def test_a_refused_connection_is_a_connect_error_nothing_sent() -> None:
    async with serving() as server:
        port = server.port
    async with httpx.AsyncClient(transport=Wire()) as client:
        with pytest.raises(httpx.ConnectError) as info:
            await client.get(f"http://127.0.0.1:{port}/")
    assert surely_not_sent(info.value)


async def test_a_slow_answer_is_a_read_timeout_and_the_connection_is_dropped() -> None:
    async with serving() as server:
        slow = asyncio.Event()

        def answer(head: bytes) -> bytes | None:
            return OK if slow.is_set() else b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"

        server.answer = answer
        async with httpx.AsyncClient(transport=Wire(), timeout=httpx.Timeout(0.3)) as client:
            url = f"http://127.0.0.1:{server.port}/"
            with pytest.raises(httpx.ReadTimeout):
                await client.get(url)
            slow.set()
            assert (await client.get(url)).text == "ok"
    assert server.connections == 2


async def test_a_cancelled_request_does_not_leave_its_connection_to_the_next() -> None:
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:
        gate = asyncio.Event()
        server.answer = lambda head: OK if gate.is_set() else b""
        url = f"http://127.0.0.1:{server.port}/"
        task = asyncio.create_task(client.get(url))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()
        assert (await client.get(url)).text == "ok"
    assert server.connections == 2


async def test_a_streamed_request_body_arrives_whole() -> None:
    received: list[bytes] = []
    async with serving() as server, httpx.AsyncClient(transport=Wire()) as client:

        async def body() -> AsyncIterator[bytes]:
            for i in range(5):
                yield f"part{i};".encode()

        def answer(head: bytes) -> bytes:
            received.append(head)
            return OK

        server.answer = answer
        response = await client.post(
            f"http://127.0.0.1:{server.port}/up",
            content=body(),
            headers={"content-length": str(len("part0;") * 5)},
        )
        assert response.text == "ok"
    assert received[0].startswith(b"POST /up HTTP/1.1\r\n")


# -- TLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


async def test_https_with_a_trusted_certificate(ca: trustme.CA, server_tls: ssl.SSLContext) -> None:
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    async with (
        serving(server_tls) as server,
        httpx.AsyncClient(transport=Wire(ssl_context=trusting)) as client,
    ):
        for _ in range(3):
            assert (await client.get(f"https://127.0.0.1:{server.port}/")).text == "ok"
    assert server.connections == 1


async def test_https_with_an_unknown_certificate_is_refused_before_sending(
    server_tls: ssl.SSLContext,
) -> None:
    async with serving(server_tls) as server, httpx.AsyncClient(transport=Wire()) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED") as info:
            await client.get(f"https://127.0.0.1:{server.port}/")
    assert surely_not_sent(info.value)
    assert server.requests == []


# -- which transport the client uses ------------------------------------------------------


async def test_the_client_uses_it_unless_a_proxy_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(api_key=Secret("sk-test-0123456789"), base_url="http://127.0.0.1:9/v1")
    async with Client(settings) as client:
        assert isinstance(client._transport.http._transport, Wire)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    async with Client(settings) as client:  # httpx's own transport speaks to proxies
        assert not isinstance(client._transport.http._transport, Wire)
