"""A scripted HTTP server on a real loopback socket, for the client's tests.

Like pytest-httpserver: queue the replies each route should give, run the
client against ``server.url``, then look at what the server received. It is a
plain ASGI app served by uvicorn in a background thread, so every byte
crosses a real TCP connection (timeouts, dropped connections and short bodies
behave as they would against the service).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn

KEY = "sk-test-SECRET-0123456789abcdef"


@dataclass
class Reply:
    """One scripted answer.

    ``drop_after``: declare the full ``Content-Length``, send only that many
    bytes, then close the connection. ``size``: generate a body of that many
    bytes in ``chunk``-sized pieces instead of holding it, without a
    ``Content-Length`` if ``announce`` is False. ``delay``: wait before answering
    (to provoke read timeouts).
    """

    status: int = 200
    json: Any = None
    text: str | None = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop_after: int | None = None
    size: int | None = None
    chunk: int = 64 * 1024
    announce: bool = True

    def payload(self) -> tuple[bytes, str]:
        if self.json is not None:
            return json.dumps(self.json).encode(), "application/json"
        if self.text is not None:
            return self.text.encode(), "text/plain; charset=utf-8"
        return self.body or b"", "application/octet-stream"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.requests: list[Recorded] = []
        self.url = ""
        self.port = 0
        self.sent_bytes = 0  # body bytes handed to the transport, for streaming tests

    def on(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self._script[(method.upper(), path)].extend(replies)

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method.upper() and r.path == path)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.sent_bytes = 0

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self._script.get((method, path))
            if queue:
                return queue.popleft()
        # 418: not retried by the client, so an unscripted call fails fast and loud.
        return Reply(status=418, text=f"unscripted request {method} {path}")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        method, path = scope["method"], scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        with self._lock:
            query = scope.get("query_string", b"").decode()
            self.requests.append(Recorded(method, path, headers, body, query))
        reply = self._next(method, path)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        try:
            await self._answer(reply, send)
        except Exception:  # the client went away (timeout tests): nothing to answer
            return

    async def _answer(self, reply: Reply, send: Any) -> None:
        content, content_type = reply.payload()
        length = reply.size if reply.size is not None else len(content)
        headers = {"content-type": content_type, "content-length": str(length)}
        if not reply.announce:
            del headers["content-length"]  # sent chunked: the client cannot know the end
        headers.update({k.lower(): v for k, v in reply.headers.items()})
        raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        await send({"type": "http.response.start", "status": reply.status, "headers": raw_headers})
        if reply.drop_after is not None:
            # Returning with the body incomplete makes uvicorn close the connection.
            await send(
                {
                    "type": "http.response.body",
                    "body": content[: reply.drop_after],
                    "more_body": True,
                }
            )
            return
        if reply.size is not None:
            block = b"\x00" * reply.chunk
            left = reply.size
            while left > 0:
                piece = block[: min(left, reply.chunk)]
                left -= len(piece)
                await send({"type": "http.response.body", "body": piece, "more_body": left > 0})
                self.sent_bytes += len(piece)
            return
        await send({"type": "http.response.body", "body": content})


@contextmanager
def serve() -> Iterator[ScriptedServer]:
    """Run a :class:`ScriptedServer` on 127.0.0.1, on a free port, until the block ends."""
    app = ScriptedServer()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    app.port = sock.getsockname()[1]
    app.url = f"http://127.0.0.1:{app.port}"
    config = uvicorn.Config(app, lifespan="off", log_level="critical", http="h11", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the scripted server did not start")
        time.sleep(0.01)
    try:
        yield app
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
