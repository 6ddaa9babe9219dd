"""An S3-compatible server on loopback: moto's standalone server, spoken to over real S3 HTTP.

Fixtures (registered by ``pytest_plugins`` in tests/conftest.py):

- ``s3_server`` (session scope): the endpoint URL of a ``ThreadedMotoServer`` on
  127.0.0.1 and a free port, the way s3fs's own suite tests against S3;
- ``s3_env``: the standard ``AWS_*`` variables (dummy credentials, the endpoint
  in ``AWS_ENDPOINT_URL_S3``) as botocore reads them, for one test;
- ``bucket``: a fresh, empty bucket's name for one test.

The credentials are made-up but distinctive, so a test can look for them in
everything the package wrote.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

ACCESS_KEY = "LTXTESTACCESSKEY7Q2W"
SECRET_KEY = "ltx-test-secret-9f8e7d6c5b4a3210"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    # One line per request on stderr otherwise; failures still show.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's endpoint, named to botocore the standard way; returns it."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return s3_server


def s3(endpoint: str) -> Any:
    """An s3fs filesystem on *endpoint*, apart from the package's own (no shared cache)."""
    import s3fs

    return s3fs.S3FileSystem(
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        endpoint_url=endpoint,
        skip_instance_cache=True,
        use_listings_cache=False,
    )


@pytest.fixture
def bucket(s3_env: str) -> str:
    name = f"ltx-{uuid.uuid4().hex[:12]}"
    s3(s3_env).mkdir(name)
    return name
