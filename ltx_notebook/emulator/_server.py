"""Run the emulator in-process on a real loopback socket, in a background thread.

As pytest-httpserver does: bind first (port 0 picks a free port, known at
once), serve from a daemon thread, stop cleanly. Clients under test talk real
HTTP over a real socket, so connection errors and timeouts are real too.
"""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from ._app import build_app
from ._config import Clock, EmulatorConfig
from ._engine import Engine
from ._video import Renderer

__all__ = ["Emulator"]

_START_TIMEOUT = 10.0


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about the responses a ``drop`` fault cuts short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


class Emulator:
    """The emulated Segmind service, serving on ``config.host:config.port``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    ``base_url`` is what a client takes as its Segmind base URL
    (``http://127.0.0.1:PORT/v1``). ``engine`` is the state behind it (jobs,
    request log, fault injection); ``renderer`` the video renderer and its cache.
    """

    def __init__(self, config: EmulatorConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or EmulatorConfig()
        self._own_dir = self.config.data_dir is None
        self.data_dir = (
            Path(tempfile.mkdtemp(prefix="ltx-emulator-"))
            if self.config.data_dir is None
            else Path(self.config.data_dir)
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.renderer = Renderer(
            self.data_dir / "cache", preset=self.config.preset, keyint=self.config.keyint
        )
        self.engine = Engine(
            self.config,
            clock=clock or time.monotonic,
            renderer=self.renderer,
            assets_dir=self.data_dir / "assets",
        )
        self.app = build_app(self.engine)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ addresses

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running")
        return self._port

    @property
    def root_url(self) -> str:
        """``http://HOST:PORT`` with no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The Segmind-style base URL: ``http://HOST:PORT/v1``."""
        return f"{self.root_url}/v1"

    def url(self, path: str) -> str:
        """An absolute URL on this server, e.g. ``emu.url("/v2/requests/ID")``."""
        return f"{self.root_url}/{path.lstrip('/')}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        if self.running:
            return self
        if self.engine.closed:
            raise RuntimeError("an Emulator cannot be restarted once stopped; make a new one")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets
        # whose listener says so, and without it every small answer waits 40 ms for
        # a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.config.port))
        except OSError:
            sock.close()
            raise
        sock.listen(128)
        sock.set_inheritable(True)
        self._socket = sock
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,  # never reconfigure the host process's logging
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            server_header=False,
        )
        errors = logging.getLogger("uvicorn.error")
        if not any(isinstance(f, _QuietDrops) for f in errors.filters):
            errors.addFilter(_QuietDrops())
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"ltx-emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator's server did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        """Stop serving, stop rendering, and delete the data dir if it was a temporary one."""
        self.engine.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = None
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"Emulator({where}, speed={self.config.speed})"
