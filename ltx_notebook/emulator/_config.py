"""Every knob of the emulated service, checked once, and the clock it reads time from.

The config is frozen and checked when built, so a bad option fails at start,
not on the first request that needs it. What each option means is documented
in docs/emulator.md; only the durations derived from them live here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

__all__ = [
    "HISTORY_ENVELOPES",
    "METRICS_SHAPES",
    "Clock",
    "EmulatorConfig",
    "HistoryEnvelope",
    "MetricsShape",
    "OutputShape",
]

# Seconds from any origin, never going back: time.monotonic, or a test's fake.
Clock = Callable[[], float]
OutputShape = Literal["string", "list", "object", "mixed"]
HistoryEnvelope = Literal["data", "nested", "list"]
HISTORY_ENVELOPES: Final = ("data", "nested", "list")
MetricsShape = Literal["full", "inference"]
METRICS_SHAPES: Final = ("full", "inference")


@dataclass(frozen=True)
class EmulatorConfig:
    """Every knob of the emulated service. Times are seconds; see docs/emulator.md."""

    host: str = "127.0.0.1"
    port: int = 0
    speed: float = 1.0
    api_key: str | None = field(default=None, repr=False)
    credits: float = 100.0
    max_concurrent: int | None = None
    rate_limit: int | None = None
    fail_rate: float = 0.0
    expire_after: float | None = None
    output_ttl: float | None = None
    render_scale: float = 1.0
    output_shape: OutputShape = "string"
    submit_status: int = 200
    include_video: bool = True
    upload_key: Literal["file_urls", "urls"] = "file_urls"
    rate_limit_reset_header: bool = False
    retry_after_header: bool = False
    seed: int | None = None
    data_dir: Path | None = None
    preset: str = "veryfast"
    # Frames between keyframes; None keeps libx264's default (250: one keyframe
    # in a 10 s clip, as generated clips tend to have).
    keyint: int | None = None
    fps: int = 24
    render_workers: int = 2
    # The request history (/inference-request/...): its page shape, and the wall
    # time (Unix seconds) its records are stamped from, the clock's start by default.
    history_envelope: HistoryEnvelope = "data"
    start_time: float | None = None
    # Seconds (engine clock) a request takes to show in the history: the real one lists
    # a request a little after it is made (25 s has been seen).
    history_lag: float = 0.0
    job_seconds: float | None = None
    job_spread: float = 0.0
    slow_share: float = 0.0
    slow_factor: float = 3.0
    # What a job's metrics hold. "full": queue_time, inference_time, then total_time,
    # cost and remaining_credits at the end (what the emulator always sent). "inference":
    # only inference_time, the one field the service is known to send, so the client's
    # timing is tried on what is certain.
    metrics: MetricsShape = "full"

    def __post_init__(self) -> None:
        # NaN passes every "<= 0" check and breaks every time computed from it.
        for name in ("speed", "credits", "expire_after", "output_ttl", "job_seconds"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number, not {value!r}")
        if self.speed <= 0:
            raise ValueError("speed must be > 0")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("fail_rate must be within [0, 1]")
        if not 0.0 < self.render_scale <= 1.0:
            raise ValueError("render_scale must be within (0, 1]")
        if self.output_shape not in ("string", "list", "object", "mixed"):
            raise ValueError("output_shape must be string, list, object or mixed")
        if self.submit_status not in (200, 201, 202):
            raise ValueError("submit_status must be 200, 201 or 202")
        if self.keyint is not None and self.keyint < 1:
            raise ValueError("keyint must be >= 1")
        if self.fps not in (24, 25, 30):
            raise ValueError("fps must be 24, 25 or 30")
        if self.history_envelope not in HISTORY_ENVELOPES:
            raise ValueError(f"history_envelope must be one of {', '.join(HISTORY_ENVELOPES)}")
        if self.job_seconds is not None and self.job_seconds <= 0:
            raise ValueError("job_seconds must be > 0")
        if not 0.0 <= self.job_spread < 1.0:
            raise ValueError("job_spread must be within [0, 1)")
        if not 0.0 <= self.slow_share <= 1.0:
            raise ValueError("slow_share must be within [0, 1]")
        if not 1.0 <= self.slow_factor < math.inf:
            raise ValueError("slow_factor must be >= 1")
        if self.metrics not in METRICS_SHAPES:
            raise ValueError(f"metrics must be one of {', '.join(METRICS_SHAPES)}")
        if not 0.0 <= self.history_lag < 1e9:  # NaN fails every comparison
            raise ValueError("history_lag must be a number of seconds from 0")

    @property
    def record_ttl(self) -> float:
        """How long a request record lives: 1 hour of emulated time, unless told otherwise."""
        return self.expire_after if self.expire_after is not None else 3600.0 / self.speed

    @property
    def rate_window(self) -> float:
        """The rolling rate-limit window: one emulated minute."""
        return 60.0 / self.speed
