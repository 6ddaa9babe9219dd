"""Fixtures of the client tests: a scripted loopback server and a client pointed at it.

``route`` runs a test twice: straight to the server, and through a forwarding
proxy on loopback (set in ``HTTP_PROXY``, as a user behind a proxy sets it), so
the fault tests cover both ways httpx sends a request. Modules opt in with
``pytest.mark.usefixtures("route")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from tests.service.forward_proxy import ForwardProxy, forwarding
from tests.service.scripted_server import KEY, ScriptedServer, serve

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(scope="session")
def _server_instance() -> Iterator[ScriptedServer]:
    with serve() as app:
        yield app


@pytest.fixture
def server(_server_instance: ScriptedServer) -> ScriptedServer:
    _server_instance.reset()
    return _server_instance


@pytest.fixture(scope="session")
def forward_proxy() -> Iterator[ForwardProxy]:
    with forwarding() as proxy:
        yield proxy


@pytest.fixture(params=["direct", "proxy"])
def route(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """How the client reaches the server: "direct", or through the forwarding proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    if request.param == "proxy":
        proxy: ForwardProxy = request.getfixturevalue("forward_proxy")
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    return str(request.param)


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
