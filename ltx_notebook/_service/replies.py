"""What the service answers, as small typed replies, and how each is read from its JSON.

The reference lists several shapes for the same answer (``output`` as a URL,
a list or an object; a ``video`` object beside it; ids as strings or numbers):
every reader here accepts them all and returns ``None`` where a value is
absent or malformed, so the client decides once what is an error.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NamedTuple

__all__ = [
    "Credits",
    "HistoryPage",
    "HistoryRecord",
    "MediaPart",
    "MediaStream",
    "OutputVideo",
    "ResultReply",
    "StatusReply",
    "Submission",
    "SyncRun",
    "count",
    "error_text",
    "mapping",
    "number",
    "output_url",
    "read_result",
    "read_status",
    "text",
]

TERMINAL: Final = frozenset({"COMPLETED", "FAILED"})


@dataclass(frozen=True)
class Submission:
    """A v2 job the service accepted. ``status_url``/``response_url`` are absolute."""

    request_id: str
    status_url: str
    response_url: str
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class StatusReply:
    """One poll: ``status`` is QUEUED, PROCESSING, COMPLETED or FAILED (upper case)."""

    request_id: str | None
    status: str
    metrics: Mapping[str, Any]
    error: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class OutputVideo:
    """The ``video`` object some results carry beside (or instead of) ``output``."""

    url: str | None
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None


@dataclass(frozen=True)
class ResultReply:
    """The final answer of a job. ``output_url`` is None when the job FAILED."""

    request_id: str | None
    status: str
    output_url: str | None
    metrics: Mapping[str, Any]
    error: str | None
    video: OutputVideo | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def cost(self) -> float | None:
        """The charge the service reported in ``metrics.cost``, if any."""
        value = self.metrics.get("cost")
        return float(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Credits:
    """The account's balance; either figure is None when the service left it out."""

    credits: float | None
    free_credits: float | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)


class MediaStream(NamedTuple):
    """An open download: ``size, content_type, chunks = stream``.

    ``expected_size`` is the ``Content-Length`` (None if unknown or if the body
    is content-encoded, since the length would then not be the file's).
    """

    expected_size: int | None
    content_type: str | None
    chunks: AsyncIterator[bytes]


class MediaPart(NamedTuple):
    """An open download from a byte offset (a ``Range`` request).

    ``offset`` is where ``chunks`` start in the file: the offset asked for when
    the server answered 206, 0 when it sent the whole file. ``total_size`` is
    the file's whole size when known (``Content-Range`` or ``Content-Length``).
    """

    offset: int
    total_size: int | None
    content_type: str | None
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True)
class SyncRun:
    """An open v1 sync run: the video's bytes, streamed, and the credits left."""

    expected_size: int | None
    content_type: str | None
    chunks: AsyncIterator[bytes] = field(repr=False)
    remaining_credits: float | None = None


@dataclass(frozen=True)
class HistoryRecord:
    """One of the account's requests as its history keeps it: of any age, with its real charge.

    ``status`` is upper case in our spelling (COMPLETED, FAILED; PENDING, QUEUED
    or PROCESSING as the service gave it); ``charge`` is ``credits_deduction``
    in USD; ``request_body`` the inputs as sent; ``created``/``updated`` are
    aware datetimes (UTC). Any of them is None when the service left it out.
    """

    request_id: str
    model: str | None
    status: str | None
    charge: float | None
    request_body: Mapping[str, Any]
    generation_url: str | None
    latency_ms: float | None
    created: datetime | None
    updated: datetime | None
    error: str | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class HistoryPage:
    """One page of the request history, each request once (the first row of a repeated id).

    ``total`` (rows the query matches) and ``has_more`` are None when the
    answer did not say; ``raw`` is the whole parsed body (a mapping or a list).
    """

    records: tuple[HistoryRecord, ...]
    page: int
    per_page: int
    total: int | None
    has_more: bool | None
    raw: Any = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[HistoryRecord]:
        return iter(self.records)

    @property
    def charge(self) -> float:
        """The sum of the known charges on this page (each request counted once)."""
        return sum(r.charge for r in self.records if r.charge is not None)


def read_status(data: Mapping[str, Any], request_id: str) -> StatusReply | None:
    """A poll's answer; None when it has no status (an answer to try again later)."""
    status = text(data.get("status"))
    if not status:
        return None
    return StatusReply(
        request_id=text(data.get("request_id")) or request_id,
        status=status.upper(),
        metrics=mapping(data.get("metrics")),
        error=error_text(data),
        raw=data,
    )


def read_result(data: Mapping[str, Any], request_id: str) -> ResultReply | None:
    """A result's answer; None when it has neither status nor output."""
    video = output_video(data.get("video"))
    output = data.get("output")
    url = output_url(output)
    if video is None and isinstance(output, Mapping):
        video = output_video(output)
    if url is None and video is not None:
        url = video.url
    status = text(data.get("status")) or ("COMPLETED" if url else "")
    if not status:
        return None
    return ResultReply(
        request_id=text(data.get("request_id")) or request_id,
        status=status.upper(),
        output_url=url,
        metrics=mapping(data.get("metrics")),
        error=error_text(data),
        video=video,
        raw=data,
    )


def error_text(data: Mapping[str, Any]) -> str | None:
    value = data.get("error")
    if not value:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def count(value: Any) -> int | None:
    amount = number(value)
    return int(amount) if amount is not None and amount >= 0 else None


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def output_url(output: Any) -> str | None:
    """``output`` as a URL string, a list of URLs (the first), or an object with ``url``."""
    if isinstance(output, str):
        return output or None
    if isinstance(output, list):
        for item in output:
            url = output_url(item)
            if url:
                return url
        return None
    if isinstance(output, Mapping):
        return output_url(output.get("url"))
    return None


def output_video(value: Any) -> OutputVideo | None:
    if isinstance(value, str) and value:
        return OutputVideo(url=value)
    if not isinstance(value, Mapping):
        return None
    info = OutputVideo(
        url=output_url(value.get("url")),
        content_type=text(value.get("content_type")),
        file_name=text(value.get("file_name")),
        file_size=count(value.get("file_size")),
    )
    return info if any((info.url, info.content_type, info.file_name, info.file_size)) else None
