"""The client's connections: kept alive, few of them idle, against a real emulator."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._service.client import Client
from ltx_notebook._service.transport import KEEP_ALIVE
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_a_burst_leaves_at_most_keep_alive_idle_connections(emulator: Emulator) -> None:
    settings = Settings(api_key=Secret(API_KEY), base_url=emulator.base_url)
    async with Client(settings) as client:
        credits = await asyncio.gather(*(client.credits() for _ in range(3 * KEEP_ALIVE)))
        assert all(c.credits is not None for c in credits)
        transport = client._transport.http._transport
        assert isinstance(transport, httpx.AsyncHTTPTransport)  # httpx's own
        idle = [c for c in transport._pool.connections if c.is_idle()]
        assert 0 < len(idle) <= KEEP_ALIVE
