"""ltx.arena and ltx.rank without a browser: blind pairs, votes in the store, the ranking."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import ltx_notebook as ltx
from ltx_notebook._view.ranking import RankFrame
from ltx_notebook.widgets import Arena
from tests.harness.clips import Clips
from tests.harness.html import Tags

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def send(arena: Arena, outcome: str, token: str | None = None) -> None:
    """What arena.js sends on a key press."""
    token = arena.pair["token"] if token is None else token
    arena._on_msg(arena, {"vote": outcome, "token": token}, [])


def test_pairs_are_blind_until_the_vote_and_a_key_press_is_stored(
    clips: Clips, in_root: Path
) -> None:
    arena = ltx.arena(clips.jobs, voter="ada", seed=3, session=clips.session)
    assert isinstance(arena, Arena) and len(arena.records) == 4
    pair = arena.pair
    # Clips of one prompt only (the clips alternate two prompts), and nothing that names them.
    assert pair["prompt"] in {j.params.prompt for j in clips.jobs}
    for side in ("left", "right"):
        assert set(pair[side]) == {
            *("src", "paths", "poster", "poster_paths"),
            *("fps", "duration", "aspect"),
        }
    assert "1080p" not in str(pair) and "2k" not in str(pair) and arena.revealed == {}
    left = next(j for j in clips.jobs if j.video_path.name in pair["left"]["src"])
    right = next(j for j in clips.jobs if j.video_path.name in pair["right"]["src"])
    assert left.params.prompt == right.params.prompt and left.id != right.id

    before = len(ltx.votes(clips.jobs, session=clips.session))
    send(arena, "right")
    frame = ltx.votes(clips.jobs, session=clips.session)
    assert len(frame) == before + 1
    last = frame.iloc[-1]
    assert (last["left_job"], last["right_job"], last["outcome"], last["winner"]) == (
        left.id,
        right.id,
        "right",
        right.id,
    )
    assert last["voter"] == "ada" and last["left_request_id"] == left.request_id
    assert last["arena_id"] == arena.arena_id and last["voted_at"].tzinfo is not None
    # Revealed once judged, and the next pair is the other one (a pair is not shown twice running).
    assert arena.revealed["outcome"] == "right"
    assert arena.revealed["right"]["id"] == right.id and "2k" in str(arena.revealed) + "1080p"
    assert arena.pair["token"] != pair["token"] and arena.pair["prompt"] != pair["prompt"]
    # A second press with the judged pair's token is no vote at all.
    send(arena, "left", token=pair["token"])
    assert len(ltx.votes(clips.jobs, session=clips.session)) == before + 1
    assert arena.votes_cast == 1


def test_rank_by_setting_and_the_preference_column_in_compare(clips: Clips, in_root: Path) -> None:
    arena = ltx.arena(clips.jobs, by="resolution", seed=1, session=clips.session)
    for _ in range(6):  # the 2k clip wins every pair, whichever side it is on
        tiles = arena.pair
        two_k = {j.video_path.name for j in clips.jobs if j.params.resolution == "2k"}
        send(arena, "left" if any(n in tiles["left"]["src"] for n in two_k) else "right")
    ranked = ltx.rank(clips.jobs, by="resolution", session=clips.session)
    assert isinstance(ranked, RankFrame)
    assert list(ranked.index) == ["2k", "1080p"] and ranked.index.name == "resolution"
    best = ranked.iloc[0]
    assert best["low"] - 1e-9 <= best["score"] <= best["high"] + 1e-9 and best["score"] > 0
    assert int(ranked["votes"].sum()) >= 12 and best["beats_average"] > 0.5
    page = ranked._repr_html_()
    assert "Bradley–Terry" in page and Tags(page).all("tr")
    # By job: the four clips (votes only ever pair one prompt's two).
    assert set(ltx.rank(clips.jobs, session=clips.session).index) <= {j.id for j in clips.jobs}
    summary = ltx.compare(ltx.history(), by="resolution", store=clips.session.store)
    assert summary.loc["2k", "preference"] > summary.loc["1080p", "preference"]
    assert "preference" in summary._repr_html_()
    # The saved form is the ranking, kept current in _static for saved.js.
    data, _ = arena._repr_mimebundle_()
    assert data[WIDGET_MIME]["model_id"] == arena.model_id == arena._self_id
    assert "2k" in data["text/html"] and "<video" not in data["text/html"]
    assert arena._static == arena.static_html()


def test_rank_plots_a_chart(clips: Clips, in_root: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = ltx.rank(clips.jobs, by="resolution", plot=True, session=clips.session)
    assert [t.get_text() for t in ax.get_yticklabels()]


def test_without_votes_rank_says_how_to_get_some(clips: Clips, in_root: Path) -> None:
    ranked = ltx.rank([clips.jobs[0]], by="duration", session=clips.session)
    assert ranked.empty and "No votes yet" in ranked._repr_html_()
    with pytest.raises(ValueError, match="no column 'speed'"):
        ltx.rank(clips.jobs, by="speed", session=clips.session)


def test_too_few_clips_is_a_message_not_a_broken_pair(clips: Clips, in_root: Path) -> None:
    arena = ltx.arena([clips.jobs[0], clips.jobs[1]], session=clips.session)  # two prompts
    assert arena.pair == {} and "share a prompt" in arena.message
    assert arena.vote("left") is None


def test_votes_frame_is_typed(clips: Clips, in_root: Path) -> None:
    frame = ltx.votes(session=clips.session)
    assert str(frame["outcome"].dtype) == "category"
    assert isinstance(frame["voted_at"].dtype, pd.DatetimeTZDtype)


def test_the_module_is_the_ab_helpers_and_its_entry() -> None:
    esm = str(Arena._esm)
    assert "function syncedClips(" in esm and "function render(" in esm
    assert esm.count("export default") == 1


def test_the_report_shows_the_ranking_and_writes_the_votes(
    clips: Clips, in_root: Path, tmp_path: Path
) -> None:
    arena = ltx.arena(clips.jobs, session=clips.session, seed=2)
    arena.vote("left")
    page = ltx.export_report(clips.jobs, tmp_path / "review.html", session=clips.session)
    text = page.read_text(encoding="utf-8")
    assert "<h2>Ranking</h2>" in text and "Bradley–Terry" in text
    votes = pd.read_csv(tmp_path / "review_votes.csv")
    assert len(votes) == len(ltx.votes(clips.jobs, session=clips.session)) >= 1
    assert {"voter", "voted_at", "left_job", "right_job", "outcome"} <= set(votes.columns)


def test_a_sweeps_arena_ranks_by_what_the_sweep_varies(clips: Clips, in_root: Path) -> None:
    grid = ltx.sweep(
        "a heron at the edge of a lake",
        {"resolution": ["1080p", "2k"]},
        session=clips.session,
        yes=True,
    )
    arena = grid.arena(seed=0)  # drawn while the sweep runs: its clips join as they finish
    grid.wait(120)  # (a sweep's listeners have seen the end before wait() returns)
    assert isinstance(arena, Arena) and arena.by == ["resolution"]
    assert len(arena.records) == 2
    assert arena.pair["prompt"] == "a heron at the edge of a lake"
    arena.vote("tie")
    ranked = ltx.rank(grid, by="resolution")
    assert set(ranked.index) == {"1080p", "2k"} and list(ranked["ties"]) == [1, 1]
    assert "Ranked by 1 blind vote" in arena.static_html()
    # A running sweep's frame has rows with no id (combinations not sent yet): left out.
    frame = grid.frame()
    unsent = frame.iloc[:1].copy()
    unsent.index = pd.Index([pd.NA], dtype="Int64", name=frame.index.name)
    with_unsent = pd.concat([frame, unsent])
    assert list(ltx.rank(with_unsent, by="resolution")["ties"]) == [1, 1]
    assert "preference" in ltx.compare(with_unsent, by="resolution")


def test_in_vs_code_the_pair_is_inlined(
    clips: Clips, in_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "vscode")  # its webview serves no local files
    arena = ltx.arena(clips.jobs, session=clips.session, seed=4)
    for side in ("left", "right"):
        assert arena.pair[side]["src"].startswith("data:video/mp4;base64,")
