"""The async HTTP client of the Segmind API: small typed replies, one error boundary.

Every call goes through :meth:`Client._send`, which applies the retry rules
of :mod:`._retry` and turns every failure into an :mod:`._errors` type in
:func:`_map_failure`, the only place where HTTP statuses and httpx exceptions
become ours. The client never touches the disk or the store: downloads are
handed out as async iterators of bytes.

The API key is sent (``x-api-key``) only to the API's own origin and to the
upload service's origin; media URLs elsewhere (a CDN, S3) never see it, and
redirects are followed by hand so that a redirect cannot carry it away.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import mimetypes
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import quote, urljoin, urlsplit

import httpx

from ._config import Settings
from ._errors import (
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
from ._params import Params
from ._retry import Kind, RetryPolicy, retryable_exception, retryable_status, surely_not_sent

__all__ = [
    "Client",
    "Credits",
    "MediaStream",
    "ResultReply",
    "StatusReply",
    "Submission",
    "SyncRun",
    "VideoInfo",
]

log = logging.getLogger("ltx_notebook.client")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SYNC_READ_TIMEOUT = 900.0  # a v1 run blocks for the whole render (~70 s typical, more at 4k)
MAX_REDIRECTS = 5
ERROR_BODY_LIMIT = 64 * 1024  # an error page is read this far, never more
NO_KEY = "no API key: set SEGMIND_API_KEY or call ltx_notebook.configure(api_key=...)"
TERMINAL = frozenset({"COMPLETED", "FAILED"})


# -- replies ------------------------------------------------------------------


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
class VideoInfo:
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
    video: VideoInfo | None
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


@dataclass(frozen=True)
class SyncRun:
    """An open v1 sync run: the video's bytes, streamed, and the credits left."""

    expected_size: int | None
    content_type: str | None
    chunks: AsyncIterator[bytes] = field(repr=False)
    remaining_credits: float | None = None


# -- the client ---------------------------------------------------------------


class Client:
    """Async client of the Segmind ``ltx-2-pro`` API on one ``httpx.AsyncClient``.

    Use ``async with Client(settings) as client:`` or call :meth:`aclose`.
    ``transport``, ``retry`` and ``timeout`` are for tests and tuning.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry or RetryPolicy()
        self.base_url = settings.base_url.rstrip("/")
        self.v2_url = settings.v2_url
        self._key_origins = {_origin(self.base_url), _origin(settings.upload_url)}
        # No default x-api-key header: it is added per request, by origin, so a
        # media host or a redirect target can never receive it.
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout or DEFAULT_TIMEOUT,
            follow_redirects=False,
            headers={"user-agent": "ltx-notebook", "accept": "application/json"},
        )

    def __repr__(self) -> str:
        key = self.settings.api_key.masked if self.settings.api_key else "(not set)"
        return f"Client(base_url={self.base_url!r}, api_key={key!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def closed(self) -> bool:
        return self._http.is_closed

    # -- v2 -------------------------------------------------------------------

    async def submit(self, params: Params, *, image_url: str | None = None) -> Submission:
        """``POST {v2}/{model}``: start a billed job. Sent twice only if it surely never arrived.

        A local image (``params.image_is_local``) is uploaded first unless
        *image_url* is given. Raises :class:`SubmitUnknown` when the job may exist.
        """
        self._require_key()
        image_url = await self._image_url(params, image_url)
        url = f"{self.v2_url}/{params.model}"
        body = params.payload(image_url)
        response = await self._send(
            Kind.SUBMIT, f"submit to {params.model}", lambda: self._build("POST", url, json=body)
        )
        data = _json_body(response)
        request_id = _text(data.get("request_id") or data.get("id")) if data else None
        if not request_id:
            raise SubmitUnknown(
                f"the submit to {params.model} was accepted (HTTP {response.status_code}) "
                "but the answer names no request id: the job may exist and may be billed; "
                "look for it in your Segmind console before submitting again"
            )
        assert data is not None
        status_url = _text(data.get("status_url") or data.get("poll_url"))
        response_url = _text(data.get("response_url"))
        return Submission(
            request_id=request_id,
            status_url=urljoin(str(response.url), status_url)
            if status_url
            else self._status_url(request_id),
            response_url=urljoin(str(response.url), response_url)
            if response_url
            else self._result_url(request_id),
            raw=data,
        )

    async def _read_job(
        self, job: Submission | str, what: str
    ) -> tuple[str, httpx.Response, Mapping[str, Any]]:
        """GET a job's status or result route; a FAILED body under 422 is a reply."""
        request_id, url = self._job_url(job, what)
        response = await self._send(
            Kind.READ,
            what,
            lambda: self._build("GET", url),
            request_id=request_id,
            tolerate_failed=True,
        )
        return request_id, response, self._reply_body(response, what, request_id)

    async def status(self, job: Submission | str) -> StatusReply:
        """``GET`` the job's status. FAILED (served as HTTP 422) is a reply, not an error."""
        request_id, response, data = await self._read_job(job, "status")
        status = _text(data.get("status"))
        if not status:
            raise ApiError(
                f"the status answer for {request_id} has no status field; try again later",
                status_code=response.status_code,
                request_id=request_id,
            )
        return StatusReply(
            request_id=_text(data.get("request_id")) or request_id,
            status=status.upper(),
            metrics=_mapping(data.get("metrics")),
            error=_error_text(data),
            raw=data,
        )

    async def result(self, job: Submission | str) -> ResultReply:
        """``GET`` the job's result: output URL, metrics, ``video`` info; FAILED is a reply."""
        request_id, response, data = await self._read_job(job, "result")
        video = _video_info(data.get("video"))
        output = data.get("output")
        output_url = _output_url(output)
        if video is None and isinstance(output, Mapping):
            video = _video_info(output)
        if output_url is None and video is not None:
            output_url = video.url
        status = _text(data.get("status")) or ("COMPLETED" if output_url else "")
        if not status:
            raise ApiError(
                f"the result for {request_id} has neither status nor output; try again later",
                status_code=response.status_code,
                request_id=request_id,
            )
        return ResultReply(
            request_id=_text(data.get("request_id")) or request_id,
            status=status.upper(),
            output_url=output_url,
            metrics=_mapping(data.get("metrics")),
            error=_error_text(data),
            video=video,
            raw=data,
        )

    # -- v1 and account ---------------------------------------------------------

    @asynccontextmanager
    async def run_sync(
        self,
        params: Params,
        *,
        image_url: str | None = None,
        read_timeout: float = SYNC_READ_TIMEOUT,
    ) -> AsyncIterator[SyncRun]:
        """``POST {base}/{model}`` (v1): the render's MP4 bytes, streamed as they arrive.

        A billed submit: resent only if it surely never arrived, or on 429.
        """
        self._require_key()
        image_url = await self._image_url(params, image_url)
        url = f"{self.base_url}/{params.model}"
        body = params.payload(image_url)
        timeout = self._http.timeout
        per_request = httpx.Timeout(
            connect=timeout.connect, read=read_timeout, write=timeout.write, pool=timeout.pool
        )
        op = f"sync run of {params.model}"
        response = await self._send(
            Kind.SYNC,
            op,
            lambda: self._build("POST", url, json=body, timeout=per_request, media=True),
            stream=True,
        )
        try:
            yield SyncRun(
                expected_size=_expected_size(response),
                content_type=response.headers.get("content-type"),
                chunks=_chunks(response, billed=True),
                remaining_credits=_float(response.headers.get("x-remaining-credits")),
            )
        finally:
            await response.aclose()

    async def credits(self) -> Credits:
        """``GET {base}/get-user-credits``."""
        self._require_key()
        url = f"{self.base_url}/get-user-credits"
        response = await self._send(Kind.READ, "credits", lambda: self._build("GET", url))
        data = self._reply_body(response, "credits", None)
        free = data.get("free-credits", data.get("free_credits"))
        return Credits(credits=_float(data.get("credits")), free_credits=_float(free), raw=data)

    async def upload(self, path: str | os.PathLike[str]) -> str:
        """Upload a local image to the service's storage; return its URL.

        Sent as ``{"data_urls": ["data:<mime>;base64,..."]}``, as the official
        SDK does. Retried like a read: a duplicate upload costs nothing.
        """
        self._require_key()
        file = Path(path)
        content = await asyncio.to_thread(file.read_bytes)
        mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        data_url = f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"
        url = self.settings.upload_url
        response = await self._send(
            Kind.READ,
            "upload",
            lambda: self._build("POST", url, json={"data_urls": [data_url]}),
        )
        data = self._reply_body(response, "upload", None)
        for key in ("file_urls", "urls"):
            urls = data.get(key)
            if isinstance(urls, list) and urls and isinstance(urls[0], str):
                return urls[0]
        single = data.get("url") or data.get("file_url")
        if isinstance(single, str) and single:
            return single
        raise ApiError(
            f"the upload of {file.name} was answered without a file URL; try again",
            status_code=response.status_code,
        )

    @asynccontextmanager
    async def stream(self, url: str) -> AsyncIterator[MediaStream]:
        """A streamed ``GET`` of a media URL: ``(expected_size, content_type, chunks)``.

        Connection errors and 5xx before the first byte are retried; a break
        mid-body raises :class:`TransportError` from the iterator. Redirects
        are followed here, the key being sent only to the API's own origin.
        """
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            target = current
            if _origin(target) in self._key_origins:
                self._require_key()
            response = await self._send(
                Kind.READ,
                "download",
                lambda target=target: self._build("GET", target, media=True),
                stream=True,
                redirects=True,
            )
            if not response.is_redirect:
                break
            location = response.headers.get("location", "")
            await response.aclose()
            current = urljoin(str(response.url), location)
        else:
            raise TransportError(
                f"the download from {_host(url)} redirected more than {MAX_REDIRECTS} times; "
                "check the output URL"
            )
        try:
            yield MediaStream(
                expected_size=_expected_size(response),
                content_type=response.headers.get("content-type"),
                chunks=_chunks(response, billed=False),
            )
        finally:
            await response.aclose()

    # -- internals --------------------------------------------------------------

    def _require_key(self) -> None:
        if self.settings.api_key is None or not self.settings.api_key.get():
            raise AuthenticationError(NO_KEY, status_code=401, detail="no API key configured")

    def _build(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        timeout: httpx.Timeout | None = None,
        media: bool = False,
    ) -> httpx.Request:
        headers: dict[str, str] = {}
        key = self.settings.api_key
        if key is not None and _origin(url) in self._key_origins:
            headers["x-api-key"] = key.get()
        if media:
            # Ask for the bytes as stored, so Content-Length is the file's size.
            headers["accept-encoding"] = "identity"
            headers["accept"] = "*/*"
        return self._http.build_request(
            method,
            url,
            json=json,
            headers=headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def _status_url(self, request_id: str) -> str:
        return f"{self.v2_url}/requests/{quote(request_id, safe='')}/status"

    def _result_url(self, request_id: str) -> str:
        return f"{self.v2_url}/requests/{quote(request_id, safe='')}"

    def _job_url(self, job: Submission | str, which: str) -> tuple[str, str]:
        self._require_key()
        if isinstance(job, Submission):
            given = job.status_url if which == "status" else job.response_url
            # A URL off the API's origin would not get the key: rebuild it from the id.
            if given and _origin(given) in self._key_origins:
                return job.request_id, given
            job = job.request_id
        if not job:
            raise ValueError("a request id is required")
        url = self._status_url(job) if which == "status" else self._result_url(job)
        return job, url

    async def _image_url(self, params: Params, image_url: str | None) -> str | None:
        if image_url is None and params.image_is_local and params.image is not None:
            return await self.upload(params.image)
        return image_url

    def _reply_body(
        self, response: httpx.Response, op: str, request_id: str | None
    ) -> Mapping[str, Any]:
        data = _json_body(response)
        if data is None:
            raise ApiError(
                f"the {op} answer (HTTP {response.status_code}) is not a JSON object: "
                f"{_snippet(response.text)}; try again later",
                status_code=response.status_code,
                request_id=request_id,
            )
        return data

    async def _send(
        self,
        kind: Kind,
        op: str,
        build: Callable[[], httpx.Request],
        *,
        request_id: str | None = None,
        tolerate_failed: bool = False,
        stream: bool = False,
        redirects: bool = False,
    ) -> httpx.Response:
        """Send until success, a final answer, or the retry rules say stop.

        Returns a 2xx response (or a redirect if *redirects*, or a 422 FAILED
        body if *tolerate_failed*); raises an :mod:`._errors` type otherwise.
        """
        policy = self.retry
        attempt = 0
        while True:
            attempt += 1
            request = build()
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.RequestError as exc:
                if attempt < policy.max_attempts and retryable_exception(kind, exc):
                    delay = await policy.wait(attempt)
                    _log_retry(op, type(exc).__name__, delay, attempt, policy)
                    continue
                raise _map_failure(
                    kind, op, exc=exc, attempts=attempt, request_id=request_id, retry=policy
                ) from exc
            if response.is_success or (redirects and response.is_redirect):
                return response
            if stream:
                response = await _buffer_error(response)
            if tolerate_failed and response.status_code == 422 and _is_failed_body(response):
                return response
            names_a_job = _request_id_in(response) is not None
            if attempt < policy.max_attempts and retryable_status(
                kind, response.status_code, names_a_job=names_a_job
            ):
                delay = await policy.wait(attempt, response.headers)
                _log_retry(op, f"HTTP {response.status_code}", delay, attempt, policy)
                continue
            raise _map_failure(
                kind, op, response=response, attempts=attempt, request_id=request_id, retry=policy
            )


# -- the error boundary ---------------------------------------------------------


def _map_failure(
    kind: Kind,
    op: str,
    *,
    response: httpx.Response | None = None,
    exc: httpx.RequestError | None = None,
    attempts: int,
    request_id: str | None,
    retry: RetryPolicy,
) -> LtxError:
    """The one place an HTTP status or an httpx exception becomes an ltx-notebook error.

    Messages are built from the operation, the status code, the service's
    reason and the request id only: never from headers or the request, so the
    key cannot leak (and :func:`._errors.redact` scrubs the rest).
    """
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    submit = kind is not Kind.READ
    if exc is not None:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        host = _host(str(exc.request.url)) if _has_request(exc) else "the service"
        if submit and not surely_not_sent(exc):
            return SubmitUnknown(
                f"the {op} was sent but the connection failed before the answer ({what}): "
                "the job may exist and may be billed; look for it in your Segmind console "
                "(or ltx_notebook.history()) before submitting again"
            )
        sent = "; nothing was sent" if submit else ""
        return TransportError(
            f"could not complete the {op} with {host}{tries} ({what}){sent}; "
            "check the network and SEGMIND_BASE_URL, then try again"
        )

    assert response is not None
    code = response.status_code
    reason = _reason(response)
    rid = request_id or _request_id_in(response)
    because = f": {_snippet(reason, 160)}" if reason else ""
    about = f" for request {rid}" if rid else ""
    common: dict[str, Any] = {"status_code": code, "detail": reason, "request_id": rid}

    named = _request_id_in(response) is not None
    if submit and code > 500 and not retryable_status(kind, code, names_a_job=named):
        # 504 on a v2 submit, any gateway error on a v1 run, or a 502/503 that
        # names a job: the service may have started the job behind the gateway.
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
        return RateLimited(
            f"rate limited (HTTP 429) on {op}{tries}{because}; try again {when}",
            retry_after=wait,
            **common,
        )
    if code >= 500:
        if submit and code == 500:
            # The reference notes a submit's 500 is usually a bad parameter value
            # refused before a job exists; not resent, reported as a service error.
            hint = "check the parameter values, then try again"
        else:
            hint = "the service is having trouble; try again later"
        return ServiceError(
            f"service error (HTTP {code}) on {op}{about}{tries}{because}; {hint}", **common
        )
    return ApiError(f"unexpected HTTP {code} on {op}{about}{because}", **common)


# -- helpers ----------------------------------------------------------------------


def _log_retry(op: str, what: str, delay: float, attempt: int, policy: RetryPolicy) -> None:
    log.info(
        "retrying %s in %.2f s after %s (attempt %d of %d)",
        op,
        delay,
        what,
        attempt + 1,
        policy.max_attempts,
    )


def _has_request(exc: httpx.RequestError) -> bool:
    try:
        exc.request  # noqa: B018  the property raises when no request is attached
    except RuntimeError:
        return False
    return True


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _host(url: str) -> str:
    return urlsplit(url).netloc.rsplit("@", 1)[-1] or "the service"


async def _buffer_error(response: httpx.Response) -> httpx.Response:
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
    # The bytes are already decoded: drop the headers that describe the wire form.
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=bytes(data[:ERROR_BODY_LIMIT]),
        request=response.request,
    )


def _json_body(response: httpx.Response) -> Mapping[str, Any] | None:
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _is_failed_body(response: httpx.Response) -> bool:
    data = _json_body(response)
    return data is not None and str(data.get("status", "")).upper() == "FAILED"


def _request_id_in(response: httpx.Response) -> str | None:
    data = _json_body(response)
    return _text(data.get("request_id")) if data else None


def _reason(response: httpx.Response) -> str | None:
    """The service's own reason: ``{"error": ...}`` (or message/detail), else the plain text."""
    data = _json_body(response)
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
    return _snippet(text, 300) or None


def _error_text(data: Mapping[str, Any]) -> str | None:
    value = data.get("error")
    if not value:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _snippet(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _float(value)
    return int(number) if number is not None and number >= 0 else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _output_url(output: Any) -> str | None:
    """``output`` as a URL string, a list of URLs (the first), or an object with ``url``."""
    if isinstance(output, str):
        return output or None
    if isinstance(output, list):
        for item in output:
            url = _output_url(item)
            if url:
                return url
        return None
    if isinstance(output, Mapping):
        return _output_url(output.get("url"))
    return None


def _video_info(value: Any) -> VideoInfo | None:
    if isinstance(value, str) and value:
        return VideoInfo(url=value)
    if not isinstance(value, Mapping):
        return None
    info = VideoInfo(
        url=_output_url(value.get("url")),
        content_type=_text(value.get("content_type")),
        file_name=_text(value.get("file_name")),
        file_size=_int(value.get("file_size")),
    )
    return info if any((info.url, info.content_type, info.file_name, info.file_size)) else None


def _expected_size(response: httpx.Response) -> int | None:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return None
    return _int(response.headers.get("content-length"))


async def _chunks(response: httpx.Response, *, billed: bool) -> AsyncIterator[bytes]:
    """The body as it arrives; a break mid-body becomes a :class:`TransportError`."""
    received = 0
    try:
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            yield chunk
    except httpx.HTTPError as exc:
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        then = (
            "the run finished and was billed; its video was not received"
            if billed
            else "download the output URL again"
        )
        raise TransportError(
            f"the download from {_host(str(response.url))} broke after {received} bytes "
            f"({what}); {then}"
        ) from exc
