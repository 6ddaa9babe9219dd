"""The pure judgements on request-history records (no service needed: plain values in, out)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ltx_notebook import JobStatus, validate
from ltx_notebook._jobs.recovery.matching import (
    GENERATION_TTL,
    doubt,
    history_fields,
    near_submit,
    pending_status,
    same_request,
)
from ltx_notebook._service.replies import HistoryRecord
from ltx_notebook._storage.records import JobRecord

WHEN = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
PARAMS = validate(prompt="a red fox in the snow", duration=8)


def row(**changes: Any) -> JobRecord:
    values: dict[str, Any] = {
        "id": 1,
        "request_id": None,
        **PARAMS.as_dict(),
        "params_json": json.dumps(PARAMS.payload()),
        "status": JobStatus.UNKNOWN,
        "submitted_at": WHEN,
    }
    values.update(changes)
    return JobRecord(**values)


def record(**changes: Any) -> HistoryRecord:
    values: dict[str, Any] = {
        "request_id": "r-1",
        "model": "ltx-2-pro",
        "status": "COMPLETED",
        "charge": 0.48,
        "request_body": PARAMS.payload(),
        "generation_url": "https://cdn.example/r-1.mp4",
        "latency_ms": 70_000.0,
        "created": WHEN + timedelta(seconds=1),
        "updated": WHEN + timedelta(seconds=71),
        "error": None,
        "raw": {},
    }
    values.update(changes)
    return HistoryRecord(**values)


def test_the_same_request_is_the_same_model_and_every_input_as_sent() -> None:
    assert same_request(row(), record())
    # Keys the service adds (defaults filled in) do not matter; one of ours differing does.
    assert same_request(row(), record(request_body={**PARAMS.payload(), "seed": 3}))
    assert same_request(row(), record(request_body={**PARAMS.payload(), "duration": 8.0}))
    assert same_request(row(), record(model="LTX-2-Pro"))
    assert not same_request(row(), record(model="ltx-2-fast"))
    assert not same_request(row(), record(request_body={**PARAMS.payload(), "duration": 6}))
    assert not same_request(row(), record(request_body={**PARAMS.payload(), "generate_audio": 1}))
    body = dict(PARAMS.payload())
    del body["resolution"]
    assert not same_request(row(), record(request_body=body))


def test_near_the_submit_is_within_fifteen_minutes_either_way() -> None:
    assert near_submit(row(), record(created=WHEN - timedelta(minutes=14)))
    assert not near_submit(row(), record(created=WHEN + timedelta(minutes=16)))
    assert near_submit(row(), record(created=None))  # no time given: inputs decide


def test_what_a_history_record_writes() -> None:
    done = history_fields(row(), record())
    assert done is not None and done["status"] is JobStatus.COMPLETED
    assert done["output_url"] == "https://cdn.example/r-1.mp4" and done["cost"] == 0.48
    assert done["completed_at"] == WHEN + timedelta(seconds=71)  # the service's end, not now
    assert done["url_expires_at"] == WHEN + timedelta(seconds=1) + GENERATION_TTL
    failed = history_fields(row(), record(status="FAILED", error="blocked", generation_url=None))
    assert failed is not None and failed["status"] is JobStatus.FAILED
    assert failed["error"] == "blocked"
    assert history_fields(row(), record(status="PENDING", updated=None)) is None
    odd = history_fields(row(), record(status="CANCELLED"))
    assert odd is not None and odd["status"] is JobStatus.EXPIRED and "CANCELLED" in odd["error"]
    no_url = history_fields(row(), record(generation_url=None))
    assert no_url is not None and no_url["status"] is JobStatus.EXPIRED
    absurd = history_fields(row(), record(charge=1e308, updated=None))
    assert absurd is not None and "cost" not in absurd  # no plausible charge: none written
    assert absurd["completed_at"] == WHEN + timedelta(seconds=70)  # from latency_ms


def test_a_pending_record_keeps_what_the_row_knew() -> None:
    assert pending_status(row(), record(status="PENDING")) is JobStatus.QUEUED
    assert pending_status(row(), record(status="PROCESSING")) is JobStatus.PROCESSING
    processing = row(status=JobStatus.PROCESSING)
    assert pending_status(processing, record(status="PENDING")) is JobStatus.PROCESSING


def test_a_lone_match_is_sure_only_with_nothing_missing_nor_extra_and_made_in_the_submit() -> None:
    assert doubt(row(), record()) is None
    assert doubt(row(), record(created=WHEN + timedelta(seconds=140))) is None
    assert "no model" in (doubt(row(), record(model=None)) or "")
    assert "no time" in (doubt(row(), record(created=None)) or "")
    assert "no time" in (doubt(row(submitted_at=None), record()) or "")
    extra = {**PARAMS.payload(), "seed": 42, "fps": 24}
    assert "fps, seed" in (doubt(row(), record(request_body=extra)) or "")
    assert "made 600 s before" in (doubt(row(), record(created=WHEN - timedelta(minutes=10))) or "")
    assert "after" in (doubt(row(), record(created=WHEN + timedelta(minutes=3))) or "")
