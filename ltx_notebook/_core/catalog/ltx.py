"""The LTX-2 family on Segmind, as the reference notes know it (segmind-video-models.md §1).

Data only. Where a fact is a guess its row says so (``certainty``/``guessed``)
and docs/models.md shows it; correct a fact here and every check, estimate and
table follows.
"""

from __future__ import annotations

from typing import Final

from .schema import Certainty, Model, Output, Param, Price

__all__ = ["LTX_MODELS"]

_PAGE = "https://www.segmind.com/models/{}/api"
# The 16:9 frame of each resolution label (segmind-api.md: "Output is 16:9 only").
_LTX_SIZES: Final = {"1080p": (1920, 1080), "2k": (2560, 1440), "4k": (3840, 2160)}
_LTX_OUTPUT: Final = Output(
    sizes=_LTX_SIZES, resolution="resolution", seconds="duration", audio="generate_audio", fps=24
)


def _prompt(help: str = "What the video shows.") -> Param:
    return Param("prompt", "string", help, required=True)


def _ltx2(
    slug: str,
    *,
    default_duration: int,
    seconds: float,
    price: Price,
    title: str,
    known: Certainty,
    notes: str = "",
) -> Model:
    return Model(
        slug=slug,
        family="LTX-2",
        kind="text-to-video",
        title=title,
        url=_PAGE.format(slug),
        params=(
            _prompt(),
            Param(
                "duration",
                "integer",
                "Video length.",
                default=default_duration,
                choices=(6, 8, 10),
                unit="s",
            ),
            Param(
                "resolution",
                "string",
                "Output resolution (16:9).",
                default="1080p",
                choices=("1080p", "2k", "4k"),
                certainty=known,
            ),
            Param("generate_audio", "boolean", "Add a matching audio track.", default=True),
            Param(
                "image",
                "image",
                "First frame: an http(s) URL, or a local image (uploaded first).",
                certainty=known,
            ),
        ),
        output=_LTX_OUTPUT,
        typical_seconds=seconds,
        price=price,
        notes=notes,
    )


def _ltx19b(slug: str, *, image: bool) -> Model:
    kind = "image-to-video" if image else "text-to-video"
    first = (
        (Param("image", "image", "Input image: an http(s) URL or a local image.", required=True),)
        if image
        else ()
    )
    # i2v's table was cut after negative_prompt: its num_frames, seed and width are only
    # in the page's example, so their ranges are taken from t2v.
    cut: Certainty = "reported" if image else "seen"
    return Model(
        slug=slug,
        family="LTX-2 19B (open weights)",
        kind=kind,
        title=f"LTX-2 19B {'image' if image else 'text'}-to-video",
        url=_PAGE.format(slug),
        params=(
            *first,
            _prompt("Prompt describing the video scene."),
            Param("negative_prompt", "string", "What to keep out of the video."),
            Param(
                "width",
                "integer",
                "Frame width.",
                minimum=256,
                maximum=1280,
                unit="px",
                certainty="reported",
                guessed=("default", "range", "type"),
                assumed=720 if image else 1280,
            ),
            Param(
                "height",
                "integer",
                "Frame height.",
                default=1280 if image else 768,
                minimum=256,
                maximum=1280,
                unit="px",
            ),
            Param(
                "num_frames",
                "integer",
                "Frames to generate; length is num_frames / fps.",
                default=None if image else 161,
                minimum=1,
                maximum=400,
                certainty=cut,
                guessed=("default", "range") if image else (),
                assumed=161 if image else None,
            ),
            Param("fps", "integer", "Frames per second.", default=24, minimum=1, maximum=30),
            Param(
                "seed",
                "integer",
                "Random seed: the same seed and params give the same video.",
                minimum=0,
                maximum=2**32 - 1,
                certainty=cut,
                guessed=("range",),
            ),
            Param(
                "guidance_scale",
                "number",
                "How closely to follow the prompt.",
                default=4,
                minimum=1,
                maximum=20,
            ),
        ),
        output=Output(width="width", height="height", frames="num_frames", fps="fps"),
        typical_seconds=108.89 if image else 100.95,
        price=Price(
            "per_generation",
            amount=0.455 if image else 0.416,
            listed="~$0.455" if image else "~$0.416",
        ),
        notes="Whether these models add audio is unknown; the catalog assumes not.",
    )


LTX_MODELS: Final = (
    _ltx2(
        "ltx-2-pro",
        title="LTX 2 Pro: high-quality video with advanced motion control",
        default_duration=6,
        seconds=70.71,
        known="seen",
        notes="fal (not Segmind) lists fps 25/50 for LTX-2; the output rate here is a guess.",
        # The price is not on Segmind's page: another host's per-second rates.
        price=Price(
            "per_second",
            per_second={"1080p": 0.06, "2k": 0.12, "4k": 0.24},
            listed="not listed (about $0.63 a run reported)",
            certainty="reported",
        ),
    ),
    _ltx2(
        "ltx-2-fast",
        title="LTX 2 Fast: fast, high-quality text-to-video by Lightricks",
        default_duration=8,
        seconds=48.0,
        known="reported",
        notes="fal and eachlabs (not Segmind) describe 6-20 s, over 10 s only at 25 fps and "
        "1080p; Segmind's page lists 6, 8 and 10.",
        # "$0.300 - $2.00 per generation" is 1.25x these rates at 6 s 1080p and 10 s 4k.
        price=Price(
            "per_second",
            per_second={"1080p": 0.05, "2k": 0.10, "4k": 0.20},
            listed="$0.300 - $2.00 per generation",
        ),
    ),
    _ltx19b("ltx-2-19b-t2v", image=False),
    _ltx19b("ltx-2-19b-i2v", image=True),
)
