"""A forwarding HTTP proxy on loopback, so the client's fault tests run through a proxy too.

Users behind a proxy set ``HTTP_PROXY``/``HTTPS_PROXY``; httpx then sends each
request for an ``http://`` URL to the proxy with the full URL as its target, and
opens a ``CONNECT`` tunnel for an ``https://`` one. This proxy opens
one connection to the origin per client connection and relays the answer's
bytes untouched, so an answer cut short, a slow one or a server's close reach
the client as they would without it. An origin that refuses the connection is a
``502`` here, as from a real proxy. It runs on its own thread and event loop, so
sync and async tests, each on their own loop, can share one.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
HOP_BY_HOP = (b"proxy-connection:", b"proxy-authorization:")


class ForwardProxy:
    def __init__(self) -> None:
        self.forwarded = 0  # requests relayed to an origin
        self.port = 0
        # Set once an origin's close has been passed on: the client's side is closed too.
        self.origin_closed = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def handle(self, client: asyncio.StreamReader, back: asyncio.StreamWriter) -> None:
        origin: tuple[str, int] | None = None
        upstream: asyncio.StreamWriter | None = None
        pump: asyncio.Task[None] | None = None
        try:
            while True:
                try:
                    head = await client.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                line, _, fields = head.partition(b"\r\n")
                method, target, version = line.split(b" ", 2)
                if method == b"CONNECT":
                    await self.tunnel(target, client, back)
                    return
                url = urlsplit(target.decode("ascii"))
                wanted = (url.hostname or "", url.port or 80)
                if upstream is None or origin != wanted or upstream.is_closing():
                    if upstream is not None:  # another origin: its answers are done
                        upstream.close()
                    if pump is not None:
                        pump.cancel()
                    try:
                        reader, upstream = await asyncio.open_connection(*wanted)
                    except OSError:
                        back.write(BAD_GATEWAY)
                        await back.drain()
                        return
                    origin = wanted
                    pump = asyncio.create_task(self.relay(reader, back))
                path = (url.path or "/") + (f"?{url.query}" if url.query else "")
                kept = [f for f in fields.split(b"\r\n") if not f.lower().startswith(HOP_BY_HOP)]
                upstream.write(b" ".join((method, path.encode(), version)) + b"\r\n")
                upstream.write(b"\r\n".join(kept))
                await _copy_body(fields, client, upstream)
                self.forwarded += 1
        finally:
            if upstream is not None:
                upstream.close()
            if pump is not None:
                pump.cancel()
            back.close()

    async def tunnel(
        self, target: bytes, client: asyncio.StreamReader, back: asyncio.StreamWriter
    ) -> None:
        """An ``https://`` origin: a byte pipe both ways, TLS passing through untouched."""
        host, _, port = target.decode("ascii").rpartition(":")
        try:
            reader, upstream = await asyncio.open_connection(host, int(port))
        except OSError:
            back.write(BAD_GATEWAY)
            await back.drain()
            return
        back.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.forwarded += 1
        pump = asyncio.create_task(self.relay(reader, back))
        try:
            with contextlib.suppress(ConnectionError):
                while chunk := await client.read(64 * 1024):
                    upstream.write(chunk)
                    await upstream.drain()
        finally:
            upstream.close()
            pump.cancel()

    async def relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The origin's bytes to the client as they come; its close closes the client's side."""
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(64 * 1024):
                writer.write(chunk)
                await writer.drain()
        writer.close()
        # Cancelled here: the handler saw the client's side close, which is what is awaited.
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await writer.wait_closed()
        self.origin_closed.set()


async def _copy_body(
    fields: bytes, client: asyncio.StreamReader, upstream: asyncio.StreamWriter
) -> None:
    lower = fields.lower()
    if b"transfer-encoding: chunked" in lower:
        while True:
            size_line = await client.readuntil(b"\r\n")
            upstream.write(size_line)
            size = int(size_line.split(b";")[0], 16)
            upstream.write(await client.readexactly(size + 2))  # the chunk and its CRLF
            if size == 0:
                break
    else:
        for field in lower.split(b"\r\n"):
            if field.startswith(b"content-length:"):
                upstream.write(await client.readexactly(int(field.split(b":")[1])))
    await upstream.drain()


async def _shut(server: asyncio.Server) -> None:
    server.close()
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


@contextmanager
def forwarding() -> Iterator[ForwardProxy]:
    """Run a :class:`ForwardProxy` on 127.0.0.1, on a free port, until the block ends."""
    proxy = ForwardProxy()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    start = asyncio.start_server(proxy.handle, "127.0.0.1", 0)
    server = asyncio.run_coroutine_threadsafe(start, loop).result(timeout=10)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        asyncio.run_coroutine_threadsafe(_shut(server), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
