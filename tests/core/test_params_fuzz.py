"""Fuzzing the pure checks: any value gives a valid Params (or seconds) or InvalidParams.

``validate()`` and ``check_timeout()`` are pure (no network, no store), so they
are fuzzed directly; what a valid Params sends is its ``payload()``, which
must then hold only values the service's schema allows.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ltx_notebook import MODELS, InvalidParams, validate
from ltx_notebook._core.params import MAX_IMAGE_BYTES, MAX_WAIT_S, RESOLUTIONS, check_timeout

FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.sampled_from(
        [
            "6",
            " 8 ",
            "²",
            "1080P",
            " 4k",
            "inf",
            "~nosuchuser/x.png",
            "a" * 300 + ".png",
            "/etc/passwd",
            "/dev/null",
            "frame.png",
            "fake.png",
            "link.png",
            "folder.png",
            "file://frame.png",
            "http://example.com/a.png",
            "ftp://x/y.png",
            "data:image/png;base64,AAAA",
            "C:/x.png",
            "a\x00b.png",
            Path("frame.png"),
        ]
    ),
)
# Mostly good values, so that one bad one at a time reaches its own check.
GOOD = {
    "prompt": st.sampled_from(["a red fox", " a heron ", "{x} $5 # é 🦊"]),
    "duration": st.sampled_from([6, 8, 10, None]),
    "resolution": st.sampled_from([*RESOLUTIONS, "4K", None]),
    "generate_audio": st.sampled_from([True, False, None]),
    "image": st.sampled_from([None, "frame.png", "https://example.com/a.png"]),
}
# Files that exist and are not a usable first frame: each must be refused by name.
NOT_IMAGES = ["fake.png", "link.png", "folder.png", "big.png", "/etc/passwd", "/dev/null"]
PARAMS = st.fixed_dictionaries(
    {
        **{name: st.one_of(good, good, good, ANYTHING) for name, good in GOOD.items()},
        "image": st.one_of(GOOD["image"], st.sampled_from(NOT_IMAGES), ANYTHING),
    },
    optional={"fps": ANYTHING},
)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from PIL import Image

    folder = tmp_path_factory.mktemp("images")
    Image.new("RGB", (16, 9)).save(folder / "frame.png")
    (folder / "fake.png").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (folder / "link.png").symlink_to("/etc/passwd")
    (folder / "folder.png").mkdir()
    with (folder / "big.png").open("wb") as big:  # a PNG's signature, over the size cap
        big.write(b"\x89PNG\r\n\x1a\n")
        big.truncate(MAX_IMAGE_BYTES + 1)
    return folder


@FUZZ
@given(
    model=st.one_of(st.sampled_from([*MODELS, *MODELS, "ltx-9", "", "LTX-2-PRO"]), ANYTHING),
    values=PARAMS,
)
def test_validate_gives_params_within_the_schema_or_invalid_params(
    images: Path, model: Any, values: dict[str, Any]
) -> None:
    cwd = Path.cwd()
    os.chdir(images)
    try:
        try:
            params = validate(model, **values)
        except InvalidParams as exc:
            assert str(exc) and "\n" not in str(exc) and len(str(exc)) <= 300
            return
    finally:
        os.chdir(cwd)
    spec = MODELS[params.model]
    body = params.payload("https://uploads.example/x.png" if params.image_is_local else None)
    json.dumps(body, allow_nan=False)  # what is sent is plain JSON
    assert body["prompt"].strip()
    for name, value in body.items():
        p = spec.param(name)
        assert p is not None, name  # the Python API sends only what the catalog knows
        if p.choices is not None:
            assert value in p.choices, (name, value)
        if p.type == "boolean":
            assert isinstance(value, bool)
    if "resolution" in body:
        assert body["resolution"] in RESOLUTIONS
    if params.image_is_local:
        assert params.image is not None and Path(params.image).resolve() == images / "frame.png"


@FUZZ
@given(
    image=st.one_of(
        st.sampled_from([*NOT_IMAGES, "frame.png", "./frame.png", "missing.png"]),
        st.sampled_from(NOT_IMAGES).map(lambda name: f"file://{name}"),
        st.text(max_size=20).map(lambda t: t + ".png"),
        ANYTHING,
    )
)
def test_only_a_real_image_file_or_a_url_is_taken_as_the_first_frame(
    images: Path, image: Any
) -> None:
    cwd = Path.cwd()
    os.chdir(images)
    try:
        try:
            params = validate(prompt="a fox", image=image)
        except InvalidParams as exc:
            assert exc.param == "image" and "\n" not in str(exc)
            return
    finally:
        os.chdir(cwd)
    if params.image_is_local:
        assert params.image == str(images / "frame.png")
    else:
        assert params.image is None or params.image.startswith(("http://", "https://"))


@FUZZ
@given(value=ANYTHING, zero=st.booleans())
def test_check_timeout_gives_finite_seconds_or_invalid_params(value: Any, zero: bool) -> None:
    try:
        seconds = check_timeout(value, zero=zero)
    except InvalidParams as exc:
        assert "\n" not in str(exc)
        return
    if value is None:
        assert seconds is None
        return
    assert seconds is not None and math.isfinite(seconds) and seconds <= MAX_WAIT_S
    assert seconds >= 0 if zero else seconds > 0
