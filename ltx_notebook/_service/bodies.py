"""Reading answers' bodies: whole with what came kept, streamed, or from a byte range.

What :mod:`.client` needs of a body beyond ``httpx``'s own reading: a
submit's answer read so that the bytes that came before a break are kept
(they may hold the request id), media streamed chunk by chunk, and the sizes
an answer announces (``Content-Length``, ``Content-Range``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx

from .._core.errors import TransportError
from .._core.secrets import clean_cause
from .failures import host, with_body
from .replies import count

__all__ = ["SUBMIT_BODY_LIMIT", "chunks", "content_range", "expected_size", "read_all"]


def content_range(value: str | None) -> tuple[int, int | None]:
    """``(first byte, total size)`` of a ``Content-Range: bytes a-b/total`` (total may be ``*``)."""
    found = re.fullmatch(r"\s*bytes\s+(\d+)-\d+/(\d+|\*)\s*", value or "")
    if found is None:
        raise TransportError(f"a partial download came with no usable Content-Range ({value!r})")
    total = found.group(2)
    return int(found.group(1)), (int(total) if total != "*" else None)


def expected_size(response: httpx.Response) -> int | None:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return None
    return count(response.headers.get("content-length"))


SUBMIT_BODY_LIMIT = 1024 * 1024  # a submit's answer is a small JSON object


async def read_all(response: httpx.Response, received: bytearray) -> httpx.Response:
    """*response* read whole, its bytes appended to *received* as they arrive.

    A break mid-body raises the httpx error with *received* holding what came,
    so the caller can still find the request id the answer began with.
    """
    try:
        async for chunk in response.aiter_bytes():
            received += chunk
            if len(received) > SUBMIT_BODY_LIMIT:
                break
    finally:
        await response.aclose()
    return with_body(response, bytes(received[:SUBMIT_BODY_LIMIT]))


async def chunks(response: httpx.Response, *, billed: bool) -> AsyncIterator[bytes]:
    """The body as it arrives; a break mid-body becomes a :class:`TransportError`."""
    received = 0
    broken: httpx.HTTPError | None = None
    try:
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            yield chunk
    except httpx.HTTPError as exc:
        broken = exc
    if broken is not None:
        what = f"{type(broken).__name__}: {broken}" if str(broken) else type(broken).__name__
        then = (
            "the run finished and was billed; its video was not received"
            if billed
            else "download the output URL again"
        )
        # As in Client._send: raised outside the except block, chained to a scrubbed cause.
        raise TransportError(
            f"the download from {host(str(response.url))} broke after {received} bytes "
            f"({what}); {then}"
        ) from clean_cause(broken)
