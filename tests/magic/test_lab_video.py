"""Proof tests for the browser harness: JupyterLab shows an H.264/AAC <video> and widgets."""

from __future__ import annotations

import sys
import textwrap
from typing import Any

import pytest

from tests.harness.lab import Lab, LabServer

pytestmark = pytest.mark.browser

MP4_CODECS = 'video/mp4; codecs="avc1.42E01E, mp4a.40.2"'

# Written next to the notebook so the notebook itself stays short (readable screenshots).
CLIP_MODULE = textwrap.dedent(
    """
    import math

    import av
    import numpy as np


    def make_clip(path="clip.mp4", poster="clip.jpg", w=640, h=360, fps=25, seconds=3):
        \"\"\"H.264 (yuv420p) + AAC sine, faststart MP4; first frame saved as poster JPEG.\"\"\"
        rate = 44100
        with av.open(path, "w", format="mp4", options={"movflags": "faststart"}) as out:
            vs = out.add_stream("libx264", rate=fps)
            vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
            vs.options = {"preset": "veryfast"}
            aus = out.add_stream("aac", rate=rate, layout="mono")
            x = np.arange(w)
            for i in range(fps * seconds):
                img = np.zeros((h, w, 3), np.uint8)
                img[..., 0] = (x * 255 // w)[None, :]
                img[..., 2] = 90
                bar = (i * 8) % (w - 40)
                img[h // 2 - 40 : h // 2 + 40, bar : bar + 40] = 255
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                if i == 0:
                    frame.to_image().save(poster)
                for p in vs.encode(frame):
                    out.mux(p)
            for p in vs.encode():
                out.mux(p)
            t = np.arange(rate * seconds) / rate
            tone = (0.2 * np.sin(2 * math.pi * 440 * t)).astype(np.float32)
            for start in range(0, tone.size, 1024):
                af = av.AudioFrame.from_ndarray(
                    tone[None, start : start + 1024], format="fltp", layout="mono"
                )
                af.sample_rate, af.pts = rate, start
                for p in aus.encode(af):
                    out.mux(p)
            for p in aus.encode():
                out.mux(p)
        return path
    """
)

MAKE_CLIP = "from make_clip import make_clip\n\nmake_clip('clip.mp4', poster='clip.jpg')"

SHOW_CLIP = (
    "from IPython.display import HTML\n"
    'HTML(\'<video controls muted src="clip.mp4" poster="clip.jpg" width="640"></video>\')'
)

WIDGETS = textwrap.dedent(
    """
    import ipywidgets as w
    bar = w.IntProgress(value=3, min=0, max=10, description="render")
    label = w.HTML("<b>3/10 clips</b>")
    w.VBox([bar, label])
    """
)

PROGRESS_LOOP = textwrap.dedent(
    """
    import time
    for v in range(4, 11):
        time.sleep(0.3)
        bar.value = v
        label.value = f"<b>{v}/10 clips</b>"
    """
)


def test_chromium_decodes_h264_aac(page: Any) -> None:
    page.set_content("<video></video>")
    support = page.evaluate(
        "(t) => [document.querySelector('video').canPlayType(t), MediaSource.isTypeSupported(t)]",
        MP4_CODECS,
    )
    assert support == ["probably", True], (
        f"{MP4_CODECS}: canPlayType/isTypeSupported = {support}; this Chromium build lacks "
        "proprietary codecs"
    )


def test_video_plays_in_lab(lab: Lab, jupyter_lab: LabServer) -> None:
    jupyter_lab.write_file("video/make_clip.py", CLIP_MODULE)
    jupyter_lab.write_notebook("video/clip.ipynb", [MAKE_CLIP, SHOW_CLIP])
    lab.open_notebook("video/clip.ipynb")
    lab.run_all()
    assert (jupyter_lab.root_dir / "video" / "clip.mp4").stat().st_size > 10_000

    video = lab.cell_output(1).locator("video")
    video.wait_for(state="visible")
    src = video.evaluate("(v) => v.currentSrc || v.src")
    assert "/files/video/clip.mp4" in src, src
    assert video.evaluate("(v, t) => v.canPlayType(t)", MP4_CODECS) == "probably"

    video.evaluate("(v) => v.play()")
    lab.page.wait_for_function(
        "(v) => v.readyState >= 2 && !v.paused", arg=video.element_handle(), timeout=20_000
    )
    state = lab.media_state(video)
    assert state["error"] is None, state
    assert state["duration"] == pytest.approx(3.0, abs=0.1), state
    assert (state["videoWidth"], state["videoHeight"]) == (640, 360), state
    t0 = state["currentTime"]
    lab.page.wait_for_function(
        "([v, t0]) => v.currentTime >= t0 + 1.0 || v.ended",
        arg=[video.element_handle(), t0],
        timeout=5_000,
    )
    later = lab.media_state(video)
    assert later["currentTime"] > t0 + 0.5 or later["ended"], (state, later)
    video.evaluate("(v) => { v.pause(); v.currentTime = 1.0; }")
    lab.page.wait_for_function("(v) => !v.seeking && v.readyState >= 2", arg=video.element_handle())

    video.scroll_into_view_if_needed()
    shot = lab.screenshot("lab-video-light")
    assert shot.stat().st_size > 10_000

    lab.set_theme("dark")
    bg = lab.page.evaluate(
        "() => getComputedStyle(document.body).getPropertyValue('--jp-layout-color0').trim()"
    )
    assert bg.lower() not in {"#fff", "#ffffff", "white"}, bg
    lab.screenshot("lab-video-dark")
    assert lab.external_requests == []


def test_ipywidgets_render(lab: Lab, jupyter_lab: LabServer) -> None:
    jupyter_lab.write_notebook(
        "widgets.ipynb", [WIDGETS, "import sys\nprint(sys.prefix)", PROGRESS_LOOP]
    )
    lab.open_notebook("widgets.ipynb")
    lab.run_cell(0)
    out = lab.cell_output(0)
    box = out.locator(".jupyter-widgets.widget-vbox")
    box.wait_for(state="visible")
    progress = box.locator(".widget-hprogress")  # ipywidgets 8: horizontal IntProgress
    assert progress.count() == 1
    assert "render" in box.inner_text()
    assert "3/10 clips" in box.locator(".widget-html").inner_text()
    bar = progress.locator(".progress-bar")
    assert bar.evaluate("(b) => b.style.width") == "30%"
    lab.screenshot("lab-widgets", locator=lab.cell(0))

    # The kernel is the test environment's interpreter (.venv), not some system python.
    lab.run_cell(1)
    assert lab.cell_output(1).inner_text().strip() == sys.prefix

    # Live updates while a cell is still running (how the progress panel is watched).
    lab.run_cell(2, wait=False)
    lab.page.wait_for_function(
        "(b) => b.style.width === '60%'", arg=bar.element_handle(), timeout=10_000
    )
    assert "*" in lab.cell(2).locator(".jp-InputArea-prompt").inner_text()
    lab.wait_run()
    assert bar.evaluate("(b) => b.style.width") == "100%"
    assert "10/10 clips" in box.inner_text()


def test_kernel_inherits_server_env(page: Any, lab_server_factory: Any) -> None:
    """extra_env reaches the kernel (how SEGMIND_BASE_URL / SEGMIND_API_KEY get there)."""
    server = lab_server_factory(extra_env={"SEGMIND_BASE_URL": "http://127.0.0.1:9/v1"})
    server.write_notebook("env.ipynb", ["import os\nprint(os.environ['SEGMIND_BASE_URL'])"])
    lab = Lab(page, server)
    lab.open_notebook("env.ipynb")
    lab.run_all()
    assert lab.cell_output(0).inner_text().strip() == "http://127.0.0.1:9/v1"
