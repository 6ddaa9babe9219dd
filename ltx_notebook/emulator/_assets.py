"""Uploaded images: the record of one, and how ``data:`` URLs decode.

Shared by uploads (the engine stores the decoded files) and by submit
validation, which takes a ``data:`` URL or a link to a stored upload as the
run's input image.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["EXTENSIONS", "Asset", "decode_data_url"]

_DATA_URL = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^,;]*)*?);base64,(?P<data>.*)$", re.S
)
EXTENSIONS: Final = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
}


@dataclass(frozen=True)
class Asset:
    name: str
    path: Path
    content_type: str


def decode_data_url(url: str) -> tuple[str, bytes] | None:
    match = _DATA_URL.match(url)
    if match is None:
        return None
    try:
        data = base64.b64decode(match.group("data"), validate=False)
    except (binascii.Error, ValueError):
        return None
    return (match.group("mime") or "application/octet-stream").lower(), data
