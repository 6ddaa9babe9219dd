"""Validation: every bad input is one clear line, raised before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook import MODELS, PRICES, InvalidParams, estimate_cost, validate


def test_defaults_come_from_the_model() -> None:
    pro = validate("ltx-2-pro", prompt="  a cat  ")
    assert (pro.prompt, pro.duration, pro.resolution, pro.generate_audio) == (
        "a cat",
        6,
        "1080p",
        True,
    )
    fast = MODELS["ltx-2-fast"].param("duration")
    assert fast is not None and validate("ltx-2-fast", prompt="a cat").duration == fast.default


def test_payload_is_exactly_what_the_api_takes() -> None:
    p = validate(prompt="a cat", duration=8, resolution="4K", generate_audio=False)
    assert p.payload() == {
        "prompt": "a cat",
        "duration": 8,
        "resolution": "4k",
        "generate_audio": False,
    }
    url = "https://example.com/frame.png"
    assert validate(prompt="a cat", image=url).payload()["image"] == url


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"prompt": ""}, "prompt must be a non-empty string"),
        ({"prompt": "   "}, "prompt must be a non-empty string"),
        ({"prompt": None}, "prompt must be a non-empty string"),
        ({"prompt": "x", "duration": 7}, "duration must be one of 6, 8, 10 seconds (got 7)"),
        ({"prompt": "x", "duration": 6.0}, "duration must be one of 6, 8, 10"),
        ({"prompt": "x", "duration": True}, "duration must be one of 6, 8, 10"),
        ({"prompt": "x", "resolution": "720p"}, "resolution must be one of 1080p, 2k, 4k"),
        ({"prompt": "x", "generate_audio": "yes"}, "generate_audio must be True or False"),
        ({"prompt": "x", "fps": 30}, "unknown parameter 'fps' for ltx-2-pro; known parameters:"),
        ({"prompt": "x", "image": "/no/such/file.png"}, "image file not found"),
        ({"prompt": "x", "image": "ftp://host/a.png"}, "http(s) URL or a local file path"),
        ({"prompt": "x", "image": ""}, "image must be an http(s) URL"),
    ],
)
def test_bad_input_is_one_clear_line(given: dict, message: str) -> None:
    with pytest.raises(InvalidParams) as info:
        validate(**given)
    text = str(info.value)
    assert message in text and "\n" not in text
    assert isinstance(info.value, ValueError)


def test_unknown_model_lists_the_known_ones() -> None:
    with pytest.raises(InvalidParams, match="known models: ltx-2-pro, ltx-2-fast, ltx-2-19b"):
        validate("ltx-3", prompt="x")


def test_local_image_must_be_an_image(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hi")
    with pytest.raises(InvalidParams, match="image must be one of"):
        validate(prompt="x", image=str(text))
    png = tmp_path / "frame.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    p = validate(prompt="x", image=png)
    assert p.image == str(png.resolve()) and p.image_is_local


def test_cost_estimate_uses_the_one_price_table() -> None:
    assert estimate_cost(validate(prompt="x")) == pytest.approx(0.36)
    assert estimate_cost(validate(prompt="x", duration=10, resolution="4k")) == pytest.approx(2.4)
    old = PRICES.per_second["ltx-2-pro"]["1080p"]
    try:
        PRICES.per_second["ltx-2-pro"]["1080p"] = 0.1
        assert estimate_cost(validate(prompt="x")) == pytest.approx(0.6)
    finally:
        PRICES.per_second["ltx-2-pro"]["1080p"] = old


def test_defaults_apply_where_a_model_takes_them_one_model_or_several() -> None:
    from ltx_notebook._core.params import with_defaults

    defaults = {"duration": 8, "resolution": "2k", "generate_audio": False, "seed": None}
    assert with_defaults(["ltx-2-pro"], {"duration": 6}, defaults) == {
        "duration": 6,  # a value given is never replaced
        "resolution": "2k",
        "generate_audio": False,
    }
    assert with_defaults(["ltx-2-19b-t2v"], {"seed": 3}, defaults) == {"seed": 3}
    # Across models: a default some model of the sweep takes, none that no model takes.
    assert with_defaults(["ltx-2-19b-t2v", "kling-1.6-text2video"], {}, defaults) == {"duration": 8}
    assert with_defaults(["no-such-model"], {"duration": 6}, defaults) == {"duration": 6}
