"""The model catalog: every model validated (good and bad params), its derivations and prices.

Pure: no emulator, nothing sent. What the service makes of the same values is
checked against the emulator in tests/emulator/test_models.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from ltx_notebook import MODELS, InvalidParams, estimate_cost, validate
from ltx_notebook._core.catalog import CATALOG, CERTAINTIES, KINDS, TYPES, all_params

URL = "https://example.com/frame.png"

# Per model: values it takes (beyond its defaults), and one bad value with the message's gist.
GOOD: dict[str, dict[str, Any]] = {
    "ltx-2-pro": {"duration": 10, "resolution": "4K", "generate_audio": False, "image": URL},
    "ltx-2-fast": {"duration": 6, "resolution": "2k"},
    "ltx-2-19b-t2v": {"seed": 7, "fps": 24, "num_frames": 121, "width": 720, "height": 1280},
    "ltx-2-19b-i2v": {"image": URL, "seed": 42, "num_frames": 181, "guidance_scale": 7.5},
    "veo-3-fast": {"aspect_ratio": "9:16", "duration": 4, "fps": 30, "generate_audio": True},
    "veo-3.1-lite": {"duration": 6, "aspect_ratio": "9:16", "last_frame": URL},
    "kling-1.6-text2video": {"duration": 10, "cfg_scale": 0.8, "aspect_ratio": "1:1"},
    "seedance-pro": {"resolution": "1080p", "aspect_ratio": "4:3", "seed": 12345},
    "seedance-v1-lite-image-to-video": {"image_url": URL, "resolution": "480p", "seed": 99},
}
BAD: dict[str, tuple[dict[str, Any], str]] = {
    "ltx-2-pro": ({"duration": 7}, "duration must be one of 6, 8, 10 seconds (got 7)"),
    "ltx-2-fast": ({"seed": 1}, "unknown parameter 'seed' for ltx-2-fast"),
    "ltx-2-19b-t2v": ({"fps": 60}, "fps must be a whole number from 1 to 30 (got 60)"),
    "ltx-2-19b-i2v": ({}, "image is required by ltx-2-19b-i2v"),
    "veo-3-fast": ({"duration": 10}, "duration must be one of 4, 6, 8 seconds (got 10)"),
    "veo-3.1-lite": ({"aspect_ratio": "4:3"}, "aspect_ratio must be one of 16:9, 9:16"),
    "kling-1.6-text2video": ({"mode": "pro"}, "mode must be one of std (got 'pro')"),
    "seedance-pro": ({"resolution": "4k"}, "resolution must be one of 480p, 720p, 1080p"),
    "seedance-v1-lite-image-to-video": (
        {"image_url": URL, "resolution": "1080p"},
        "resolution must be one of 480p, 720p",
    ),
}


def test_the_catalog_has_the_ltx2_family_and_at_least_four_others() -> None:
    ltx = {"ltx-2-pro", "ltx-2-fast", "ltx-2-19b-t2v", "ltx-2-19b-i2v"}
    assert ltx <= set(CATALOG) and len(set(CATALOG) - ltx) >= 4
    assert set(GOOD) == set(CATALOG) == set(BAD)
    assert MODELS is CATALOG


@pytest.mark.parametrize("slug", list(CATALOG))
def test_each_entry_is_well_formed(slug: str) -> None:
    model = CATALOG[slug]
    assert model.kind in KINDS and model.typical_seconds > 0
    assert model.params[0].name == "prompt" or model.param("prompt") is not None
    assert model.seconds_certainty in CERTAINTIES and model.price.certainty in CERTAINTIES
    for p in model.params:
        assert p.type in TYPES and p.certainty in CERTAINTIES, p
        assert set(p.guessed) <= {"default", "range", "type"}
        if p.default is not None and p.choices is not None:
            assert p.default in p.choices, p
        if p.default is not None and p.minimum is not None:
            assert p.minimum <= p.default <= (p.maximum or p.default), p


def test_a_param_name_means_the_same_type_in_every_model() -> None:
    # The magic reads --seed 7 before it knows the model: one type per name.
    for name, first in all_params().items():
        for model in CATALOG.values():
            p = model.param(name)
            if p is not None:
                assert p.type == first.type, (model.slug, name)


@pytest.mark.parametrize("slug", list(CATALOG))
def test_good_params_pass_and_are_sent_as_given(slug: str) -> None:
    params = validate(slug, prompt="  a red fox  ", **GOOD[slug])
    body = params.payload()
    assert body["prompt"] == "a red fox"
    for name, value in GOOD[slug].items():
        expected = value.lower() if name == "resolution" else value
        assert body[name] == expected, name
    # Required params are always in the body, so the request says what it asked for.
    for p in CATALOG[slug].params:
        if p.required:
            assert p.name in body
    assert params.duration >= 1 and params.resolution and params.frame_size
    assert estimate_cost(params) > 0


@pytest.mark.parametrize("slug", list(CATALOG))
def test_bad_params_are_one_clear_line(slug: str) -> None:
    given, message = BAD[slug]
    with pytest.raises(InvalidParams) as info:
        validate(slug, prompt="a fox", **given)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("slug", "given", "size", "seconds", "audio", "label"),
    [
        ("ltx-2-pro", {"resolution": "2k"}, (2560, 1440), 6, True, "2k"),
        ("ltx-2-fast", {"generate_audio": False}, (1920, 1080), 8, False, "1080p"),
        ("ltx-2-19b-t2v", {"width": 720, "height": 1280, "num_frames": 121}, (720, 1280), 121 / 24,
         False, "720x1280"),
        ("ltx-2-19b-t2v", {"num_frames": 48, "fps": 12}, (1280, 768), 4, False, "1280x768"),
        ("veo-3-fast", {"aspect_ratio": "9:16", "duration": 4}, (720, 1280), 4, False, "720p"),
        ("veo-3.1-lite", {}, (1280, 720), 8, True, "720p"),
        ("kling-1.6-text2video", {"aspect_ratio": "1:1"}, (720, 720), 5, False, "720x720"),
        ("seedance-pro", {"resolution": "480p", "aspect_ratio": "4:3"}, (640, 480), 5, False,
         "480p"),
    ],
)  # fmt: skip
def test_frame_size_length_and_audio_follow_the_params(
    slug: str, given: dict, size: tuple, seconds: float, audio: bool, label: str
) -> None:
    params = validate(slug, prompt="x", **given)
    assert params.frame_size == size
    assert params.seconds == pytest.approx(seconds)
    assert params.duration == max(1, round(seconds))
    assert params.generate_audio is audio and params.resolution == label


def test_ltx2_fast_is_priced_as_segmind_lists_it() -> None:
    # "$0.300 - $2.00 per generation": the shortest 1080p run and the longest 4k run.
    low = validate("ltx-2-fast", prompt="x", duration=6, resolution="1080p")
    high = validate("ltx-2-fast", prompt="x", duration=10, resolution="4k")
    assert (estimate_cost(low), estimate_cost(high)) == (pytest.approx(0.30), pytest.approx(2.0))


def test_a_price_range_places_the_estimate_by_its_params() -> None:
    cheap = validate("veo-3-fast", prompt="x", duration=4, generate_audio=False)
    dear = validate("veo-3-fast", prompt="x", duration=8, generate_audio=True)
    assert estimate_cost(cheap) == pytest.approx(0.40)
    assert estimate_cost(dear) == pytest.approx(1.20)
    assert estimate_cost(validate("ltx-2-19b-t2v", prompt="x")) == pytest.approx(0.416)


def test_extra_params_are_sent_unchecked_and_kept_apart() -> None:
    params = validate("veo-3.1-lite", prompt="x", extra={"seed": 5, "reference_images": [URL]})
    assert params.payload()["seed"] == 5 and params.payload()["reference_images"] == [URL]
    assert params.extras == {"seed": 5, "reference_images": [URL]}
    assert "seed" not in params.values and params.seed == 5
    with pytest.raises(InvalidParams, match=r"'duration' is a known parameter of veo-3\.1-lite"):
        validate("veo-3.1-lite", prompt="x", extra={"duration": 4})
    with pytest.raises(InvalidParams, match="must be a JSON value"):
        validate("veo-3.1-lite", prompt="x", extra={"when": object()})


def test_a_recorded_payload_gives_back_the_same_params() -> None:
    from ltx_notebook._core.params import Params

    params = validate("ltx-2-19b-t2v", prompt="x", seed=7, extra={"tile": True})
    again = Params.from_payload(params.model, params.payload())
    assert again == params and again.seed == 7 and again.extras == {"tile": True}


def test_the_eta_prior_follows_the_clips_length() -> None:
    t2v = CATALOG["ltx-2-19b-t2v"]
    assert t2v.typical_for({}) == pytest.approx(100.95)
    assert t2v.typical_for({"num_frames": 322}) == pytest.approx(2 * 100.95)
    pro = CATALOG["ltx-2-pro"]
    assert pro.typical_for({"duration": 10}) == pytest.approx(70.71 * 10 / 6)
