"""The request key: one hash per request, a local image by its content, a URL as sent."""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

from ltx_notebook._core.params import validate
from ltx_notebook._core.request_key import image_digest, request_key


def key_of(**given: object) -> str | None:
    params = validate(**{"prompt": "a heron", **given})  # type: ignore[arg-type]
    return request_key(params.model, params.payload())


def test_the_same_request_has_one_key_whatever_the_order_or_the_defaults_spelled() -> None:
    assert key_of() == key_of(duration=6, resolution="1080P", generate_audio=True)
    body = {"prompt": "a heron", "duration": 6}
    assert request_key("ltx-2-pro", body) == request_key("ltx-2-pro", dict(reversed(body.items())))


def test_every_part_of_the_request_changes_the_key() -> None:
    keys = {
        key_of(),
        key_of(prompt="a heron at dawn"),
        key_of(duration=8),
        key_of(resolution="4k"),
        key_of(generate_audio=False),
        key_of(model="ltx-2-fast", duration=6),
        key_of(image="https://example.com/a.png"),
    }
    assert len(keys) == 7
    # A parameter the code never heard of (a catalog model's) is part of it too.
    base = {"prompt": "a heron"}
    assert request_key("m", base) != request_key("m", {**base, "seed": 7})


def test_a_local_image_counts_by_its_content_not_its_path(tmp_path: Path) -> None:
    first = tmp_path / "frame.png"
    Image.new("RGB", (32, 18), (200, 40, 40)).save(first)
    copy = tmp_path / "elsewhere" / "renamed.png"
    copy.parent.mkdir()
    shutil.copy(first, copy)
    before = key_of(image=str(first))
    assert before is not None and before == key_of(image=str(copy))
    assert image_digest(first) == image_digest(copy)

    Image.new("RGB", (32, 18), (40, 200, 40)).save(first)  # edited in place
    assert key_of(image=str(first)) != before


def test_an_unreadable_local_image_has_no_key(tmp_path: Path) -> None:
    # No key matches nothing: the guard errs on the side of sending.
    gone = str(tmp_path / "gone.png")
    assert request_key("ltx-2-pro", {"prompt": "a", "image": gone}) is None
    assert image_digest(gone) is None


def test_a_local_image_counts_by_content_under_the_models_own_image_param(
    tmp_path: Path,
) -> None:
    # Seedance takes its first frame as image_url: the same picture, renamed, is one request.
    first = tmp_path / "frame.png"
    Image.new("RGB", (32, 18), (200, 40, 40)).save(first)
    copy = tmp_path / "renamed.png"
    shutil.copy(first, copy)
    slug = "seedance-v1-lite-image-to-video"
    key = request_key(slug, {"prompt": "a", "image_url": str(first)})
    assert key is not None
    assert key == request_key(slug, {"prompt": "a", "image_url": str(copy)})
    assert request_key(slug, {"prompt": "a", "image_url": str(tmp_path / "gone.png")}) is None
