"""``ltx-notebook emulator`` as a real subprocess: first line is the URL, signals stop it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from ltx_notebook._cli import main
from tests.emulator.emu_support import KEY


def launch(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from ltx_notebook._cli import main; sys.exit(main())",
            "emulator",
            "--port",
            "0",
            "--speed",
            "100",
            "--render-scale",
            "0.1",
            "--preset",
            "ultrafast",
            "--api-key",
            KEY,
            "--data-dir",
            str(tmp_path / "data"),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()))  # type: ignore[union-attr]
    reader.start()
    reader.join(30)
    if not line:
        proc.kill()
        pytest.fail("the emulator printed no URL within 30 s")
    return proc, line[0].strip()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_url_serves_and_stops(tmp_path: Path, sig: signal.Signals) -> None:
    proc, url = launch(tmp_path, "--credits", "12.5")
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert not url.endswith(":0/v1")
        response = httpx.get(f"{url}/get-user-credits", headers={"x-api-key": KEY}, timeout=10)
        assert response.json() == {"credits": 12.5, "free-credits": 0.0}
        submit = httpx.post(
            url.removesuffix("/v1") + "/v2/ltx-2-pro",
            json={"prompt": "from the cli"},
            headers={"x-api-key": KEY},
            timeout=10,
        )
        assert submit.status_code == 200
    finally:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert KEY not in err


def test_cli_history_envelope(tmp_path: Path) -> None:
    proc, url = launch(tmp_path, "--history-envelope", "list")
    try:
        root = url.removesuffix("/v1")
        headers = {"x-api-key": KEY}
        rid = httpx.post(
            f"{root}/v2/ltx-2-fast", json={"prompt": "kept"}, headers=headers, timeout=10
        ).json()["request_id"]
        listing = httpx.get(f"{root}/inference-request/request-history", headers=headers)
        assert [row["request_id"] for row in listing.json()] == [rid]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    with pytest.raises(SystemExit):
        main(["emulator", "--history-envelope", "xml"])


def test_cli_rejects_bad_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["emulator", "--fail-rate", "2"])
    assert exit_info.value.code == 2
    assert main(["emulator", "--render-scale", "3", "--port", "0"]) == 2
    assert "render_scale" in capsys.readouterr().err


def test_cli_without_a_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "emulator" in capsys.readouterr().out
