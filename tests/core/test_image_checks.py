"""A local ``image`` must be a regular file, an image by its bytes, and at most 20 MB.

All checked by ``validate()``, before anything is sent: a ``.png`` that is a
symlink to /etc/passwd, a text file with an image's name or a 200 MB file used
to be uploaded (the last at a cost of over a gigabyte of memory).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from ltx_notebook import InvalidParams, validate
from ltx_notebook._core.params import MAX_IMAGE_BYTES, read_image

FORMATS = {"png": "PNG", "jpg": "JPEG", "webp": "WEBP", "gif": "GIF", "bmp": "BMP"}


def check(path: Path | str) -> str:
    params = validate(prompt="a fox", image=str(path))
    assert params.image is not None
    return params.image


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_accepted_format_passes_and_is_typed_by_its_bytes(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"frame.{suffix}"
    Image.new("RGB", (32, 18), (10, 200, 30)).save(path, FORMATS[suffix])
    assert check(path) == str(path)
    mime, size = read_image(path)
    assert mime == f"image/{'jpeg' if suffix == 'jpg' else suffix}"
    assert size == path.stat().st_size


def test_a_symlink_is_followed_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.png"
    Image.new("RGB", (8, 8)).save(target)
    (tmp_path / "link.png").symlink_to(target)
    assert check(tmp_path / "link.png") == str(target)


def test_a_png_named_symlink_to_a_text_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "passwd.png").symlink_to("/etc/passwd")
    with pytest.raises(InvalidParams, match=r"is not a PNG, JPEG, WebP, GIF or BMP image"):
        check(tmp_path / "passwd.png")


def test_a_text_file_with_an_image_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_text("meeting notes, not a picture\n")
    with pytest.raises(InvalidParams, match=r"notes\.png is not a PNG, JPEG, WebP, GIF or BMP"):
        check(tmp_path / "notes.png")


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.png").touch()
    with pytest.raises(InvalidParams, match="is not a PNG"):
        check(tmp_path / "empty.png")


def test_a_file_over_the_cap_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    with big.open("wb") as out:  # sparse: 200 MB that take no disk
        out.write(b"\x89PNG\r\n\x1a\n")
        out.truncate(200 * 1024 * 1024)
    with pytest.raises(InvalidParams, match=r"huge\.png is 200\.0 MB, over the 20 MB limit"):
        check(big)
    with big.open("r+b") as out:
        out.truncate(MAX_IMAGE_BYTES)
    assert check(big) == str(big)  # exactly the cap is allowed
    with big.open("r+b") as out:
        out.truncate(MAX_IMAGE_BYTES + 1)
    with pytest.raises(InvalidParams, match="over the 20 MB limit"):
        check(big)


def test_what_is_not_a_regular_file_is_refused_and_never_read(tmp_path: Path) -> None:
    (tmp_path / "folder.png").mkdir()
    os.mkfifo(tmp_path / "pipe.png")  # reading it would block for ever
    (tmp_path / "dev.png").symlink_to("/dev/zero")
    for name in ("folder.png", "pipe.png", "dev.png"):
        with pytest.raises(InvalidParams, match="is not a regular file"):
            check(tmp_path / name)


def test_missing_and_unresolvable_paths_are_not_found(tmp_path: Path) -> None:
    (tmp_path / "loop.png").symlink_to(tmp_path / "loop.png")
    (tmp_path / "dangling.png").symlink_to(tmp_path / "gone.png")
    for path in (
        "loop.png",
        "dangling.png",
        "missing.png",
        "~nosuchuser/x.png",
        "a" * 300 + ".png",
    ):
        with pytest.raises(InvalidParams, match="image file not found"):
            check(path if path.startswith("~") or len(path) > 255 else tmp_path / path)
