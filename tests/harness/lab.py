"""Real-browser harness: a throw-away JupyterLab (or Notebook 7) server plus a page driver.

Both front ends are the same application framework: Notebook 7 (``app="notebook"``)
runs on JupyterLab's packages, exposes ``window.jupyterapp`` the same way and has the
same command ids and output DOM, so one driver serves both; only the page URLs differ
(``/notebooks/<path>`` rather than ``/lab/tree/<path>``), and Notebook 7 has no splash.

`LabServer` runs ``python -m jupyterlab`` on 127.0.0.1 with a random token, an isolated
Jupyter config/data/runtime/settings/workspaces tree and no network-bound features (news,
update checks, PyPI extension manager).  `Lab` wraps a Playwright ``Page`` pointed at it.

JupyterLab is started with ``--LabApp.expose_app_in_browser=True`` so the page exposes
``window.jupyterapp``; commands (run all, change theme, ...) are executed through the
application's command registry, which is what JupyterLab's own Galata test tool does.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import nbformat

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = Path(os.environ.get("LTX_TEST_ARTIFACTS", REPO_ROOT / "test-artifacts"))
CHROMIUM_PATH = os.environ.get("LTX_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
)
VIEWPORT = {"width": 1280, "height": 900}

THEMES = {"light": "JupyterLab Light", "dark": "JupyterLab Dark"}

# JupyterLab user settings written into the isolated JUPYTERLAB_SETTINGS_DIR.
DEFAULT_LAB_SETTINGS: dict[str, dict[str, Any]] = {
    # No news feed / update check (network) and no "receive news?" toast over screenshots.
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    # Attach every cell to the DOM so locators see all outputs.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:themes": {"theme": THEMES["light"]},
}

# JS: find the NotebookPanel whose document path is `path` (or the current one).
_JS_PANEL = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.content && w.sessionContext && (path === null || w.context.path === path))
      return w;
  }
  return null;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_settings(settings_dir: Path, settings: Mapping[str, Mapping[str, Any]]) -> None:
    for plugin_id, values in settings.items():
        package, plugin = plugin_id.split(":", 1)
        target = settings_dir / package / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2))


def make_notebook(cells: Iterable[str | nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """A v4 notebook bound to the ``python3`` kernel; str cells become code cells."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) if isinstance(c, str) else c for c in cells]
    return nb


@dataclass
class LabServer:
    """A running JupyterLab server. `url` ends with '/'."""

    url: str
    token: str
    root_dir: Path
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes]
    home: Path
    app: Literal["lab", "notebook"] = "lab"
    _owned_tmp: Path | None = field(default=None, repr=False)

    # --- files -------------------------------------------------------------------------
    def write_notebook(
        self, path: str | Path, cells: Iterable[str | nbformat.NotebookNode]
    ) -> Path:
        """Write a notebook (relative to root_dir) whose str cells are code cells."""
        target = self.root_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_notebook(cells), target)
        return target

    def write_file(self, path: str | Path, content: str | bytes) -> Path:
        target = self.root_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
        return target

    # --- REST --------------------------------------------------------------------------
    def api(self, path: str, method: str = "GET", body: Any = None, timeout: float = 10) -> Any:
        """Call the Jupyter REST API (``path`` like 'api/kernels'); returns decoded JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path.lstrip("/"),
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def kernels(self) -> list[dict[str, Any]]:
        return list(self.api("api/kernels"))

    def shutdown_kernels(self) -> None:
        """Shut down every kernel (and session) of the server."""
        with contextlib.suppress(OSError, urllib.error.URLError):
            for s in self.api("api/sessions"):
                with contextlib.suppress(urllib.error.HTTPError):
                    self.api(f"api/sessions/{s['id']}", method="DELETE")
            for k in self.kernels():
                with contextlib.suppress(urllib.error.HTTPError):
                    self.api(f"api/kernels/{k['id']}", method="DELETE")

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    # --- lifecycle ---------------------------------------------------------------------
    def stop(self, timeout: float = 15) -> None:
        if self.proc.poll() is None:
            self.shutdown_kernels()
            with contextlib.suppress(OSError, urllib.error.URLError):
                self.api("api/shutdown", method="POST")
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
        if self._owned_tmp is not None:
            shutil.rmtree(self._owned_tmp, ignore_errors=True)


def start_lab_server(
    base_dir: Path | None = None,
    *,
    extra_env: Mapping[str, str] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
    extra_args: Sequence[str] = (),
    python: str = sys.executable,
    startup_timeout: float = 60,
    log_dir: Path | None = None,
    log_name: str | None = None,
    app: Literal["lab", "notebook"] = "lab",
) -> LabServer:
    """Start JupyterLab (or Notebook 7: *app* ``"notebook"``); wait until ``/api/status`` answers.

    base_dir: a scratch dir (created under the system tmp dir and removed on stop() if
    None); it holds ``root/`` (the lab root) and the isolated Jupyter dirs.
    extra_env: added to the server's environment, which the kernels inherit.
    settings: JupyterLab user settings merged over DEFAULT_LAB_SETTINGS.
    log_dir/log_name: where the server's stdout+stderr go (default base_dir and
    ``jupyter-lab-<port>.log``); the file is overwritten.
    """
    owned = None
    if base_dir is None:
        base_dir = owned = Path(tempfile.mkdtemp(prefix="ltx-lab-"))
    base_dir = Path(base_dir)
    dirs = {
        name: base_dir / name
        for name in ("root", "config", "data", "runtime", "settings", "workspaces", "ipython")
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    merged = {k: dict(v) for k, v in DEFAULT_LAB_SETTINGS.items()}
    for k, v in (settings or {}).items():
        merged.setdefault(k, {}).update(v)
    _write_settings(dirs["settings"], merged)

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("JUPYTER", "JPY_")) and k not in {"IPYTHONDIR", "PYTHONSTARTUP"}
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        JUPYTER_PREFER_ENV_PATH="1",
        IPYTHONDIR=str(dirs["ipython"]),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra_env or {})

    token = secrets.token_hex(24)
    port = free_port()
    log_dir = Path(log_dir) if log_dir is not None else base_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / (log_name or f"jupyter-{app}-{port}.log")
    app_args = (
        [
            "jupyterlab",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.expose_app_in_browser=True",
        ]
        if app == "lab"
        else ["notebook", "--JupyterNotebookApp.expose_app_in_browser=True"]
    )
    cmd = [
        python,
        "-m",
        app_args[0],
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={dirs['root']}",
        "--ServerApp.terminals_enabled=False",
        *app_args[1:],
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        *extra_args,
    ]
    log = log_path.open("wb")
    proc = subprocess.Popen(
        cmd,
        cwd=dirs["root"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    log.close()
    server = LabServer(
        url=f"http://127.0.0.1:{port}/",
        token=token,
        root_dir=dirs["root"],
        env=env,
        log_path=log_path,
        proc=proc,
        home=base_dir,
        app=app,
        _owned_tmp=owned,
    )
    deadline = time.monotonic() + startup_timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"jupyter lab exited with {proc.returncode}; log:\n{server.log_tail()}"
            )
        try:
            server.api("api/status", timeout=2)
            break
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"jupyter lab did not answer in {startup_timeout}s; log:\n{server.log_tail()}"
                ) from None
            time.sleep(0.1)
    return server


# ---------------------------------------------------------------------------------------
# Page driver
# ---------------------------------------------------------------------------------------


class LabError(AssertionError):
    """A notebook action failed (cell error, timeout); carries useful context."""


class Lab:
    """Drives one JupyterLab page. Times are in milliseconds (Playwright convention)."""

    def __init__(self, page: Any, server: LabServer, *, timeout_ms: float = 60_000) -> None:
        self.page = page
        self.server = server
        self.timeout_ms = timeout_ms
        self.path: str | None = None
        self.panel_id: str | None = None
        self.theme_changed = False
        self._workspace = f"t{secrets.token_hex(4)}"
        # URLs the page requested outside loopback (should stay empty: no network here).
        self.external_requests: list[str] = []
        page.on("request", self._track_request)

    def _track_request(self, request: Any) -> None:
        url = request.url
        host = urllib.parse.urlsplit(url).hostname
        if url.startswith(("http:", "https:", "ws:", "wss:")) and host not in {
            "127.0.0.1",
            "localhost",
            "::1",
        }:
            self.external_requests.append(url)

    # --- navigation --------------------------------------------------------------------
    @property
    def notebook7(self) -> bool:
        return self.server.app == "notebook"

    def lab_url(self, tail: str = "") -> str:
        q = urllib.parse.urlencode({"token": self.server.token})
        if self.notebook7:  # /tree/... is Notebook 7's file browser, /notebooks/... a notebook
            if tail.startswith("tree/") and tail.endswith(".ipynb"):
                tail = "notebooks/" + tail[len("tree/") :]
            return f"{self.server.url}{tail or 'tree'}?{q}"
        return f"{self.server.url}lab/workspaces/{self._workspace}/{tail}?reset&{q}"

    def goto_lab(self) -> None:
        """Load an empty JupyterLab (fresh workspace; Notebook 7: its file browser)."""
        self.page.goto(self.lab_url(), wait_until="domcontentloaded")
        self._wait_app()

    def _wait_app(self) -> None:
        self.page.wait_for_function("() => !!window.jupyterapp", timeout=self.timeout_ms)
        self.page.evaluate(
            "async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }"
        )
        self.wait_no_splash()

    def wait_no_splash(self) -> None:
        """Wait until JupyterLab's splash screen (shown at load and theme change) is gone."""
        self.page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=self.timeout_ms)

    def open_notebook(self, path: str | Path, *, wait_kernel: bool = True) -> None:
        """Open `path` (relative to the lab root) in a fresh workspace; wait for its kernel."""
        self.path = Path(path).as_posix()
        if not (self.server.root_dir / self.path).is_file():
            raise FileNotFoundError(f"{self.path} is not in the lab root {self.server.root_dir}")
        tail = "tree/" + urllib.parse.quote(self.path)
        self.page.goto(self.lab_url(tail), wait_until="domcontentloaded")
        self._wait_app()
        self.page.wait_for_function(
            f"(path) => {{ const p = ({_JS_PANEL})(path); return !!(p && p.isVisible); }}",
            arg=self.path,
            timeout=self.timeout_ms,
        )
        self.panel_id = self.page.evaluate(
            f"async (path) => {{ const p = ({_JS_PANEL})(path); await p.context.ready;"
            " await p.revealed; return p.id; }",
            self.path,
        )
        if wait_kernel:
            self.wait_kernel_ready()

    def wait_kernel_ready(self) -> None:
        self.page.wait_for_function(
            f"""(path) => {{
              const p = ({_JS_PANEL})(path);
              const k = p && p.sessionContext.session && p.sessionContext.session.kernel;
              return !!(k && p.sessionContext.isReady && k.status === 'idle');
            }}""",
            arg=self.path,
            timeout=self.timeout_ms,
        )

    # --- commands ----------------------------------------------------------------------
    def command(self, command_id: str, args: Mapping[str, Any] | None = None) -> Any:
        """Execute a JupyterLab command and await its promise (returns a JSON-able result)."""
        return self.page.evaluate(
            """async ([id, args]) => {
              const r = await window.jupyterapp.commands.execute(id, args);
              try { return JSON.parse(JSON.stringify(r ?? null)); } catch { return null; }
            }""",
            [command_id, dict(args or {})],
        )

    def _activate(self) -> None:
        self.page.evaluate(
            f"(path) => window.jupyterapp.shell.activateById(({_JS_PANEL})(path).id)", self.path
        )

    def _start_command(self, command_id: str) -> None:
        """Fire a notebook command; its promise settles into window.__ltxRun."""
        self.page.evaluate(
            """(id) => {
              const st = window.__ltxRun = {id, done: false, result: null, error: null};
              window.jupyterapp.commands.execute(id).then(
                (r) => { st.done = true; st.result = r === undefined ? null : r; },
                (e) => { st.done = true; st.error = String(e); });
            }""",
            command_id,
        )

    def run_all(
        self, *, wait: bool = True, timeout_ms: float | None = None, raise_on_error: bool = True
    ) -> None:
        """Run → Run All Cells (``notebook:run-all-cells``).

        wait=True: wait_run() — every cell ran, kernel idle, raise LabError on error
        outputs if raise_on_error. wait=False: return at once (cells show ``[*]``), e.g. to
        watch a progress widget; call wait_run() or wait_idle() later.
        """
        self._activate()
        self._start_command("notebook:run-all-cells")
        if wait:
            self.wait_run(timeout_ms=timeout_ms, raise_on_error=raise_on_error)

    def run_cell(
        self,
        i: int,
        *,
        wait: bool = True,
        timeout_ms: float | None = None,
        raise_on_error: bool = True,
    ) -> None:
        """Select cell `i` (0-based) and run it (``notebook:run-cell``, no advance)."""
        self._activate()
        self.page.evaluate(
            f"([path, i]) => {{ const p = ({_JS_PANEL})(path);"
            " p.content.activeCellIndex = i; p.content.deselectAll(); }",
            [self.path, i],
        )
        self._start_command("notebook:run-cell")
        if wait:
            self.wait_run(timeout_ms=timeout_ms, raise_on_error=raise_on_error)

    def wait_run(self, *, timeout_ms: float | None = None, raise_on_error: bool = True) -> None:
        """Wait for the last run_all()/run_cell() to finish and the kernel to be idle."""
        timeout = timeout_ms or self.timeout_ms
        try:
            self.page.wait_for_function("() => window.__ltxRun.done", timeout=timeout)
            self.wait_idle(timeout_ms=timeout)
        except Exception as exc:  # playwright TimeoutError
            raise LabError(f"run did not finish in {timeout} ms\n{self.describe()}") from exc
        state = self.page.evaluate("() => window.__ltxRun")
        if state["error"]:
            raise LabError(f"{state['id']} failed: {state['error']}")
        if raise_on_error and (errors := self.error_outputs()):
            raise LabError("cell raised:\n" + "\n---\n".join(errors))

    def wait_idle(self, *, timeout_ms: float | None = None) -> None:
        """Wait until no cell is queued/running and the kernel reports idle."""
        self.page.wait_for_function(
            f"""(path) => {{
              const p = ({_JS_PANEL})(path);
              if (!p) return false;
              const k = p.sessionContext.session && p.sessionContext.session.kernel;
              if (!k || k.status !== 'idle') return false;
              return [...p.node.querySelectorAll('.jp-InputArea-prompt')]
                .every((n) => !n.textContent.includes('*'));
            }}""",
            arg=self.path,
            timeout=timeout_ms or self.timeout_ms,
        )

    def set_theme(self, theme: Literal["light", "dark"]) -> None:
        """Switch JupyterLab's theme and wait until it is applied."""
        name = THEMES[theme]
        self.command("apputils:change-theme", {"theme": name})
        self.page.wait_for_function(
            """([name, light]) => document.body.dataset.jpThemeName === name
                 && document.body.dataset.jpThemeLight === light""",
            arg=[name, "true" if theme == "light" else "false"],
            timeout=self.timeout_ms,
        )
        self.wait_no_splash()
        self.theme_changed = theme != "light"

    def click_menu(self, *labels: str) -> None:
        """Click through the main menu, e.g. click_menu("Run", "Run All Cells")."""
        top, *rest = labels
        self.page.locator(
            ".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")
        ).click()
        for label in rest:
            item = self.page.locator(".lm-Menu:visible .lm-Menu-item").filter(
                has=self.page.locator(
                    ".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$")
                )
            )
            item.first.click()

    # --- locators ----------------------------------------------------------------------
    @property
    def notebook(self) -> Any:
        """Locator of the open notebook panel."""
        assert self.panel_id, "open_notebook() first"
        return self.page.locator(f"[id='{self.panel_id}']")

    def cell(self, i: int) -> Any:
        return self.notebook.locator(".jp-Notebook .jp-Cell").nth(i)

    def cell_output(self, i: int) -> Any:
        """Locator of the output area (``.jp-OutputArea``) of cell `i` (0-based)."""
        return self.cell(i).locator(".jp-OutputArea").first

    def cell_outputs(self, i: int) -> Any:
        """Locator of the individual outputs (``.jp-OutputArea-output``) of cell `i`."""
        return self.cell(i).locator(".jp-OutputArea-output")

    def error_outputs(self) -> list[str]:
        loc = self.notebook.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
        )
        return [t.strip() for t in loc.all_inner_texts()]

    def describe(self) -> str:
        """Short textual state for failure messages: prompts and output texts."""
        try:
            cells = self.page.evaluate(
                f"""(path) => {{
                  const p = ({_JS_PANEL})(path);
                  if (!p) return ['<no notebook panel>'];
                  const k = p.sessionContext.session && p.sessionContext.session.kernel;
                  return ['kernel: ' + (k ? k.status : 'none')].concat(
                    [...p.node.querySelectorAll('.jp-Cell')].map((c, i) => {{
                      const pr = c.querySelector('.jp-InputArea-prompt');
                      const o = c.querySelector('.jp-OutputArea');
                      return `cell ${{i}} ${{pr ? pr.textContent : ''}} `
                        + (o ? o.innerText.slice(0, 400) : '');
                    }}));
                }}""",
                self.path,
            )
            return "\n".join(cells)
        except Exception as exc:
            return f"<describe failed: {exc}>"

    # --- media -------------------------------------------------------------------------
    def media_state(self, locator: Any) -> dict[str, Any]:
        """readyState, duration, currentTime, paused, error, videoWidth/Height, src of a
        <video>/<audio> element."""
        return dict(
            locator.evaluate(
                """(v) => ({readyState: v.readyState, duration: v.duration,
                  currentTime: v.currentTime, paused: v.paused, ended: v.ended,
                  error: v.error ? v.error.code + ' ' + v.error.message : null,
                  videoWidth: v.videoWidth, videoHeight: v.videoHeight,
                  src: v.currentSrc || v.src, networkState: v.networkState})"""
            )
        )

    def wait_media_loaded(self, locator: Any, *, timeout_ms: float = 20_000) -> dict[str, Any]:
        """Wait until a <video>/<audio> has its metadata (or an error); fail on an error.

        JupyterLab rewrites a relative ``src`` to its ``/files/`` URL asynchronously,
        and ``play()`` on an element whose current source failed rejects at once, so
        a test plays only what has loaded, as a person clicking play would.
        """
        handle = locator.element_handle()
        try:
            self.page.wait_for_function(
                "(v) => v.readyState >= 1 || v.error !== null", arg=handle, timeout=timeout_ms
            )
        except Exception as exc:
            raise LabError(f"media never loaded: {self.media_state(locator)}") from exc
        state = self.media_state(locator)
        if state["error"] is not None:
            raise LabError(f"media failed to load: {state}")
        return state

    # --- artifacts ---------------------------------------------------------------------
    def screenshot(self, name: str, *, full_page: bool = False, locator: Any = None) -> Path:
        """Save a PNG under test-artifacts/ (repo root) and return its path."""
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "shot"
        path = ARTIFACTS_DIR / (safe if safe.endswith(".png") else f"{safe}.png")
        if locator is not None:
            locator.screenshot(path=str(path), caret="hide")
        else:
            self.page.screenshot(path=str(path), full_page=full_page, caret="hide")
        return path
