"""What each front end is given and told: VS Code's copies with MP3 audio (or its silent
audio, said once), Colab's embedding cap."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import pytest

import ltx_notebook
from ltx_notebook._core import config as _config
from ltx_notebook._storage.playback import copy_path
from ltx_notebook._view import frontend
from ltx_notebook._view.cell import job_html, video_html
from ltx_notebook._view.frontend import COLAB_EMBED_CAP, audio_note, embed_cap
from ltx_notebook.widgets import compare_clips, gallery
from tests.harness.clips import Clips
from tests.harness.html import Tags


@pytest.fixture
def fresh_note(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kernel that has not said it yet, nor tried to convert any clip."""
    monkeypatch.setattr(frontend, "_said_audio", type(frontend._said_audio)())
    monkeypatch.setattr(frontend, "_unconvertible", {})


def _playback(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """``configure(playback=mode)`` for this test only."""
    monkeypatch.setattr(_config, "_settings", replace(_config.get_settings(), playback=mode))


def _src(html: str) -> str:
    src = Tags(html).all("video")[0]["src"]
    assert src is not None
    return src


def test_vscode_plays_a_copy_with_mp3_audio_in_every_view(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch, fresh_note: None, tmp_path: Path
):
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "vscode")
    records = [job.record for job in clips.jobs]
    assert all(r.has_audio for r in records)
    originals = [Path(str(r.video_path)) for r in records]
    copies = [copy_path(p).relative_to(in_root).as_posix() for p in originals]
    assert all(c.endswith(".vscode.mp4") for c in copies)

    cell = job_html(records[0])
    assert _src(cell) == copies[0]
    assert "ltx-audio-note" not in cell  # it plays with sound: nothing to warn of
    assert copy_path(originals[0]).is_file()
    embedded = video_html(records[0], embed="always")
    assert _src(embedded).startswith("data:video/mp4")
    assert len(_src(embedded)) > copy_path(originals[0]).stat().st_size  # the copy's bytes

    g = gallery(clips.jobs, embed="never")
    assert [t["src"] for t in g.tiles] == copies
    assert [Path(t["paths"][0]).name for t in g.tiles] == [Path(c).name for c in copies]
    assert sorted(v["src"] for v in Tags(g.static_html()).all("video")) == sorted(copies)  # type: ignore[type-var]
    pair = compare_clips(clips.jobs[0], clips.jobs[1], session=clips.session, embed="never")
    assert [pair.a["src"], pair.b["src"]] == copies[:2]

    report = ltx_notebook.export_report(clips.jobs, tmp_path / "r.html", session=clips.session)
    linked = {v["src"] for v in Tags(report.read_text()).all("video")}
    assert linked == {f"r_media/{Path(c).name}" for c in copies}

    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "jupyter")  # the same clips, the originals
    assert _src(job_html(records[0])) == originals[0].relative_to(in_root).as_posix()
    assert "vscode.mp4" not in gallery(clips.jobs, embed="never").static_html()


def test_playback_setting_chooses_the_file_anywhere(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch, fresh_note: None
):
    record = clips.jobs[0].record
    original = Path(str(record.video_path)).relative_to(in_root).as_posix()
    _playback(monkeypatch, "mp3-audio")
    assert _src(video_html(record)).endswith(".vscode.mp4")  # asked for in Jupyter too
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "vscode")
    _playback(monkeypatch, "original")
    assert _src(video_html(record)) == original


def test_a_clip_known_to_be_silent_needs_no_copy(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch, fresh_note: None
):
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "vscode")
    record = replace(clips.jobs[0].record, has_audio=False, generate_audio=False)
    assert _src(video_html(record)) == Path(str(record.video_path)).relative_to(in_root).as_posix()


def test_a_clip_that_cannot_be_converted_plays_as_it_is(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch, fresh_note: None
):
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "vscode")
    broken = in_root / "ltx_media" / "ltx-9999-broken.mp4"
    broken.write_bytes(Path(str(clips.jobs[0].record.video_path)).read_bytes()[:4000])
    record = replace(clips.jobs[0].record, id=9999, video_path=str(broken))
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        html = video_html(record)
        again = video_html(record)
    assert _src(html) == _src(again) == "ltx_media/ltx-9999-broken.mp4"
    assert len(said) == 1  # said once, not per view
    text = str(said[0].message)
    assert "ltx-9999-broken.mp4" in text and "original plays" in text and "\n" not in text
    assert "Traceback" not in html
    assert html.count('class="ltx-audio-note"') == 1  # it plays silent there: say so
    assert not copy_path(broken).exists()


def test_vscode_is_told_once_that_the_audio_will_not_play(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch, fresh_note: None
):
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "vscode")
    _playback(monkeypatch, "original")  # no copy: the AAC track plays silent
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
