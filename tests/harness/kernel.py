"""Real ipykernels driven over ZMQ, pointed at an in-process emulator on loopback.

Starting a kernel costs seconds on a small machine, so each test module shares
one kernel (``kernel`` fixture, module scope) and one emulator. Every iopub
message a kernel ever sends is kept in ``Kernel.messages``, so a module can
check at the end that the API key never left the kernel.

Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py; a test
that starts a kernel is marked ``pytest.mark.kernel`` (selected with ``-m kernel``).

Fixtures (all module scope)
---------------------------
module_emulator    a fast emulator (a 6 s clip takes under a second).
root               the kernel's working directory: where a notebook would live.
kernel             a headless kernel on `module_emulator`, in `root`.
slow_emulator      an emulator at `slow_speed` (default 10: ltx-2-pro 6 s takes ~7 s),
                   slow enough that a job is still running while the test acts on it.
slow_kernel        a kernel on `slow_emulator`, in `root`, with `slow_kernel_env` added
                   to its environment (default: nothing, i.e. headless).

A module changes the slow pair by overriding ``slow_speed`` or ``slow_kernel_env``.
"""

from __future__ import annotations

import json
import os
import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, make_emulator

Message = dict[str, Any]


@dataclass
class Run:
    """What one execute request produced: its reply and the iopub traffic seen meanwhile."""

    msg_id: str
    reply: Message | None = None
    messages: list[Message] = field(default_factory=list)  # every iopub msg, any parent

    @property
    def own(self) -> list[Message]:
        return [m for m in self.messages if m["parent_header"].get("msg_id") == self.msg_id]

    @property
    def status(self) -> str | None:
        return None if self.reply is None else self.reply["content"]["status"]

    @property
    def page(self) -> str:
        """What ``?`` shows: ipykernel sends it as a pager payload on the reply."""
        assert self.reply is not None
        return "".join(
            p.get("data", {}).get("text/plain", "")
            for p in self.reply["content"].get("payload", [])
        )

    @property
    def stdout(self) -> str:
        return "".join(
            m["content"]["text"]
            for m in self.own
            if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
        )

    @property
    def stderr(self) -> str:
        return "".join(
            m["content"]["text"]
            for m in self.own
            if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"
        )

    @property
    def error(self) -> Message | None:
        for m in self.own:
            if m["msg_type"] == "error":
                return m["content"]
        return None

    def displays(self, kind: str = "display_data") -> list[Message]:
        return [m for m in self.own if m["msg_type"] == kind]

    def html(self) -> list[str]:
        out = []
        for m in self.own:
            if m["msg_type"] in ("display_data", "update_display_data", "execute_result"):
                data = m["content"]["data"]
                if "text/html" in data:
                    out.append(data["text/html"])
        return out

    def result(self) -> dict[str, Any] | None:
        for m in self.own:
            if m["msg_type"] == "execute_result":
                return m["content"]["data"]
        return None

    def text(self) -> str:
        """Everything a person would read: streams, errors, plain and HTML outputs."""
        return json.dumps([m["content"] for m in self.own])


class Kernel:
    """One ipykernel process (the .venv's python3 kernelspec) and a blocking client."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.km = KernelManager(kernel_name="python3")
        full_env = {**os.environ, **env}
        for name, value in env.items():
            if value is None:  # None removes an inherited variable
                full_env.pop(name, None)
        self.km.start_kernel(env=full_env, cwd=str(cwd))
        self.messages: list[Message] = []
        self._connect()

    def _connect(self) -> None:
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def send(self, code: str) -> str:
        return self.kc.execute(code, store_history=True, allow_stdin=False)

    def collect(
        self,
        msg_id: str,
        timeout: float = 60,
        *,
        until: Callable[[Run], bool] | None = None,
    ) -> Run:
        """Read iopub and shell until *msg_id* is idle and replied (or *until* holds)."""
        run = Run(msg_id)
        idle = False
        deadline = time.monotonic() + timeout
        while True:
            if until is not None and until(run):
                return run
            if until is None and idle and run.reply is not None:
                return run
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no end to {msg_id} after {timeout}s: {run.text()[-2000:]}")
            got = False
            try:
                msg = self.kc.get_iopub_msg(timeout=min(0.1, left))
            except queue.Empty:
                pass
            else:
                got = True
                self.messages.append(msg)
                run.messages.append(msg)
                parent = msg["parent_header"].get("msg_id")
                if (
                    parent == msg_id
                    and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"
                ):
                    idle = True
            if run.reply is None:
                try:
                    reply = self.kc.get_shell_msg(timeout=0 if got else 0.01)
                except queue.Empty:
                    pass
                else:
                    if reply["parent_header"].get("msg_id") == msg_id:
                        run.reply = reply

    def run(self, code: str, timeout: float = 60) -> Run:
        return self.collect(self.send(code), timeout)

    def ok(self, code: str, timeout: float = 60) -> Run:
        """Run *code*; fail the test with the kernel's own words if it raised."""
        result = self.run(code, timeout)
        assert result.status == "ok", result.text()[-3000:]
        return result

    def drain(self, seconds: float) -> list[Message]:
        """Collect iopub traffic for *seconds* (late display updates from the runtime)."""
        got: list[Message] = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.kc.get_iopub_msg(timeout=min(0.1, left))
            except queue.Empty:
                continue
            self.messages.append(msg)
            got.append(msg)
        return got

    def restart(self) -> None:
        self.kc.stop_channels()
        self.km.restart_kernel(now=True)
        self._connect()

    def interrupt(self) -> None:
        self.km.interrupt_kernel()

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def all_text(self) -> str:
        return json.dumps([m["content"] for m in self.messages])


def kernel_env(emulator: Emulator | None, root: Path, **extra: str | None) -> dict[str, Any]:
    """The environment a kernel needs to reach *emulator* and keep its files under *root*."""
    env: dict[str, Any] = {
        "LTX_NOTEBOOK_MEDIA_DIR": str(root / "ltx_media"),
        "LTX_NOTEBOOK_STORE": None,
        "SEGMIND_BASE_URL": emulator.base_url if emulator else None,
        "SEGMIND_API_KEY": API_KEY if emulator else None,
        # Decided per test module: a stray value from the developer's shell must not leak in.
        "LTX_NOTEBOOK_FRONTEND": None,
        "JPY_SESSION_NAME": None,
        "VSCODE_PID": None,
        "VSCODE_CWD": None,
        "COLAB_RELEASE_TAG": None,
    }
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def module_emulator(render_cache: Path) -> Iterator[Emulator]:
    """A fast emulator (a 6 s clip takes under a second) shared by one module."""
    with make_emulator(render_cache, speed=100.0) as emu:
        yield emu


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kernel's working directory: where a notebook would live."""
    return tmp_path_factory.mktemp("nb")


@pytest.fixture(scope="module")
def kernel(module_emulator: Emulator, root: Path) -> Iterator[Kernel]:
    k = start_kernel(root, kernel_env(module_emulator, root))
    yield k
    k.shutdown()


@pytest.fixture(scope="module")
def slow_speed() -> float:
    """The speed of `slow_emulator`: 10 makes an ltx-2-pro 6 s clip take ~7 s."""
    return 10.0


@pytest.fixture(scope="module")
def slow_emulator(render_cache: Path, slow_speed: float) -> Iterator[Emulator]:
    with make_emulator(render_cache, speed=slow_speed) as emu:
        yield emu


@pytest.fixture(scope="module")
def slow_kernel_env() -> dict[str, str]:
    """What `slow_kernel` adds to `kernel_env`: nothing, so it is headless."""
    return {}


@pytest.fixture(scope="module")
def slow_kernel(
    slow_emulator: Emulator, root: Path, slow_kernel_env: dict[str, str]
) -> Iterator[Kernel]:
    k = start_kernel(root, kernel_env(slow_emulator, root, **slow_kernel_env))
    yield k
    k.shutdown()


def start_kernel(cwd: Path, env: dict[str, Any]) -> Kernel:
    kernel = Kernel(cwd, env)
    kernel.ok("%load_ext ltx_notebook")
    return kernel


def assert_no_key(kernel: Kernel, *extra: str) -> None:
    """The API key appears in no iopub message this kernel ever sent (nor in *extra*)."""
    assert kernel.messages, "no messages were collected"
    assert API_KEY not in kernel.all_text()
    for text in extra:
        assert API_KEY not in text


def assert_one_usage_error(kernel: Kernel, emulator: Emulator, code: str, message: str) -> None:
    """*code* ends in one ``UsageError`` line holding *message*, no traceback, nothing sent."""
    before = emulator.engine.count()
    run = kernel.run(code)
    assert run.status == "error"
    assert run.reply is not None and run.reply["content"]["ename"] == "UsageError"
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("UsageError: ") and message in lines[0], lines[0]
    assert "Traceback" not in run.text()
    assert emulator.engine.count() == before
