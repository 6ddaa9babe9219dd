"""The plan: grids, zip, prompt variants, validation, gates and dry runs. Nothing is sent."""

from __future__ import annotations

import pytest

from ltx_notebook import InvalidParams, Session
from ltx_notebook._core.errors import NotSubmitted
from ltx_notebook._jobs.sweeps.plan import plan_sweep
from ltx_notebook._jobs.sweeps.sweep import ConfirmationRequired, sweep
from ltx_notebook._magic.cell import parse_grid, split_prompts
from ltx_notebook.emulator import Emulator
from tests.harness.sweeps import FAST


@pytest.fixture
def emulator_options() -> dict[str, object]:
    return FAST  # sweeps run many jobs, so run them faster


def test_product_runs_prompts_outermost_then_grid_keys_in_order() -> None:
    plan = plan_sweep(["a", "b"], {"duration": [6, 8, 10], "resolution": ["1080p", "4k"]})
    assert len(plan) == 12
    assert [(p.prompt, p.duration, p.resolution) for p in plan[:4]] == [
        ("a", 6, "1080p"),
        ("a", 6, "4k"),
        ("a", 8, "1080p"),
        ("a", 8, "4k"),
    ]
    assert {p.prompt for p in plan[6:]} == {"b"}


def test_zip_pairs_lists_and_still_crosses_prompts() -> None:
    plan = plan_sweep(["a", "b"], {"duration": [6, 10], "resolution": ["1080p", "4k"]}, zip=True)
    assert [(p.prompt, p.duration, p.resolution) for p in plan] == [
        ("a", 6, "1080p"),
        ("a", 10, "4k"),
        ("b", 6, "1080p"),
        ("b", 10, "4k"),
    ]


def test_zip_needs_equal_lengths() -> None:
    with pytest.raises(InvalidParams, match="equal lengths"):
        plan_sweep("a", {"duration": [6, 8], "resolution": ["1080p", "2k", "4k"]}, zip=True)


def test_single_values_are_held_fixed_and_prompt_may_come_from_the_grid() -> None:
    plan = plan_sweep(
        None,
        {"prompt": ["a", "b"], "duration": [6, 8], "generate_audio": False, "model": "ltx-2-fast"},
        zip=True,
    )
    assert [(p.prompt, p.duration) for p in plan] == [("a", 6), ("b", 8)]
    assert all(p.generate_audio is False and p.model == "ltx-2-fast" for p in plan)
    with pytest.raises(InvalidParams, match="not both"):
        plan_sweep("a", {"prompt": ["b"]})


@pytest.mark.parametrize(
    ("grid", "param"),
    [
        ({"duration": [6, 7]}, "duration"),
        ({"resolution": ["1080p", "8k"]}, "resolution"),
        ({"seed": [1, 2]}, "seed"),
        ({"duration": []}, "duration"),
        ({"model": ["ltx-2-pro", "ltx-3"]}, "model"),
    ],
)
def test_one_bad_value_names_it_and_nothing_is_sent(
    session: Session, emulator: Emulator, grid: dict, param: str
) -> None:
    with pytest.raises(InvalidParams) as info:
        sweep(["a fox", "a bird"], grid, yes=True, session=session)
    assert info.value.param == param
    assert emulator.engine.count() == 0
    assert session.store.count() == 0


def test_bad_value_message_says_which_combination() -> None:
    with pytest.raises(InvalidParams, match=r"combination 2 of 2 \(duration=7\).*6, 8, 10"):
        plan_sweep("a fox", {"duration": [6, 7]})


def test_prompt_variants_split_on_lines_holding_only_three_dashes() -> None:
    cell = "a fox in snow\n  with mountains\n---\n\n  ---  \na bird\n---\n"
    assert split_prompts(cell) == ["a fox in snow\n  with mountains", "a bird"]
    assert split_prompts("one prompt -- with dashes --- inline") == [
        "one prompt -- with dashes --- inline"
    ]


def test_parse_grid_reads_magic_options() -> None:
    grid = parse_grid(
        ["duration=6,8", "resolution=1080p, 4k", "generate-audio=true,false", "duration=10"]
    )
    assert grid == {
        "duration": [6, 8, 10],
        "resolution": ["1080p", "4k"],
        "generate_audio": [True, False],
    }
    for bad in ("duration", "=6", "nonsense=1,2", "duration=,"):
        with pytest.raises(InvalidParams):
            parse_grid([bad])


def test_gate_over_job_threshold_sends_nothing(session: Session, emulator: Emulator) -> None:
    with pytest.raises(ConfirmationRequired) as info:
        sweep(["a", "b", "c"], {"duration": [6, 8, 10]}, session=session)  # 9 jobs > 8
    exc = info.value
    assert exc.jobs == 9 and len(exc.plan) == 9
    assert exc.estimated_cost == pytest.approx(3 * (0.36 + 0.48 + 0.60))
    assert "estimate" in str(exc) and "yes=True" in str(exc)
    assert emulator.engine.count() == 0 and session.store.count() == 0


def test_gate_over_cost_threshold_is_configurable_per_call(
    session: Session, emulator: Emulator
) -> None:
    grid = {"duration": [10], "resolution": ["4k"]}  # one job, ~$2.40
    with pytest.raises(ConfirmationRequired):
        sweep("a", grid, session=session, confirm_cost=1.0)
    with pytest.raises(ConfirmationRequired):
        sweep(["a", "b"], {"duration": [6]}, session=session, confirm_jobs=1)
    assert emulator.engine.count() == 0


def test_dry_run_lists_the_grid_with_estimates_and_sends_nothing(
    session: Session, emulator: Emulator
) -> None:
    sw = sweep(
        ["a", "b"],
        {"duration": [6, 8, 10], "resolution": ["1080p", "4k"]},
        dry_run=True,
        session=session,
    )  # 12 jobs, above the gate: a dry run never needs confirming
    plan = sw.plan()
    assert len(plan) == 12 and sw.size == 12 and len(sw) == 12 and sw.jobs == []
    with pytest.raises(NotSubmitted, match="a dry run sends nothing"):
        sw[0]
    assert str(plan["duration"].dtype) == "Int64"
    assert str(plan["resolution"].dtype) == "category"
    assert plan["cost_estimate"].sum() == pytest.approx(sw.estimated_cost)
    assert sw.estimated_cost == pytest.approx(2 * (0.06 + 0.24) * (6 + 8 + 10))
    assert set(plan["state"]) == {"PENDING"}
    assert sw.done and sw.wait() is sw
    html = sw._repr_html_()
    assert "dry run" in html and html.count("<tr>") == 13
    assert "dry run" in repr(sw)
    assert emulator.engine.count() == 0 and session.store.count() == 0


def test_concurrency_must_be_positive(session: Session) -> None:
    with pytest.raises(InvalidParams, match="concurrency"):
        sweep("a", {"duration": [6]}, concurrency=0, session=session)
