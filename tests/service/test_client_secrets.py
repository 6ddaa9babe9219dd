"""A key read from a file (trailing newline, CR, blank) never shows, and is sent clean.

Each test uses a key of its own: a key another test registered would be
redacted already, hiding a leak this test is here to find.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.errors import InvalidParams, LtxError, TransportError
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from tests.harness.secrets import assert_nowhere, exception_text
from tests.service.scripted_server import Reply, ScriptedServer

pytestmark = pytest.mark.anyio

RID = "req-secret"
SUBMIT = "/v2/ltx-2-pro"
STATUS = f"/v2/requests/{RID}/status"
TAILS = {"newline": "\n", "crlf": "\r\n", "space": " ", "tab": "\t"}


@pytest.mark.parametrize("tail", TAILS.values(), ids=TAILS.keys())
async def test_a_key_with_a_trailing_newline_is_sent_stripped_and_shown_nowhere(
    server: ScriptedServer,
    policy: RetryPolicy,
    caplog: pytest.LogCaptureFixture,
    tail: str,
    request: pytest.FixtureRequest,
) -> None:
    key = f"sk-file-{request.node.callspec.id}-0123456789abcdef"
    caplog.set_level(logging.DEBUG)  # httpx's and httpcore's debug lines included
    settings = Settings(api_key=Secret(key + tail), base_url=f"{server.url}/v1")
    server.on("POST", SUBMIT, Reply(json={"request_id": RID, "status": "QUEUED"}))
    # A careless service echoing the key back, in the forms a proxy might use.
    echoes = [
        Reply(status=401, json={"error": f"bad key {(key + tail).encode()!r}"}),
        Reply(status=403, text=f"key={key}%0A rejected"),
        Reply(status=400, json={"detail": {"header": key + tail}}),
    ]
    seen: list[BaseException] = []
    async with Client(settings, retry=policy) as client:
        submission = await client.submit(validate(prompt="a lighthouse at dusk"))
        assert submission.request_id == RID
        for echo in echoes:
            server.on("GET", STATUS, echo)
            with pytest.raises(LtxError) as info:
                await client.status(RID)
            seen.append(info.value)
        shown = [repr(client), str(settings.describe()), repr(settings)]
    assert [r.headers.get("x-api-key") for r in server.requests] == [key] * 4
    assert_nowhere(key, caplog.text, *shown, *(exception_text(e) for e in seen))


@pytest.mark.parametrize("spoil", ["newline", "non-ascii"])
async def test_a_key_that_slipped_past_the_check_is_refused_unsent_and_shown_nowhere(
    server: ScriptedServer, policy: RetryPolicy, caplog: pytest.LogCaptureFixture, spoil: str
) -> None:
    key = f"sk-slipped-{spoil}-0123456789abcdef"
    caplog.set_level(logging.DEBUG)
    settings = Settings(api_key=Secret(key), base_url=f"{server.url}/v1")
    # What a Settings built before the check (or altered after it) would hold.
    bad = key + "\n" if spoil == "newline" else key.replace("0123", "01é3")
    settings.api_key._value = bad  # type: ignore[union-attr]
    async with Client(settings, retry=policy) as client:
        with pytest.raises(InvalidParams) as info:
            await client.submit(validate(prompt="a lighthouse at dusk"))
    exc = info.value
    # Refused before a byte left: surely not sent, so no "may be billed".
    assert "nothing was sent" in str(exc) and "may be billed" not in str(exc)
    assert server.count("POST", SUBMIT) == 0
    assert_nowhere(key, caplog.text, exception_text(exc))
    assert_nowhere(bad, caplog.text, exception_text(exc))


async def test_a_key_written_by_echo_into_a_file_works(
    server: ScriptedServer, policy: RetryPolicy, tmp_path: Path
) -> None:
    """The way a key usually gets its newline: written by `echo` into a file, read back."""
    key = "sk-echoed-0123456789abcdef"
    (tmp_path / "key").write_text(key + "\n")
    settings = Settings(api_key=Secret((tmp_path / "key").read_text()), base_url=server.url)
    server.on("GET", "/get-user-credits", Reply(json={"credits": 3.5}))
    async with Client(settings, retry=policy) as client:
        assert (await client.credits()).credits == 3.5
    assert server.requests[-1].headers["x-api-key"] == key


@contextmanager
def broken_server(answer: bytes) -> Iterator[str]:
    """A loopback server answering every connection with *answer*: raw bytes, no HTTP checks.

    uvicorn would refuse to send a malformed header; a careless proxy does not.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


async def test_an_httpx_error_quoting_the_key_is_not_chained_raw(
    policy: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    """A server echoing the key in a malformed header line: h11 quotes the line in its error."""
    key = "sk-echoed-raw-0123456789abcdef"
    caplog.set_level(logging.DEBUG)
    answer = b"HTTP/1.1 200 OK\r\nx-echo " + key.encode() + b"\r\ncontent-length: 0\r\n\r\n"
    with broken_server(answer) as url:
        async with Client(Settings(api_key=Secret(key), base_url=url), retry=policy) as client:
            with pytest.raises(TransportError) as info:
                await client.credits()
    exc = info.value
    assert "RemoteProtocolError" in str(exc) and "***" in str(exc)
    assert exc.__cause__ is not None and "RemoteProtocolError" in str(exc.__cause__)
    assert exc.__context__ is None or exc.__context__ is exc.__cause__
    assert_nowhere(key, caplog.text, exception_text(exc))
