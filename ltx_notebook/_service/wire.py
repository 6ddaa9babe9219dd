"""HTTP/1.1 for httpx on h11 and asyncio streams: each request at about half the CPU.

httpx's own transport (httpcore) spends some 0.65 ms of CPU per request on
the development machine, most of it in its pool's bookkeeping (each idle
connection's socket is polled twice per request) and in anyio's wrappers
around asyncio. With a hundred jobs polled that was most of what a kernel
spent on them. :class:`Wire` does what the client asks of HTTP and no more,
with the same parser httpcore uses (h11):

- HTTP/1.1 over TCP or TLS, one request per connection at a time;
- connections kept alive per origin: at most :data:`KEEP_ALIVE` idle, each
  dropped after :data:`KEEP_ALIVE_S` seconds idle or once the server closed it;
- httpx's timeouts (connect, read, write) and httpx's exceptions, with
  httpcore's meanings: ``ConnectError``/``ConnectTimeout`` only when nothing
  can have reached the server (the retry rules rely on it), a connection cut
  before the answer is whole a ``RemoteProtocolError``.

The client uses httpx's own transport instead when the environment names a
proxy (:func:`fits_environment`), which this one does not speak.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Final

import h11
import httpx

__all__ = ["KEEP_ALIVE", "KEEP_ALIVE_S", "Wire", "fits_environment"]

# Idle connections kept per origin. A burst opens what it needs; what is idle after
# it is closed down to this many.
KEEP_ALIVE: Final = 4
KEEP_ALIVE_S: Final = 5.0  # as httpx's default keep-alive expiry
READ_SIZE: Final = 64 * 1024

Origin = tuple[str, str, int]  # scheme, host, port


def fits_environment() -> bool:
    """Whether :class:`Wire` can carry the client's requests here: no proxy is configured."""
    return not urllib.request.getproxies()


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)
        self.idle_since = 0.0

    def reusable(self, now: float) -> bool:
        # The loop reads every socket it watches, so a server's close of an idle
        # connection has been seen (at_eof) by the time the next request looks.
        return (
            now - self.idle_since < KEEP_ALIVE_S
            and not self.reader.at_eof()
            and self.reader.exception() is None
            and not self.writer.is_closing()
        )

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class Wire(httpx.AsyncBaseTransport):
    """An ``httpx`` transport: ``httpx.AsyncClient(transport=Wire())``."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl_context = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(
                f"unsupported URL scheme {url.scheme!r}", request=request
            )
        origin: Origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        conn = self._reuse(origin) or await self._connect(origin, timeouts, request)
        try:
            await self._send(conn, request, timeouts)
            head = await self._head(conn, request, timeouts)
        except BaseException:
            conn.close()  # cancelled or broken mid-exchange: never reused
            raise
        return httpx.Response(
            head.status_code,
            headers=head.headers,
            stream=_Body(self, origin, conn, request, timeouts.get("read")),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
        )

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()

    # -- connections -----------------------------------------------------------------

    def _reuse(self, origin: Origin) -> _Connection | None:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle:
            conn = idle.pop()  # the most recently used: the least likely to be stale
            if conn.reusable(now):
                return conn
            conn.close()
        return None

    def _give_back(self, origin: Origin, conn: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        conn.idle_since = time.monotonic()
        idle.append(conn)
        while len(idle) > KEEP_ALIVE:
            idle.pop(0).close()

    async def _connect(
        self, origin: Origin, timeouts: dict[str, float | None], request: httpx.Request
    ) -> _Connection:
        scheme, host, port = origin
        context: ssl.SSLContext | None = None
        if scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = httpx.create_ssl_context()
            context = self._ssl_context
        with _mapped(request, timeout=httpx.ConnectTimeout, error=httpx.ConnectError):
            async with asyncio.timeout(timeouts.get("connect")):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                    limit=READ_SIZE,
                )
        return _Connection(reader, writer)

    # -- one exchange ----------------------------------------------------------------

    async def _send(
        self, conn: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> None:
        head = h11.Request(
            method=request.method, target=request.url.raw_path, headers=request.headers.raw
        )
        await _put(conn, request, timeouts, head)
        assert isinstance(request.stream, httpx.AsyncByteStream)
        async for chunk in request.stream:
            if chunk:
                await _put(conn, request, timeouts, h11.Data(data=chunk))
        await _put(conn, request, timeouts, h11.EndOfMessage())

    async def _head(
        self, conn: _Connection, request: httpx.Request, timeouts: dict[str, float | None]
    ) -> h11.Response:
        while True:
            event = await _next_event(conn, request, timeouts.get("read"))
            if isinstance(event, h11.Response):
                return event
            if isinstance(event, h11.ConnectionClosed):
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            # h11.InformationalResponse (100 Continue, 103 Early Hints): the answer follows.


class _Body(httpx.AsyncByteStream):
    """A response's body as it arrives; closed whole, its connection is kept for reuse."""

    def __init__(
        self,
        wire: Wire,
        origin: Origin,
        conn: _Connection,
        request: httpx.Request,
        read_timeout: float | None,
    ) -> None:
        self._wire = wire
        self._origin = origin
        self._conn: _Connection | None = conn
        self._request = request
        self._read_timeout = read_timeout
        self._whole = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        try:
            while True:
                event = await _next_event(conn, self._request, self._read_timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    self._whole = True
                    return
                elif isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError(
                        "peer closed connection without sending complete message body",
                        request=self._request,
                    )
        except BaseException:
            self._drop()
            raise

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._whole and conn.h11.our_state is h11.DONE and conn.h11.their_state is h11.DONE:
            conn.h11.start_next_cycle()
            self._wire._give_back(self._origin, conn)
        else:
            conn.close()  # unread body, or the server asked to close: not reusable

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


async def _next_event(conn: _Connection, request: httpx.Request, timeout: float | None) -> object:
    while True:
        with _mapped(request, timeout=httpx.ReadTimeout, error=httpx.ReadError):
            event = conn.h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            async with asyncio.timeout(timeout):
                data = await conn.reader.read(READ_SIZE)
            if not data and conn.h11.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
            # Otherwise b"" (the end of the stream) ends a body sent until close, or
            # h11 raises: the body was cut short.
            conn.h11.receive_data(data)


async def _put(
    conn: _Connection, request: httpx.Request, timeouts: dict[str, float | None], event: h11.Event
) -> None:
    with _mapped(request, timeout=httpx.WriteTimeout, error=httpx.WriteError):
        data = conn.h11.send(event)
        if data:
            conn.writer.write(data)
            async with asyncio.timeout(timeouts.get("write")):
                await conn.writer.drain()


@contextlib.contextmanager
def _mapped(
    request: httpx.Request,
    *,
    timeout: type[httpx.TimeoutException],
    error: type[httpx.TransportError],
) -> Iterator[None]:
    """asyncio's and h11's exceptions as httpx's, as httpcore maps them."""
    try:
        yield
    except TimeoutError as exc:
        raise timeout(str(exc) or timeout.__name__, request=request) from exc
    except h11.RemoteProtocolError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except h11.LocalProtocolError as exc:
        raise httpx.LocalProtocolError(str(exc), request=request) from exc
    except (OSError, ssl.SSLError, EOFError) as exc:
        raise error(str(exc) or type(exc).__name__, request=request) from exc
