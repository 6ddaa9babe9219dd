"""One request's identity: a hash of what it asks the service for.

The re-run guard finds "the same request" with one indexed store query on this
key, so the key is computed once, when a job's row is written, from the model
and the exact JSON body (``Params.payload()``): every parameter a model takes
today or later is part of it, with no list of fields to keep in step.

A local image is not sent as its path: it is uploaded and its URL sent. What
the service sees is the picture, so the key holds the file's *content*
(SHA-256), not its path: the same picture under another name is the same
request, and a file edited in place is a new one. An http(s) image is sent as
its URL and compared as such (what the URL serves is the service's business).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

from .catalog import CATALOG

__all__ = ["image_digest", "request_key"]

SCHEMES: Final = ("http", "https")
# Read in pieces: an image may be up to MAX_IMAGE_BYTES (20 MB).
_CHUNK: Final = 1 << 20


def image_digest(path: str | Path) -> str | None:
    """``sha256:<hex>`` of the file at *path*, or None if it cannot be read."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):  # gone, unreadable, a NUL in the path
        return None
    # A sweep over one 20 MB first frame looks it up once per combination, and the store
    # hashes it again per row: read it once while the file stays the same one, unchanged.
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
    return _digest(os.fspath(path), stamp)


@functools.lru_cache(maxsize=64)
def _digest(path: str, stamp: tuple[int, int, int, int]) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK):
                digest.update(chunk)
    except (OSError, ValueError):
        return None
    return f"sha256:{digest.hexdigest()}"


def request_key(model: str, payload: Mapping[str, Any]) -> str | None:
    """The key of a submit of *payload* to *model*; None when it cannot be known.

    None only for a local image that cannot be read: such a row matches
    nothing, which errs on the side of sending (the user asked for it).
    """
    body = dict(payload)
    # Each model names its own image param (image, image_url...); unknown models use "image".
    spec = CATALOG.get(model)
    name = spec.image_param if spec is not None else "image"
    image = body.get(name) if name is not None else None
    if name is not None and isinstance(image, str) and urlparse(image).scheme not in SCHEMES:
        digest = image_digest(image.removeprefix("file://"))
        if digest is None:
            return None
        body[name] = digest
    # Canonical JSON: key order and spacing never make two equal requests differ.
    text = json.dumps(
        {"model": model, "body": body},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
