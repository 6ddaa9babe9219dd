"""Across models, against the emulator: sweeps checked per model, params kept in history.

What the service received is read from the emulator's request log and job
table, never from the client's word.
"""

from __future__ import annotations

import pytest

from ltx_notebook import InvalidParams, Session, validate
from ltx_notebook._jobs.sweeps.plan import plan_grid
from ltx_notebook._jobs.sweeps.sweep import ConfirmationRequired, sweep
from ltx_notebook._storage.tables import history_frame
from ltx_notebook.emulator import Emulator
from tests.harness.sweeps import FAST

MODELS = ["ltx-2-pro", "veo-3-fast", "ltx-2-19b-t2v"]
URL = "https://example.com/frame.png"


@pytest.fixture
def emulator_options() -> dict[str, object]:
    return FAST


def test_invalid_combinations_are_named_and_nothing_is_sent(
    session: Session, emulator: Emulator
) -> None:
    grid = {"model": MODELS, "duration": [6, 10]}
    with pytest.raises(ConfirmationRequired) as info:
        sweep("a red fox in snow", grid, session=session)
    text = str(info.value)
    # veo-3-fast takes 4, 6 or 8 s; the 19B model takes no duration, so it runs once.
    assert "1 of 5 combinations are invalid" in text
    assert "model='veo-3-fast', duration=10" in text and "one of 4, 6, 8" in text
    assert info.value.jobs == 4
    plan = info.value.plan
    assert list(plan["state"]).count("INVALID") == 1
    assert emulator.engine.count("submit") == 0 and session.store.count() == 0


def test_a_cross_model_sweep_sends_only_the_valid_combinations(
    session: Session, emulator: Emulator
) -> None:
    grid = {
        "model": MODELS,
        "duration": [6, 10],
        "seed": 7,  # taken by veo-3-fast and the 19B model, not by ltx-2-pro
        "num_frames": 25,
    }
    handle = sweep("a red fox in snow", grid, yes=True, session=session)
    assert handle.wait(timeout=120)
    assert emulator.engine.count("submit") == 4  # the refused one never reached the service
    assert [r.model for r in handle.refused] == ["veo-3-fast"]
    sent = {(j.model, tuple(sorted(j.params))) for j in emulator.engine.jobs.values()}
    assert (
        "ltx-2-19b-t2v",
        ("fps", "guidance_scale", "height", "num_frames", "prompt", "seed"),
    ) in {(m, tuple(k for k in keys if k != "width")) for m, keys in sent}
    frame = history_frame(session.store)
    assert sorted(frame["model"].astype(str)) == ["ltx-2-19b-t2v", "ltx-2-pro", "ltx-2-pro",
                                                  "veo-3-fast"]  # fmt: skip
    by_model = frame.set_index(frame["model"].astype(str))
    assert by_model.loc["ltx-2-19b-t2v", "seed"] == 7
    assert by_model.loc["ltx-2-19b-t2v", "param_num_frames"] == 25
    assert by_model.loc["ltx-2-19b-t2v", "params"]["fps"] == 24
    assert by_model.loc["veo-3-fast", "seed"] == 7
    assert frame[frame["model"] == "ltx-2-pro"]["seed"].isna().all()
    # The common columns hold derived values: whole seconds and a resolution label.
    t2v = by_model.loc["ltx-2-19b-t2v"]
    assert (t2v["duration"], t2v["resolution"]) == (1, "1280x768")


def test_a_sweep_key_no_model_takes_is_refused(session: Session, emulator: Emulator) -> None:
    with pytest.raises(InvalidParams, match="no model of this sweep takes 'mode'"):
        sweep("x", {"model": ["ltx-2-pro", "veo-3-fast"], "mode": "std"}, session=session)
    with pytest.raises(InvalidParams, match="unknown model 'ltx-9'"):
        sweep("x", {"model": ["ltx-2-pro", "ltx-9"]}, yes=True, session=session)
    assert emulator.engine.count("submit") == 0


@pytest.mark.parametrize(
    ("model", "values"),
    [
        ("ltx-2-19b-t2v", {"num_frames": 30, "fps": 12, "width": 720, "height": 1280}),
        ("veo-3-fast", {"aspect_ratio": "9:16", "duration": 4}),
        ("kling-1.6-text2video", {"aspect_ratio": "1:1"}),
        ("seedance-v1-lite-image-to-video", {"image_url": URL, "resolution": "480p"}),
    ],
)
def test_the_clip_matches_what_the_catalog_expects(
    session: Session, emulator: Emulator, model: str, values: dict
) -> None:
    params = validate(model, prompt="a lighthouse at dusk", **values)
    job = session.submit(params)
    job.wait(timeout=120)
    record = job.record
    width, height = params.frame_size or (0, 0)
    scale = 0.1  # the suite's render scale
    assert (record.video_width, record.video_height) == (
        max(2, round(width * scale / 2) * 2),
        max(2, round(height * scale / 2) * 2),
    )
    assert record.video_seconds == pytest.approx(params.seconds, abs=0.1)
    assert record.duration == params.duration and record.resolution == params.resolution


def test_extra_params_are_sent_recorded_and_checked_by_the_service(
    session: Session, emulator: Emulator
) -> None:
    # The catalog does not know Seedance's skip_moderation; the service does.
    params = validate("seedance-pro", prompt="a fox", extra={"skip_moderation": "false"})
    job = session.submit(params)
    job.wait(timeout=120)
    (sent,) = emulator.engine.jobs.values()
    assert sent.params["skip_moderation"] == "false"
    assert job.record.payload["skip_moderation"] == "false"
    assert job.record.params.extras == {"skip_moderation": "false"}
    frame = history_frame(session.store)
    assert frame.iloc[0]["param_skip_moderation"] == "false"
    # One neither knows is refused by the service (400), not by the client: nothing billed.
    from ltx_notebook import LtxError

    with pytest.raises(LtxError, match="Unknown parameter 'bogus'"):
        session.submit(validate("seedance-pro", prompt="a fox", extra={"bogus": 1}))
    assert len(emulator.engine.jobs) == 1


@pytest.mark.parametrize("slug", ["ltx-2-pro", "ltx-2-19b-i2v", "veo-3.1-lite", "seedance-pro"])
def test_the_catalogs_bodies_pass_the_services_own_checks(
    session: Session, emulator: Emulator, slug: str
) -> None:
    # The emulator checks with its own table: a catalog default it refused would show here.
    image = {"ltx-2-19b-i2v": {"image": URL}}.get(slug, {})
    job = session.submit(validate(slug, prompt="a heron at dawn", **image))
    job.wait(timeout=120)
    assert job.status.value == "COMPLETED", job.error
    (sent,) = emulator.engine.jobs.values()
    assert {k: sent.params[k] for k in job.record.payload} == job.record.payload
    assert job.record.cost == pytest.approx(job.record.cost_estimate)


def test_one_image_goes_to_each_models_own_image_param() -> None:
    grid = {"model": ["ltx-2-19b-i2v", "seedance-v1-lite-image-to-video", "ltx-2-fast"]}
    plan, refused = plan_grid("a heron", {**grid, "image": URL})
    assert not refused
    bodies = {p.model: p.payload() for p in plan}
    assert bodies["ltx-2-19b-i2v"]["image"] == URL
    assert bodies["seedance-v1-lite-image-to-video"]["image_url"] == URL
    assert bodies["ltx-2-fast"]["image"] == URL
