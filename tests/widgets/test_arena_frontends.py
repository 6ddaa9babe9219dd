"""The arena in JupyterLab 4 and Notebook 7 (Debian's Chromium): blind pairs, votes by key.

Four real clips (two prompts × 1080p/2k) are made once in the pytest process against the
emulator and copied under each front end's root (``arena/ltx_media``, the store's paths
rewritten), where the kernel of ``arena/arena.ipynb`` finds them by default. Screenshots
land in test-artifacts/ (``arena-blind-lab.png``, ``arena-voted-notebook.png``…);
``make docs-images`` (``LTX_DOCS_IMAGES=1``) also writes JupyterLab's over
docs/images/arena.png and arena-rank.png.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import nbformat
import pytest

from tests.harness.clips import install_clips, made_clips, save_for_docs
from tests.harness.lab import Lab
from tests.harness.waiting import until

pytestmark = pytest.mark.browser

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
ARENA = (
    "import ltx_notebook as ltx\n"
    'arena = ltx.arena([1, 2, 3, 4], by="resolution", voter="tester", seed=0)\n'
    "arena"
)
RANK = 'ltx.rank([1, 2, 3, 4], by="resolution")'
LOADED = "(vs) => vs.length === 2 && vs.every((v) => v.readyState >= 2 && !v.seeking)"


@pytest.fixture(scope="module")
def made(render_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four finished clips (two prompts × 1080p/2k) in <tmp>/ltx_media."""
    folder = tmp_path_factory.mktemp("arena-made")
    lighthouse, fox = "a lighthouse on a cliff at dusk", "a red fox running through fresh snow"
    clips = [(p, r, 6) for p in (lighthouse, fox) for r in ("1080p", "2k")]
    with made_clips(render_cache, folder, clips, render_scale=0.25):
        pass
    return folder


def _for_docs(shot: Path, name: str) -> None:
    if "-lab" in shot.name:
        save_for_docs(shot, name)


def _read_votes(folder: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(folder / "ltx_media" / "ltx-jobs.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute("SELECT * FROM votes ORDER BY id")]
        except sqlite3.OperationalError:  # the kernel has not opened the store yet
            return []


def _votes(folder: Path, want: int) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        rows = _read_votes(folder)
        return rows if len(rows) >= want else None

    return until(enough, f"{want} votes in the store")


def _job_of(folder: Path, src: str) -> dict[str, Any]:
    with sqlite3.connect(folder / "ltx_media" / "ltx-jobs.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        for row in conn.execute("SELECT id, resolution, video_path FROM jobs"):
            if Path(row["video_path"]).name in src:
                return dict(row)
    raise AssertionError(f"no job plays {src}")


def test_a_vote_by_key_is_stored_and_the_sides_stay_hidden_until_then(
    front_end: Lab, made: Path
) -> None:
    lab, fe = front_end, front_end.server.app
    folder = install_clips(made, lab.server.root_dir, "arena", fresh=True)
    lab.server.write_notebook("arena/arena.ipynb", [ARENA, RANK])
    lab.open_notebook("arena/arena.ipynb")
    lab.run_cell(0)
    out = lab.cell_output(0)
    arena = out.locator(".ltx-arena")
    arena.wait_for(state="visible")
    videos = arena.locator("video")
    lab.page.wait_for_function(LOADED, arg=videos.element_handles(), timeout=30_000)
    srcs = videos.evaluate_all("(vs) => vs.map((v) => v.currentSrc)")
    assert all("/files/arena/ltx_media/ltx-" in s for s in srcs), srcs
    left, right = (_job_of(folder, s) for s in srcs)
    assert {left["resolution"], right["resolution"]} == {"1080p", "2k"}
    # Blind: nothing on the page names a setting or a job before the vote.
    text = out.inner_text()
    assert "1080p" not in text and "2k" not in text and "#" not in text, text
    assert arena.locator(".ltx-arena-reveal").inner_text().strip() == ""
    # Played together, as in the A/B view.
    arena.locator(".ltx-ab-play").click()
    lab.page.wait_for_function(
        "(vs) => vs.every((v) => !v.paused && v.currentTime > 1.0)",
        arg=videos.element_handles(),
        timeout=15_000,
    )
    arena.locator(".ltx-ab-play").click()
    lab.page.wait_for_function(LOADED, arg=videos.element_handles())
    ta, tb = videos.evaluate_all("(vs) => vs.map((v) => v.currentTime)")
    assert ta == pytest.approx(tb, abs=1e-3), (ta, tb)
    lab.screenshot(f"arena-blind-{fe}", locator=lab.cell(0))

    # ← : the left clip is better. Stored with the sides as shown, then revealed.
    arena.focus()
    cells = lab.notebook.locator(".jp-Notebook .jp-Cell").count()
    lab.page.keyboard.press("ArrowLeft")
    (vote,) = _votes(folder, 1)
    assert (vote["left_job"], vote["right_job"], vote["outcome"]) == (
        left["id"],
        right["id"],
        "left",
    )
    assert vote["voter"] == "tester" and vote["voted_at"]
    reveal = arena.locator(".ltx-arena-reveal")
    reveal.get_by_text(f"Left #{left['id']}").wait_for()
    assert left["resolution"] in reveal.inner_text() and right["resolution"] in reveal.inner_text()
    assert lab.notebook.locator(".jp-Notebook .jp-Cell").count() == cells  # no notebook shortcut
    # The next pair is the other prompt's, blind again.
    lab.page.wait_for_function(LOADED, arg=arena.locator("video").element_handles(), timeout=30_000)
    new_srcs = arena.locator("video").evaluate_all("(vs) => vs.map((v) => v.currentSrc)")
    assert set(new_srcs).isdisjoint(srcs), (srcs, new_srcs)
    _for_docs(lab.screenshot(f"arena-voted-{fe}", locator=lab.cell(0)), "arena.png")
    lab.set_theme("dark")
    fg = arena.evaluate("(n) => getComputedStyle(n).color")
    assert fg not in {"rgb(0, 0, 0)", "rgb(31, 35, 40)"}, fg  # follows the dark theme
    lab.screenshot(f"arena-dark-{fe}", locator=lab.cell(0))
    lab.set_theme("light")
    arena.focus()
    lab.page.keyboard.press("t")
    assert [v["outcome"] for v in _votes(folder, 2)] == ["left", "tie"]

    # The ranking, and the saved notebook keeps it (not a widget view it cannot redraw).
    lab.run_cell(1)
    ranked = lab.cell_output(1).locator(".ltx-rank")
    ranked.wait_for(state="visible")
    assert "Bradley–Terry" in ranked.inner_text()
    _for_docs(lab.screenshot(f"arena-rank-{fe}", locator=lab.cell(1)), "arena-rank.png")

    # The saved copy is rewritten when the vote's ranking comes back: save until it has.
    def saved_ranking() -> Any:
        lab.command("docmanager:save")
        saved = nbformat.read(folder / "arena.ipynb", as_version=4)
        bundle = next(o for o in saved.cells[0].outputs if "data" in o)
        return bundle if "Ranked by 2 blind votes" in bundle.data.get("text/html", "") else None

    bundle = until(saved_ranking, "the saved notebook keeps the ranking of both votes")
    assert WIDGET_MIME not in bundle.data
    assert lab.external_requests == []
