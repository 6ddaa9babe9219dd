"""Checking a submit body as the service does: the cleaned run, or why it is refused.

The checks read only the parsed body, the model's spec and (for an ``image``
naming an upload) a lookup of stored assets, so every refusal of a submit's
parameters is here, in the order docs/emulator.md lists them.
The safety filter is here too though it refuses nothing: a blocked prompt is
accepted and charged, and its job turns FAILED early in inference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ._assets import Asset, decode_data_url
from ._catalog import ModelSpec

__all__ = ["FindAsset", "Refusal", "SourceImage", "check_submit", "policy_block"]

_NSFW = re.compile(r"\bnsfw\b", re.IGNORECASE)
_PARAMS: Final = ("prompt", "duration", "resolution", "generate_audio", "image")

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
    unknown = sorted(set(body) - set(_PARAMS))
    if unknown:
        return Refusal(
            400,
            f"Unknown parameter '{unknown[0]}' for {spec.slug}; "
            f"allowed parameters: {', '.join(_PARAMS)}",
        )
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        got = "missing" if prompt is None else f"got {prompt!r}"
        return Refusal(
            400, f"Parameter 'prompt' is required and must be a non-empty string ({got})"
        )
    params: dict[str, Any] = {"prompt": prompt}

    duration = body.get("duration")
    allowed_d = ", ".join(str(d) for d in spec.durations)
    if duration is None:
        duration = spec.default_duration
    elif isinstance(duration, float) and duration.is_integer():
        duration = int(duration)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, int)
        or duration not in spec.durations
    ):
        return Refusal(
            400,
            f"Invalid value for parameter 'duration': {duration!r}; "
            f"allowed values: {allowed_d} (integer seconds)",
        )
    params["duration"] = duration

    resolution = body.get("resolution")
    if resolution is None:
        resolution = "1080p"
    if not isinstance(resolution, str) or resolution not in spec.resolutions:
        return Refusal(
            400,
            f"Invalid value for parameter 'resolution': {resolution!r}; "
            f"allowed values: {', '.join(spec.resolutions)}",
        )
    params["resolution"] = resolution

    audio = body.get("generate_audio")
    if audio is None:
        audio = True
    if not isinstance(audio, bool):
        return Refusal(
            400,
            f"Invalid value for parameter 'generate_audio': {audio!r}; "
            "allowed values: true, false (boolean)",
        )
    params["generate_audio"] = audio

    image = body.get("image")
    found: SourceImage = (None, None)
    if image is not None:
        checked = _check_image(image, host_prefix, find_asset)
        if isinstance(checked, Refusal):
            return checked
        params["image"] = image
        found = checked
    return params, found


def _check_image(
    image: Any, host_prefix: str | None, find_asset: FindAsset
) -> SourceImage | Refusal:
    def bad(why: str) -> Refusal:
        return Refusal(
            400,
            f"Invalid value for parameter 'image': {why}; allowed values: an http(s) URL "
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
