"""The client's connections on real sockets, against servers that misbehave as real ones do.

The client sends through httpx's own transport (httpcore). A raw loopback server
(``raw_server``) sends exact bytes, so each case is what a server on the internet
sends; what the client makes of it is one of ours. Each test runs straight to the
server and through a forwarding proxy (the ``route`` fixture).
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest
import trustme

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.errors import SubmitUnknown, TransportError
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from ltx_notebook._service.transport import LIMITS
from tests.service.forward_proxy import ForwardProxy
from tests.service.raw_server import OK, TIMED_OUT, serving

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("route")]
ONCE = RetryPolicy(max_attempts=1)

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings_for(url: str) -> Settings:
    return Settings(api_key=Secret(KEY), base_url=f"{url}/v1")


@pytest.mark.parametrize("call", ["credits", "submit"])
async def test_a_408_on_an_idle_connection_is_not_the_next_answer(
    call: str, route: str, request: pytest.FixtureRequest
) -> None:
    # nginx and Node answer, then close an idle keep-alive connection with a 408 and
    # "Connection: close". Those bytes wait in the connection; they answer nothing.
    async with serving() as server, Client(settings_for(server.url)) as client:
        server.on_idle = TIMED_OUT
        assert (await client.credits()).credits == 42
        if route == "proxy":
            request.getfixturevalue("forward_proxy").origin_closed.clear()
        server.go_idle.set()  # the answer is read whole: the connection is idle now
        await asyncio.wait_for(server.idle_closed.wait(), 10)
        if route == "proxy":  # and the proxy has passed the close on
            proxy: ForwardProxy = request.getfixturevalue("forward_proxy")
            assert await asyncio.to_thread(proxy.origin_closed.wait, 10)
        server.on_idle = None
        if call == "credits":
            assert (await client.credits()).credits == 42
        else:
            assert (await client.submit(validate(prompt="x"))).request_id == "req-raw-0001"
    assert server.connections == 2
    assert len(server.requests) == 2  # nothing sent twice


async def test_sequential_requests_share_one_connection() -> None:
    async with serving() as server, Client(settings_for(server.url)) as client:
        for _ in range(20):
            assert (await client.credits()).credits == 42
    assert server.connections == 1
    assert len(server.requests) == 20


async def test_an_answer_saying_connection_close_is_not_reused() -> None:
    async with serving() as server, Client(settings_for(server.url)) as client:
        server.answer = lambda head: OK.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        for _ in range(3):
            assert (await client.credits()).credits == 42
    assert server.connections == 3


async def test_a_body_cut_short_is_a_transport_error(policy: RetryPolicy) -> None:
    async with serving() as server, Client(settings_for(server.url), retry=policy) as client:
        server.answer = lambda head: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
        server.close_after_answer = True
        with pytest.raises(TransportError, match="RemoteProtocolError") as info:
            await client.credits()
    assert "after 4 attempts" in str(info.value)
    assert len(server.requests) == 4  # a read is retried


async def test_a_submit_answered_by_a_hang_up_may_exist_and_is_not_resent(
    policy: RetryPolicy,
) -> None:
    async with serving() as server, Client(settings_for(server.url), retry=policy) as client:
        server.answer = lambda head: None  # read the request, then hang up
        with pytest.raises(SubmitUnknown, match="may exist"):
            await client.submit(validate(prompt="x"))
    assert len(server.requests) == 1


async def test_a_slow_answer_is_a_transport_error_and_its_connection_is_dropped() -> None:
    slow = True

    def answer(head: bytes) -> bytes:
        # Content-Length 5, two bytes sent: the client waits for the rest.
        return b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab" if slow else OK

    timeout = httpx.Timeout(0.3)
    async with (
        serving() as server,
        Client(settings_for(server.url), retry=ONCE, timeout=timeout) as client,
    ):
        server.answer = answer
        with pytest.raises(TransportError, match="ReadTimeout"):
            await client.credits()
        slow = False
        assert (await client.credits()).credits == 42
    assert server.connections == 2


async def test_a_cancelled_request_does_not_leave_its_connection_to_the_next() -> None:
    asked = asyncio.Event()
    gate = asyncio.Event()

    def answer(head: bytes) -> bytes:
        asked.set()
        return OK if gate.is_set() else b""  # b"": never answer

    async with serving() as server, Client(settings_for(server.url)) as client:
        server.answer = answer
        task = asyncio.create_task(client.credits())
        await asyncio.wait_for(asked.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.set()
        assert (await client.credits()).credits == 42
    assert server.connections == 2


async def test_the_client_uses_httpx_own_transport_with_our_limits() -> None:
    async with serving() as server, Client(settings_for(server.url)) as client:
        http = client._transport.http
        transports = [http._transport, *(t for t in http._mounts.values() if t is not None)]
        for transport in transports:
            assert isinstance(transport, httpx.AsyncHTTPTransport)
            pool = transport._pool
            assert pool._max_keepalive_connections == LIMITS.max_keepalive_connections
            assert pool._max_connections == LIMITS.max_connections


@pytest.mark.parametrize("route", ["proxy"], indirect=True)
async def test_through_a_proxy_every_request_goes_by_the_proxy(
    forward_proxy: ForwardProxy,
) -> None:
    before = forward_proxy.forwarded
    async with serving() as server, Client(settings_for(server.url)) as client:
        for _ in range(3):
            assert (await client.credits()).credits == 42
    assert forward_proxy.forwarded - before == 3


# -- HTTPS ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


async def test_https_with_a_trusted_certificate(
    ca: trustme.CA, server_tls: ssl.SSLContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))  # as a user's own CA
    async with serving(server_tls) as server, Client(settings_for(server.url)) as client:
        for _ in range(3):
            assert (await client.credits()).credits == 42
    assert server.connections == 1


async def test_https_with_an_unknown_certificate_is_refused_before_sending(
    server_tls: ssl.SSLContext, policy: RetryPolicy
) -> None:
    async with (
        serving(server_tls) as server,
        Client(settings_for(server.url), retry=policy) as client,
    ):
        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED") as info:
            await client.submit(validate(prompt="x"))
    assert "nothing was sent" in str(info.value)
    assert server.requests == []


@pytest.mark.parametrize("route", ["proxy"], indirect=True)
async def test_through_a_proxy_https_goes_by_a_tunnel(
    forward_proxy: ForwardProxy,
    ca: trustme.CA,
    server_tls: ssl.SSLContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    before = forward_proxy.forwarded
    async with serving(server_tls) as server, Client(settings_for(server.url)) as client:
        for _ in range(3):
            assert (await client.credits()).credits == 42
    assert forward_proxy.forwarded - before == 1  # one CONNECT, kept alive
    assert server.connections == 1
