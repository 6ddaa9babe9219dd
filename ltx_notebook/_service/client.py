"""The async client of the Segmind API: one method per route, small typed replies.

Every call goes through the :class:`~.transport.Transport`, which builds the
request (the ``x-api-key`` header only for the API's, the upload service's and
the request history's origins), applies the retry rules of :mod:`.retry`, and
turns every failure into an ``_core.errors`` type in
:func:`.failures.map_failure`, the only place where HTTP statuses and httpx
exceptions become ours. Answers are read into :mod:`.replies` (and
:mod:`.history`). The client never touches the disk or the store: downloads
are handed out as async iterators of bytes, and redirects are followed here,
by hand, so that a redirect cannot carry the key away.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, Unpack
from urllib.parse import quote, urljoin

import httpx

from .._core.config import Settings
from .._core.errors import (
    ApiError,
    InvalidParams,
    NotFound,
    SubmitUnknown,
    TransportError,
)
from .._core.params import Params, read_image
from . import history
from .bodies import chunks, content_range, expected_size
from .failures import (
    host,
    json_body,
    snippet,
)
from .history import HistoryQuery
from .replies import (
    Credits,
    HistoryPage,
    HistoryRecord,
    MediaPart,
    MediaStream,
    ResultReply,
    StatusReply,
    Submission,
    SyncRun,
    number,
    read_result,
    read_status,
    text,
)
from .retry import Kind, NothingSent, RateLimitHook, RetryPolicy
from .transport import Transport

__all__ = ["Client"]

log = logging.getLogger("ltx_notebook.client")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
SYNC_READ_TIMEOUT = 900.0  # a v1 run blocks for the whole render (~70 s typical, more at 4k)
MAX_REDIRECTS = 5


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
        self.base_url = settings.base_url.rstrip("/")
        self.v2_url = settings.v2_url
        self.history_url = settings.history_url
        self._transport = Transport(
            settings,
            (self.base_url, settings.upload_url, self.history_url),
            retry=retry or RetryPolicy(),
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport,
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

    @property
    def retry(self) -> RetryPolicy:
        return self._transport.retry

    async def aclose(self) -> None:
        await self._transport.http.aclose()

    @property
    def closed(self) -> bool:
        return self._transport.http.is_closed

    # -- v2 -------------------------------------------------------------------

    async def submit(
        self, params: Params, *, image_url: str | None = None, on_429: RateLimitHook | None = None
    ) -> Submission:
        """``POST {v2}/{model}``: start a billed job. Sent twice only if it surely never arrived.

        A local image (``params.image_is_local``) is uploaded first unless
        *image_url* is given. Raises :class:`SubmitUnknown` when the job may exist.
        *on_429* is told of each 429 as it comes (see :data:`.retry.RateLimitHook`).
        """
        self._transport.require_key()
        image_url = await self.image_url(params, image_url)
        url = f"{self.v2_url}/{params.model}"
        body = params.payload(image_url)
        response = await self._transport.send(
            Kind.SUBMIT,
            f"submit to {params.model}",
            self._transport.request("POST", url, json=body),
            on_429=on_429,
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
        response = await self._transport.send(
            Kind.READ,
            what,
            self._transport.request("GET", url),
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
        self._transport.require_key()
        image_url = await self.image_url(params, image_url)
        url = f"{self.base_url}/{params.model}"
        body = params.payload(image_url)
        timeout = self._transport.http.timeout
        per_request = httpx.Timeout(
            connect=timeout.connect, read=read_timeout, write=timeout.write, pool=timeout.pool
        )
        op = f"sync run of {params.model}"
        response = await self._transport.send(
            Kind.SYNC,
            op,
            self._transport.request("POST", url, json=body, timeout=per_request, media=True),
            stream=True,
        )
        try:
            yield SyncRun(
                expected_size=expected_size(response),
                content_type=response.headers.get("content-type"),
                chunks=chunks(response, billed=True),
                remaining_credits=number(response.headers.get("x-remaining-credits")),
            )
        finally:
            await response.aclose()

    async def credits(self) -> Credits:
        """``GET {base}/get-user-credits``."""
        self._transport.require_key()
        url = f"{self.base_url}/get-user-credits"
        response = await self._transport.send(
            Kind.READ, "credits", self._transport.request("GET", url)
        )
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
        self._transport.require_key()
        file = Path(path)
        mime, size = await asyncio.to_thread(read_image, file)
        head = f'{{"data_urls": ["data:{mime};base64,'.encode("ascii")
        tail = b'"]}'
        length = len(head) + 4 * ((size + 2) // 3) + len(tail)
        url = self.settings.upload_url
        response = await self._transport.send(
            Kind.READ,
            "upload",
            lambda: self._transport.build(
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
        async with self.stream_from(url, 0) as whole:
            yield MediaStream(whole.total_size, whole.content_type, whole.chunks)

    @asynccontextmanager
    async def stream_from(self, url: str, offset: int) -> AsyncIterator[MediaPart]:
        """Like :meth:`stream`, asking for the bytes from *offset* on (``Range``).

        ``MediaPart.offset`` is where the body really starts: *offset* when the
        server answered 206 for that range, 0 when it sent the whole file (200).
        ``total_size`` is the whole file's size when the answer tells it.
        """
        response = await self._open_media(url, offset if offset > 0 else None)
        try:
            start, total = 0, expected_size(response)
            if response.status_code == 206:
                start, total = content_range(response.headers.get("content-range"))
                if start != offset:
                    raise TransportError(
                        f"the download from {host(url)} answered a range starting at byte "
                        f"{start}, not {offset}; download it again from the start"
                    )
            yield MediaPart(
                offset=start,
                total_size=total,
                content_type=response.headers.get("content-type"),
                chunks=chunks(response, billed=False),
            )
        finally:
            await response.aclose()

    async def _open_media(self, url: str, offset: int | None) -> httpx.Response:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            target = current
            if self._transport.keyed(target):
                self._transport.require_key()
            response = await self._transport.send(
                Kind.READ,
                "download",
                self._transport.request("GET", target, media=True, offset=offset),
                stream=True,
                redirects=True,
            )
            if not response.is_redirect:
                return response
            location = response.headers.get("location", "")
            await response.aclose()
            current = urljoin(str(response.url), location)
        raise TransportError(
            f"the download from {host(url)} redirected more than {MAX_REDIRECTS} times; "
            "check the output URL"
        )

    # -- request history ------------------------------------------------------

    async def history_record(self, request_id: str) -> HistoryRecord:
        """``GET {history}/request-history/{id}``: one of your own requests, of any age."""
        url = history.record_url(self.history_url, request_id)
        self._transport.require_key()
        try:
            response = await self._transport.send(
                Kind.READ,
                "history record",
                self._transport.request("GET", url),
                request_id=request_id,
            )
        except NotFound as exc:  # told in the history's terms: its records never expire
            raise history.not_in_history(exc, request_id) from exc
        return history.read_record(response, request_id)

    async def history_page(self, **query: Unpack[HistoryQuery]) -> HistoryPage:
        """``GET {history}/request-history``: a page of your requests, failed and running too.

        Keywords: :class:`.history.HistoryQuery`; a window over 31 days is refused unsent.
        """
        params = history.page_query(**query)
        url = history.page_url(self.history_url, params)
        self._transport.require_key()
        response = await self._transport.send(
            Kind.READ, "history page", self._transport.request("GET", url)
        )
        return history.read_page(
            response, page=int(params["page"]), per_page=int(params["per_page"])
        )

    # -- internals --------------------------------------------------------------

    def _status_url(self, request_id: str) -> str:
        return f"{self.v2_url}/requests/{quote(request_id, safe='')}/status"

    def _result_url(self, request_id: str) -> str:
        return f"{self.v2_url}/requests/{quote(request_id, safe='')}"

    def _job_url(self, job: Submission | str, which: str) -> tuple[str, str]:
        self._transport.require_key()
        if isinstance(job, Submission):
            given = job.status_url if which == "status" else job.response_url
            # A URL off the API's origin would not get the key: rebuild it from the id.
            if given and self._transport.keyed(given):
                return job.request_id, given
            job = job.request_id
        if not job:
            raise ValueError("a request id is required")
        url = self._status_url(job) if which == "status" else self._result_url(job)
        return job, url

    async def image_url(self, params: Params, image_url: str | None = None) -> str | None:
        """The URL the submit sends as ``image``: a local image uploaded first, unless given."""
        if image_url is None and params.image_is_local and params.image is not None:
            try:
                return await self.upload(params.image)
            except asyncio.CancelledError as exc:
                # Only the upload had begun: it costs nothing and makes no job.
                raise NothingSent(f"{params.model} run cancelled before it was sent") from exc
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
