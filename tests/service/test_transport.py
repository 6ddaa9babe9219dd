"""The client's connections on real sockets, against servers that misbehave as real ones do.

A raw loopback server (``raw_server``) sends exact bytes, so each case is what a
server on the internet sends, and what the client makes of it is one of ours.
"""

from __future__ import annotations

import asyncio

import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from tests.service.raw_server import TIMED_OUT, serving

pytestmark = pytest.mark.anyio

KEY = "sk-test-0123456789abcdef"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings_for(url: str) -> Settings:
    return Settings(api_key=Secret(KEY), base_url=f"{url}/v1")


@pytest.mark.parametrize("call", ["credits", "submit"])
async def test_a_408_on_an_idle_connection_is_not_the_next_answer(call: str) -> None:
    # nginx and Node answer, then close an idle keep-alive connection with a 408 and
    # "Connection: close". Those bytes wait in the connection; they answer nothing.
    async with serving() as server, Client(settings_for(server.url)) as client:
        server.on_idle = TIMED_OUT
        assert (await client.credits()).credits == 42
        server.go_idle.set()  # the answer is read whole: the connection is idle now
        await asyncio.wait_for(server.idle_closed.wait(), 10)
        server.on_idle = None
        if call == "credits":
            assert (await client.credits()).credits == 42
        else:
            assert (await client.submit(validate(prompt="x"))).request_id == "req-raw-0001"
    assert server.connections == 2
    assert len(server.requests) == 2  # nothing sent twice
