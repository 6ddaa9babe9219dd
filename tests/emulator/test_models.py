"""Every model the emulator serves: its checks, the clip it makes, its timing and price.

Expected values are written out here from the reference notes, not read from the
client's catalog, so the emulator is checked on its own terms (the client and the
emulator agreeing is checked in tests/jobs/test_models_sweep.py).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from emu_support import FakeClock, wait_for

from ltx_notebook.emulator import MODELS, Emulator, EmulatorConfig, Engine
from ltx_notebook.emulator._engine import Submitted
from ltx_notebook.emulator._validation import Refusal

URL = "https://example.com/frame.png"
SCALE = 0.1  # the suite's render scale: sides are scaled, then rounded to even

# model, body, full frame (w, h), seconds, audio
CLIPS: list[tuple[str, dict[str, Any], tuple[int, int], float, bool]] = [
    ("ltx-2-pro", {"duration": 6}, (1920, 1080), 6, True),
    ("ltx-2-fast", {"duration": 6, "resolution": "2k", "generate_audio": False}, (2560, 1440),
     6, False),
    ("ltx-2-19b-t2v", {"width": 720, "height": 1280, "num_frames": 30, "fps": 12}, (720, 1280),
     2.5, True),
    ("ltx-2-19b-i2v", {"image": URL, "num_frames": 24}, (720, 1280), 1, True),
    ("veo-3-fast", {"aspect_ratio": "9:16", "duration": 4, "fps": 30}, (720, 1280), 4, False),
    ("veo-3.1-lite", {"duration": 4}, (1280, 720), 4, True),
    ("kling-1.6-text2video", {"aspect_ratio": "1:1"}, (720, 720), 5, False),
    ("seedance-pro", {"resolution": "480p", "aspect_ratio": "4:3"}, (640, 480), 5, False),
    ("seedance-v1-lite-image-to-video", {"image_url": URL, "resolution": "480p"}, (854, 480),
     5, False),
]  # fmt: skip

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("ltx-2-pro", {"fps": 30}, "Unknown parameter 'fps'"),
    ("ltx-2-19b-t2v", {"num_frames": 500}, "parameter 'num_frames'"),
    ("ltx-2-19b-i2v", {}, "Parameter 'image' is required"),
    ("veo-3-fast", {"duration": 10}, "parameter 'duration'"),
    ("veo-3-fast", {"resolution": "4k"}, "parameter 'resolution'"),
    ("kling-1.6-text2video", {"mode": "pro"}, "parameter 'mode'"),
    ("seedance-pro", {"seed": "7"}, "parameter 'seed'"),
    ("seedance-v1-lite-image-to-video", {"image_url": "not a url"}, "parameter 'image_url'"),
]


def scaled(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    return max(2, round(width * SCALE / 2) * 2), max(2, round(height * SCALE / 2) * 2)


def test_every_model_has_a_clip_and_a_refusal_here() -> None:
    assert {m for m, *_ in CLIPS} == set(MODELS) and len(MODELS) >= 8


@pytest.mark.parametrize(("model", "body", "size", "seconds", "audio"), CLIPS)
def test_the_clip_follows_the_models_params(
    emu: Emulator,
    http: httpx.Client,
    model: str,
    body: dict,
    size: tuple,
    seconds: float,
    audio: bool,
) -> None:
    answer = http.post(emu.url(f"/v2/{model}"), json={"prompt": f"a {model} test", **body})
    assert answer.status_code == 200, answer.text
    done = wait_for(http, answer.json()["status_url"])
    assert done.json()["status"] == "COMPLETED"
    output = http.get(answer.json()["response_url"]).json()["output"]
    data = http.get(output).content
    with av.open(io.BytesIO(data)) as box:
        video = box.streams.video[0]
        frames = sum(1 for _ in box.decode(video))
        rate = float(video.average_rate)
        has_audio = bool(box.streams.audio)
    assert (video.width, video.height) == scaled(size)
    assert frames / rate == pytest.approx(seconds, abs=0.05)
    assert has_audio is audio


@pytest.mark.parametrize(("model", "body", "message"), BAD)
def test_bad_params_are_refused_with_400(
    emu: Emulator, http: httpx.Client, model: str, body: dict, message: str
) -> None:
    answer = http.post(emu.url(f"/v2/{model}"), json={"prompt": "a fox", **body})
    assert answer.status_code == 400 and message in answer.json()["error"], answer.text
    assert emu.engine.count("submit", status=200) == 0


def test_each_model_takes_its_own_typical_time(tmp_path: Path) -> None:
    clock = FakeClock()
    engine = Engine(
        EmulatorConfig(seed=5, render_workers=0, data_dir=tmp_path), clock=clock, renderer=None
    )
    engine.set_credits(1000)
    typical = {"ltx-2-pro": 70.0, "ltx-2-19b-t2v": 100.95, "kling-1.6-text2video": 304.08,
               "seedance-v1-lite-image-to-video": 39.62}  # fmt: skip
    for model, seconds in typical.items():
        body = {"prompt": "a fox", **({"image_url": URL} if "image" in model else {})}
        outcome = engine.submit(model, body)
        assert isinstance(outcome, Submitted), outcome
        total = outcome.job.queue_seconds + outcome.job.inference_seconds
        assert total == pytest.approx(seconds, rel=0.12), model
    # Longer and bigger clips take longer: frames and pixels both count.
    small = engine.submit("ltx-2-19b-t2v", {"prompt": "x", "num_frames": 60, "width": 512})
    big = engine.submit("ltx-2-19b-t2v", {"prompt": "x", "num_frames": 240})
    assert isinstance(small, Submitted) and isinstance(big, Submitted)
    assert small.job.inference_seconds * 3 < big.job.inference_seconds


def test_each_model_is_charged_its_own_price(tmp_path: Path) -> None:
    engine = Engine(EmulatorConfig(seed=5, render_workers=0), clock=FakeClock(), renderer=None)
    engine.set_credits(1000)
    prices = [
        ("ltx-2-fast", {"duration": 10, "resolution": "4k"}, 2.0),
        ("ltx-2-19b-i2v", {"image": URL}, 0.455),
        ("veo-3-fast", {"duration": 4}, 0.40),
        ("veo-3.1-lite", {}, 1.00),
        ("seedance-pro", {}, 0.35),
    ]
    for model, body, price in prices:
        outcome = engine.submit(model, {"prompt": "x", **body})
        assert not isinstance(outcome, Refusal), outcome
        assert outcome.job.cost == pytest.approx(price), model
