"""Where a job is, and where a combination of a sweep is: the states every layer speaks.

A status is data, not behaviour, so it lives at the bottom: the store writes
it, the jobs layer moves it along, the views colour it, and none of them has
to import another to agree on its spelling.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "DOWNLOADING",
    "FINAL_SWEEP_STATES",
    "INVALID",
    "PENDING",
    "REFUSED",
    "SKIPPED",
    "SUBMITTING",
    "SWEEP_STATES",
    "JobStatus",
]


class JobStatus(StrEnum):
    """Where a job is. The four service states plus what only the client can know."""

    SUBMITTING = "SUBMITTING"  # row written, submit not yet answered
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"  # the service forgot the request (1-hour limit) before we got the result
    UNKNOWN = "UNKNOWN"  # the submit was sent, the answer never came: it may or may not exist
    LOST = "LOST"  # older versions, after one 404; resume() polls it again within the hour

    @property
    def is_terminal(self) -> bool:
        """Nothing more will happen to the job by polling.

        ``UNKNOWN`` counts as terminal: without a request id there is nothing
        to poll. If the id is found later (console), ``update`` it by hand.
        """
        return self in _TERMINAL

    @classmethod
    def terminal(cls) -> frozenset[JobStatus]:
        return _TERMINAL

    @classmethod
    def parse(cls, value: str | JobStatus) -> JobStatus:
        """A status from the service's spelling (any case); ``ValueError`` if unknown."""
        try:
            return cls(str(value).strip().upper())
        except ValueError:
            known = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown job status {value!r}; known: {known}") from None


_TERMINAL: Final = frozenset(
    {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.EXPIRED, JobStatus.UNKNOWN, JobStatus.LOST}
)


# A sweep's combinations go through more states than a job: some exist before a
# job does (PENDING, SUBMITTING), some never become one (REFUSED, SKIPPED).
PENDING: Final = "PENDING"  # not sent yet
SUBMITTING: Final = "SUBMITTING"  # being sent (or waiting out a 429)
DOWNLOADING: Final = "DOWNLOADING"  # COMPLETED on the service, the video not on disk yet
REFUSED: Final = "REFUSED"  # the service refused this combination; nothing was created or billed
SKIPPED: Final = "SKIPPED"  # never sent: the sweep was stopped first
INVALID: Final = "INVALID"  # never sent: its model does not take these values (cross-model)
SWEEP_STATES: Final = (
    PENDING,
    SUBMITTING,
    JobStatus.QUEUED.value,
    JobStatus.PROCESSING.value,
    DOWNLOADING,
    JobStatus.COMPLETED.value,
    JobStatus.FAILED.value,
    JobStatus.UNKNOWN.value,
    JobStatus.EXPIRED.value,
    JobStatus.LOST.value,
    REFUSED,
    SKIPPED,
    INVALID,
)
# States after which nothing more happens to a combination.
FINAL_SWEEP_STATES: Final = frozenset({REFUSED, SKIPPED, INVALID} | {s.value for s in _TERMINAL})
