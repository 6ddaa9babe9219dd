"""Fixtures for the real-browser tests: JupyterLab + Debian's headless Chromium (Playwright).

Registered for the whole suite by ``pytest_plugins`` in tests/conftest.py, so a browser
test lives next to what it shows; it is marked ``pytest.mark.browser`` (selected with
``-m browser``, and run last: see tests/conftest.py). The driver is tests/harness/lab.py.

Fixtures
--------
lab_emulator (session)     an in-process Segmind emulator (speed 7: a 6 s ltx-2-pro job takes
                           ~10 s; clips at render_scale 0.25) on a loopback socket.
lab_server_env (session)   dict of extra env vars for the lab server (kernels inherit
                           them): SEGMIND_BASE_URL / SEGMIND_API_KEY of `lab_emulator`.
lab_server_settings (session)  JupyterLab user settings merged over the harness defaults.
jupyter_lab (session)      a running `LabServer` (.url, .token, .root_dir, .write_notebook())
lab_server_factory (function)  `start(extra_env=..., settings=...) -> LabServer` for a
                           dedicated server, stopped at test end.
browser (session)          Playwright Browser (Chromium at /usr/bin/chromium).
page (function)            fresh context + page, 1280x900, device_scale_factor=1.
lab (function)             `Lab(page, jupyter_lab)`; kernels are shut down at teardown,
                           and a screenshot is saved to test-artifacts/ when the test fails.
jupyter_notebook7 (session)  a running Notebook 7 `LabServer` (app "notebook"), same env.
front_end (function)       parametrized "lab" / "notebook": a `Lab` driver on JupyterLab or on
                           Notebook 7 (`front_end.notebook7` tells which), torn down as `lab`.

Pointing kernels at an emulator, in a conftest (session-wide) ::

    @pytest.fixture(scope="session")
    def lab_server_env(emulator):
        return {"SEGMIND_BASE_URL": emulator.url, "SEGMIND_API_KEY": "test-key"}

or per test: ``server = lab_server_factory(extra_env={...}); lab = Lab(page, server)``.
Notebooks: ``jupyter_lab.write_notebook("dir/x.ipynb", ["%%ltx ...", ...])`` (str cells are
code cells, bound to the .venv ``python3`` kernel), then ``lab.open_notebook("dir/x.ipynb")``.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.harness.lab import (
    ARTIFACTS_DIR,
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    VIEWPORT,
    Lab,
    LabServer,
    start_lab_server,
)


def _unavailable(reason: str) -> None:
    """Fail on CI (a missing browser must not silently pass), skip locally."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is an error, not a skip)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


# The emulator the kernels of the session server talk to: ltx-2-pro 6 s (~70 s on the
# real service) takes ~10 s at speed 7; clips are rendered at a quarter size (480x270).
LAB_EMULATOR_SPEED = 7.0
LAB_EMULATOR_KEY = "sk-lab-0123456789abcdef"


@pytest.fixture(scope="session")
def lab_emulator(render_cache: Path) -> Iterator[Any]:
    """An emulator served from the pytest process on a loopback socket, for the lab's kernels."""
    from ltx_notebook.emulator import Emulator, EmulatorConfig

    config = EmulatorConfig(
        speed=LAB_EMULATOR_SPEED,
        render_scale=0.25,
        api_key=LAB_EMULATOR_KEY,
        seed=11,
        data_dir=render_cache,
        preset="ultrafast",
    )
    with Emulator(config) as emu:
        yield emu


@pytest.fixture(scope="session")
def lab_server_env(lab_emulator: Any) -> dict[str, str]:
    """Kernels of the session server use `lab_emulator` (never the real service)."""
    return {"SEGMIND_BASE_URL": lab_emulator.base_url, "SEGMIND_API_KEY": LAB_EMULATOR_KEY}


@pytest.fixture(scope="session")
def lab_server_settings() -> dict[str, dict[str, Any]]:
    return {}


@pytest.fixture(scope="session")
def jupyter_lab(
    tmp_path_factory: pytest.TempPathFactory,
    lab_server_env: dict[str, str],
    lab_server_settings: dict[str, dict[str, Any]],
) -> Iterator[LabServer]:
    server = start_lab_server(
        tmp_path_factory.mktemp("lab"),
        extra_env=lab_server_env,
        settings=lab_server_settings,
        log_dir=ARTIFACTS_DIR,
        log_name="jupyter-lab.log",
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., LabServer]]:
    servers: list[LabServer] = []

    def start(
        extra_env: Mapping[str, str] | None = None,
        settings: Mapping[str, Mapping[str, Any]] | None = None,
        **kwargs: Any,
    ) -> LabServer:
        server = start_lab_server(
            tmp_path_factory.mktemp("lab"),
            extra_env=extra_env,
            settings=settings,
            log_dir=ARTIFACTS_DIR,
            log_name=f"jupyter-lab-{len(servers) + 1}.log",
            **kwargs,
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM_PATH).exists():
        _unavailable(
            f"Chromium not found at {CHROMIUM_PATH}: install Debian's package "
            "(apt-get install chromium) or run .ci/run"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - dependency problem
        _unavailable(f"playwright (Python) is not importable: {exc}")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def jupyter_notebook7(
    tmp_path_factory: pytest.TempPathFactory,
    lab_server_env: dict[str, str],
    lab_server_settings: dict[str, dict[str, Any]],
) -> Iterator[LabServer]:
    server = start_lab_server(
        tmp_path_factory.mktemp("notebook7"),
        extra_env=lab_server_env,
        settings=lab_server_settings,
        log_dir=ARTIFACTS_DIR,
        log_name="jupyter-notebook7.log",
        app="notebook",
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab(request: pytest.FixtureRequest, page: Any, jupyter_lab: LabServer) -> Iterator[Lab]:
    driver = Lab(page, jupyter_lab)
    yield driver
    _finish(request, driver, jupyter_lab, page)


@pytest.fixture(params=["lab", "notebook"])
def front_end(request: pytest.FixtureRequest, page: Any) -> Iterator[Lab]:
    name = "jupyter_lab" if request.param == "lab" else "jupyter_notebook7"
    server: LabServer = request.getfixturevalue(name)
    driver = Lab(page, server)
    yield driver
    _finish(request, driver, server, page)


def _finish(request: pytest.FixtureRequest, driver: Lab, server: LabServer, page: Any) -> None:
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        name = "FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        try:
            path = driver.screenshot(name)
            print(f"\nfailure screenshot: {path}\nserver log: {server.log_path}")
            print(driver.describe())
        except Exception as exc:
            print(f"\ncould not take failure screenshot: {exc}")
    if driver.theme_changed:
        with contextlib.suppress(Exception):
            driver.set_theme("light")
    page.close()
    server.shutdown_kernels()
