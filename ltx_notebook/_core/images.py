"""A job's image input checked before anything is sent: a URL, or a real, small local image.

Pure checks on the local file (by its bytes, not its name); the upload reads it
again with :func:`read_image`, in case it changed since.
"""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

from .errors import InvalidParams

__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_IMAGE_BYTES",
    "check_image",
    "clip",
    "image_type",
    "is_url",
    "read_image",
]

IMAGE_SUFFIXES: Final = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
# Room for a 4k PNG first frame; what is bigger is almost surely not one. Documented in
# docs/magic.md and docs/client.md.
MAX_IMAGE_BYTES: Final = 20 * 2**20
_BMP_HEADERS: Final = frozenset({12, 40, 52, 56, 64, 108, 124})


def is_url(value: str) -> bool:
    return urlparse(value).scheme in ("http", "https")


def clip(text: str, limit: int = 80) -> str:
    # Messages are one line of at most 300 characters: keep room for the reason.
    return text if len(text) <= limit else f"{text[: limit - 20]}…{text[-19:]}"


def check_image(image: Any) -> str:
    if isinstance(image, os.PathLike):
        image = os.fspath(image)
    if not isinstance(image, str) or not image.strip():
        raise InvalidParams(
            "image must be an http(s) URL or a path to a local image", param="image"
        )
    text = str(image).strip()
    scheme = urlparse(text).scheme
    if scheme in ("http", "https"):
        return text
    if scheme not in ("", "file") and len(scheme) > 1:  # one letter: a Windows drive
        raise InvalidParams(
            f"image must be an http(s) URL or a local file path (got a {scheme}: URL)",
            param="image",
        )
    given = text.removeprefix("file://")
    target = _resolve(given)
    name = Path(given).name
    kind = mimetypes.guess_type(name)[0] or ""
    if Path(name).suffix.lower() not in IMAGE_SUFFIXES or not kind.startswith("image/"):
        raise InvalidParams(
            f"image must be one of {', '.join(IMAGE_SUFFIXES)} (got {clip(name)})", param="image"
        )
    read_image(target)
    return str(target)


def _resolve(given: str | os.PathLike[str]) -> Path:
    try:
        return Path(given).expanduser().resolve(strict=True)
    except FileNotFoundError:
        raise InvalidParams(f"image file not found: {clip(str(given))}", param="image") from None
    except (OSError, RuntimeError, ValueError) as exc:
        # No such user (~nobody), a name too long for the filesystem, a NUL byte, a loop.
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidParams(
            f"image file not found: {clip(str(given))} ({why})", param="image"
        ) from None


def image_type(head: bytes) -> str | None:
    """The MIME type of a PNG, JPEG, WebP, GIF or BMP from its first 32 bytes, else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    # "BM" alone would take a text file that starts so; the DIB header's size is telling.
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in _BMP_HEADERS:
        return "image/bmp"
    return None


def read_image(path: str | os.PathLike[str]) -> tuple[str, int]:
    """The MIME type (by its bytes) and size of the local image at *path*, checked.

    Symlinks are followed; the target must be a regular file of at most
    :data:`MAX_IMAGE_BYTES` that starts as a PNG, JPEG, WebP, GIF or BMP does.
    Raises :class:`InvalidParams` otherwise, naming the file. Called by
    ``validate()`` and again by the upload, in case the file changed since.
    """
    target = _resolve(path)
    shown = clip(str(path))
    try:
        # Non-blocking, then fstat: a FIFO put there since would otherwise hang the open.
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InvalidParams(
            f"image {shown} cannot be read ({exc.strerror or exc})", param="image"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidParams(f"image {shown} is not a regular file", param="image")
        if info.st_size > MAX_IMAGE_BYTES:
            raise InvalidParams(
                f"image {shown} is {info.st_size / 2**20:.1f} MB, over the "
                f"{MAX_IMAGE_BYTES // 2**20} MB limit: save it smaller (a first frame "
                "needs no more than the video's 3840x2160)",
                param="image",
            )
        mime = image_type(os.read(fd, 32))
    finally:
        os.close(fd)
    if mime is None:
        raise InvalidParams(
            f"image {shown} is not a PNG, JPEG, WebP, GIF or BMP image (by its contents)",
            param="image",
        )
    return mime, info.st_size
