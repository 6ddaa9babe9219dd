"""The error boundary: the one place an HTTP answer or an httpx exception becomes ours.

Messages are built from the operation, the status code, the service's reason
and the request id only: never from headers or the request, so the key cannot
leak (and :func:`~ltx_notebook._core.errors.redact` scrubs the rest).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from .._core.errors import (
    ApiError,
    AuthenticationError,
    BadRequest,
    InsufficientCredits,
    LtxError,
    NotFound,
    RateLimited,
    ServiceError,
    SubmitUnknown,
    TransportError,
)
from .replies import text
from .retry import Kind, RetryPolicy, surely_not_sent

__all__ = [
    "buffer_error",
    "host",
    "is_failed_body",
    "json_body",
    "map_failure",
    "request_id_in",
    "request_id_in_bytes",
    "snippet",
    "with_body",
]

ERROR_BODY_LIMIT: Final = 64 * 1024  # an error page is read this far, never more
# The answers to a submit that the reference documents as refusals made before any job
# exists (bad parameters, key, model, credits, rate): only these let a caller forget it.
SUBMIT_REFUSALS: Final = frozenset({400, 401, 403, 404, 406, 429})


def map_failure(
    kind: Kind,
    op: str,
    *,
    response: httpx.Response | None = None,
    exc: httpx.RequestError | None = None,
    attempts: int,
    request_id: str | None,
    retry: RetryPolicy,
    partial: bytes = b"",
) -> LtxError:
    """The one place an HTTP status or an httpx exception becomes an ltx-notebook error.

    Messages are built from the operation, the status code, the service's
    reason and the request id only: never from headers or the request, so the
    key cannot leak (and ``redact`` scrubs the rest).
    """
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    submit = kind is not Kind.READ
    if exc is not None:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        where = host(str(exc.request.url)) if has_request(exc) else "the service"
        if submit and not surely_not_sent(exc):
            # An answer cut off mid-body may already have named the job: keep its id.
            rid = request_id_in_bytes(partial)
            held = f" (the answer named request id {rid} before it broke)" if rid else ""
            return SubmitUnknown(
                f"the {op} was sent but the connection failed before the answer ({what}): "
                f"the job may exist and may be billed{held}; look for it in your Segmind "
                "console (or ltx_notebook.history()) before submitting again",
                request_id=rid,
            )
        sent = "; nothing was sent" if submit else ""
        return TransportError(
            f"could not complete the {op} with {where}{tries} ({what}){sent}; "
            "check the network and SEGMIND_BASE_URL, then try again"
        )

    assert response is not None
    code = response.status_code
    why = reason(response)
    rid = request_id or request_id_in(response)
    because = f": {snippet(why, 160)}" if why else ""
    about = f" for request {rid}" if rid else ""
    common: dict[str, Any] = {"status_code": code, "detail": why, "request_id": rid}

    if submit and code not in SUBMIT_REFUSALS:
        # Any 5xx, or an answer the service does not document as a refusal: a gateway
        # can fail after the service behind it made (and billed) the job, and a 500
        # is no proof of a bad parameter. The caller looks for it in the request history.
        job = f" (request id {rid})" if rid else ""
        return SubmitUnknown(
            f"the {op} got HTTP {code}{because} after it was sent: the job{job} may exist "
            "and may be billed; look for it in your Segmind console (or ltx_notebook.history()) "
            "before submitting again",
            request_id=rid,
        )
    if code == 400:
        return BadRequest(
            f"the service refused the {op} (HTTP 400){because}; check the parameters", **common
        )
    if code in (401, 403):
        return AuthenticationError(
            f"the service rejected the API key (HTTP {code}) on {op}{because}; check "
            "SEGMIND_API_KEY or call ltx_notebook.configure(api_key=...)",
            **common,
        )
    if code == 404:
        return NotFound(
            f"not found (HTTP 404) on {op}{about}{because}; check the model name or request id "
            "(request records expire after 1 hour)",
            **common,
        )
    if code == 406:
        return InsufficientCredits(
            f"the service refused the {op} for lack of credits (HTTP 406){because}; top up "
            "your Segmind account or raise its spend limit",
            **common,
        )
    if code == 429:
        wait = retry.hint(response.headers)
        when = f"in {wait:.0f} s" if wait is not None else "in a minute"
        if wait is not None and wait > retry.max_wait:
            when += f" (longer than the {retry.max_wait:.0f} s ltx-notebook waits within a call)"
        return RateLimited(
            f"rate limited (HTTP 429) on {op}{tries}{because}; try again {when}",
            retry_after=wait,
            **common,
        )
    if code >= 500:
        return ServiceError(
            f"service error (HTTP {code}) on {op}{about}{tries}{because}; "
            "the service is having trouble; try again later",
            **common,
        )
    return ApiError(f"unexpected HTTP {code} on {op}{about}{because}", **common)


def has_request(exc: httpx.RequestError) -> bool:
    try:
        exc.request  # noqa: B018  the property raises when no request is attached
    except RuntimeError:
        return False
    return True


def host(url: str) -> str:
    return urlsplit(url).netloc.rsplit("@", 1)[-1] or "the service"


async def buffer_error(response: httpx.Response) -> httpx.Response:
    """A streamed error answer, read to at most ``ERROR_BODY_LIMIT`` and closed."""
    data = bytearray()
    try:
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) >= ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass  # a broken error page still has its status code
    finally:
        await response.aclose()
    return with_body(response, bytes(data[:ERROR_BODY_LIMIT]))


def with_body(response: httpx.Response, content: bytes) -> httpx.Response:
    """*response* again, holding *content*: the body it streamed, read and decoded."""
    # The bytes are already decoded: drop the headers that describe the wire form.
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=content, request=response.request
    )


def json_body(response: httpx.Response) -> Mapping[str, Any] | None:
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def is_failed_body(response: httpx.Response) -> bool:
    data = json_body(response)
    return data is not None and str(data.get("status", "")).upper() == "FAILED"


def request_id_in(response: httpx.Response) -> str | None:
    data = json_body(response)
    return text(data.get("request_id")) if data else None


# A complete "request_id" string value; the body around it may be cut off anywhere.
_REQUEST_ID: Final = re.compile(rb'"request_id"\s*:\s*"([^"\\]{1,200})"')


def request_id_in_bytes(partial: bytes) -> str | None:
    """The request id a JSON answer cut off mid-body already held, if it held a whole one."""
    found = _REQUEST_ID.search(partial)
    return found.group(1).decode("ascii") if found else None


def reason(response: httpx.Response) -> str | None:
    """The service's own reason: ``{"error": ...}`` (or message/detail), else the plain text."""
    data = json_body(response)
    if data is not None:
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if value:
                return value if isinstance(value, str) else json.dumps(value)
        return None
    try:
        text = response.text.strip()
    except (UnicodeDecodeError, LookupError):
        return None
    return snippet(text, 300) or None


def snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
