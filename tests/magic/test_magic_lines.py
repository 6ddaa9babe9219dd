"""The ``%ltx`` subcommands in a real kernel: status, history, show, credits, config, emulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY
from tests.harness.kernel import Kernel, assert_no_key, kernel_env, start_kernel

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def job(kernel: Kernel) -> dict[str, str]:
    """One finished job: its local id, request id and video path."""
    kernel.ok("%%ltx -o job --tag lines\na heron standing in a misty river")
    out = kernel.ok("print(job.id, job.request_id, job.video_path)").stdout.split()
    return {"id": out[0], "rid": out[1], "path": out[2]}


def videos(html: list[str]) -> list[str]:
    return [h for h in html if "<video" in h]


def test_status_of_one_job_and_of_the_unfinished_ones(kernel: Kernel, job: dict[str, str]) -> None:
    for key in (job["id"], job["rid"]):
        out = kernel.ok(f"%ltx status {key}").stdout
        assert job["rid"] in out and "COMPLETED" in out and job["path"] in out
    assert kernel.ok("%ltx status").stdout.strip() == "no unfinished jobs"


def test_history_returns_the_dataframe(kernel: Kernel, job: dict[str, str]) -> None:
    run = kernel.ok("%ltx history")
    assert run.result() is not None and "<table" in run.result()["text/html"]
    out = kernel.ok(
        "h = %ltx history\n"
        "import pandas as pd\n"
        "print(isinstance(h, pd.DataFrame), h.loc[int(job.id), 'tag'], "
        "h.loc[int(job.id), 'status'])"
    ).stdout.split()
    assert out == ["True", "lines", "COMPLETED"]


def test_show_displays_the_video_again(kernel: Kernel, job: dict[str, str], root: Path) -> None:
    run = kernel.ok(f"%ltx show {job['rid']}")
    (html,) = videos(run.html())
    src = re.search(r'\ssrc="([^"]+)"', html)
    assert src and (root / src.group(1)).is_file()


def test_show_fetches_a_deleted_file_again_then_falls_back_to_a_placeholder(
    kernel: Kernel, job: dict[str, str], module_emulator: Emulator, root: Path
) -> None:
    video = root / job["path"]
    video.unlink()
    downloads = module_emulator.engine.count("media")
    run = kernel.ok(f"%ltx show {job['id']}")
    assert "fetching job" in run.stdout
    assert videos(run.html()) and video.is_file()
    assert module_emulator.engine.count("media") == downloads + 1

    # The service no longer serves it: a placeholder naming the job, not a broken player.
    # (A failed download is tried a few times first; quickly here.)
    kernel.ok(
        "import ltx_notebook\nfrom ltx_notebook._core.backoff import Backoff\n"
        "ltx_notebook._api._default_session().backoff = Backoff(base=0.01, cap=0.05)"
    )
    video.unlink()
    module_emulator.engine.inject("media", 404, times=50)
    try:
        run = kernel.ok(f"%ltx show {job['id']}")
    finally:
        module_emulator.engine.clear_faults()
    assert not video.exists()
    (html,) = run.html()
    assert "<video" not in html and "ltx-placeholder" in html
    assert f"LTX job {job['id']}" in html and job["rid"] in html
    assert "ltx-2-pro · 6s · 1080p · audio" in html  # the params
    assert "failed" in html and f"%ltx show {job['id']}" in html


def test_credits(kernel: Kernel, module_emulator: Emulator, job: dict[str, str]) -> None:
    out = kernel.ok("%ltx credits").stdout
    assert f"credits: {module_emulator.engine.credits:.4f}" in out


def test_config_shows_the_settings_with_the_key_masked(
    kernel: Kernel, module_emulator: Emulator
) -> None:
    out = kernel.ok("%ltx config").stdout
    assert module_emulator.base_url in out
    assert module_emulator.url("/inference-request") in out  # the history, derived
    assert "sk…ef" in out and API_KEY not in out
    for trait in ("LtxMagics.duration", "LtxMagics.embed", "LtxMagics.wait"):
        assert trait in out
    assert "front end" in out and "headless" in out


def test_the_api_key_never_reaches_the_front_end(kernel: Kernel) -> None:
    assert_no_key(kernel)


def test_emulator_start_and_stop_in_a_kernel_with_no_service(
    render_cache: Path, tmp_path: Path
) -> None:
    """No SEGMIND_BASE_URL or key: ``%ltx emulator start`` makes the magic work anyway."""
    kernel = start_kernel(tmp_path, kernel_env(None, tmp_path))
    try:
        before = kernel.ok("%ltx config").stdout
        assert "https://api.segmind.com/v1" in before and "(not set)" in before

        run = kernel.ok("%ltx emulator start speed=100 render_scale=0.1 preset=ultrafast seed=3")
        url = re.search(r"emulator running at (http://127\.0\.0\.1:\d+/v1)", run.stdout)
        assert url, run.stdout
        assert url.group(1) in kernel.ok("%ltx config").stdout
        assert "already runs" in kernel.ok("%ltx emulator start").stdout

        run = kernel.ok("%%ltx -o job\na kettle boiling on a stove", timeout=120)
        assert videos(run.html())
        out = kernel.ok("print(job.status.value, job.video_path.is_file())").stdout.split()
        assert out == ["COMPLETED", "True"]

        assert "settings restored" in kernel.ok("%ltx emulator stop").stdout
        after = kernel.ok("%ltx config").stdout
        assert "https://api.segmind.com/v1" in after and "(not set)" in after
        assert "no emulator" in kernel.ok("%ltx emulator stop").stdout
        bad = kernel.run("%ltx emulator start speed=fast")
        assert "UsageError: emulator speed must be a float" in bad.stderr
    finally:
        kernel.shutdown()
