"""The routes over real loopback HTTP: every state, error code, fault and variant."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from emu_support import (
    KEY,
    FakeClock,
    StartEmulator,
    png_bytes,
    run_to_completion,
    submit,
    wait_for,
)

from ltx_notebook.emulator import Emulator


def test_submit_answers_queued_with_absolute_urls(emu: Emulator, http: httpx.Client) -> None:
    body = submit(emu, http)
    assert body["status"] == "QUEUED"
    rid = body["request_id"]
    assert body["status_url"] == body["poll_url"] == emu.url(f"/v2/requests/{rid}/status")
    assert body["response_url"] == emu.url(f"/v2/requests/{rid}")


def test_states_over_http_with_a_driven_clock(start: StartEmulator, http: httpx.Client) -> None:
    clock = FakeClock()
    emu = start(clock=clock, speed=1)
    body = submit(emu, http)
    job = emu.engine.jobs[body["request_id"]]
    status = http.get(body["status_url"])
    assert status.status_code == 200
    assert status.json()["status"] == "QUEUED"
    assert status.json()["request_id"] == job.request_id
    assert "metrics" in status.json()
    # While unfinished, the result route answers like the status route.
    assert http.get(body["response_url"]).json()["status"] == "QUEUED"
    clock.now = job.started_at
    assert http.get(body["status_url"]).json()["status"] == "PROCESSING"
    assert http.get(body["response_url"]).json()["status"] == "PROCESSING"
    assert emu.engine.wait_renders(30)
    clock.now = job.planned_end
    done = http.get(body["status_url"]).json()
    assert done["status"] == "COMPLETED"
    result = http.get(body["response_url"]).json()
    assert result["status"] == "COMPLETED"
    assert result["output"] == emu.url(f"/media/{job.request_id}.mp4")
    metrics = result["metrics"]
    assert set(metrics) == {
        "inference_time",
        "queue_time",
        "total_time",
        "cost",
        "remaining_credits",
    }
    assert metrics["total_time"] == pytest.approx(70, rel=0.15)
    assert metrics["cost"] == 0.36
    assert metrics["remaining_credits"] == pytest.approx(99.64)
    video = result["video"]
    assert video["url"] == result["output"]
    assert video["content_type"] == "video/mp4"
    assert video["file_name"] == f"{job.request_id}.mp4"
    media = http.get(result["output"])
    assert media.status_code == 200
    assert media.headers["content-type"] == "video/mp4"
    assert len(media.content) == video["file_size"]


def test_metrics_inference_sends_only_what_is_certain(
    start: StartEmulator, http: httpx.Client
) -> None:
    # The reference says only inference_time is certain: a client must cope with that alone.
    clock = FakeClock()
    emu = start(clock=clock, speed=1, metrics="inference")
    body = submit(emu, http)
    job = emu.engine.jobs[body["request_id"]]
    assert http.get(body["status_url"]).json()["metrics"] == {}
    clock.now = job.started_at + 5
    assert set(http.get(body["status_url"]).json()["metrics"]) == {"inference_time"}
    assert emu.engine.wait_renders(30)
    clock.now = job.planned_end
    result = http.get(body["response_url"]).json()
    assert result["status"] == "COMPLETED"
    assert set(result["metrics"]) == {"inference_time"}
    assert result["metrics"]["inference_time"] == pytest.approx(
        job.planned_end - job.started_at, abs=0.001
    )


def test_an_unknown_metrics_shape_is_refused() -> None:
    from ltx_notebook.emulator import EmulatorConfig

    with pytest.raises(ValueError, match="metrics must be one of full, inference"):
        EmulatorConfig(metrics="some")  # type: ignore[arg-type]


def test_states_over_http_in_real_time(emu: Emulator, http: httpx.Client) -> None:
    body = submit(emu, http)
    seen = []
    deadline = time.monotonic() + 30
    while not seen or seen[-1] != "COMPLETED":
        seen.append(http.get(body["status_url"]).json()["status"])
        assert time.monotonic() < deadline
        time.sleep(0.01)
    order = ["QUEUED", "PROCESSING", "COMPLETED"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert "PROCESSING" in seen


def test_failed_is_422_on_both_routes(emu: Emulator, http: httpx.Client) -> None:
    body = submit(emu, http, prompt="an NSFW scene")
    status = wait_for(http, body["status_url"])
    assert status.status_code == 422
    assert status.json()["status"] == "FAILED"
    assert status.json()["request_id"] == body["request_id"]
    assert "Content policy" in status.json()["error"]
    result = http.get(body["response_url"])
    assert result.status_code == 422
    assert result.json()["status"] == "FAILED" and "Content policy" in result.json()["error"]


def test_unknown_request_is_404(emu: Emulator, http: httpx.Client) -> None:
    for path in ("/v2/requests/nope/status", "/v2/requests/nope"):
        response = http.get(emu.url(path))
        assert response.status_code == 404
        assert response.json() == {"error": "Request nope not found"}


def test_expired_request_is_404_but_its_file_lives_on(
    start: StartEmulator, http: httpx.Client
) -> None:
    clock = FakeClock()
    emu = start(clock=clock, speed=200, expire_after=1.0)
    body = submit(emu, http)
    job = emu.engine.jobs[body["request_id"]]
    assert emu.engine.wait_renders(30)
    clock.now = job.planned_end
    output = http.get(body["response_url"]).json()["output"]
    clock.now = job.submitted_at + 1.0
    for url in (body["status_url"], body["response_url"]):
        response = http.get(url)
        assert response.status_code == 404
        assert response.json()["error"] == f"Request {body['request_id']} not found"
    assert http.get(output).status_code == 200


def test_output_ttl_removes_files(start: StartEmulator, http: httpx.Client) -> None:
    clock = FakeClock()
    emu = start(clock=clock, output_ttl=10.0)
    body = submit(emu, http)
    job = emu.engine.jobs[body["request_id"]]
    assert emu.engine.wait_renders(30)
    clock.now = job.planned_end
    output = http.get(body["response_url"]).json()["output"]
    assert http.get(output).status_code == 200
    clock.advance(10.0)  # the file was made no later than the job's end
    assert http.get(output).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v2/ltx-2-pro"),
        ("GET", "/v2/requests/x/status"),
        ("GET", "/v2/requests/x"),
        ("POST", "/v1/ltx-2-pro"),
        ("GET", "/v1/get-user-credits"),
        ("POST", "/upload-asset"),
    ],
)
def test_missing_or_wrong_key_is_401(emu: Emulator, method: str, path: str) -> None:
    missing = httpx.request(method, emu.url(path), json={"prompt": "x"})
    assert missing.status_code == 401
    assert "error" in missing.json()
    wrong = httpx.request(method, emu.url(path), json={"prompt": "x"}, headers={"x-api-key": "bad"})
    assert wrong.status_code == 401
    assert "bad" not in wrong.text
    assert emu.engine.jobs == {}


def test_any_key_without_a_configured_key(start: StartEmulator) -> None:
    emu = start(api_key=None)
    assert httpx.get(emu.url("/v1/get-user-credits"), headers={"x-api-key": "x"}).status_code == 200
    assert httpx.get(emu.url("/v1/get-user-credits"), headers={"x-api-key": ""}).status_code == 401


def test_unknown_model_is_404(emu: Emulator, http: httpx.Client) -> None:
    response = http.post(emu.url("/v2/ltx-3-ultra"), json={"prompt": "x"})
    assert response.status_code == 404
    assert response.json() == {"error": "Model ltx-3-ultra not found"}


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({}, ["prompt"]),
        ({"prompt": ""}, ["prompt"]),
        ({"prompt": "   "}, ["prompt"]),
        ({"prompt": 5}, ["prompt"]),
        ({"prompt": "x", "duration": 7}, ["duration", "6, 8, 10"]),
        ({"prompt": "x", "duration": "6"}, ["duration", "6, 8, 10"]),
        ({"prompt": "x", "duration": True}, ["duration"]),
        ({"prompt": "x", "resolution": "720p"}, ["resolution", "1080p, 2k, 4k"]),
        ({"prompt": "x", "resolution": 1080}, ["resolution", "1080p, 2k, 4k"]),
        ({"prompt": "x", "generate_audio": "yes"}, ["generate_audio", "true, false"]),
        ({"prompt": "x", "image": 42}, ["image"]),
        ({"prompt": "x", "image": "not a url"}, ["image"]),
        ({"prompt": "x", "image": "data:text/plain;base64,aGk="}, ["image"]),
        ({"prompt": "x", "seed": 1}, ["seed", "prompt, duration, resolution"]),
    ],
)
def test_bad_params_are_400_naming_the_param(
    emu: Emulator, http: httpx.Client, body: dict[str, object], names: list[str]
) -> None:
    response = http.post(emu.url("/v2/ltx-2-pro"), json=body)
    assert response.status_code == 400
    for name in names:
        assert name in response.json()["error"]
    assert emu.engine.jobs == {}
    assert emu.engine.credits == 100


def test_non_object_bodies_are_400(emu: Emulator, http: httpx.Client) -> None:
    assert http.post(emu.url("/v2/ltx-2-pro"), content=b"{oops").status_code == 400
    assert http.post(emu.url("/v2/ltx-2-pro"), json=["prompt"]).status_code == 400
    fast = http.post(emu.url("/v2/ltx-2-fast"), json={"prompt": "x", "duration": 7})
    assert fast.status_code == 400 and "duration" in fast.json()["error"]


def test_insufficient_credits_is_406(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(credits=0.5)
    submit(emu, http)
    response = http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "again"})
    assert response.status_code == 406
    assert response.json()["error"].startswith("Insufficient credits")
    assert len(emu.engine.jobs) == 1
    credits = http.get(emu.url("/v1/get-user-credits")).json()
    assert credits == {"credits": pytest.approx(0.14), "free-credits": 0.0}


def test_over_max_concurrent_is_429(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(speed=1, max_concurrent=1)
    submit(emu, http)
    response = http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "second"})
    assert response.status_code == 429
    assert "error" in response.json()
    assert "retry-after" not in response.headers
    assert len(emu.engine.jobs) == 1
    assert emu.engine.credits == pytest.approx(99.64)


def test_over_rate_limit_is_429_and_rolls(start: StartEmulator, http: httpx.Client) -> None:
    clock = FakeClock()
    emu = start(clock=clock, speed=100, rate_limit=2, rate_limit_reset_header=True)  # 0.6 s
    submit(emu, http)
    submit(emu, http)
    response = http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "third"})
    assert response.status_code == 429
    assert "Rate limit" in response.json()["error"]
    assert "retry-after" not in response.headers
    assert response.headers["x-rate-limit-reset-at-utc"].endswith("Z")
    assert len(emu.engine.jobs) == 2
    clock.advance(0.6)  # the window rolls past both
    submit(emu, http)


def test_retry_after_header_is_opt_in(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(speed=1, rate_limit=1, retry_after_header=True)
    submit(emu, http)
    response = http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "again"})
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 61


def test_fail_rate_gives_transient_5xx_and_no_job(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(fail_rate=1.0)
    codes = {
        http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "x"}).status_code for _ in range(30)
    }
    assert codes <= {500, 502, 503, 504} and len(codes) > 1
    assert emu.engine.jobs == {}
    assert emu.engine.credits == 100
    assert http.get(emu.url("/v1/get-user-credits")).status_code >= 500
    assert emu.engine.count("submit", status=502) + emu.engine.count("submit", status=500) > 0


def test_fail_rate_spares_some_requests(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(fail_rate=0.3)
    codes = [http.get(emu.url("/v1/get-user-credits")).status_code for _ in range(40)]
    assert 0 < codes.count(200) < 40


def test_injected_status_fault(emu: Emulator, http: httpx.Client) -> None:
    body = submit(emu, http)
    emu.engine.inject(route="status", status=502, times=2)
    assert http.get(body["status_url"]).status_code == 502
    bad = http.get(body["status_url"])
    assert bad.status_code == 502 and "error" in bad.json()
    assert http.get(body["status_url"]).status_code == 200
    assert emu.engine.count("status", status=502) == 2


def test_injected_submit_fault_creates_no_job(emu: Emulator, http: httpx.Client) -> None:
    emu.engine.inject(route="submit", status=503)
    assert http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "x"}).status_code == 503
    assert emu.engine.jobs == {}
    assert emu.engine.count("submit") == 1


@pytest.mark.parametrize("code", [500, 502, 503])
def test_a_handled_fault_makes_the_job_then_answers_an_error_page_naming_none(
    emu: Emulator, http: httpx.Client, code: int
) -> None:
    emu.engine.inject(route="submit", status=code, body="<html>Bad Gateway</html>", handled=True)
    answer = http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "made, then lost"})
    assert answer.status_code == code and "request_id" not in answer.text
    (rid,) = emu.engine.jobs  # made and charged all the same
    assert emu.engine.credits == pytest.approx(99.64)
    entry = emu.engine.log[-1]
    assert (entry.kind, entry.status, entry.fault, entry.request_id) == (
        "submit",
        code,
        "injected",
        rid,
    )
    with pytest.raises(ValueError, match="handled"):
        emu.engine.inject(route="submit", handled=True, drop=True)


def test_plain_text_error_body(emu: Emulator, http: httpx.Client) -> None:
    emu.engine.inject(route="credits", status=504, body="upstream request timeout")
    response = http.get(emu.url("/v1/get-user-credits"))
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "upstream request timeout"


def test_injected_fault_headers(emu: Emulator, http: httpx.Client) -> None:
    emu.engine.inject(route="submit", status=429, headers={"Retry-After": "3"})
    response = http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "x"})
    assert response.status_code == 429 and response.headers["retry-after"] == "3"


def test_drop_on_submit_creates_the_job_then_breaks(emu: Emulator, http: httpx.Client) -> None:
    emu.engine.inject(route="submit", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "a dropped answer"})
    assert len(emu.engine.jobs) == 1
    assert emu.engine.credits == pytest.approx(99.64)
    entry = emu.engine.log[-1]
    assert (entry.kind, entry.status, entry.fault) == ("submit", 200, "drop")
    assert entry.request_id in emu.engine.jobs
    # The server lives on.
    assert http.get(emu.url("/v1/get-user-credits")).status_code == 200


def test_drop_keeping_none_of_the_body_sends_no_request_id(
    emu: Emulator, http: httpx.Client
) -> None:
    emu.engine.inject(route="submit", drop=True, keep=0.0)
    with http.stream("POST", emu.url("/v2/ltx-2-pro"), json={"prompt": "no answer"}) as answer:
        assert answer.status_code == 200  # the status line came, then nothing of the body
        received = bytearray()
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in answer.iter_bytes():
                received += chunk
    assert received == b""
    assert len(emu.engine.jobs) == 1  # made and charged all the same
    with pytest.raises(ValueError, match="keep"):
        emu.engine.inject(route="submit", drop=True, keep=1.0)


def test_drop_on_media_and_delay(emu: Emulator, http: httpx.Client) -> None:
    output = run_to_completion(emu, http)["output"]
    emu.engine.inject(route="media", drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(output)
    emu.engine.inject(route="credits", delay=0.3)
    started = time.monotonic()
    assert http.get(emu.url("/v1/get-user-credits")).status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(httpx.ReadTimeout):
        emu.engine.inject(route="status", delay=1.0)
        http.get(emu.url("/v2/requests/x/status"), timeout=0.2)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [("string", str), ("list", list), ("object", dict)],
)
def test_output_shapes(
    start: StartEmulator, http: httpx.Client, shape: str, expected: type
) -> None:
    emu = start(output_shape=shape)
    result = run_to_completion(emu, http)
    output = result["output"]
    assert isinstance(output, expected)
    url = {"string": lambda o: o, "list": lambda o: o[0], "object": lambda o: o["url"]}[shape](
        output
    )
    assert url == result["video"]["url"]
    assert http.get(url).status_code == 200


def test_mixed_shape_and_no_video_object(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(output_shape="mixed", include_video=False)
    kinds = set()
    for _ in range(6):
        result = run_to_completion(emu, http)
        assert "video" not in result
        kinds.add(type(result["output"]).__name__)
        job = emu.engine.jobs[result["request_id"]]
        expected = {"string": "str", "list": "list", "object": "dict"}[job.output_shape]
        assert type(result["output"]).__name__ == expected
    assert len(kinds) >= 2


def test_submit_status_202(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(submit_status=202)
    response = http.post(emu.url("/v2/ltx-2-pro"), json={"prompt": "x"})
    assert response.status_code == 202
    assert response.json()["status"] == "QUEUED"


def test_v1_sync_returns_mp4_bytes(emu: Emulator, http: httpx.Client) -> None:
    response = http.post(emu.url("/v1/ltx-2-fast"), json={"prompt": "a sync clip", "duration": 6})
    assert response.status_code == 200
    assert response.headers["content-type"] == "video/mp4"
    assert response.content[4:8] == b"ftyp"
    assert float(response.headers["x-remaining-credits"]) == pytest.approx(
        100 - 0.30
    )  # 6 s 1080p ltx-2-fast: $0.30
    assert emu.engine.count("sync", status=200) == 1
    # A v1 run has no v2 record.
    rid = response.headers["x-request-id"]
    assert http.get(emu.url(f"/v2/requests/{rid}/status")).status_code == 404


def test_v1_sync_failure_and_errors(emu: Emulator, http: httpx.Client) -> None:
    failed = http.post(emu.url("/v1/ltx-2-pro"), json={"prompt": "nsfw"})
    assert failed.status_code == 422 and "Content policy" in failed.json()["error"]
    assert http.post(emu.url("/v1/ltx-2-pro"), json={"prompt": ""}).status_code == 400
    assert http.post(emu.url("/v1/nope"), json={"prompt": "x"}).status_code == 404


def test_credits_route(emu: Emulator, http: httpx.Client) -> None:
    assert http.get(emu.url("/v1/get-user-credits")).json() == {
        "credits": 100.0,
        "free-credits": 0.0,
    }
    submit(emu, http, resolution="2k")
    assert http.get(emu.url("/v1/get-user-credits")).json()["credits"] == pytest.approx(99.28)


def test_upload_then_use_the_image(emu: Emulator, http: httpx.Client) -> None:
    data = png_bytes()
    data_url = "data:image/png;base64," + base64.b64encode(data).decode()
    response = http.post(emu.url("/upload-asset"), json={"data_urls": [data_url]})
    assert response.status_code == 200
    body = response.json()
    assert "message" in body
    (url,) = body["file_urls"]
    assert url.startswith(emu.url("/assets/"))
    served = httpx.get(url)  # no key needed, as for a public bucket
    assert served.content == data and served.headers["content-type"] == "image/png"
    result = run_to_completion(emu, http, image=url)
    job = emu.engine.jobs[result["request_id"]]
    assert job.params["image"] == url
    # An asset URL on this server that does not exist is refused.
    missing = http.post(
        emu.url("/v2/ltx-2-pro"), json={"prompt": "x", "image": emu.url("/assets/nope.png")}
    )
    assert missing.status_code == 400 and "image" in missing.json()["error"]


def test_upload_key_variant_and_bad_uploads(start: StartEmulator, http: httpx.Client) -> None:
    emu = start(upload_key="urls")
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    assert "urls" in http.post(emu.url("/upload-asset"), json={"data_urls": [data_url]}).json()
    for bad in ({}, {"data_urls": []}, {"data_urls": ["http://x/y.png"]}):
        assert http.post(emu.url("/upload-asset"), json=bad).status_code == 400


def test_foreign_and_data_url_images_are_accepted(emu: Emulator, http: httpx.Client) -> None:
    submit(emu, http, image="https://example.com/first-frame.webp")
    data_url = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    submit(emu, http, image=data_url)


def test_range_requests(emu: Emulator, http: httpx.Client) -> None:
    output = run_to_completion(emu, http)["output"]
    full = http.get(output)
    assert full.headers["accept-ranges"] == "bytes"
    size = len(full.content)
    part = http.get(output, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.content == full.content[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    tail = http.get(output, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == full.content[-50:]
    assert http.get(output, headers={"Range": f"bytes={size + 10}-"}).status_code == 416
    head = http.head(output)
    assert head.status_code == 200 and int(head.headers["content-length"]) == size
    assert emu.engine.count("media", status=206) == 2


def test_request_log(emu: Emulator, http: httpx.Client) -> None:
    body = submit(emu, http)
    http.get(body["status_url"])
    http.get(body["response_url"])
    http.post(emu.url("/v2/nope"), json={"prompt": "x"})
    httpx.get(emu.url("/v1/get-user-credits"))
    assert emu.engine.count("submit") == 2
    assert emu.engine.count("submit", status=404) == 1
    assert emu.engine.count("submit", model="ltx-2-pro") == 1
    assert emu.engine.count("status") == 1
    assert emu.engine.count("result") == 1
    assert emu.engine.count("credits", status=401) == 1
    first = emu.engine.log[0]
    assert (first.method, first.kind, first.status, first.model) == (
        "POST",
        "submit",
        200,
        "ltx-2-pro",
    )
    assert first.request_id == body["request_id"]
    times = [e.time for e in emu.engine.log]
    assert times == sorted(times)
    assert KEY not in repr(emu.engine.log)


def test_unknown_routes_are_json_404(emu: Emulator, http: httpx.Client) -> None:
    response = http.get(emu.url("/v3/whatever"))
    assert response.status_code == 404 and response.json() == {"error": "Not found"}
    assert http.get(emu.url("/")).json()["base_url"] == emu.base_url


def test_server_lifecycle(start: StartEmulator) -> None:
    emu = start()
    assert emu.base_url == f"http://127.0.0.1:{emu.port}/v1"
    assert emu.running
    emu.stop()
    assert not emu.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(emu.url("/"), headers={"x-api-key": KEY})
    with pytest.raises(RuntimeError):
        emu.start()
