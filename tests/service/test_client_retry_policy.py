"""The retry policy on its own: backoff, delay hints, and what may be resent."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from ltx_notebook._service.retry import (
    Kind,
    RetryPolicy,
    delay_hint,
    parse_reset_at,
    parse_retry_after,
    retryable_exception,
    retryable_status,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC).timestamp()


def test_backoff_is_full_jitter_under_an_exponential_capped_ceiling() -> None:
    policy = RetryPolicy(base=0.5, cap=4.0, random=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert RetryPolicy(base=0.5, random=lambda: 0.0).backoff(3) == 0.0


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base=-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Tue, 01 Jan 2030 00:00:30 GMT", 30.0),
        ("Mon, 31 Dec 2029 23:59:00 GMT", 0.0),  # in the past: go now
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-01-01T00:00:10Z", 10.0),
        ("2030-01-01T00:00:10+00:00", 10.0),
        ("2030-01-01T01:00:10+01:00", 10.0),
        ("2030-01-01T00:00:10.500", 10.5),  # naive: UTC, as the header's name says
        (str(NOW + 12), 12.0),
        (str(int((NOW + 12) * 1000)), 12.0),  # epoch milliseconds
        ("2029-12-31T00:00:00Z", 0.0),
        ("tomorrow", None),
    ],
)
def test_reset_at(value: str, expected: float | None) -> None:
    result = parse_reset_at(value, now=NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_retry_after_wins_over_reset_at_and_hints_are_bounded() -> None:
    headers = httpx.Headers({"retry-after": "3", "x-rate-limit-reset-at-utc": str(NOW + 50)})
    assert delay_hint(headers, now=NOW) == 3.0
    policy = RetryPolicy(max_wait=20.0, clock=lambda: NOW, random=lambda: 1.0)
    assert policy.delay(1, {"x-rate-limit-reset-at-utc": str(NOW + 50)}) == 20.0
    assert policy.hint({"x-rate-limit-reset-at-utc": str(NOW + 50)}) == 50.0
    assert policy.delay(2, {}) == 2.0  # no hint: backoff


def test_reads_retry_every_transient_failure() -> None:
    for code in (429, 500, 502, 503, 504):
        assert retryable_status(Kind.READ, code)
    for code in (400, 401, 403, 404, 406, 422, 501):
        assert not retryable_status(Kind.READ, code)
    request = httpx.Request("GET", "http://x")
    for exc in (
        httpx.ConnectError("x", request=request),
        httpx.ConnectTimeout("x", request=request),
        httpx.ReadTimeout("x", request=request),
        httpx.ReadError("x", request=request),
        httpx.RemoteProtocolError("x", request=request),
        httpx.WriteError("x", request=request),
    ):
        assert retryable_exception(Kind.READ, exc), exc
    assert not retryable_exception(Kind.READ, httpx.UnsupportedProtocol("x", request=request))


def test_submits_are_resent_only_when_they_surely_did_not_start_a_job() -> None:
    request = httpx.Request("POST", "http://x")
    for kind in (Kind.SUBMIT, Kind.SYNC):
        assert retryable_exception(kind, httpx.ConnectError("x", request=request))
        assert retryable_exception(kind, httpx.ConnectTimeout("x", request=request))
        assert retryable_exception(kind, httpx.PoolTimeout("x", request=request))
        for exc in (
            httpx.ReadTimeout("x", request=request),
            httpx.ReadError("x", request=request),
            httpx.WriteError("x", request=request),
            httpx.RemoteProtocolError("x", request=request),
        ):
            assert not retryable_exception(kind, exc), exc
        assert retryable_status(kind, 429)
        assert not retryable_status(kind, 500)
        assert not retryable_status(kind, 504)
    # A gateway can fail after the service made the job: no 5xx is a refusal (issue 18).
    for kind in (Kind.SUBMIT, Kind.SYNC):
        for code in (500, 502, 503, 504):
            assert not retryable_status(kind, code)
    assert not retryable_status(Kind.SUBMIT, 429, names_a_job=True)


@pytest.mark.anyio
async def test_wait_sleeps_the_delay_through_the_injected_sleep() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    policy = RetryPolicy(sleep=sleep, random=lambda: 0.25, base=2.0)
    assert await policy.wait(2) == 1.0
    assert await policy.wait(1, {"retry-after": "9"}) == 9.0
    assert slept == [1.0, 9.0]
