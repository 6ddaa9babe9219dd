"""Fixtures of the job tests: a session that retries quickly, for the fault tests.

A fault test makes the emulator fail on purpose and checks what the session
does about it; with the default pacing (the client's backoff, then the
driver's) every injected fault would cost seconds of real waiting.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ltx_notebook import Session, Settings
from ltx_notebook._core.backoff import Backoff
from ltx_notebook._service.client import Client
from ltx_notebook._service.retry import RetryPolicy

QUICK_RETRY = RetryPolicy(max_attempts=3, base=0.01, cap=0.02)
QUICK_BACKOFF = Backoff(base=0.02, cap=0.1, attempts=3)


def make_quick(session: Session) -> Session:
    """Make *session* retry fast: its client after 10-20 ms, its driver after 20-100 ms."""
    session._client = Client(session.settings, retry=QUICK_RETRY)
    session._client_settings = session.settings
    session.backoff = QUICK_BACKOFF  # type: ignore[misc]
    return session


@pytest.fixture
def quick(settings: Settings) -> Iterator[Session]:
    """A session on the emulator that retries fast (the client 3 attempts, the driver 3)."""
    s = make_quick(Session(settings))
    yield s
    s.runtime.stop()
