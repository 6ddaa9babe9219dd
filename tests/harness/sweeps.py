"""Sweep helpers: a fast emulator (speed 200), and a way to make a session on any emulator.

Sweeps run many jobs, so a sweep test module runs the suite's ``emulator`` faster::

    @pytest.fixture
    def emulator_options() -> dict[str, object]:
        return FAST
"""

from __future__ import annotations

from pathlib import Path

from ltx_notebook import Session, Settings
from ltx_notebook._core.config import Secret
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY

FAST: dict[str, object] = {"speed": 200.0}


def session_on(emu: Emulator, folder: Path, *, key: str = API_KEY) -> Session:
    return Session(
        Settings(
            api_key=Secret(key),
            base_url=emu.base_url,
            media_dir=folder / "media",
            store_path=folder / "media" / "jobs.sqlite",
        )
    )


def impatient_client(session: Session) -> None:
    """Give *session* a client that gives up on a 429 after one quick retry.

    So a test sees the sweep's own rate-limit handling (what happens once the
    client's retries are exhausted) without waiting out the default backoff.
    """
    session._client = Client(
        session.settings, retry=RetryPolicy(max_attempts=2, base=0.01, cap=0.02)
    )
    session._client_settings = session.settings


def accepted_submits(emu: Emulator) -> int:
    return sum(emu.engine.count("submit", status=code) for code in (200, 201, 202))
