"""The async HTTP client of the Segmind API: small typed replies, one error boundary.

Every call goes through :meth:`Client._send`, which applies the retry rules
of :mod:`.retry` and turns every failure into an ``_core.errors`` type in
:func:`.failures.map_failure`, the only place where HTTP statuses and httpx
exceptions become ours. Answers are read into :mod:`.replies`. The client never
touches the disk or the store: downloads are handed out as async iterators of
bytes.

The API key is sent (``x-api-key``) only to the API's own origin and to the
upload service's origin; media URLs elsewhere (a CDN, S3) never see it, and
redirects are followed by hand so that a redirect cannot carry it away.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urljoin, urlsplit

import httpx

from .._core.config import Settings
from .._core.errors import (
    ApiError,
    AuthenticationError,
    InvalidParams,
    SubmitUnknown,
    TransportError,
)
from .._core.params import Params, read_image
from .failures import (
    buffer_error,
    host,
    is_failed_body,
    json_body,
    map_failure,
    request_id_in,
    snippet,
)
from .replies import (
    Credits,
    MediaStream,
    ResultReply,
    StatusReply,
    Submission,
    SyncRun,
    count,
    number,
    read_result,
    read_status,
    text,
)
from .retry import Kind, RetryPolicy, retryable_exception, retryable_status

__all__ = ["Client"]

log = logging.getLogger("ltx_notebook.client")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SYNC_READ_TIMEOUT = 900.0  # a v1 run blocks for the whole render (~70 s typical, more at 4k)
MAX_REDIRECTS = 5
NO_KEY = "no API key: set SEGMIND_API_KEY or call ltx_notebook.configure(api_key=...)"


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
        data = json_body(response)
        request_id = text(data.get("request_id") or data.get("id")) if data else None
        if not request_id:
            raise SubmitUnknown(
                f"the submit to {params.model} was accepted (HTTP {response.status_code}) "
                "but the answer names no request id: the job may exist and may be billed; "
                "look for it in your Segmind console before submitting again"
            )
        assert data is not None
        status_url = text(data.get("status_url") or data.get("poll_url"))
        response_url = text(data.get("response_url"))
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
        reply = read_status(data, request_id)
        if reply is None:
            raise ApiError(
                f"the status answer for {request_id} has no status field; try again later",
                status_code=response.status_code,
                request_id=request_id,
            )
        return reply

    async def result(self, job: Submission | str) -> ResultReply:
        """``GET`` the job's result: output URL, metrics, ``video`` info; FAILED is a reply."""
        request_id, response, data = await self._read_job(job, "result")
        reply = read_result(data, request_id)
        if reply is None:
            raise ApiError(
                f"the result for {request_id} has neither status nor output; try again later",
                status_code=response.status_code,
                request_id=request_id,
            )
        return reply

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
                remaining_credits=number(response.headers.get("x-remaining-credits")),
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
        return Credits(credits=number(data.get("credits")), free_credits=number(free), raw=data)

    async def upload(self, path: str | os.PathLike[str]) -> str:
        """Upload a local image to the service's storage; return its URL.

        Sent as ``{"data_urls": ["data:<mime>;base64,..."]}``, as the official
        SDK does, but streamed: the file is read and encoded a chunk at a time,
        so the upload holds a few hundred kilobytes, not several copies of the
        file. The file is checked again first (a regular file, an image by its
        bytes, at most ``MAX_IMAGE_BYTES``: it may have changed since
        ``validate()``), and the MIME type is the bytes', not the name's.
        Retried like a read: a duplicate upload costs nothing.
        """
        self._require_key()
        file = Path(path)
        mime, size = await asyncio.to_thread(read_image, file)
        head = f'{{"data_urls": ["data:{mime};base64,'.encode("ascii")
        tail = b'"]}'
        length = len(head) + 4 * ((size + 2) // 3) + len(tail)
        url = self.settings.upload_url
        response = await self._send(
            Kind.READ,
            "upload",
            lambda: self._build(
                "POST",
                url,
                content=_base64_body(file, size, head, tail),
                headers={"content-type": "application/json", "content-length": str(length)},
            ),
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
                functools.partial(self._build, "GET", target, media=True),
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
                f"the download from {host(url)} redirected more than {MAX_REDIRECTS} times; "
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
        content: AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        media: bool = False,
    ) -> httpx.Request:
        headers = dict(headers or {})
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
            content=content,
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
        data = json_body(response)
        if data is None:
            raise ApiError(
                f"the {op} answer (HTTP {response.status_code}) is not a JSON object: "
                f"{snippet(response.text)}; try again later",
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
        body if *tolerate_failed*); raises an ``_core.errors`` type otherwise.
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
                raise map_failure(
                    kind, op, exc=exc, attempts=attempt, request_id=request_id, retry=policy
                ) from exc
            if response.is_success or (redirects and response.is_redirect):
                return response
            if stream:
                response = await buffer_error(response)
            if tolerate_failed and response.status_code == 422 and is_failed_body(response):
                return response
            names_a_job = request_id_in(response) is not None
            if attempt < policy.max_attempts and retryable_status(
                kind, response.status_code, names_a_job=names_a_job
            ):
                delay = await policy.wait(attempt, response.headers)
                _log_retry(op, f"HTTP {response.status_code}", delay, attempt, policy)
                continue
            raise map_failure(
                kind, op, response=response, attempts=attempt, request_id=request_id, retry=policy
            )


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


# A multiple of 3, so every chunk encodes to base64 with no padding but the last.
UPLOAD_CHUNK = 3 * 2**16


async def _base64_body(file: Path, size: int, head: bytes, tail: bytes) -> AsyncIterator[bytes]:
    """The upload's JSON body, a chunk at a time: exactly the *size* bytes checked."""
    yield head
    with await asyncio.to_thread(file.open, "rb") as stream:
        left = size
        while left > 0:
            chunk = await asyncio.to_thread(stream.read, min(UPLOAD_CHUNK, left))
            if not chunk:
                # The Content-Length is already promised: a short body must not go out.
                raise InvalidParams(
                    f"image {file.name} shrank while it was being uploaded; try again",
                    param="image",
                )
            left -= len(chunk)
            yield base64.b64encode(chunk)
    yield tail


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _expected_size(response: httpx.Response) -> int | None:
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        return None
    return count(response.headers.get("content-length"))


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
            f"the download from {host(str(response.url))} broke after {received} bytes "
            f"({what}); {then}"
        ) from exc
