"""The history view and compare() in JupyterLab (headless Chromium): what a person sees.

Six clips are made in the pytest process against the emulator, into the lab root's
``tables/ltx_media``, which is where a kernel started for ``tables/review.ipynb`` finds
them by default. Screenshots of both tables land in test-artifacts/ (history-view.png,
compare-view.png); ``make docs-images`` (``LTX_DOCS_IMAGES=1``) also writes them over
docs/images/, which docs/review.md shows. Look at them before committing.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.harness.clips import made_clips, save_for_docs
from tests.harness.lab import Lab, LabServer

pytestmark = pytest.mark.browser

HISTORY = "import ltx_notebook as ltx\nltx.history()"
MAGIC = "%load_ext ltx_notebook\n%ltx history"
COMPARE = 'ltx.compare(ltx.history(), by=["resolution", "duration"])'
# The quickstart's last cell: a selection of columns shows those columns.
PICKED = ["request_id", "status", "duration", "resolution", "total_s", "cost", "video_path"]
SELECTION = f"ltx.history()[{PICKED!r}]"
# The static grid as a long history draws it: no poster inlined, each a lazy <img> still.
GRID = (
    "from IPython.display import HTML\n"
    "from ltx_notebook._view.grid import collect, layout, relative_src\n"
    "from ltx_notebook._view.static_grid import static_grid_html\n"
    "_, records = collect(ltx.history())\n"
    'grid = layout(records, "resolution", "duration")\n'
    "HTML(static_grid_html(grid, video_src=relative_src, inline_budget=0))"
)

PROMPTS = (
    "A lighthouse on a cliff at dusk, waves crashing below, warm light sweeping the sea",
    "A red fox running through fresh snow at sunrise, breath steaming, low tracking shot",
)


def _make_clips(render_cache: Path, folder: Path) -> None:
    """Six finished jobs (two prompts × three settings), rated and noted, in folder/ltx_media."""
    clips = [(p, r, d) for p in PROMPTS for r, d in [("1080p", 6), ("1080p", 8), ("2k", 6)]]
    tags = ["dusk", "dusk", None, None, None, None]
    with made_clips(render_cache, folder, clips, tags=tags) as made:
        made.session.store.update(made.jobs[0].id, rating=5, notes="the keeper: steady light")
        made.session.store.update(made.jobs[4].id, rating=3)


def _for_docs(shot: Path) -> None:
    save_for_docs(shot, shot.name, colors=128)


def _fits(output: object) -> bool:
    """Whether the table's box ends inside the output area (no run-off to the right)."""
    return bool(
        output.evaluate(  # type: ignore[attr-defined]
            "(o) => { const t = o.querySelector('table');"
            " return t.getBoundingClientRect().right <= o.getBoundingClientRect().right + 1; }"
        )
    )


def test_history_and_compare_views(lab: Lab, jupyter_lab: LabServer, render_cache: Path) -> None:
    folder = jupyter_lab.root_dir / "tables"
    _make_clips(render_cache, folder)
    jupyter_lab.write_notebook("tables/review.ipynb", [HISTORY, MAGIC, COMPARE, GRID, SELECTION])
    lab.open_notebook("tables/review.ipynb")
    lab.run_all()

    # history(): one compact row per job, newest first, posters loaded by URL.
    out = lab.cell_output(0)
    table = out.locator(".ltx-history table")
    table.wait_for(state="visible")
    assert table.locator("tbody tr").count() == 6
    heads = table.locator("thead th").all_inner_texts()
    assert heads == [
        "", "#", "status", "duration", "resolution", "prompt",
        "cost", "seconds", "tag", "rating", "notes",
    ]  # fmt: skip
    ids = [int(t) for t in table.locator(".ltx-id").all_inner_texts()]
    assert ids == sorted(ids, reverse=True)
    assert table.locator(".ltx-pill").all_inner_texts() == ["COMPLETED"] * 6
    thumbs = table.locator("img.ltx-thumb")
    out.scroll_into_view_if_needed()
    lab.page.wait_for_function(
        "(ims) => ims.length === 6 && ims.every((i) => i.complete && i.naturalWidth > 0)",
        arg=thumbs.element_handles(),
        timeout=20_000,
    )
    for src in thumbs.evaluate_all("(ims) => ims.map((i) => i.currentSrc)"):
        path = urlsplit(src).path
        assert path.startswith("/files/tables/ltx_media/") and path.endswith(".jpg"), src
    assert _fits(out)  # beside the file browser: the prompt gives way, nothing runs off
    assert "★★★★★" in table.inner_text() and "the keeper" in table.inner_text()
    lab.command("application:toggle-left-area")  # the width most people review at
    assert _fits(out)
    out.scroll_into_view_if_needed()
    lab.page.mouse.move(0, 0)  # no row highlighted by the pointer
    shot = lab.screenshot("history-view", locator=lab.cell(0))
    assert shot.stat().st_size > 10_000
    _for_docs(shot)

    # %ltx history: the same view.
    magic = lab.cell_output(1).locator(".ltx-history table")
    magic.wait_for(state="visible")
    assert magic.locator("tbody tr").count() == 6

    # compare(): rounded, with units, within the output's width.
    cmp_out = lab.cell_output(2)
    cmp = cmp_out.locator(".ltx-compare table")
    cmp.wait_for(state="visible")
    text = cmp.inner_text()
    assert " s" in text and "$" in text and "100 %" in text
    cells = cmp.locator("td").all_inner_texts()
    assert all(len(c.split(".")[-1].split()[0]) <= 2 for c in cells if "." in c), cells
    assert _fits(cmp_out)
    assert cmp.locator("tbody tr").count() == 3
    cmp_out.scroll_into_view_if_needed()
    _for_docs(lab.screenshot("compare-view", locator=lab.cell(2)))

    # The static grid: lazy stills by URL show under transparent players, which still play.
    grid = lab.cell_output(3).locator(".ltx-static")
    grid.wait_for(state="visible")
    grid.scroll_into_view_if_needed()
    stills = grid.locator("img.ltx-still")
    assert stills.count() == 6 and "data:" not in grid.inner_html()
    for i in range(6):  # lazy: each loads once it is scrolled into view
        stills.nth(i).scroll_into_view_if_needed()
        lab.page.wait_for_function(
            "(i) => i.complete && i.naturalWidth > 0", arg=stills.nth(i).element_handle()
        )
    grid.scroll_into_view_if_needed()
    lab.screenshot("static-grid-linked")
    video = grid.locator("video").first
    video.evaluate("(v) => v.play()")
    lab.page.wait_for_function("(v) => v.currentTime > 0.3", arg=video.element_handle())
    assert lab.media_state(video)["error"] is None

    # A selection: those columns, in that order, fitting the width.
    picked_out = lab.cell_output(4)
    picked = picked_out.locator(".ltx-history table")
    picked.wait_for(state="visible")
    assert picked.locator("thead th").all_inner_texts() == ["#", *PICKED]
    assert picked.locator("tbody tr").count() == 6 and picked.locator("img").count() == 0
    assert _fits(picked_out)
    picked_out.scroll_into_view_if_needed()
    lab.screenshot("history-selection", locator=lab.cell(4))

    lab.set_theme("dark")
    fg = table.evaluate("(t) => getComputedStyle(t).color")
    assert fg not in {"rgb(0, 0, 0)", "rgb(31, 35, 40)"}, fg  # follows the dark theme
    out.scroll_into_view_if_needed()
    lab.screenshot("history-view-dark", locator=lab.cell(0))
    lab.command("application:toggle-left-area")
    assert lab.error_outputs() == []
    assert lab.external_requests == []
