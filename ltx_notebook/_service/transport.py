"""One exchange with the service: the key only for its origins, sent under the retry rules.

:class:`Transport` owns the ``httpx.AsyncClient``. The key goes in the
``x-api-key`` header of a request to one of the *keyed* origins (the API's,
the upload service's, the request history's) and nowhere else: it is added per
request, never as a default header, so a media host or a redirect target can
never receive it. :meth:`Transport.send` retries what :mod:`.retry` allows and
turns every other outcome into an ``_core.errors`` type through
:func:`.failures.map_failure`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from .._core.config import Settings
from .._core.errors import AuthenticationError, InvalidParams
from .._core.secrets import clean_cause, key_problem
from .bodies import read_all
from .failures import buffer_error, is_failed_body, map_failure, request_id_in
from .retry import (
    Kind,
    NothingSent,
    RateLimitHook,
    RetryPolicy,
    retryable_exception,
    retryable_status,
)

__all__ = ["KEEP_ALIVE", "NO_KEY", "Transport", "origin"]

log = logging.getLogger("ltx_notebook.client")

# Idle connections kept open for the next requests. httpcore looks at every idle
# connection (a poll of its socket) twice per request, so each one kept costs every
# request after it: twenty made a status poll nearly twice as dear as four. A burst
# opens what it needs, and what is idle after it is closed down to this.
KEEP_ALIVE: Final = 4
# At most 100 open at once (httpx's default, said here so it is a choice): far above
# what 100 jobs' polls and downloads hold at once; a request past it waits for a free
# one, and one that waits too long (PoolTimeout) was surely not sent, so is retried.
LIMITS: Final = httpx.Limits(
    max_connections=100, max_keepalive_connections=KEEP_ALIVE, keepalive_expiry=5.0
)

NO_KEY = "no API key: set SEGMIND_API_KEY or call ltx_notebook.configure(api_key=...)"


class Transport:
    """The HTTP side of a :class:`~.client.Client`: build, send, retry, map failures."""

    def __init__(
        self,
        settings: Settings,
        keyed: Iterable[str],
        *,
        retry: RetryPolicy,
        timeout: httpx.Timeout,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.retry = retry
        self._key_origins = {origin(url) for url in keyed}
        # transport=None: httpx's own (httpcore), which also speaks to a configured proxy.
        self.http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            limits=LIMITS,
            follow_redirects=False,
            headers={"user-agent": "ltx-notebook", "accept": "application/json"},
        )

    def request(self, method: str, url: str, **options: Any) -> Callable[[], httpx.Request]:
        """A builder for :meth:`send`: each attempt builds the request afresh."""
        return functools.partial(self.build, method, url, **options)

    def keyed(self, url: str) -> bool:
        """Whether a request to *url* carries the key."""
        return origin(url) in self._key_origins

    def require_key(self) -> None:
        if self.settings.api_key is None or not self.settings.api_key.get():
            raise AuthenticationError(NO_KEY, status_code=401, detail="no API key configured")

    def build(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        content: AsyncIterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        media: bool = False,
        offset: int | None = None,
    ) -> httpx.Request:
        """One request; *content* streams a body the caller encodes (then give its headers)."""
        headers = dict(headers or {})
        key = self.settings.api_key
        if key is not None and self.keyed(url):
            value = key.get()
            problem = key_problem(value)
            if problem:
                # Settings strip and check the key; this catches one altered since.
                # httpx would refuse it only after connecting, quoting it in its error.
                raise InvalidParams(
                    f"the API key contains {problem}, which an HTTP header cannot carry: "
                    "nothing was sent; set it again with ltx_notebook.configure(api_key=...)",
                    param="api_key",
                )
            headers["x-api-key"] = value
        if media:
            # Ask for the bytes as stored, so Content-Length is the file's size.
            headers["accept-encoding"] = "identity"
            headers["accept"] = "*/*"
        if offset:
            headers["range"] = f"bytes={offset}-"
        return self.http.build_request(
            method,
            parsed_url(url),
            json=json,
            content=content,
            headers=headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    async def send(
        self,
        kind: Kind,
        op: str,
        build: Callable[[], httpx.Request],
        *,
        request_id: str | None = None,
        tolerate_failed: bool = False,
        stream: bool = False,
        redirects: bool = False,
        on_429: RateLimitHook | None = None,
    ) -> httpx.Response:
        """Send until success, a final answer, or the retry rules say stop.

        Returns a 2xx response (or a redirect if *redirects*, or a 422 FAILED
        body if *tolerate_failed*); raises an ``_core.errors`` type otherwise. A
        submit's answer is read here, kept as it comes: cut off, it may name the job.
        *on_429* is told of every 429 of a submit, and may take it over (see
        :data:`.retry.RateLimitHook`).
        """
        policy = self.retry
        attempt = 0
        waited = 0.0
        while True:
            attempt += 1
            request = build()
            received = bytearray()
            error: httpx.RequestError | None = None
            try:
                if kind is Kind.SUBMIT:
                    response = await read_all(await self.http.send(request, stream=True), received)
                else:
                    response = await self.http.send(request, stream=stream)
            except httpx.RequestError as exc:
                error = exc
            if error is not None:
                again = attempt < policy.max_attempts and retryable_exception(kind, error)
                delay = policy.next_wait(attempt, waited) if again else None
                if delay is not None:
                    waited += await self._pause(kind, op, type(error).__name__, delay, attempt)
                    continue
                # Raised outside the except block, so the httpx error (which may quote a
                # header) is not chained as the context; its scrubbed form is the cause.
                raise map_failure(
                    kind,
                    op,
                    exc=error,
                    attempts=attempt,
                    request_id=request_id,
                    retry=policy,
                    partial=bytes(received),
                ) from clean_cause(error)
            if response.is_success or (redirects and response.is_redirect):
                return response
            if stream:
                response = await buffer_error(response)
            if tolerate_failed and response.status_code == 422 and is_failed_body(response):
                return response
            names_a_job = request_id_in(response) is not None
            again = attempt < policy.max_attempts and retryable_status(
                kind, response.status_code, names_a_job=names_a_job
            )
            if again and on_429 is not None and response.status_code == 429:
                # The caller paces these submits: it hears of the refusal now, not after
                # every retry has knocked on the same full window.
                again = not on_429(policy.hint(response.headers))
            delay = policy.next_wait(attempt, waited, response.headers) if again else None
            if delay is not None:
                waited += await self._pause(
                    kind, op, f"HTTP {response.status_code}", delay, attempt
                )
                continue
            raise map_failure(
                kind, op, response=response, attempts=attempt, request_id=request_id, retry=policy
            )

    async def _pause(self, kind: Kind, op: str, what: str, seconds: float, attempt: int) -> float:
        """Wait *seconds* before the next attempt; a submit cancelled here has made nothing."""
        _log_retry(op, what, seconds, attempt, self.retry)
        try:
            await self.retry.sleep(seconds)
        except asyncio.CancelledError as exc:
            if kind is Kind.READ:
                raise
            # Every attempt so far was refused or never connected: no job exists.
            raise NothingSent(f"{op} cancelled while waiting to retry; nothing was sent") from exc
        return seconds


def _log_retry(op: str, what: str, delay: float, attempt: int, policy: RetryPolicy) -> None:
    tries = f"attempt {attempt + 1} of {policy.max_attempts}"
    log.info("retrying %s in %.2f s after %s (%s)", op, delay, what, tries)


@functools.lru_cache(maxsize=1024)
def parsed_url(url: str) -> httpx.URL:
    """*url* parsed once: httpx checks a URL character by character, a fifth of a poll's
    CPU, and a job's status URL is the same on every poll (a URL is immutable)."""
    return httpx.URL(url)


@functools.lru_cache(maxsize=1024)
def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port
