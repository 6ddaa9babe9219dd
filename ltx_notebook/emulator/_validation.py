"""Checking a submit body as the service does: the cleaned run, or why it is refused.

The checks read only the parsed body, the model's spec and (for an ``image``
naming an upload) a lookup of stored assets, so every refusal of a submit's
parameters is here, in the order docs/emulator.md lists them.
The safety filter is here too though it refuses nothing: a blocked prompt is
accepted and charged, and its job turns FAILED early in inference.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._assets import Asset, decode_data_url
from ._catalog import Field, ModelSpec

__all__ = ["FindAsset", "Refusal", "SourceImage", "check_submit", "policy_block"]

_NSFW = re.compile(r"\bnsfw\b", re.IGNORECASE)

# The image's bytes (None when it is not fetched) and a note the render shows.
SourceImage = tuple[bytes | None, str | None]
FindAsset = Callable[[str], Asset | None]


@dataclass(frozen=True)
class Refusal:
    """An answer other than success: the HTTP status, the error text, extra headers."""

    status: int
    error: str
    headers: Mapping[str, str] = field(default_factory=dict)


def policy_block(prompt: str) -> str | None:
    """The safety filter's verdict: the job's error text if *prompt* is blocked, else None."""
    if _NSFW.search(prompt):
        return (
            "Content policy violation: the prompt was blocked by the safety filter "
            "(nsfw). No output was produced."
        )
    return None


def check_submit(
    spec: ModelSpec, body: Any, host_prefix: str | None, find_asset: FindAsset
) -> tuple[dict[str, Any], SourceImage] | Refusal:
    """The run's params with defaults filled in, and its input image; or the first refusal.

    *host_prefix* is the service's own root URL, so an ``image`` pointing at
    one of its own assets (found with *find_asset*) is recognised.
    """
    if not isinstance(body, dict):
        return Refusal(400, "Request body must be a JSON object")
    unknown = sorted(set(body) - set(spec.fields))
    if unknown:
        return Refusal(
            400,
            f"Unknown parameter '{unknown[0]}' for {spec.slug}; "
            f"allowed parameters: {', '.join(spec.fields)}",
        )
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        got = "missing" if prompt is None else f"got {prompt!r}"
        return Refusal(
            400, f"Parameter 'prompt' is required and must be a non-empty string ({got})"
        )
    params: dict[str, Any] = {"prompt": prompt}
    found: SourceImage = (None, None)
    for name, spec_field in spec.fields.items():
        if name == "prompt":
            continue
        value = body.get(name)
        if value is None:
            if spec_field.default is not None:
                params[name] = spec_field.default
            elif spec_field.required:
                return Refusal(400, f"Parameter '{name}' is required for {spec.slug}")
            continue
        if spec_field.type == "image":
            checked = _check_image(name, value, host_prefix, find_asset)
            if isinstance(checked, Refusal):
                return checked
            params[name] = value
            if found == (None, None):
                found = checked
            continue
        refusal = _check_field(name, spec_field, value)
        if isinstance(refusal, Refusal):
            return refusal
        params[name] = refusal[0]
    return params, found


def _check_field(name: str, spec: Field, value: Any) -> tuple[Any] | Refusal:
    """The value as the service keeps it (1-tuple), or why it is refused."""
    allowed = _allowed(spec)
    if spec.type in ("integer", "number"):
        if isinstance(value, float) and value.is_integer() and spec.type == "integer":
            value = int(value)
        kinds = (int,) if spec.type == "integer" else (int, float)
        ok = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
        if ok and spec.enum is not None:
            ok = value in spec.enum
        if ok and spec.low is not None:
            ok = value >= spec.low
        if ok and spec.high is not None:
            ok = value <= spec.high
    elif spec.type == "boolean":
        ok = isinstance(value, bool)
    elif spec.type == "uri":
        ok = isinstance(value, str) and re.match(r"^https?://[^/\s]+", value) is not None
    else:
        ok = isinstance(value, str) and (spec.enum is None or value in spec.enum)
    if not ok:
        return Refusal(
            400, f"Invalid value for parameter '{name}': {value!r}; allowed values: {allowed}"
        )
    return (value,)


def _allowed(spec: Field) -> str:
    if spec.enum is not None:
        unit = " (integer seconds)" if spec.type == "integer" else ""
        return ", ".join(str(v) for v in spec.enum) + unit
    if spec.low is not None and spec.high is not None:
        return f"{spec.type} from {spec.low:g} to {spec.high:g}"
    return {"boolean": "true, false (boolean)", "uri": "an http(s) URL"}.get(spec.type, spec.type)


def _check_image(
    name: str, image: Any, host_prefix: str | None, find_asset: FindAsset
) -> SourceImage | Refusal:
    def bad(why: str) -> Refusal:
        return Refusal(
            400,
            f"Invalid value for parameter '{name}': {why}; allowed values: an http(s) URL "
            "of a JPEG/PNG/WebP image, or a data: URL",
        )

    if not isinstance(image, str) or not image.strip():
        return bad("expected a URI string")
    if image.startswith("data:"):
        decoded = decode_data_url(image)
        if decoded is None or not decoded[0].startswith("image/"):
            return bad("not a base64 image data: URL")
        return decoded[1], "data: URL"
    if not re.match(r"^https?://[^/\s]+", image):
        return bad(f"{image[:60]!r} is not a URI")
    path = re.sub(r"^https?://[^/]+", "", image).split("?", 1)[0]
    if path.startswith("/assets/"):
        asset = find_asset(path.removeprefix("/assets/"))
        if asset is not None:
            return asset.path.read_bytes(), f"uploaded asset {asset.name}"
        if host_prefix and image.startswith(host_prefix):
            return bad("no such uploaded asset")
    # The emulator has no network: a foreign image is accepted but not fetched.
    host = re.sub(r"^https?://", "", image).split("/", 1)[0]
    return None, f"{host} (not fetched)"
