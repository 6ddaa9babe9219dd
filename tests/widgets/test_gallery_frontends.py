"""The gallery and the A/B compare in JupyterLab 4 and Notebook 7 (Debian's Chromium).

Four real clips are made once in the pytest process against the emulator; each front
end's root gets a copy (``review/ltx_media``, the store's paths rewritten to it) plus
24 more rows over the same four files (4 prompt variants × 6 takes) for the 4×6 grid.
Screenshots land in test-artifacts/ (``gallery-2x2-lab.png``, ``ab-dark-notebook.png``…).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.harness.clips import add_rows, install_clips, made_clips, save_for_docs
from tests.harness.lab import Lab

pytestmark = pytest.mark.browser

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
VARIANTS = (
    "a red fox running through fresh snow at sunrise",
    "a red fox walking through deep snow at sunrise",
    "a grey wolf running through fresh snow at sunrise",
    "a red fox running through fresh snow at dusk",
)
GALLERY_2X2 = (
    "import ltx_notebook as ltx\n"
    "from ltx_notebook.widgets import gallery\n"
    'gallery([1, 2, 3, 4], row="resolution", col="duration")'
)
COMPARE = "ltx.compare_clips(1, 4)"
GALLERY_4X6 = (
    'from ltx_notebook.widgets import gallery\ngallery(list(range(5, 29)), row="prompt", col="tag")'
)
LOADED = "(vs) => vs.length > 0 && vs.every((v) => v.readyState >= 2 && !v.seeking)"


@pytest.fixture(scope="module")
def made(render_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four finished clips (1080p/2k × 6s/8s) in <tmp>/ltx_media."""
    folder = tmp_path_factory.mktemp("made")
    lighthouse, fox = "a lighthouse on a cliff at dusk", "a red fox running through fresh snow"
    clips = [(lighthouse, "1080p", 6), (fox, "1080p", 8), (lighthouse, "2k", 6), (fox, "2k", 8)]
    with made_clips(render_cache, folder, clips, render_scale=0.25):
        pass
    return folder


def _for_docs(shot: Path, name: str) -> None:
    save_for_docs(shot, name, width=900)


def _install(made: Path, root: Path) -> Path:
    """The clips under *root*/review, and 24 more rows: a 4×6 grid of prompts and takes."""
    if (root / "review" / "ltx_media").exists():
        return root / "review"
    folder = install_clips(made, root, "review")

    def take(i: int, row: dict[str, Any]) -> dict[str, Any]:
        return dict(
            row, prompt=VARIANTS[i // 6], tag=f"take {i % 6 + 1}", request_id=f"grid-{i:02d}"
        )

    add_rows(folder, 24, take)
    return folder


def _videos(out: Any) -> Any:
    return out.locator(".ltx-gallery .ltx-grid video")


def test_gallery_and_ab_work_and_reopen_without_a_widget_error(front_end: Lab, made: Path):
    lab, fe = front_end, front_end.server.app
    folder = _install(made, lab.server.root_dir)
    lab.server.write_notebook("review/review.ipynb", [GALLERY_2X2, COMPARE])
    lab.open_notebook("review/review.ipynb")
    lab.run_cell(0)
    out = lab.cell_output(0)
    gal = out.locator(".ltx-gallery")
    gal.wait_for(state="visible")
    videos = _videos(out)
    assert videos.count() == 4
    lab.page.wait_for_function(LOADED, arg=videos.element_handles(), timeout=30_000)
    for src in videos.evaluate_all("(vs) => vs.map((v) => v.currentSrc)"):
        # Resolved under the server's /files/, in Notebook 7 as in Lab (not /notebooks/...).
        assert "/files/review/ltx_media/ltx-" in src and src.endswith(".mp4"), src
    assert gal.locator(".ltx-placeholder").count() == 0
    # Tiles fill their column: one clip per cell spans the cell.
    widths = gal.locator(".ltx-cell").first.evaluate(
        "(c) => [c, c.firstElementChild].map((n) => n.getBoundingClientRect().width)"
    )
    assert widths[1] > 0.95 * widths[0], widths

    # Keyboard: space plays every clip, space pauses, "." steps one frame.
    gal.focus()
    lab.page.keyboard.press("Space")
    lab.page.wait_for_function(
        "(vs) => vs.every((v) => !v.paused && v.currentTime > 1.0)",
        arg=videos.element_handles(),
        timeout=15_000,
    )
    lab.screenshot(f"gallery-2x2-{fe}", locator=lab.cell(0))
    lab.page.keyboard.press("Space")
    lab.page.wait_for_function("(vs) => vs.every((v) => v.paused)", arg=videos.element_handles())
    lab.page.wait_for_function(LOADED, arg=videos.element_handles())
    before = videos.first.evaluate("(v) => v.currentTime")
    lab.page.keyboard.press(".")
    lab.page.wait_for_function(LOADED, arg=videos.element_handles())
    after = videos.first.evaluate("(v) => v.currentTime")
    assert 0 < after - before < 0.1, (before, after)

    # Arrows move between tiles and "a" picks one, and the notebook's own shortcuts
    # (Notebook 7 inserts a cell on "a") stay out of it.
    tiles = gal.locator(".ltx-tile")
    cells = lab.notebook.locator(".jp-Notebook .jp-Cell").count()
    tiles.nth(0).locator(".ltx-heading").click()
    for key in ("ArrowRight", "ArrowDown", "a"):
        lab.page.keyboard.press(key)
    assert tiles.nth(3).evaluate("(t) => t.classList.contains('ltx-pick-a')")
    assert lab.notebook.locator(".jp-Notebook .jp-Cell").count() == cells
    tiles.nth(3).locator(".ltx-pick-a-btn").click()  # unpicked again

    # A/B from the gallery: pick two tiles, step frames, both show the same frame.
    tiles.nth(0).locator(".ltx-pick-a-btn").click()
    tiles.nth(3).locator(".ltx-pick-b-btn").click()
    ab = gal.locator(".ltx-ab")
    ab.wait_for(state="visible")
    pair = ab.locator("video")
    lab.page.wait_for_function(LOADED, arg=pair.element_handles(), timeout=30_000)
    for _ in range(5):
        ab.locator(".ltx-ab-fwd").click()
    lab.page.wait_for_function(LOADED, arg=pair.element_handles())
    ta, tb = pair.evaluate_all("(vs) => vs.map((v) => v.currentTime)")
    assert ta == pytest.approx(tb, abs=1e-3) and ta > 0.15, (ta, tb)
    assert ab.locator("tr.ltx-ab-diff th").all_inner_texts()[:3] == [
        "prompt",
        "duration",
        "resolution",
    ]
    ab.locator(".ltx-ab-mode[data-mode='wipe']").click()
    ab.locator(".ltx-ab-wipe").evaluate(
        "(r) => { r.value = '35'; r.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    clip = ab.locator(".ltx-ab-pane-b").evaluate("(p) => getComputedStyle(p).clipPath")
    assert "35%" in clip, clip
    lab.screenshot(f"gallery-ab-wipe-{fe}", locator=lab.cell(0))

    # ltx.compare_clips, side by side, light and dark.
    lab.run_cell(1)
    cmp = lab.cell_output(1).locator(".ltx-ab")
    cmp.wait_for(state="visible")
    both = cmp.locator("video")
    lab.page.wait_for_function(LOADED, arg=both.element_handles(), timeout=30_000)
    # Played, then paused: both clips stop on the same frame.
    cmp.locator(".ltx-ab-play").click()
    lab.page.wait_for_function(
        "(vs) => vs.every((v) => !v.paused) && vs[0].currentTime > 1.0",
        arg=both.element_handles(),
        timeout=15_000,
    )
    cmp.locator(".ltx-ab-play").click()
    lab.page.wait_for_function(LOADED, arg=both.element_handles())
    ta, tb = both.evaluate_all("(vs) => vs.map((v) => v.currentTime)")
    assert ta == pytest.approx(tb, abs=1e-3) and ta > 1.0, (ta, tb)
    cmp.locator(".ltx-ab-fwd").click()
    lab.screenshot(f"ab-light-{fe}", locator=lab.cell(1))
    lab.set_theme("dark")
    fg = cmp.evaluate("(n) => getComputedStyle(n).color")
    assert fg not in {"rgb(0, 0, 0)", "rgb(31, 35, 40)"}, fg
    lab.screenshot(f"ab-dark-{fe}", locator=lab.cell(1))
    lab.set_theme("light")

    # Saved: each output keeps its static form and no widget view a reopened page could miss.
    lab.command("docmanager:save")
    saved = nbformat.read(folder / "review.ipynb", as_version=4)
    for cell in saved.cells:
        bundle = next(o for o in cell.outputs if "data" in o)
        assert WIDGET_MIME not in bundle.data and "text/html" in bundle.data, bundle.data.keys()

    # Reopened with the kernel shut down: the static grid and pair, no widget error.
    lab.server.shutdown_kernels()
    lab.open_notebook("review/review.ipynb", wait_kernel=False)
    lab.command("kernelmenu:shutdown")
    static = lab.cell_output(0).locator(".ltx-static")
    static.wait_for(state="visible")
    assert static.locator("video").count() == 4
    assert lab.cell_output(1).locator(".ltx-ab-static video").count() == 2
    text = lab.notebook.inner_text()
    assert "Error displaying widget" not in text and "model not found" not in text
    assert "Loading widget" not in text
    # Pictured once the clips have loaded: a spinner on each reads as "videos don't load".
    lab.page.wait_for_function(
        "(vs) => vs.every((v) => v.readyState >= 2 || v.networkState === 1)",
        arg=lab.notebook.locator("video").element_handles(),
        timeout=30_000,
    )
    lab.page.mouse.move(0, 0)
    shot = lab.screenshot(f"reopened-no-kernel-{fe}")
    if fe == "lab":
        _for_docs(shot, "gallery-reopened-no-kernel.png")
    assert lab.external_requests == []


def test_a_4x6_gallery_fills_the_width_filters_and_plays(front_end: Lab, made: Path):
    lab, fe = front_end, front_end.server.app
    _install(made, lab.server.root_dir)
    lab.server.write_notebook("review/grid.ipynb", [GALLERY_4X6])
    lab.open_notebook("review/grid.ipynb")
    lab.run_cell(0)
    out = lab.cell_output(0)
    gal = out.locator(".ltx-gallery")
    gal.wait_for(state="visible")
    assert gal.locator(".ltx-colhead").all_inner_texts() == [f"take {i}" for i in range(1, 7)]
    assert gal.locator(".ltx-rowhead").count() == 4
    tiles = gal.locator(".ltx-tile")
    assert tiles.count() == 24
    # The prompt variants' differing words are marked; the whole prompt is on the tile.
    marks = gal.locator("mark.ltx-diff").all_inner_texts()
    assert {"walking ", "grey wolf ", "dusk"} <= {m for m in marks} | {m.strip() for m in marks}
    # Six columns across the output: the grid uses its width.
    grid_w = gal.locator(".ltx-grid").evaluate("(g) => g.getBoundingClientRect().width")
    tile_w = tiles.first.evaluate("(t) => t.getBoundingClientRect().width")
    assert tile_w * 6 > 0.75 * grid_w, (tile_w, grid_w)

    gal.locator(".ltx-play").click()
    lab.page.wait_for_function(
        "(g) => [...g.querySelectorAll('.ltx-grid video')]"
        ".filter((v) => !v.paused && v.currentTime > 0.5).length >= 6",
        arg=gal.element_handle(),
        timeout=30_000,
    )
    lab.screenshot(f"gallery-4x6-{fe}", locator=lab.cell(0))

    # Filter by a param value, by rating; sort by rating.
    gal.locator(".ltx-play").click()
    gal.locator(".ltx-fparam").select_option(label="tag: take 2")
    assert gal.locator(".ltx-tile:not([hidden])").count() == 4
    assert gal.locator(".ltx-count").inner_text() == "4 of 24 clips"
    gal.locator(".ltx-fparam").select_option(value="")
    rated = tiles.nth(7).get_attribute("data-job-id")
    tiles.nth(7).locator(".ltx-star").nth(4).click()
    gal.locator(".ltx-frating").select_option(value="5")
    assert gal.locator(".ltx-tile:not([hidden])").count() == 1
    gal.locator(".ltx-frating").select_option(value="")
    # Sorted by rating: one flat list, best first; grid order brings the grid back.
    gal.locator(".ltx-sort").select_option(value="rating")
    assert gal.locator(".ltx-sorted").is_visible()
    assert gal.locator(".ltx-sorted .ltx-tile").count() == 24
    assert gal.locator(".ltx-sorted .ltx-tile").first.get_attribute("data-job-id") == rated
    gal.locator(".ltx-sort").select_option(value="grid")
    assert (
        gal.locator(".ltx-sorted").is_hidden() and gal.locator(".ltx-cell .ltx-tile").count() == 24
    )
    # The whole prompt over the clip on hover; a click opens it in the tile.
    prompt = tiles.first.locator(".ltx-prompt")
    prompt.hover()
    over = tiles.first.locator(".ltx-prompt-over")
    assert over.is_visible() and over.inner_text() == VARIANTS[0]
    prompt.click()
    assert prompt.get_attribute("aria-expanded") == "true"
    gal.locator(".ltx-search").fill("wolf")
    assert gal.locator(".ltx-tile:not([hidden])").count() == 6
    assert lab.external_requests == []


def _install_thousand(made: Path, root: Path) -> Path:
    """1,000 finished clips in *root*/thousand: copies of the four real rows, own prompts."""
    if (root / "thousand" / "ltx_media").exists():
        return root / "thousand"
    folder = install_clips(made, root, "thousand")

    def take(i: int, row: dict[str, Any]) -> dict[str, Any]:
        return dict(row, prompt=f"{row['prompt']}, take {i}", request_id=f"k-{i:04d}")

    add_rows(folder, 1000, take, replace=True)
    return folder


def test_a_thousand_clip_gallery_loads_only_what_is_on_screen(lab: Lab, made: Path):
    _install_thousand(made, lab.server.root_dir)
    lab.server.write_notebook(
        "thousand/all.ipynb",
        ["from ltx_notebook.widgets import gallery\ngallery(range(1, 1001), row=None, col=None)"],
    )
    lab.open_notebook("thousand/all.ipynb")
    lab.run_cell(0)
    gal = lab.cell_output(0).locator(".ltx-gallery")
    gal.wait_for(state="visible")
    assert gal.locator(".ltx-tile").count() == 1000
    assert gal.locator(".ltx-count").inner_text() == "1000 clips"
    loaded = "(g) => g.querySelectorAll('.ltx-grid video[src]').length"
    lab.page.wait_for_function(f"(g) => ({loaded})(g) > 0", arg=gal.element_handle())
    first = gal.evaluate(loaded)
    assert 0 < first <= 60, first  # the screenful (and a margin), not a thousand files
    last = gal.locator(".ltx-tile").last
    last.scroll_into_view_if_needed()
    lab.page.wait_for_function(
        "(t) => !!t.querySelector('video[src]')", arg=last.element_handle(), timeout=15_000
    )
    assert gal.evaluate(loaded) < 200
    gal.locator(".ltx-bar").scroll_into_view_if_needed()
    lab.screenshot("gallery-1000-lab")  # the viewport: the cell is 1,000 tiles tall
