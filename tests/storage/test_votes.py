"""The arena's votes in the store: who, when, which pair, which side was where, the outcome."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ltx_notebook._core import config
from ltx_notebook._core.params import validate
from ltx_notebook._storage import schema, votes
from ltx_notebook._storage.store import Store
from tests.harness.clock import FakeClock

FIXTURES = Path(__file__).with_name("fixtures")


def job(store: Store, prompt: str = "a fox") -> int:
    return store.create(validate("ltx-2-pro", prompt=prompt), cost_estimate=0.36, base_url=None).id


def test_a_vote_keeps_who_when_the_pair_as_shown_and_the_outcome(
    store: Store, clock: FakeClock
) -> None:
    a, b = job(store), job(store)
    vote = votes.cast(
        store,
        arena_id="ar-1",
        voter="ada",
        left=(b, "rid-b"),
        right=(a, "rid-a"),
        outcome="right",
        clock=clock,
    )
    assert (vote.left_job, vote.right_job, vote.outcome, vote.winner) == (b, a, "right", a)
    assert vote.voted_at.timestamp() == pytest.approx(clock())
    assert (vote.left_request_id, vote.right_request_id, vote.voter) == ("rid-b", "rid-a", "ada")
    assert votes.read(store) == [vote]


def test_votes_are_read_back_for_a_set_of_jobs_only(store: Store) -> None:
    a, b, c = job(store), job(store), job(store)
    for left, right, outcome in [(a, b, "left"), (b, c, "tie"), (a, c, "skip")]:
        votes.cast(
            store, arena_id="x", voter="v", left=(left, None), right=(right, None), outcome=outcome
        )
    assert [v.outcome for v in votes.read(store)] == ["left", "tie", "skip"]
    assert [v.outcome for v in votes.read(store, jobs=[a, b])] == ["left"]
    assert votes.read(store, jobs=[]) == []


def test_a_bad_vote_is_refused_before_anything_is_written(store: Store) -> None:
    a, b = job(store), job(store)
    with pytest.raises(ValueError, match="left, right, tie, skip"):
        votes.cast(store, arena_id="x", voter="v", left=(a, None), right=(b, None), outcome="A")
    with pytest.raises(ValueError, match="with itself"):
        votes.cast(store, arena_id="x", voter="v", left=(a, None), right=(a, None), outcome="tie")
    assert votes.read(store) == []


def test_a_store_made_before_votes_gains_the_table_and_keeps_its_jobs(tmp_path: Path) -> None:
    # The file as the release before votes left it (made by that release's code).
    old_file = tmp_path / "old.sqlite"
    shutil.copyfile(FIXTURES / "store-v4.sqlite", old_file)
    old = Store(old_file)
    assert old.schema_version == len(schema.REVISIONS)
    kept = old.count()
    assert kept > 0
    a, b = job(old), job(old)
    votes.cast(old, arena_id="x", voter="v", left=(a, None), right=(b, None), outcome="left")
    reopened = Store(old_file)
    assert len(votes.read(reopened)) == 1
    assert reopened.count() == kept + 2


def test_the_voter_is_the_configured_user_else_the_login(monkeypatch: pytest.MonkeyPatch) -> None:
    assert votes.voter("grace") == "grace"
    monkeypatch.setattr("getpass.getuser", lambda: "login-name")
    monkeypatch.delenv("LTX_NOTEBOOK_USER", raising=False)
    monkeypatch.setattr(config, "_settings", None)
    assert votes.voter() == "login-name"
    config.configure(user="ada")
    assert votes.voter() == "ada"
