"""What a finished job's length is known to be: the one rule Store.durations and the bench share."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ltx_notebook._storage.derive import CLOCK_SLACK_S, known_length


@pytest.mark.parametrize(
    ("seen_running", "seen_done", "metrics", "known"),
    [
        # No poll saw it running and the service said nothing: it ended by when it was seen.
        (None, 75.0, None, (0.0, 75.0)),
        # A poll saw it running at 60 s: it ended after that.
        (60.0, 74.0, None, (60.0, 74.0)),
        # inference_time (the one field the service promises) raises the floor...
        (60.0, 74.0, {"inference_time": 66.0}, (66.0, 74.0)),
        # ...but not past where a poll saw it running.
        (60.0, 74.0, {"inference_time": 50.0}, (60.0, 74.0)),
        # A total inside the interval closes it, as does queue + inference.
        (60.0, 74.0, {"total_time": 70.5, "inference_time": 66.0}, (70.5, 70.5)),
        (60.0, 74.0, {"queue_time": 1.5, "inference_time": 70.0}, (71.5, 71.5)),
        # The clocks differ by a round trip: a total just outside is still taken.
        (60.0, 74.0, {"total_time": 60.0 - CLOCK_SLACK_S}, (59.5, 59.5)),
        (60.0, 74.0, {"total_time": 74.0 + CLOCK_SLACK_S}, (74.5, 74.5)),
        # A total the polls contradict is not taken: the interval is what is known.
        (72.0, 74.0, {"total_time": 70.5}, (72.0, 74.0)),
        (60.0, 74.0, {"total_time": 80.0}, (60.0, 74.0)),
        # Never seen done (no total_s): only the service's total says anything.
        (None, None, {"total_time": 70.5}, (70.5, 70.5)),
        (60.0, None, {"inference_time": 66.0}, None),
        (None, None, None, None),
        # The service ran it longer than the polls allow: nothing to learn from.
        (60.0, 74.0, {"inference_time": 80.0}, None),
        # Unreadable or nonsensical metrics count as none.
        (60.0, 74.0, "not json", (60.0, 74.0)),
        (60.0, 74.0, {"total_time": -1, "inference_time": float("nan")}, (60.0, 74.0)),
        (60.0, 74.0, {"total_time": True}, (60.0, 74.0)),
    ],
)
def test_known_length(
    seen_running: float | None,
    seen_done: float | None,
    metrics: dict[str, Any] | str | None,
    known: tuple[float, float] | None,
) -> None:
    assert known_length(seen_running, seen_done, metrics) == known


def test_known_length_reads_the_stored_json_as_the_parsed_blob() -> None:
    # The store passes the row's metrics_json, the bench the metrics it was answered with.
    metrics = {"queue_time": 1.5, "inference_time": 66.0}
    assert known_length(60.0, 74.0, json.dumps(metrics)) == known_length(60.0, 74.0, metrics)
    assert known_length(60.0, 74.0, json.dumps(metrics)) == (67.5, 67.5)
