"""The request history over real loopback HTTP: records that never expire, the caller's own."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from emu_support import KEY, FakeClock, StartEmulator, submit, wait_for

from ltx_notebook.emulator import Emulator, EmulatorConfig

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC).timestamp()  # 2026-03-01T10:00:00Z
DAY = 86400.0
HISTORY = "/inference-request/request-history"
GENERATIONS = "/inference-request/generations"


def rows(emu: Emulator, http: httpx.Client, path: str = HISTORY, **query: Any) -> list[Any]:
    response = http.get(emu.url(path), params=query)
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def ids(found: list[dict[str, Any]]) -> list[str]:
    return [r["request_id"] for r in found]


def driven(start: StartEmulator, **overrides: Any) -> tuple[Emulator, FakeClock]:
    clock = FakeClock()
    return start(clock=clock, speed=1, start_time=START, **overrides), clock


def finish(emu: Emulator, clock: FakeClock) -> None:
    """Move the clock past every job's end, once every render is done."""
    assert emu.engine.wait_renders(30)
    clock.now = max(j.completed_at or j.failed_at or 0 for j in emu.engine.jobs.values()) + 1


def test_a_record_follows_its_job_with_the_real_fields(
    start: StartEmulator, http: httpx.Client
) -> None:
    emu, clock = driven(start)
    sent = {"prompt": "a lighthouse at dusk", "resolution": "2k"}
    rid = http.post(emu.url("/v2/ltx-2-pro"), json=sent).json()["request_id"]
    url = emu.url(f"{HISTORY}/{rid}")
    queued = http.get(url).json()
    assert queued == {
        "request_id": rid,
        "model_name": "ltx-2-pro",
        "model_status": "PENDING",
        "credits_deduction": 0.72,
        "request_body": sent,  # as sent: no defaults filled in
        "generation_url": None,
        "latency_ms": None,
        "created_at": "2026-03-01T10:00:00.000Z",
        "updated_at": "2026-03-01T10:00:00.000Z",
        "error": None,
    }
    job = emu.engine.jobs[rid]
    clock.now = job.started_at
    assert http.get(url).json()["model_status"] == "PENDING"
    finish(emu, clock)
    done = http.get(url).json()
    assert done["model_status"] == "COMPLETED"
    assert done["generation_url"] == emu.url(f"/media/{rid}.mp4")
    assert done["latency_ms"] == round((job.completed_at - job.submitted_at) * 1000)
    ended = datetime.fromtimestamp(START + job.completed_at - job.submitted_at, UTC)
    assert done["updated_at"] == ended.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert http.get(done["generation_url"]).status_code == 200


def test_records_never_expire_though_v2_records_do(
    start: StartEmulator, http: httpx.Client
) -> None:
    emu, clock = driven(start, expire_after=5)
    job = submit(emu, http)
    finish(emu, clock)
    clock.advance(400 * DAY)
    assert http.get(job["status_url"]).status_code == 404
    record = http.get(emu.url(f"{HISTORY}/{job['request_id']}"))
    assert record.status_code == 200 and record.json()["model_status"] == "COMPLETED"
    # The window is by the record's own date, however long ago.
    assert ids(rows(emu, http, from_date="2026-02-20", to_date="2026-03-01")) == [job["request_id"]]


def test_failures_carry_their_error_and_their_charge(
    start: StartEmulator, http: httpx.Client
) -> None:
    emu, clock = driven(start)
    rid = submit(emu, http, prompt="an NSFW scene")["request_id"]
    finish(emu, clock)
    record = http.get(emu.url(f"{HISTORY}/{rid}")).json()
    assert record["model_status"] == "FAILED"
    assert "Content policy" in record["error"]
    assert record["generation_url"] is None and record["credits_deduction"] == 0.36
    assert record["latency_ms"] > 0


def test_only_the_caller_s_own_requests(start: StartEmulator) -> None:
    emu = start(api_key=None, speed=1, start_time=START)
    alice = httpx.Client(headers={"x-api-key": "key-of-alice-0001"})
    bob = httpx.Client(headers={"x-api-key": "key-of-bob-0002"})
    with alice, bob:
        mine = submit(emu, alice)["request_id"]
        theirs = submit(emu, bob)["request_id"]
        assert ids(rows(emu, alice, from_date="2026-03-01", to_date="2026-03-01")) == [mine]
        assert ids(rows(emu, bob, from_date="2026-03-01", to_date="2026-03-01")) == [theirs]
        other = alice.get(emu.url(f"{HISTORY}/{theirs}"))
        assert other.status_code == 404
        assert other.json() == {"error": f"Request {theirs} not found"}
        for path in (f"{HISTORY}/{mine}", HISTORY, GENERATIONS):
            assert httpx.get(emu.url(path)).status_code == 401
            # Nothing of the key is echoed, nor is it kept: history owners are digests.
            assert "key-of-alice" not in alice.get(emu.url(path)).text
        assert "key-of-alice-0001" not in repr(emu.engine.history("key-of-alice-0001"))


def test_a_configured_key_is_required(emu: Emulator, http: httpx.Client) -> None:
    wrong = httpx.get(emu.url(HISTORY), headers={"x-api-key": "bad"})
    assert wrong.status_code == 401 and "bad" not in wrong.text
    assert http.get(emu.url(HISTORY)).status_code == 200


def test_the_window_defaults_to_the_last_7_days_and_spans_at_most_31(
    start: StartEmulator, http: httpx.Client
) -> None:
    emu, clock = driven(start)
    old = submit(emu, http)["request_id"]  # 2026-03-01
    clock.advance(8 * DAY)
    recent = submit(emu, http)["request_id"]  # 2026-03-09
    assert ids(rows(emu, http)) == [recent]  # 2026-03-02 .. 2026-03-09
    assert ids(rows(emu, http, to_date="2026-03-05")) == [old]  # 2026-02-26 .. 2026-03-05
    both = rows(emu, http, from_date="2026-02-07", to_date="2026-03-09")  # 31 days
    assert ids(both) == [recent, old]
    for query, why in [
        ({"from_date": "2026-02-06", "to_date": "2026-03-09"}, "at most 31 days"),
        ({"from_date": "2026-01-01"}, "at most 31 days"),
        ({"from_date": "2026-03-09", "to_date": "2026-03-01"}, "must not be after"),
        ({"from_date": "2026-3-1"}, "YYYY-MM-DD"),
        ({"to_date": "yesterday"}, "YYYY-MM-DD"),
        ({"per_page": "0"}, "between 1 and 100"),
        ({"per_page": "101"}, "between 1 and 100"),
        ({"page": "0"}, "at least 1"),
        ({"page": "two"}, "at least 1"),
        ({"status": "QUEUED"}, "COMPLETED, FAILED, PENDING"),
        ({"sort_by": "created_at"}, "model_created"),
        ({"sort_order": "up"}, "asc or desc"),
    ]:
        response = http.get(emu.url(HISTORY), params=query)
        assert response.status_code == 400, query
        assert why in response.json()["error"], query


def test_filters_sorting_and_pages(start: StartEmulator, http: httpx.Client) -> None:
    emu, clock = driven(start)
    made: dict[str, str] = {}
    for name, model, body in [
        ("pro", "ltx-2-pro", {"prompt": "a fox"}),
        ("fast", "ltx-2-fast", {"prompt": "a hare", "duration": 6}),
        ("failed", "ltx-2-pro", {"prompt": "nsfw", "resolution": "4k"}),
    ]:
        made[name] = http.post(emu.url(f"/v2/{model}"), json=body).json()["request_id"]
        clock.advance(1)
    finish(emu, clock)
    running = submit(emu, http)["request_id"]
    day = {"from_date": "2026-03-01", "to_date": "2026-03-01"}
    newest_first = [running, made["failed"], made["fast"], made["pro"]]
    assert ids(rows(emu, http, **day)) == newest_first
    assert ids(rows(emu, http, **day, sort_order="asc")) == newest_first[::-1]
    assert ids(rows(emu, http, **day, model_name="fast")) == [made["fast"]]
    assert ids(rows(emu, http, **day, model_name="LTX-2-PRO")) == [
        running,
        made["failed"],
        made["pro"],
    ]
    assert ids(rows(emu, http, **day, status="COMPLETED")) == [made["fast"], made["pro"]]
    assert ids(rows(emu, http, **day, status="failed")) == [made["failed"]]
    assert ids(rows(emu, http, **day, status="PENDING")) == [running]
    by_cost = rows(emu, http, **day, sort_by="credits_deduction", sort_order="asc")
    assert [r["credits_deduction"] for r in by_cost] == [0.3, 0.36, 0.36, 1.44]  # fast: 6 s
    by_model = rows(emu, http, **day, sort_by="model_name", sort_order="asc")
    assert by_model[0]["request_id"] == made["fast"]
    page2 = http.get(emu.url(HISTORY), params={**day, "per_page": 3, "page": 2}).json()
    assert page2 == {
        "data": [rows(emu, http, **day)[3]],
        "page": 2,
        "per_page": 3,
        "total": 4,
    }
    assert rows(emu, http, **day, page=3, per_page=3) == []


def test_generations_are_the_requests_with_an_output(
    start: StartEmulator, http: httpx.Client
) -> None:
    emu, clock = driven(start)
    done = submit(emu, http, prompt="a fox", duration=8)["request_id"]
    submit(emu, http, prompt="an nsfw fox")
    finish(emu, clock)
    submit(emu, http, prompt="still running")
    (row,) = rows(emu, http, GENERATIONS, start_date="2026-03-01", end_date="2026-03-01")
    assert row["request_id"] == done and row["status"] == "COMPLETED"
    assert row["generation_url"] == emu.url(f"/media/{done}.mp4")
    assert row["prompt"] == "a fox" and row["parameters"] == {"prompt": "a fox", "duration": 8}
    assert row["credits_deduction"] == 0.48 and row["latency_ms"] > 0
    assert rows(emu, http, GENERATIONS, model_name="fast") == []
    bad = http.get(emu.url(GENERATIONS), params={"start_date": "2026-01-01"})
    assert bad.status_code == 400


@pytest.mark.parametrize("shape", ["data", "nested", "list"])
def test_each_envelope_and_its_timestamps(
    start: StartEmulator, http: httpx.Client, shape: str
) -> None:
    emu, clock = driven(start, history_envelope=shape)
    rid = submit(emu, http)["request_id"]
    clock.advance(0.25)
    listing = http.get(emu.url(HISTORY)).json()
    record = http.get(emu.url(f"{HISTORY}/{rid}")).json()
    if shape == "data":
        assert set(listing) == {"data", "page", "per_page", "total"}
        (row,) = listing["data"]
        assert record == row and row["created_at"] == "2026-03-01T10:00:00.000Z"
    elif shape == "nested":
        assert listing["data"]["meta"] == {
            "page": 1,
            "perPage": 20,
            "totalCount": 1,
            "hasMore": False,
        }
        (row,) = listing["data"]["items"]
        assert record == {"data": row} and row["createdAt"] == round(START * 1000)
        assert "updatedAt" in row
    else:
        (row,) = listing
        assert record == row and row["model_created"] == "2026-03-01 10:00:00"
        assert "model_updated" in row
    assert row["request_id"] == rid


def test_the_envelope_is_checked() -> None:
    with pytest.raises(ValueError, match="history_envelope must be one of data, nested, list"):
        EmulatorConfig(history_envelope="xml")  # type: ignore[arg-type]


def test_history_faults_and_fail_rate(start: StartEmulator, http: httpx.Client) -> None:
    emu = start()
    emu.engine.inject(route="history", status=503)
    assert http.get(emu.url(HISTORY)).status_code == 503
    assert http.get(emu.url(HISTORY)).status_code == 200
    emu.engine.inject(route="history", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(emu.url(f"{HISTORY}/x"))
    assert emu.engine.count("history") == 3
    assert emu.engine.log[-1].request_id == "x"
    flaky = start(fail_rate=1.0)
    assert http.get(flaky.url(GENERATIONS)).status_code in (500, 502, 503, 504)
    assert flaky.engine.log[-1].fault == "fail_rate"


def test_a_dropped_submit_still_leaves_its_record_to_find(
    start: StartEmulator, http: httpx.Client
) -> None:
    emu, clock = driven(start)
    emu.engine.inject(route="submit", drop=True)
    sent = {"prompt": "an answer lost on the way back", "duration": 8}
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(emu.url("/v2/ltx-2-pro"), json=sent)
    (rid,) = emu.engine.jobs
    finish(emu, clock)
    found = [
        r
        for r in rows(emu, http, model_name="ltx-2-pro", from_date="2026-03-01")
        if r["request_body"] == sent
    ]
    assert ids(found) == [rid] and found[0]["model_status"] == "COMPLETED"
    # A submit refused by a fault made no job, so it has no record either.
    emu.engine.inject(route="submit", status=502)
    assert http.post(emu.url("/v2/ltx-2-pro"), json=sent).status_code == 502
    assert len(rows(emu, http, from_date="2026-03-01")) == 1


def test_v1_sync_runs_are_in_the_history_too(emu: Emulator, http: httpx.Client) -> None:
    response = http.post(emu.url("/v1/ltx-2-fast"), json={"prompt": "a sync clip"})
    assert response.status_code == 200
    rid = response.headers["x-request-id"]
    record = http.get(emu.url(f"{HISTORY}/{rid}")).json()
    assert record["model_status"] == "COMPLETED" and record["model_name"] == "ltx-2-fast"
    assert http.get(record["generation_url"]).content == response.content
    # Its v2 record never existed.
    assert http.get(emu.url(f"/v2/requests/{rid}")).status_code == 404


def test_today_is_the_emulator_s_wall_clock(start: StartEmulator, http: httpx.Client) -> None:
    emu, clock = driven(start)
    clock.advance(13.9 * 3600)  # 23:54 UTC
    late = submit(emu, http)["request_id"]
    clock.advance(0.2 * 3600)  # past midnight: a new day
    assert ids(rows(emu, http, from_date="2026-03-01", to_date="2026-03-01")) == [late]
    assert rows(emu, http, from_date="2026-03-02", to_date="2026-03-02") == []
    assert ids(rows(emu, http)) == [late]  # the default window ends today, 2026-03-02
    assert datetime.fromtimestamp(emu.engine.wall_time(), UTC).date() == date(2026, 3, 2)
    assert emu.engine.wall_time() - START == pytest.approx(14.1 * 3600)
    assert emu.engine.wall_time(clock.now - 3600) == pytest.approx(START + 13.1 * 3600)


def test_a_record_exists_from_the_submit_on_in_real_time(emu: Emulator, http: httpx.Client) -> None:
    # Real time: a record exists from the moment of the submit, whatever its state.
    job = submit(emu, http)
    assert http.get(emu.url(f"{HISTORY}/{job['request_id']}")).status_code == 200
    wait_for(http, job["status_url"])
    record = http.get(emu.url(f"{HISTORY}/{job['request_id']}")).json()
    assert record["model_status"] == "COMPLETED"
    assert KEY not in str(record)


def test_a_request_lands_history_lag_late_and_a_record_can_be_edited(
    start: StartEmulator, http: httpx.Client
) -> None:
    emu, clock = driven(start, history_lag=25)
    sent = {"prompt": "a lighthouse at dusk"}
    rid = http.post(emu.url("/v2/ltx-2-pro"), json=sent).json()["request_id"]
    assert rows(emu, http) == [] and http.get(emu.url(f"{HISTORY}/{rid}")).status_code == 404
    clock.advance(25)
    assert ids(rows(emu, http)) == [rid]
    emu.engine.edit_history(rid, body={**sent, "seed": 42}, omit=("model_name", "created"))
    (row,) = rows(emu, http)
    assert row["request_body"] == {**sent, "seed": 42}
    assert "model_name" not in row and "created_at" not in row and "updated_at" in row
    assert emu.engine.jobs[rid].params["prompt"] == sent["prompt"]  # the job is unchanged
    with pytest.raises(ValueError, match="history_lag"):
        EmulatorConfig(history_lag=float("nan"))
