"""The Starlette app: Segmind's routes over an :class:`~._engine.Engine`.

Handlers stay thin: the engine decides, the app shapes the HTTP answer.
Every request, whatever its fate, ends up in the engine's request log.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from ._catalog import MODELS
from ._engine import Engine, Submitted
from ._faults import Fault
from ._history import HistoryQuery, generations_body, history_body, parse_query, record_body
from ._timeline import COMPLETED, FAILED, Job
from ._validation import Refusal

__all__ = ["build_app"]

Handler = Callable[[Request], Awaitable[Response]]
_POLL_SECONDS = 0.05


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _refused(refusal: Refusal) -> JSONResponse:
    return _error(refusal.status, refusal.error, dict(refusal.headers))


def _fault_response(fault: Fault) -> Response:
    status = fault.status or 500
    headers = dict(fault.headers)
    if isinstance(fault.body, str):
        return PlainTextResponse(fault.body, status_code=status, headers=headers)
    if isinstance(fault.body, dict):
        return JSONResponse(fault.body, status_code=status, headers=headers)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    origin = "transient" if fault.source == "fail_rate" else "injected"
    return _error(status, f"{phrase} (emulator: {origin} fault)", headers)


class _Dropped(Response):
    """Sends the status, a Content-Length and a share of the body (*keep*), then hangs up.

    What a client sees when a proxy dies mid-answer: the request surely
    arrived (a submit created its job), but no complete reply came back. With
    *keep* 0 no byte of the body comes, so a submit's answer names no job.
    """

    def __init__(self, inner: Response, keep: float = 0.5) -> None:
        super().__init__(status_code=inner.status_code)
        self.keep = keep
        if isinstance(inner, FileResponse):
            with open(inner.path, "rb") as fh:
                self.full = fh.read()
        else:
            self.full = bytes(inner.body)
        self.content_type = inner.media_type or inner.headers.get("content-type", "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = max(len(self.full), 2)
        headers = [(b"content-length", str(size).encode())]
        if self.content_type:
            headers.append((b"content-type", self.content_type.encode()))
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send(
            {
                "type": "http.response.body",
                "body": self.full[: int(size * self.keep)],
                "more_body": True,
            }
        )
        # Returning now, with the body incomplete, makes the server close the socket.


class _Recorded(Response):
    """Logs the status actually sent: a file answer only picks 200, 206 or 416 when sent."""

    def __init__(self, inner: Response, log: Callable[[int], None]) -> None:
        self.inner = inner
        self.status_code = inner.status_code
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.log(message["status"])
            await send(message)

        await self.inner(scope, receive, watch)


def build_app(engine: Engine) -> Starlette:
    """The ASGI app of one emulated service."""

    def endpoint(kind: str) -> Callable[[Handler], Handler]:
        def wrap(handler: Handler) -> Handler:
            async def run(request: Request) -> Response:
                model = request.path_params.get("model")
                request.state.request_id = request.path_params.get("request_id")
                fault = engine.take_fault(kind, model)
                handled = fault is not None and fault.handled
                if fault is not None and fault.delay > 0 and not handled:
                    await asyncio.sleep(fault.delay)
                tag: str | None = None
                if fault is not None and fault.status is not None and not fault.drop:
                    if handled:  # made behind the gateway, then its answer is late or lost
                        await handler(request)
                        await asyncio.sleep(fault.delay)
                    response: Response = _fault_response(fault)
                    tag = fault.source
                else:
                    response = await handler(request)
                    if fault is not None and fault.drop:
                        response = _Dropped(response, fault.keep)
                        tag = "drop"
                    elif fault is not None:
                        tag = "delay"

                def log(status: int) -> None:
                    engine.record(
                        request.method,
                        request.url.path,
                        kind,
                        status,
                        model=model,
                        request_id=request.state.request_id,
                        fault=tag,
                    )

                return _Recorded(response, log)

            return run

        return wrap

    def unauthorized(request: Request) -> Response | None:
        refusal = engine.check_key(request.headers.get("x-api-key"))
        return None if refusal is None else _refused(refusal)

    async def json_body(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            return _NOT_JSON

    def root(request: Request) -> str:
        return str(request.base_url)

    def job_urls(request: Request, job: Job) -> dict[str, str]:
        status_url = f"{root(request)}v2/requests/{job.request_id}/status"
        return {
            "poll_url": status_url,
            "status_url": status_url,
            "response_url": f"{root(request)}v2/requests/{job.request_id}",
        }

    def not_found(request_id: str) -> JSONResponse:
        return _error(404, f"Request {request_id} not found")

    def state_body(job: Job, state: str) -> dict[str, Any]:
        body: dict[str, Any] = {"status": state, "request_id": job.request_id}
        if state == FAILED:
            body["error"] = job.error
        body["metrics"] = job.metrics(engine.clock(), engine.credits, shape=engine.config.metrics)
        return body

    def completed_body(request: Request, job: Job) -> dict[str, Any]:
        url = f"{root(request)}media/{job.media_name}"
        output: Any = url
        if job.output_shape == "list":
            output = [url]
        elif job.output_shape == "object":
            output = {"url": url}
        body: dict[str, Any] = {
            "status": COMPLETED,
            "request_id": job.request_id,
            "output": output,
        }
        if engine.config.include_video:
            body["video"] = {
                "url": url,
                "content_type": "video/mp4",
                "file_name": job.media_name,
                "file_size": job.file_size,
            }
        body["metrics"] = job.metrics(engine.clock(), engine.credits, shape=engine.config.metrics)
        return body

    async def authorized_json(request: Request) -> Any:
        """The request's JSON body, or the 401/400 the service answers instead."""
        denied = unauthorized(request)
        if denied is not None:
            return denied
        body = await json_body(request)
        return _error(400, "Request body is not valid JSON") if body is _NOT_JSON else body

    async def admit(request: Request, sync: bool) -> Submitted | Response:
        body = await authorized_json(request)
        if isinstance(body, Response):
            return body
        outcome = engine.submit(
            request.path_params["model"],
            body,
            sync=sync,
            host_prefix=root(request),
            key=request.headers.get("x-api-key"),
        )
        if isinstance(outcome, Refusal):
            return _refused(outcome)
        request.state.request_id = outcome.job.request_id
        return outcome

    @endpoint("submit")
    async def submit(request: Request) -> Response:
        outcome = await admit(request, sync=False)
        if isinstance(outcome, Response):
            return outcome
        job = outcome.job
        return JSONResponse(
            {"request_id": job.request_id, "status": "QUEUED", **job_urls(request, job)},
            status_code=engine.config.submit_status,
        )

    def known_job(request: Request) -> Job | Response:
        """The request's job, or the 401/404 the service answers instead."""
        denied = unauthorized(request)
        if denied is not None:
            return denied
        request_id = request.path_params["request_id"]
        job = engine.lookup(request_id)
        return not_found(request_id) if job is None else job

    def state_reply(job: Job, state: str) -> Response:
        # FAILED is served as 422 on both routes, the body still saying FAILED.
        return JSONResponse(state_body(job, state), status_code=422 if state == FAILED else 200)

    @endpoint("status")
    async def status(request: Request) -> Response:
        job = known_job(request)
        if isinstance(job, Response):
            return job
        return state_reply(job, job.status(engine.clock()))

    @endpoint("result")
    async def result(request: Request) -> Response:
        job = known_job(request)
        if isinstance(job, Response):
            return job
        state = job.status(engine.clock())
        if state == COMPLETED:
            return JSONResponse(completed_body(request, job))
        return state_reply(job, state)

    @endpoint("sync")
    async def sync(request: Request) -> Response:
        outcome = await admit(request, sync=True)
        if isinstance(outcome, Response):
            return outcome
        job = outcome.job
        # The v1 route holds the connection for the whole run, as the real one does.
        while not job.finished(engine.clock()):
            if engine.closed:
                return _error(503, "Service is shutting down")
            await asyncio.sleep(_POLL_SECONDS)
        headers = {"x-remaining-credits": f"{engine.credits:.4f}", "x-request-id": job.request_id}
        if job.status(engine.clock()) == FAILED:
            return _error(422, job.error or "Inference failed", headers)
        path = engine.media_path(job.media_name or "")
        if path is None:
            return _error(500, "Output file is missing", headers)
        return FileResponse(path, media_type="video/mp4", headers=headers)

    @endpoint("credits")
    async def credits(request: Request) -> Response:
        denied = unauthorized(request)
        if denied is not None:
            return denied
        return JSONResponse({"credits": engine.credits, "free-credits": 0.0})

    @endpoint("upload")
    async def upload(request: Request) -> Response:
        body = await authorized_json(request)
        if isinstance(body, Response):
            return body
        names = await asyncio.to_thread(engine.upload, body)
        if isinstance(names, Refusal):
            return _refused(names)
        urls = [f"{root(request)}assets/{name}" for name in names]
        return JSONResponse(
            {engine.config.upload_key: urls, "message": "Files uploaded successfully"}
        )

    @endpoint("asset")
    async def asset(request: Request) -> Response:
        found = engine.asset(request.path_params["name"])
        if found is None or not found.path.exists():
            return _error(404, "File not found")
        return FileResponse(found.path, media_type=found.content_type)

    @endpoint("media")
    async def media(request: Request) -> Response:
        path = engine.media_path(request.path_params["name"])
        if path is None:
            return _error(404, "File not found")
        # Starlette's FileResponse answers Range requests (206) and HEAD.
        return FileResponse(path, media_type="video/mp4", content_disposition_type="inline")

    # The request history: the caller's own records, which never expire here.

    def media_url(request: Request) -> Callable[[Job], str | None]:
        def url(job: Job) -> str | None:
            return f"{root(request)}media/{job.media_name}" if job.media_name else None

        return url

    def history_query(request: Request, start: str, end: str) -> HistoryQuery | Response:
        denied = unauthorized(request)
        if denied is not None:
            return denied
        today = datetime.fromtimestamp(engine.wall_time(), UTC).date()
        query = parse_query(request.query_params, today, start_key=start, end_key=end)
        return _refused(query) if isinstance(query, Refusal) else query

    @endpoint("history")
    async def history_record(request: Request) -> Response:
        denied = unauthorized(request)
        if denied is not None:
            return denied
        request_id = request.path_params["request_id"]
        found = engine.history_entry(request.headers.get("x-api-key"), request_id)
        if found is None:
            return not_found(request_id)
        shape = engine.config.history_envelope
        return JSONResponse(record_body(*found, engine.clock(), media_url(request), shape))

    @endpoint("history")
    async def history_list(request: Request) -> Response:
        query = history_query(request, "from_date", "to_date")
        if isinstance(query, Response):
            return query
        items = engine.history(request.headers.get("x-api-key"))
        shape = engine.config.history_envelope
        body = history_body(items, query, engine.clock(), media_url(request), shape)
        return JSONResponse(body)

    @endpoint("history")
    async def generations(request: Request) -> Response:
        query = history_query(request, "start_date", "end_date")
        if isinstance(query, Response):
            return query
        items = engine.history(request.headers.get("x-api-key"))
        shape = engine.config.history_envelope
        body = generations_body(items, query, engine.clock(), media_url(request), shape)
        return JSONResponse(body)

    @endpoint("other")
    async def index(request: Request) -> Response:
        return JSONResponse(
            {
                "service": "ltx-notebook Segmind emulator",
                "base_url": f"{root(request)}v1",
                "models": sorted(MODELS),
            }
        )

    async def no_route(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 404
        message = "Not found" if code == 404 else HTTPStatus(code).phrase
        engine.record(request.method, request.url.path, "other", code)
        return _error(code, message)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/v2/requests/{request_id}/status", status, methods=["GET"]),
        Route("/v2/requests/{request_id}", result, methods=["GET"]),
        Route("/v2/{model}", submit, methods=["POST"]),
        Route("/v1/get-user-credits", credits, methods=["GET"]),
        Route("/v1/{model}", sync, methods=["POST"]),
        Route("/upload-asset", upload, methods=["POST"]),
        Route("/assets/{name}", asset, methods=["GET", "HEAD"]),
        Route("/media/{name}", media, methods=["GET", "HEAD"]),
        Route("/inference-request/request-history/{request_id}", history_record, methods=["GET"]),
        Route("/inference-request/request-history", history_list, methods=["GET"]),
        Route("/inference-request/generations", generations, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={404: no_route, 405: no_route})


_NOT_JSON = object()
