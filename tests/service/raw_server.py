"""A loopback HTTP/1.1 server that answers each request with scripted bytes.

For the transport's tests: unlike the scripted (uvicorn) server it can send what
a real server sends but a framework would not (a ``408`` on an idle connection,
an answer cut short), and it counts the connections it accepted, so keep-alive
is seen from the server's side.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

BODY = b'{"credits": 42, "request_id": "req-raw-0001", "status": "QUEUED"}'
# One answer for every route the tests call: credits read it, a submit reads its id.
OK = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
)
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

# The request's head -> the bytes to send; None: hang up; b"": never answer.
Answer = Callable[[bytes], bytes | None]


class RawServer:
    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.answer: Answer = lambda head: OK
        self.close_after_answer = False
        # Sent on a connection once it is idle (``go_idle`` set), which is then closed:
        # what nginx and Node do when a keep-alive connection's idle time runs out.
        self.on_idle: bytes | None = None
        self.go_idle = asyncio.Event()
        self.idle_closed = asyncio.Event()
        self.port = 0
        self.scheme = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"


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
async def serving(tls: ssl.SSLContext | None = None) -> AsyncIterator[RawServer]:
    server = RawServer()

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
                if server.on_idle is not None:
                    await server.go_idle.wait()
                    writer.write(server.on_idle)
                    await writer.drain()
                    writer.close()
                    await writer.wait_closed()
                    server.idle_closed.set()
                    return
                if server.close_after_answer:
                    break
        finally:
            writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    server.port = listening.sockets[0].getsockname()[1]
    server.scheme = "https" if tls else "http"
    async with listening:
        yield server
