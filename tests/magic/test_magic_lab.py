"""The `%%ltx` magic in JupyterLab (headless Chromium), against the emulator.

A cell returns at once and shows the job panel (state pill, elapsed time, progress bar,
selectable request id, params line, "Stop waiting"); when the job ends the panel is
replaced in place by a plain-HTML ``<video>`` with a relative ``src`` that plays and
survives saving. Light theme: the first job on an empty store (indeterminate bar). Dark
theme: a store seeded with history (determinate bar), a FAILED job whose prompt holds
markup, and "Stop waiting" followed by ``%ltx resume``.

Screenshots go to test-artifacts/ (magic-*.png); look at them when the panel changes.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from ltx_notebook._core.params import validate
from ltx_notebook._core.status import JobStatus
from ltx_notebook._storage.store import Store
from tests.conftest import poster_ok
from tests.harness.lab import ARTIFACTS_DIR, Lab, LabServer

pytestmark = pytest.mark.browser

LOAD = "%load_ext ltx_notebook"
PROMPT = "A lighthouse on a cliff at dusk, waves crashing below, warm light sweeping the sea"
FAIL_PROMPT = "nsfw test with <b>markup</b> & friends"
STOP_PROMPT = "A red fox running through fresh snow at sunrise"
JOB_TIMEOUT_MS = 90_000
RUNNING = ("SUBMITTING", "QUEUED", "PROCESSING")


def _ltx(prompt: str, options: str = "-d 6") -> str:
    return f"%%ltx {options}\n{prompt}"


def _panel(lab: Lab, i: int) -> Any:
    return lab.cell_output(i).locator(".ltx-panel")


def _state(lab: Lab, i: int) -> str | None:
    panel = _panel(lab, i)
    return panel.first.locator(".ltx-pill").get_attribute("data-state") if panel.count() else None


def _wait_panel_running(lab: Lab, i: int) -> Any:
    panel = _panel(lab, i)
    panel.wait_for(state="visible", timeout=20_000)
    state = panel.locator(".ltx-pill").get_attribute("data-state")
    assert state in RUNNING, f"cell {i}: the panel is already {state}\n{lab.describe()}"
    return panel


def _check_running_panel(lab: Lab, i: int, *, determinate: bool) -> str:
    """Assert the panel of cell *i* while its job runs; returns the request id."""
    panel = _wait_panel_running(lab, i)
    pill = panel.locator(".ltx-pill")
    assert pill.inner_text().strip() in RUNNING
    # Params in one line, prompt below.
    assert panel.locator(".ltx-params").inner_text().strip() == ("ltx-2-pro · 6s · 1080p · audio")
    # The request id: present and selected whole by one click.
    rid_loc = panel.locator(".ltx-id")
    rid = rid_loc.inner_text().strip()
    assert re.fullmatch(r"[0-9a-f-]{16,}", rid), rid
    assert rid_loc.evaluate("(e) => getComputedStyle(e).userSelect") == "all"
    rid_loc.click()
    selected = "() => getSelection().toString().trim()"
    assert lab.page.evaluate(selected) == rid
    # Elapsed time advances on its own (the panel's ticker), whatever the state does ...
    first = panel.locator(".ltx-elapsed").inner_text()
    lab.page.wait_for_function(
        """([el, first]) => {
             const e = el.querySelector('.ltx-elapsed');
             return !e || e.textContent !== first;
           }""",
        arg=[lab.cell_output(i).element_handle(), first],
        timeout=5_000,
    )
    # ... and the ticking does not drop the reader's selection of the id.
    assert lab.page.evaluate(selected) == rid
    lab.page.evaluate("() => getSelection().removeAllRanges()")
    # The progress bar: indeterminate without history, a growing width with it.
    track = panel.locator("[role=progressbar]")
    assert track.count() == 1
    indeterminate = track.locator(".ltx-indeterminate").count() == 1
    assert indeterminate is not determinate, track.evaluate("(e) => e.outerHTML")
    if determinate:
        assert "usually ~0:" in panel.inner_text()
        assert 0 <= int(track.get_attribute("aria-valuenow") or -1) <= 100
    # Measured in the page in one step: the bar's HTML is re-sent when the state
    # changes, so an element found a moment earlier may already be replaced.
    box = lab.cell_output(i).evaluate(
        """(out) => {
             const r = out.querySelector('[role=progressbar]').getBoundingClientRect();
             return {width: r.width, height: r.height};
           }"""
    )
    assert box["height"] >= 4 and box["width"] > 200, box
    # The stop button and what it says: the service has no cancel.
    button = lab.cell_output(i).locator("button", has_text="Stop waiting")
    assert button.is_visible()
    assert "no cancel" in (button.get_attribute("title") or "")
    assert "no cancel" in lab.cell_output(i).locator(".ltx-foot").inner_text()
    return rid


_JS_COLOURS = """(panel) => {
  const parse = (c) => {
    const v = (c.match(/[\\d.]+/g) || []).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const bg = parse(getComputedStyle(panel).backgroundColor);
  const over = (c, under) => {  // a translucent colour as seen over `under`
    const [r, g, b, a] = parse(c);
    return [r, g, b].map((x, k) => a * x + (1 - a) * under[k]);
  };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const st = (sel) => getComputedStyle(sel ? panel.querySelector(sel) : panel);
  const pill = st('.ltx-pill');
  const idBg = over(st('.ltx-id').backgroundColor, bg);
  const track = over(st('.ltx-track').backgroundColor, bg);
  return {
    background: bg,
    dark: lum(bg) < 0.2,
    text: contrast(over(st().color, bg), bg),
    muted: contrast(over(st('.ltx-params').color, bg), bg),
    id: contrast(over(st('.ltx-id').color, idBg), idBg),
    pill: contrast(over(pill.color, bg), over(pill.backgroundColor, bg)),
    border: contrast(over(st().borderTopColor, bg), bg),
    borderWidth: st().borderTopWidth,
    track: contrast(track, bg),
    fill: contrast(over(st('.ltx-fill').backgroundColor, track), track),
  };
}"""


def _check_colours(lab: Lab, i: int, *, dark: bool) -> None:
    """Readable text, visible border and bar, legible pill, in the current theme."""
    c = lab.cell_output(i).locator(".ltx-panel").evaluate(_JS_COLOURS)
    assert c["dark"] is dark, c
    assert c["text"] >= 7 and c["muted"] >= 3.5 and c["id"] >= 4.5, c
    assert c["pill"] >= 4.5, c
    assert c["borderWidth"] == "1px" and c["border"] >= 1.3, c
    assert c["track"] >= 1.3 and c["fill"] >= 1.8, c


def _shot(lab: Lab, name: str, last_cell: int) -> Path:
    """A screenshot of the notebook (toolbar included) down to the end of *last_cell*."""
    nb = lab.notebook.bounding_box()
    cell = lab.cell(last_cell).bounding_box()
    assert nb and cell
    bottom = min(cell["y"] + cell["height"] + 12, nb["y"] + nb["height"])
    clip = {"x": nb["x"], "y": nb["y"], "width": nb["width"], "height": bottom - nb["y"]}
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    lab.page.screenshot(path=str(path), clip=clip, caret="hide")
    return path


def _wait_elapsed(lab: Lab, i: int, seconds: int) -> None:
    """Wait until the panel of cell *i* shows at least *seconds* elapsed (or is gone)."""
    lab.page.wait_for_function(
        """([el, s]) => {
             const e = el.querySelector('.ltx-elapsed');
             if (!e) return true;
             const [m, sec] = e.textContent.split(':').map(Number);
             return m * 60 + sec >= s;
           }""",
        arg=[lab.cell_output(i).element_handle(), seconds],
        timeout=10_000,
    )


def _wait_video(lab: Lab, i: int, *, timeout_ms: float = JOB_TIMEOUT_MS) -> Any:
    out = lab.cell_output(i)
    video = out.locator("video")
    try:
        video.wait_for(state="attached", timeout=timeout_ms)
    except Exception as exc:
        raise AssertionError(f"no <video> in cell {i}\n{lab.describe()}") from exc
    # The panel is replaced in place: one output, the video, no widget left behind.
    out.locator(".ltx-panel").wait_for(state="detached", timeout=10_000)
    assert video.count() == 1
    assert out.locator(".jupyter-widgets").count() == 0
    return video


def _check_plays(lab: Lab, video: Any, seconds: float, nb_dir: str) -> dict[str, Any]:
    # The kernel sends a relative src; JupyterLab resolves it against the notebook's folder.
    files = re.escape(f"{lab.server.url}files/{nb_dir}/ltx_media/")
    lab.wait_media_loaded(video)
    src = video.get_attribute("src") or ""
    assert re.match(files + r"[^/?]+\.mp4(\?|$)", src), src
    assert video.get_attribute("poster")  # loading it: see test_poster_loads_in_lab
    video.scroll_into_view_if_needed()
    handle = video.element_handle()
    video.evaluate("(v) => { v.muted = true; return v.play(); }")
    lab.page.wait_for_function("(v) => v.readyState >= 2 && !v.paused", arg=handle, timeout=20_000)
    state = lab.media_state(video)
    assert state["error"] is None, state
    assert state["duration"] == pytest.approx(seconds, abs=0.5), state
    assert state["videoWidth"] > 0 and state["videoHeight"] > 0, state
    t0 = state["currentTime"]
    lab.page.wait_for_function(
        "([v, t0]) => v.currentTime >= t0 + 0.5 || v.ended", arg=[handle, t0], timeout=10_000
    )
    later = lab.media_state(video)
    assert later["currentTime"] > t0 or later["ended"], (state, later)
    # A still, tidy frame for the screenshot.
    video.evaluate("(v) => { v.pause(); v.currentTime = 2.0; }")
    lab.page.wait_for_function("(v) => !v.seeking && v.readyState >= 2", arg=handle)
    return state


def _save_and_read(lab: Lab, server: LabServer, nb_path: str, marker: str) -> dict[str, Any]:
    lab.command("docmanager:save")
    path = server.root_dir / nb_path
    deadline = time.monotonic() + 15
    while True:
        nb = json.loads(path.read_text())
        if marker in json.dumps(nb):
            return dict(nb)
        if time.monotonic() > deadline:
            raise AssertionError(f"{nb_path} on disk never held {marker!r}")
        time.sleep(0.2)


def _seed_history(store_path: Path, base_url: str, totals: list[float]) -> None:
    """Completed ltx-2-pro 6 s 1080p jobs, so the schedule learns an expected duration."""
    store = Store(store_path)
    params = validate("ltx-2-pro", prompt="seed", duration=6)
    for n, total in enumerate(totals):
        record = store.create(params, cost_estimate=0.36, base_url=base_url, tag="seed")
        store.update(
            record.id,
            request_id=f"seed-{n:04d}-0000-0000",
            status=JobStatus.COMPLETED,
            total_s=total,
        )


def test_magic_panel_then_video_light(lab: Lab, jupyter_lab: LabServer) -> None:
    """Empty store: indeterminate bar; then the video plays, and the saved notebook keeps it."""
    nb_path = "light/magic.ipynb"
    jupyter_lab.write_notebook(nb_path, [LOAD, _ltx(PROMPT)])
    lab.open_notebook(nb_path)
    started = time.monotonic()
    lab.run_all()  # the %%ltx cell returns at once in JupyterLab
    assert time.monotonic() - started < 15

    rid = _check_running_panel(lab, 1, determinate=False)
    _wait_elapsed(lab, 1, 3)
    assert _state(lab, 1) in RUNNING
    _check_colours(lab, 1, dark=False)
    lab.page.mouse.move(0, 0)
    lab.screenshot("magic-panel-light", locator=lab.cell(1))
    _shot(lab, "magic-panel-light-notebook", 1)

    video = _wait_video(lab, 1)
    _check_plays(lab, video, 6.0, "light")
    assert rid in lab.cell_output(1).inner_text()
    lab.page.mouse.move(0, 0)
    lab.screenshot("magic-video-light", locator=lab.cell(1))
    _shot(lab, "magic-video-light-notebook", 1)

    nb = _save_and_read(lab, jupyter_lab, nb_path, "<video")
    outputs = nb["cells"][1]["outputs"]
    htmls = ["".join(o["data"]["text/html"]) for o in outputs if "text/html" in o.get("data", {})]
    assert len(htmls) == 1, outputs
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    src = re.search(r'<video[^>]*\bsrc="(ltx_media/[^"]+\.mp4)"', htmls[0])
    assert src, htmls[0]
    on_disk = (jupyter_lab.root_dir / nb_path).parent / src.group(1)
    assert on_disk.is_file() and on_disk.stat().st_size > 10_000, on_disk
    poster = re.search(r'<video[^>]*\bposter="([^"]+)"', htmls[0])
    assert poster and poster_ok(poster.group(1), on_disk.parent.parent), htmls[0]
    assert lab.external_requests == []


def test_magic_dark_history_failure_and_stop(
    lab: Lab, jupyter_lab: LabServer, lab_emulator: Any
) -> None:
    """Dark theme: determinate bar from history; FAILED reason escaped; stop, then resume."""
    nb_dir = jupyter_lab.root_dir / "dark"
    _seed_history(nb_dir / "ltx_media" / "ltx-jobs.sqlite", lab_emulator.base_url, [9.5, 10, 11])
    nb_path = "dark/magic.ipynb"
    jupyter_lab.write_notebook(
        nb_path,
        [LOAD, _ltx(PROMPT), _ltx(FAIL_PROMPT), _ltx(STOP_PROMPT), "%ltx resume"],
    )
    lab.open_notebook(nb_path)
    lab.set_theme("dark")
    for i in range(4):
        lab.run_cell(i, wait=i == 3)  # queued in order; each %%ltx cell returns at once

    # The stop cell first: "Stop waiting" while it still runs.
    stop_rid = _check_running_panel(lab, 3, determinate=True)
    lab.page.evaluate(
        """(el) => {
             window.__ltxStopSeen = false;
             const check = () => {
               const text = el.innerText;
               if (/Stopped waiting[\\s\\S]*no cancel/.test(text)) window.__ltxStopSeen = true;
             };
             new MutationObserver(check).observe(el, {subtree: true, childList: true,
                                                       characterData: true});
           }""",
        lab.cell_output(3).element_handle(),
    )
    lab.cell_output(3).locator("button", has_text="Stop waiting").click()
    lab.page.wait_for_function("() => window.__ltxStopSeen", timeout=10_000)

    rid = _check_running_panel(lab, 1, determinate=True)
    _check_colours(lab, 1, dark=True)
    lab.screenshot("magic-panel-dark", locator=lab.cell(1))
    _shot(lab, "magic-panel-dark-notebook", 4)

    # FAILED: the server's reason, and the prompt's markup shown as text.
    failed = lab.cell_output(2)
    lab.page.wait_for_function(
        "(el) => /FAILED/.test(el.innerText) && /Content policy violation/.test(el.innerText)",
        arg=failed.element_handle(),
        timeout=JOB_TIMEOUT_MS,
    )
    text = failed.inner_text()
    assert "<b>markup</b> & friends" in text, text
    assert failed.locator("b", has_text=re.compile(r"^markup$")).count() == 0
    assert failed.locator("video").count() == 0

    video = _wait_video(lab, 1)
    _check_plays(lab, video, 6.0, "dark")
    assert rid in lab.cell_output(1).inner_text()
    lab.page.mouse.move(0, 0)
    lab.screenshot("magic-video-dark", locator=lab.cell(1))
    _shot(lab, "magic-dark-notebook", 4)

    # The stopped job ran on: the service finishes it, the store was not told ...
    deadline = time.monotonic() + JOB_TIMEOUT_MS / 1000
    while lab_emulator.engine.status_of(stop_rid) != "COMPLETED":
        assert time.monotonic() < deadline, lab_emulator.engine.status_of(stop_rid)
        time.sleep(0.2)
    store = Store(nb_dir / "ltx_media" / "ltx-jobs.sqlite")
    record = store.get_by_request_id(stop_rid)
    assert record is not None and record.status.value in RUNNING, record
    assert lab.cell_output(3).locator("video").count() == 0
    # ... until %ltx resume follows it again, to its video.
    lab.run_cell(4)
    resumed = _wait_video(lab, 4)
    _check_plays(lab, resumed, 6.0, "dark")
    record = store.get_by_request_id(stop_rid)
    assert record is not None and record.status is JobStatus.COMPLETED, record
    assert record.video_path and Path(nb_dir / record.video_path).is_file(), record
    assert lab.external_requests == []


POSTER_CELL = """\
from pathlib import Path

from IPython.display import HTML
from PIL import Image

from ltx_notebook._view.cell import video_html
from ltx_notebook._core.params import validate
from ltx_notebook._storage.store import Store

media = Path("ltx_media")
media.mkdir(exist_ok=True)
Image.new("RGB", (320, 180), (200, 40, 40)).save(media / "still.jpg")
(media / "still.mp4").write_bytes(b"not played here")
store = Store(media / "poster-test.sqlite")
row = store.create(validate("ltx-2-pro", prompt="poster"), cost_estimate=None, base_url=None)
row = store.update(row.id, request_id="poster-0000", status="COMPLETED",
                   video_path=str(media / "still.mp4"), poster_path=str(media / "still.jpg"))
HTML(video_html(row, embed="never"))
"""


def test_poster_loads_in_lab(lab: Lab, jupyter_lab: LabServer) -> None:
    """The poster frame of a finished job shows in JupyterLab before the video is played."""
    jupyter_lab.write_notebook("poster/poster.ipynb", [POSTER_CELL])
    lab.open_notebook("poster/poster.ipynb")
    lab.run_all()
    video = lab.cell_output(0).locator("video")
    video.wait_for(state="attached")
    loaded = video.evaluate(
        """async (v) => {
             const img = new Image();
             img.src = v.poster;
             try { await img.decode(); return [v.poster, img.naturalWidth]; }
             catch (e) { return [v.poster, 0]; }
           }"""
    )
    assert loaded[1] == 320, f"the poster {loaded[0]} did not load"
