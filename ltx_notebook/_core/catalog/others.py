"""Segmind's other video models (Veo, Kling, Seedance), as the reference notes know them.

Data only, from segmind-video-models.md §2–4. Most pages were read only in
part: a model whose list was cut has ``complete=False``, and a parameter the
catalog does not know yet can still be sent with ``--param NAME=VALUE``.
"""

from __future__ import annotations

from typing import Final

from .schema import Model, Output, Param, Price

__all__ = ["OTHER_MODELS"]

_PAGE = "https://www.segmind.com/models/{}/api"
# The landscape frame of each label; the aspect_ratio param turns it, short side kept.
_SIZES: Final = {"480p": (854, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
_RATIOS_5: Final = ("16:9", "4:3", "1:1", "3:4", "9:16")
_PROMPT: Final = Param("prompt", "string", "What the video shows.", required=True)
_SEED: Final = Param(
    "seed",
    "integer",
    "Random seed: the same seed and params give the same video.",
    minimum=0,
    maximum=2**32 - 1,
    certainty="reported",
    guessed=("range", "type"),
)


def _veo(slug: str, *, lite: bool) -> Model:
    if lite:
        params: tuple[Param, ...] = (
            _PROMPT,
            Param(
                "aspect_ratio", "string", "Frame shape.", default="16:9", choices=("16:9", "9:16")
            ),
            Param("duration", "integer", "Video length.", default=8, choices=(4, 6, 8), unit="s"),
            Param("generate_audio", "boolean", "Add synchronized audio.", default=True),
            Param("image", "image", "First frame: an http(s) URL or a local image."),
            Param("last_frame", "uri", "Last frame: an http(s) URL."),
            Param(
                "resolution",
                "string",
                "Output resolution (the page's example uses 720p).",
                certainty="reported",
                guessed=("default", "range"),
                assumed="720p",
            ),
        )
        seconds, low, high, title = 50.40, 0.25, 1.00, "Veo 3.1 Lite"
    else:
        params = (
            _PROMPT,
            Param(
                "aspect_ratio",
                "string",
                "Frame shape (the service's default when not sent).",
                choices=_RATIOS_5,
                assumed="16:9",
            ),
            Param(
                "duration",
                "integer",
                "Video length (the page says 'Default 8').",
                choices=(4, 6, 8),
                unit="s",
                assumed=8,
            ),
            Param("fps", "integer", "Frames per second.", choices=(24, 30), assumed=24),
            Param("generate_audio", "boolean", "Add synchronized audio.", default=False),
            Param("image_url", "image", "Start image: an http(s) URL or a local image."),
            Param(
                "resolution",
                "string",
                "Output resolution (allowed values not read).",
                guessed=("default", "range"),
                assumed="720p",
            ),
            _SEED,
        )
        seconds, low, high, title = 80.33, 0.40, 1.20, "Veo 3 Fast: 8-second videos with audio"
    return Model(
        slug=slug,
        family="Veo 3",
        kind="text-to-video",
        title=title,
        url=_PAGE.format(slug),
        params=params,
        output=Output(
            sizes=_SIZES,
            size=(1280, 720),
            resolution="resolution",
            aspect="aspect_ratio",
            seconds="duration",
            fps="fps" if not lite else 24,
            audio="generate_audio",
            certainty="unknown",
        ),
        typical_seconds=seconds,
        price=Price(
            "range",
            low=low,
            high=high,
            by=("duration", "generate_audio"),
            listed=f"${low:.3f} - ${high:.2f} per generation",
        ),
    )


def _kling16() -> Model:
    return Model(
        slug="kling-1.6-text2video",
        family="Kling",
        kind="text-to-video",
        title="Kling 1.6 text-to-video",
        url=_PAGE.format("kling-1.6-text2video"),
        params=(
            _PROMPT,
            Param("negative_prompt", "string", "What to keep out of the video."),
            Param(
                "aspect_ratio",
                "string",
                "Frame shape.",
                default="16:9",
                choices=("16:9", "9:16", "1:1"),
            ),
            Param(
                "cfg_scale",
                "number",
                "How closely to follow the prompt.",
                default=0.5,
                minimum=0,
                maximum=1,
            ),
            Param("duration", "integer", "Video length.", default=5, choices=(5, 10), unit="s"),
            Param(
                "mode",
                "string",
                "Quality mode: only std (pro is not supported).",
                default="std",
                choices=("std",),
            ),
        ),
        # Kling 2 is described as 720p; 1.6's output size is not stated.
        output=Output(
            size=(1280, 720), aspect="aspect_ratio", seconds="duration", fps=24, certainty="unknown"
        ),
        typical_seconds=304.08,
        price=Price(
            "range", low=0.56, high=1.96, by=("duration",), listed="$0.560 - $1.96 per generation"
        ),
        complete=True,
    )


def _seedance(slug: str, *, lite: bool) -> Model:
    resolutions = ("480p", "720p") if lite else ("480p", "720p", "1080p")
    image = Param(
        "image_url",
        "image",
        "Start image: an http(s) URL or a local image.",
        required=lite,
    )
    params = (
        _PROMPT,
        Param(
            "aspect_ratio",
            "string",
            "Frame shape.",
            required=True,
            default="16:9",
            choices=_RATIOS_5,
        )
        if not lite
        else None,
        Param(
            "duration",
            "integer",
            "Video length.",
            required=True,
            default=5,
            choices=(5, 10),
            unit="s",
        ),
        Param(
            "resolution",
            "string",
            "Output resolution (480p is faster).",
            required=True,
            default="720p",
            choices=resolutions,
        ),
        Param("camera_fixed", "boolean", "Keep the camera still.", default=False),
        image,
        Param("first_frame_url", "uri", "First frame (preferred over image_url).")
        if lite
        else None,
        Param(
            "seed",
            "integer",
            "Random seed: the same seed and params give the same video.",
            default=1,
            minimum=1,
            maximum=999999,
            certainty="seen",
        )
        if lite
        else _SEED,
    )
    return Model(
        slug=slug,
        family="Seedance",
        kind="image-to-video" if lite else "text-to-video",
        title="Seedance 1.0 Lite image-to-video"
        if lite
        else "Seedance 1.0 Pro: 720p dynamic videos",
        url=_PAGE.format(slug),
        params=tuple(p for p in params if p is not None),
        output=Output(
            sizes=_SIZES,
            resolution="resolution",
            aspect=None if lite else "aspect_ratio",
            seconds="duration",
            fps=24,
            certainty="unknown",
        ),
        typical_seconds=39.62 if lite else 63.58,
        price=Price(
            "range",
            low=0.091,
            high=0.450,
            by=("duration", "resolution"),
            listed="$0.091 - $0.450 per generation",
        )
        if lite
        else Price("per_generation", amount=0.35, listed="~$0.35"),
        notes="An image-to-video model: the frame follows the image; 16:9 is assumed."
        if lite
        else "",
    )


OTHER_MODELS: Final = (
    _veo("veo-3-fast", lite=False),
    _veo("veo-3.1-lite", lite=True),
    _kling16(),
    _seedance("seedance-pro", lite=False),
    _seedance("seedance-v1-lite-image-to-video", lite=True),
)
