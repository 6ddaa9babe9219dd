"""What each front end is told: VS Code's silent audio (said once), Colab's embedding cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._view import frontend
from ltx_notebook._view.cell import video_html
from ltx_notebook._view.frontend import COLAB_EMBED_CAP, audio_note, embed_cap
from ltx_notebook.widgets import compare_clips, gallery
from tests.harness.clips import Clips
from tests.harness.html import Tags


@pytest.fixture
def fresh_note(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel that has not said it yet."""
    monkeypatch.setattr(frontend, "_said_audio", type(frontend._said_audio)())


def test_vscode_is_told_once_that_the_audio_will_not_play(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch, fresh_note: None
):
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "vscode")
    record = clips.jobs[0].record
    assert record.has_audio or record.generate_audio
    first = video_html(record)
    assert first.count('class="ltx-audio-note"') == 1
    assert "microsoft/vscode#156558" in first and "AAC" in first
    assert str(record.video_path) in first  # where to open it to hear it
    assert "export_report" in first
    assert "ltx-audio-note" not in video_html(clips.jobs[1].record)  # once, not per clip
    assert "ltx-audio-note" not in video_html(record)


@pytest.mark.parametrize("where", ["jupyter", "colab", "headless"])
def test_other_front_ends_are_not_told(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch, fresh_note: None, where: str
):
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", where)
    assert audio_note("x.mp4") is None
    assert "ltx-audio-note" not in video_html(clips.jobs[0].record)


def test_colab_embeds_under_its_cap(clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "colab")
    assert embed_cap(64 * 1024 * 1024) == COLAB_EMBED_CAP and embed_cap(1024) == 1024
    g = gallery(clips.jobs, embed_cap=10**9)
    assert g.embed_cap == COLAB_EMBED_CAP
    assert all(str(t["src"]).startswith("data:video/mp4") for t in g.tiles)  # small clips fit
    sizes = sorted(j.video_path.stat().st_size for j in clips.jobs)
    monkeypatch.setattr(frontend, "COLAB_EMBED_CAP", sizes[0] + sizes[1] + 200_000)
    tight = gallery(clips.jobs, embed_cap=10**9)
    inlined = sum(len(str(t["src"])) for t in tight.tiles if str(t["src"]).startswith("data:"))
    assert 0 < inlined <= (sizes[0] + sizes[1] + 200_000) * 4 / 3 + 1000
    pair = compare_clips(clips.jobs[0], clips.jobs[1], session=clips.session)
    assert str(pair.a["src"]).startswith("data:video/mp4")
    html = video_html(clips.jobs[0].record, embed="auto")
    assert Tags(html).all("video")[0]["src"].startswith("data:video/mp4")  # type: ignore[union-attr]
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "jupyter")
    assert embed_cap(64 * 1024 * 1024) == 64 * 1024 * 1024


@pytest.mark.parametrize(
    ("front", "mode", "asked", "waits"),
    [
        ("jupyter", "auto", None, False),  # somebody watches: the cell returns at once
        ("headless", "auto", None, True),
        ("terminal", "auto", None, True),
        ("jupyter", "always", None, True),
        ("headless", "never", None, False),
        ("jupyter", "never", True, True),  # --wait wins over the trait
        ("headless", "always", False, False),
    ],
)
def test_whether_a_cell_waits(front: str, mode: str, asked: bool | None, waits: bool) -> None:
    assert frontend.Frontend(front).waits(mode, asked) is waits
