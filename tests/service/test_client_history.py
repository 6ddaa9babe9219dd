"""The request history: every envelope and timestamp shape, over real loopback HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.errors import (
    ApiError,
    AuthenticationError,
    InvalidParams,
    NotFound,
    ServiceError,
)
from ltx_notebook._service.client import Client
from ltx_notebook._service.replies import HistoryRecord
from ltx_notebook._service.retry import RetryPolicy
from tests.service.scripted_server import KEY, Reply, ScriptedServer

pytestmark = pytest.mark.anyio

LIST = "/inference-request/request-history"
RID = "req-hist-0001"
WHEN = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def row(request_id: str = RID, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "request_id": request_id,
        "model_name": "ltx-2-pro",
        "model_status": "COMPLETED",
        "credits_deduction": 0.36,
        "request_body": {"prompt": "a lighthouse", "duration": 6},
        "generation_url": f"https://cdn.example/{request_id}.mp4",
        "latency_ms": 70123,
        "created_at": "2026-03-01T10:00:00Z",
        "updated_at": "2026-03-01T10:01:10Z",
        "error": None,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not ...}


def query_of(server: ScriptedServer) -> dict[str, str]:
    (request,) = server.requests
    return {k: v[0] for k, v in parse_qs(request.query).items()}


# -- one record ---------------------------------------------------------------------


async def test_a_record_is_read_with_the_key_from_the_history_prefix(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", f"{LIST}/{RID}", Reply(json=row()))
    record = await client.history_record(RID)
    assert record == HistoryRecord(
        request_id=RID,
        model="ltx-2-pro",
        status="COMPLETED",
        charge=0.36,
        request_body={"prompt": "a lighthouse", "duration": 6},
        generation_url=f"https://cdn.example/{RID}.mp4",
        latency_ms=70123.0,
        created=WHEN,
        updated=WHEN + timedelta(seconds=70),
        error=None,
        raw={},
    )
    assert record.is_terminal and record.raw["credits_deduction"] == 0.36
    (request,) = server.requests
    assert request.headers["x-api-key"] == KEY


async def test_a_record_may_come_wrapped_with_its_inputs_as_a_json_string(
    client: Client, server: ScriptedServer
) -> None:
    wrapped = {
        "data": row(
            request_body='{"prompt": "x", "resolution": "4k"}',
            model_status="failure",
            error="Content policy violation",
            generation_url=None,
            credits_deduction="1.44",
        )
    }
    server.on("GET", f"{LIST}/{RID}", Reply(json=wrapped))
    record = await client.history_record(RID)
    assert record.request_body == {"prompt": "x", "resolution": "4k"}
    assert record.status == "FAILED" and record.error == "Content policy violation"
    assert record.charge == 1.44 and record.generation_url is None


@pytest.mark.parametrize(
    "body",
    [
        [row("other"), row()],
        {"data": [row()]},
        {"record": row()},
        {"result": [row(), row("other")]},
    ],
    ids=["list", "data-list", "record", "result-list"],
)
async def test_a_record_may_come_in_a_list_the_one_asked_for_preferred(
    client: Client, server: ScriptedServer, body: Any
) -> None:
    server.on("GET", f"{LIST}/{RID}", Reply(json=body))
    assert (await client.history_record(RID)).request_id == RID


async def test_an_unknown_record_is_not_found_in_the_history_s_terms_and_not_retried(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", f"{LIST}/nope", Reply(404, json={"error": "Request nope not found"}))
    with pytest.raises(NotFound, match="not in your request history") as caught:
        await client.history_record("nope")
    assert caught.value.request_id == "nope" and caught.value.status_code == 404
    assert "expire" not in str(caught.value)
    assert server.count("GET", f"{LIST}/nope") == 1


async def test_a_record_read_is_retried_like_every_read(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.on("GET", f"{LIST}/{RID}", Reply(503), Reply(429), Reply(json=row()))
    assert (await client.history_record(RID)).request_id == RID
    assert len(sleeps) == 2


async def test_a_record_answer_without_a_request_id_is_an_api_error(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", f"{LIST}/{RID}", Reply(json={"status": "ok"}))
    with pytest.raises(ApiError, match="holds no request record"):
        await client.history_record(RID)


async def test_an_id_is_quoted_into_the_path(client: Client, server: ScriptedServer) -> None:
    server.on("GET", f"{LIST}/a b", Reply(json=row("a b")))
    assert (await client.history_record("a b")).request_id == "a b"
    assert server.requests[0].path == f"{LIST}/a b"
    with pytest.raises(ValueError, match="request id is required"):
        await client.history_record("")


# -- envelopes ----------------------------------------------------------------------

ROWS = [row("r1"), row("r2", model_status="PENDING", generation_url=None)]

ENVELOPES: list[tuple[Any, int | None, bool | None]] = [
    ({"data": ROWS, "page": 1, "per_page": 2, "total": 2}, 2, False),
    ({"items": ROWS, "total": 45, "per_page": 2}, 45, True),
    ({"results": ROWS, "meta": {"page": 1, "perPage": 2, "totalCount": 5}}, 5, True),
    ({"records": ROWS, "pagination": {"has_more": True}}, None, True),
    ({"rows": ROWS, "next": None}, None, False),
    ({"data": ROWS, "next_page_url": "https://x/?page=2"}, None, True),
    ({"data": ROWS, "total_pages": 1}, None, False),
    (ROWS, None, None),
    ({"data": {"items": ROWS, "total": 2, "has_more": False}}, 2, False),
    ({"data": {"rows": ROWS}, "meta": {"total_count": 12, "page_size": 2}}, 12, True),
    ({"data": {"results": ROWS, "pagination": {"totalPages": 3}}}, None, True),
]


@pytest.mark.parametrize(("body", "total", "more"), ENVELOPES)
async def test_every_envelope_gives_the_same_records(
    client: Client, server: ScriptedServer, body: Any, total: int | None, more: bool | None
) -> None:
    server.on("GET", LIST, Reply(json=body))
    page = await client.history_page(per_page=2)
    assert [r.request_id for r in page] == ["r1", "r2"]
    assert [r.status for r in page.records] == ["COMPLETED", "PENDING"]
    assert page.page == 1 and page.per_page == 2
    assert page.total == total and page.has_more is more
    assert page.raw == body


async def test_an_empty_page_may_be_an_empty_list_or_null(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", LIST, Reply(json={"data": None, "total": 0}), Reply(json=[]))
    for _ in range(2):
        page = await client.history_page()
        assert len(page) == 0 and page.charge == 0


async def test_a_page_without_rows_is_an_api_error(client: Client, server: ScriptedServer) -> None:
    server.on("GET", LIST, Reply(json={"message": "ok"}), Reply(text="<html>"))
    for _ in range(2):
        with pytest.raises(ApiError, match="holds no list of records"):
            await client.history_page()


async def test_repeated_request_ids_count_once_keeping_the_first(
    client: Client, server: ScriptedServer
) -> None:
    # A request with several outputs is one row per output, each with the whole charge.
    rows = [
        row("r1", generation_url="https://cdn.example/a.mp4"),
        row("r1", generation_url="https://cdn.example/b.mp4"),
        row("r2", credits_deduction=0.5),
        {"model_name": "no id"},
        "not a row",
    ]
    server.on("GET", LIST, Reply(json={"data": rows, "total": 3}))
    page = await client.history_page()
    assert [r.request_id for r in page] == ["r1", "r2"]
    assert page.records[0].generation_url == "https://cdn.example/a.mp4"
    assert page.charge == pytest.approx(0.86)


# -- field and timestamp variants -----------------------------------------------------

TIMESTAMPS = [
    "2026-03-01T10:00:00Z",
    "2026-03-01T10:00:00.000Z",
    "2026-03-01T10:00:00+00:00",
    "2026-03-01T15:30:00+05:30",
    "2026-03-01T10:00:00",
    "2026-03-01 10:00:00",
    "2026-03-01T10:00:00.000000000Z",
    "Sun, 01 Mar 2026 10:00:00 GMT",
    1772359200,
    1772359200.0,
    "1772359200",
    1772359200000,
    "1772359200000",
    1772359200000000,
    1772359200000000000,
]


@pytest.mark.parametrize("stamp", TIMESTAMPS, ids=[repr(s) for s in TIMESTAMPS])
@pytest.mark.parametrize("key", ["created_at", "createdAt", "model_created", "timestamp"])
async def test_every_timestamp_shape_and_name_is_an_aware_utc_time(
    client: Client, server: ScriptedServer, stamp: Any, key: str
) -> None:
    body = row(created_at=..., updated_at=...)
    body[key] = stamp
    server.on("GET", LIST, Reply(json={"data": [body]}))
    (record,) = (await client.history_page()).records
    assert record.created == WHEN
    assert record.created.tzinfo is not None and record.created.utcoffset() == timedelta(0)
    assert record.updated is None


async def test_unreadable_values_are_none_not_errors(
    client: Client, server: ScriptedServer
) -> None:
    body = row(
        created_at="yesterday",
        updated_at=True,
        credits_deduction="free",
        latency_ms=None,
        request_body="not json",
        model_status=None,
    )
    server.on("GET", LIST, Reply(json={"data": [body]}))
    (record,) = (await client.history_page()).records
    assert (record.created, record.updated, record.charge, record.latency_ms) == (None,) * 4
    assert record.request_body == {} and record.status is None and not record.is_terminal


@pytest.mark.parametrize(
    ("given", "ours"),
    [
        ("COMPLETED", "COMPLETED"),
        ("completed", "COMPLETED"),
        ("Success", "COMPLETED"),
        ("succeeded", "COMPLETED"),
        ("FAILED", "FAILED"),
        ("error", "FAILED"),
        ("PENDING", "PENDING"),
        ("queued", "QUEUED"),
        ("in-queue", "QUEUED"),
        ("PROCESSING", "PROCESSING"),
        ("in progress", "PROCESSING"),
        ("running", "PROCESSING"),
        ("CANCELLED", "CANCELLED"),
    ],
)
async def test_statuses_are_spelt_as_ours(
    client: Client, server: ScriptedServer, given: str, ours: str
) -> None:
    server.on("GET", LIST, Reply(json={"data": [row(model_status=given)]}))
    assert (await client.history_page()).records[0].status == ours


async def test_a_generations_style_row_and_camel_case_names_are_read(
    client: Client, server: ScriptedServer
) -> None:
    camel = {
        "requestId": "r9",
        "modelName": "ltx-2-fast",
        "status": "COMPLETED",
        "creditsDeduction": 0.32,
        "prompt": "a fox",
        "parameters": {"duration": 8},
        "generationUrl": "https://cdn.example/r9.mp4",
        "latencyMs": "46000",
        "createdAt": 1772359200000,
        "updatedAt": "2026-03-01T10:00:46Z",
    }
    server.on("GET", LIST, Reply(json={"items": [camel]}))
    (record,) = (await client.history_page()).records
    assert (record.request_id, record.model, record.status) == ("r9", "ltx-2-fast", "COMPLETED")
    assert record.request_body == {"prompt": "a fox", "duration": 8}
    assert record.charge == 0.32 and record.latency_ms == 46000.0
    assert record.generation_url == "https://cdn.example/r9.mp4"
    assert record.created == WHEN and record.updated == WHEN + timedelta(seconds=46)


# -- the query ----------------------------------------------------------------------


async def test_the_query_names_the_window_filters_and_order(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", LIST, Reply(json={"data": []}))
    await client.history_page(
        from_date=date(2026, 2, 1),
        to_date=date(2026, 3, 3),
        model="ltx-2",
        status="pending",
        page=3,
        per_page=100,
        sort_by="credits_deduction",
        sort_order="ASC",
    )
    assert query_of(server) == {
        "page": "3",
        "per_page": "100",
        "from_date": "2026-02-01",
        "to_date": "2026-03-03",
        "model_name": "ltx-2",
        "status": "PENDING",
        "sort_by": "credits_deduction",
        "sort_order": "asc",
    }
    assert server.requests[0].headers["x-api-key"] == KEY


async def test_no_dates_leave_the_service_s_default_window(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", LIST, Reply(json={"data": []}))
    page = await client.history_page()
    assert query_of(server) == {"page": "1", "per_page": "20"}
    assert page.page == 1 and page.per_page == 20 and page.total is None


async def test_one_date_is_completed_so_the_window_checked_is_the_one_sent(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", LIST, Reply(json={"data": []}), Reply(json={"data": []}))
    await client.history_page(to_date=date(2026, 3, 10))
    assert query_of(server)["from_date"] == "2026-03-03"
    server.requests.clear()
    start = datetime.now(UTC).date() - timedelta(days=3)
    await client.history_page(from_date=start)
    sent = date.fromisoformat(query_of(server)["to_date"])
    assert sent - start in (timedelta(days=3), timedelta(days=4))  # today, UTC


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ({"from_date": date(2026, 1, 1), "to_date": date(2026, 2, 1)}, "from_date"),
        ({"from_date": date(2026, 3, 2), "to_date": date(2026, 3, 1)}, "to_date"),
        ({"from_date": date(2020, 1, 1)}, "from_date"),
        ({"from_date": "2026-03-01"}, "from_date"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"page": 0}, "page"),
        ({"status": "QUEUED"}, "status"),
        ({"sort_by": "created_at"}, "sort_by"),
        ({"sort_order": "up"}, "sort_order"),
    ],
)
async def test_a_bad_query_is_refused_before_sending(
    client: Client, server: ScriptedServer, query: dict[str, Any], param: str
) -> None:
    with pytest.raises(InvalidParams) as caught:
        await client.history_page(**query)
    assert caught.value.param == param
    assert server.requests == []


async def test_thirty_one_days_both_included_is_the_widest_window(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", LIST, Reply(json={"data": []}))
    await client.history_page(from_date=date(2026, 1, 1), to_date=date(2026, 1, 31))
    with pytest.raises(InvalidParams, match=r"spans 32 days; .* at most 31"):
        await client.history_page(from_date=date(2026, 1, 1), to_date=date(2026, 2, 1))


# -- errors and the key ---------------------------------------------------------------


async def test_history_errors_go_through_the_one_boundary(
    client: Client, server: ScriptedServer, sleeps: list[float]
) -> None:
    server.on("GET", LIST, Reply(401, json={"error": f"bad key {KEY}"}))
    with pytest.raises(AuthenticationError) as caught:
        await client.history_page()
    assert KEY not in str(caught.value) and "history page" in str(caught.value)
    server.on("GET", LIST, *[Reply(502, text="bad gateway")] * 4)
    with pytest.raises(ServiceError, match="after 4 attempts"):
        await client.history_page()
    assert len(sleeps) == 3


async def test_no_key_no_request(server: ScriptedServer, policy: RetryPolicy) -> None:
    async with Client(Settings(base_url=f"{server.url}/v1"), retry=policy) as keyless:
        with pytest.raises(AuthenticationError, match="no API key"):
            await keyless.history_page()
        with pytest.raises(AuthenticationError, match="no API key"):
            await keyless.history_record(RID)
    assert server.requests == []


async def test_the_key_goes_to_a_history_host_of_its_own(
    server: ScriptedServer, policy: RetryPolicy
) -> None:
    # Two origins on one server: the API at localhost, the history at 127.0.0.1.
    settings = Settings(
        api_key=Secret(KEY),
        base_url=f"http://localhost:{server.port}/v1",
        history_base=f"{server.url}/inference-request",
    )
    server.on("GET", LIST, Reply(json={"data": [row()]}))
    async with Client(settings, retry=policy) as other:
        assert other.history_url == f"{server.url}/inference-request"
        assert len(await other.history_page()) == 1
    assert server.requests[0].headers["x-api-key"] == KEY


async def test_a_generation_url_elsewhere_gets_no_key(
    client: Client, server: ScriptedServer
) -> None:
    # The output URL a record names is a media host: only the API's, the upload's
    # and the history's origins get the key, and localhost is none of them here.
    elsewhere = f"http://localhost:{server.port}/media/{RID}.mp4"
    server.on("GET", LIST, Reply(json={"data": [row(generation_url=elsewhere)]}))
    server.on("GET", f"/media/{RID}.mp4", Reply(body=b"video"))
    (record,) = (await client.history_page()).records
    assert record.generation_url == elsewhere
    async with client.stream(elsewhere) as (_, _, chunks):
        assert b"".join([c async for c in chunks]) == b"video"
    listing, media = server.requests
    assert listing.headers["x-api-key"] == KEY
    assert "x-api-key" not in media.headers
