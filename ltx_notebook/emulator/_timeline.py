"""One emulated job's life, computed from the clock: QUEUED, PROCESSING, then COMPLETED or FAILED.

A job's state is never stored: it follows from the clock and the job's planned
times (and, once known, when its render finished), exactly as a client sees it
from outside. So a test moves a fake clock and the job moves with it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ._catalog import RESOLUTION_FACTOR, Clip, ModelSpec

__all__ = ["COMPLETED", "FAILED", "PROCESSING", "QUEUED", "Job", "planned_seconds"]

QUEUED, PROCESSING, COMPLETED, FAILED = "QUEUED", "PROCESSING", "COMPLETED", "FAILED"


def planned_seconds(
    spec: ModelSpec,
    params: dict[str, Any],
    rng: random.Random,
    speed: float,
    *,
    job_seconds: float | None = None,
    job_spread: float = 0.0,
    slow_share: float = 0.0,
    slow_factor: float = 3.0,
) -> tuple[float, float]:
    """Seconds a new run will queue and then infer, jittered by *rng*, divided by *speed*.

    By default from the model's typical time; *job_seconds* (± *job_spread*,
    uniform) sets every run's total instead, a tenth of it queued, so a client
    can be measured against a known shape of job times. With *slow_share*, that
    share of runs takes *slow_factor* times as long (a busy queue, a cold GPU).
    """
    if job_seconds is None:
        queue = rng.uniform(1.5, 5.0)
        # The reference time is the typical total with the defaults, queue included; a run
        # takes longer with its length and its pixel count, a little less without sound.
        clip, ref = spec.clip(params), spec.reference_clip()
        inference = (
            (spec.reference_seconds - 3.25)
            * (clip.seconds / ref.seconds)
            * _pixel_factor(clip, ref)
        )
        if ref.audio and not clip.audio:
            inference *= 0.95
        inference *= rng.uniform(0.9, 1.1)
    else:
        total = job_seconds
        if job_spread:
            total *= rng.uniform(1 - job_spread, 1 + job_spread)
        queue, inference = 0.1 * total, 0.9 * total
    if slow_share and rng.random() < slow_share:
        queue, inference = queue * slow_factor, inference * slow_factor
    return queue / speed, inference / speed


def _pixel_factor(clip: Clip, ref: Clip) -> float:
    ratio = (clip.width * clip.height) / (ref.width * ref.height)
    # LTX-2's measured steps (1080p, 2k, 4k); other sizes follow the same curve.
    for label, (w, h) in {"1080p": (1920, 1080), "2k": (2560, 1440), "4k": (3840, 2160)}.items():
        if abs(ratio - (w * h) / (1920 * 1080)) < 1e-6:
            return RESOLUTION_FACTOR[label]
    return float(ratio**0.67)


@dataclass
class Job:
    """One request record. Its state is a function of the clock: see :meth:`status`."""

    request_id: str
    model: str
    params: dict[str, Any]
    submitted_at: float
    queue_seconds: float
    inference_seconds: float
    cost: float
    sync: bool = False
    policy_block: str | None = None
    output_shape: str = "string"
    media_name: str | None = None
    file_size: int | None = None
    render_done_at: float | None = None
    render_error: str | None = None
    render_cached: bool | None = None

    @property
    def started_at(self) -> float:
        return self.submitted_at + self.queue_seconds

    @property
    def planned_end(self) -> float:
        return self.started_at + self.inference_seconds

    @property
    def failed_at(self) -> float | None:
        if self.policy_block is not None:
            # The safety filter answers early in inference, not at the end.
            return self.started_at + 0.15 * self.inference_seconds
        if self.render_error is not None and self.render_done_at is not None:
            return max(self.planned_end, self.render_done_at)
        return None

    @property
    def completed_at(self) -> float | None:
        if self.failed_at is not None or self.render_done_at is None:
            return None
        return max(self.planned_end, self.render_done_at)

    @property
    def error(self) -> str | None:
        if self.policy_block is not None:
            return self.policy_block
        if self.render_error is not None:
            return self.render_error
        return None

    def status(self, now: float) -> str:
        if now < self.started_at:
            return QUEUED
        failed_at = self.failed_at
        if failed_at is not None:
            return FAILED if now >= failed_at else PROCESSING
        done = self.completed_at
        return COMPLETED if done is not None and now >= done else PROCESSING

    def finished(self, now: float) -> bool:
        return self.status(now) in (COMPLETED, FAILED)

    def metrics(
        self, now: float, remaining_credits: float, *, shape: str = "full"
    ) -> dict[str, Any]:
        """What ``metrics`` holds at *now*: only what is known so far, in seconds of run time.

        *shape* ``"inference"`` keeps only ``inference_time`` (none while queued).
        """
        state = self.status(now)
        if state == QUEUED:
            return {} if shape == "inference" else {"queue_time": round(now - self.submitted_at, 3)}
        end = now
        if state == COMPLETED:
            end = self.completed_at or now
        elif state == FAILED:
            end = self.failed_at or now
        inference = round(end - self.started_at, 3)
        if shape == "inference":
            return {"inference_time": inference}
        metrics: dict[str, Any] = {
            "queue_time": round(self.queue_seconds, 3),
            "inference_time": inference,
        }
        if state in (COMPLETED, FAILED):
            metrics["total_time"] = round(end - self.submitted_at, 3)
            metrics["cost"] = self.cost
            metrics["remaining_credits"] = round(remaining_credits, 4)
        return metrics
