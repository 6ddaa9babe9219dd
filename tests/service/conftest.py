"""Fixtures of the client tests: a scripted loopback server and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from tests.service.scripted_server import KEY, ScriptedServer, serve


@pytest.fixture(scope="session")
def _server_instance() -> Iterator[ScriptedServer]:
    with serve() as app:
        yield app


@pytest.fixture
def server(_server_instance: ScriptedServer) -> ScriptedServer:
    _server_instance.reset()
    return _server_instance


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def policy(sleeps: list[float]) -> RetryPolicy:
    """Four attempts, no real waiting: every wait is recorded in ``sleeps``."""

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return RetryPolicy(max_attempts=4, base=1.0, cap=8.0, sleep=fake_sleep, random=lambda: 0.5)


@pytest.fixture
def settings(server: ScriptedServer) -> Settings:
    return Settings(api_key=Secret(KEY), base_url=f"{server.url}/v1")


@pytest.fixture
async def client(settings: Settings, policy: RetryPolicy) -> AsyncIterator[Client]:
    async with Client(settings, retry=policy, timeout=httpx.Timeout(5.0, connect=2.0)) as c:
        yield c
