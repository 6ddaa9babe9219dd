"""Every accepted answer shape, over real loopback HTTP against the scripted server."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._core.config import Settings
from ltx_notebook._core.errors import ApiError, AuthenticationError, SubmitUnknown
from ltx_notebook._core.params import validate
from ltx_notebook._service.client import Client
from ltx_notebook._service.replies import OutputVideo, Submission
from tests.service.scripted_server import KEY, Reply, ScriptedServer

pytestmark = pytest.mark.anyio

RID = "req-abc123"


def accepted(server: ScriptedServer, status: int = 200) -> dict[str, str]:
    base = f"{server.url}/v2/requests/{RID}"
    return {
        "request_id": RID,
        "status": "QUEUED",
        "poll_url": f"{base}/status",
        "status_url": f"{base}/status",
        "response_url": base,
    }


@pytest.mark.parametrize("code", [200, 202])
async def test_submit_accepts_any_2xx_and_sends_the_payload_with_the_key(
    client: Client, server: ScriptedServer, code: int
) -> None:
    server.on("POST", "/v2/ltx-2-pro", Reply(status=code, json=accepted(server)))
    params = validate(prompt="an eagle over Alexandria", duration=8, resolution="2k")
    sub = await client.submit(params)
    assert sub == Submission(
        RID, f"{server.url}/v2/requests/{RID}/status", f"{server.url}/v2/requests/{RID}", {}
    )
    assert sub.raw["status"] == "QUEUED"
    (request,) = server.requests
    assert request.headers["x-api-key"] == KEY
    assert request.json() == {
        "prompt": "an eagle over Alexandria",
        "duration": 8,
        "resolution": "2k",
        "generate_audio": True,
    }


async def test_submit_derives_missing_urls_from_the_request_id(
    client: Client, server: ScriptedServer
) -> None:
    server.on("POST", "/v2/ltx-2-fast", Reply(json={"request_id": RID, "status": "QUEUED"}))
    sub = await client.submit(validate("ltx-2-fast", prompt="x"))
    assert sub.status_url == f"{server.url}/v2/requests/{RID}/status"
    assert sub.response_url == f"{server.url}/v2/requests/{RID}"


async def test_submit_relative_urls_are_made_absolute(
    client: Client, server: ScriptedServer
) -> None:
    body = {"request_id": RID, "status_url": f"/v2/requests/{RID}/status"}
    server.on("POST", "/v2/ltx-2-pro", Reply(json=body))
    sub = await client.submit(validate(prompt="x"))
    assert sub.status_url == f"{server.url}/v2/requests/{RID}/status"


async def test_a_2xx_submit_without_a_request_id_is_unknown_not_ok(
    client: Client, server: ScriptedServer
) -> None:
    server.on("POST", "/v2/ltx-2-pro", Reply(json={"status": "QUEUED"}))
    with pytest.raises(SubmitUnknown, match="may be billed"):
        await client.submit(validate(prompt="x"))
    assert server.count("POST", "/v2/ltx-2-pro") == 1


async def test_a_local_image_is_uploaded_then_its_url_submitted(
    client: Client, server: ScriptedServer, tmp_path: Path
) -> None:
    image = tmp_path / "frame.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    server.on("POST", "/upload-asset", Reply(json={"file_urls": ["https://cdn.example/f.png"]}))
    server.on("POST", "/v2/ltx-2-pro", Reply(json=accepted(server)))
    await client.submit(validate(prompt="x", image=str(image)))
    upload, submit = server.requests
    assert upload.headers["x-api-key"] == KEY  # the upload service is Segmind's own
    assert upload.json() == {"data_urls": ["data:image/png;base64,iVBORw0KGgpmYWtl"]}
    assert submit.json()["image"] == "https://cdn.example/f.png"


async def test_an_image_url_given_skips_the_upload(
    client: Client, server: ScriptedServer, tmp_path: Path
) -> None:
    image = tmp_path / "frame.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0jpeg")  # validate() reads the first bytes
    server.on("POST", "/v2/ltx-2-pro", Reply(json=accepted(server)))
    await client.submit(validate(prompt="x", image=str(image)), image_url="https://h/i.jpg")
    assert [r.path for r in server.requests] == ["/v2/ltx-2-pro"]
    assert server.requests[0].json()["image"] == "https://h/i.jpg"


@pytest.mark.parametrize(
    "reply",
    [{"file_urls": ["https://u/1.png"]}, {"urls": ["https://u/1.png"]}, {"url": "https://u/1.png"}],
)
async def test_upload_accepts_both_reply_keys(
    client: Client, server: ScriptedServer, tmp_path: Path, reply: dict[str, object]
) -> None:
    image = tmp_path / "a.webp"
    image.write_bytes(b"RIFF\0\0\0\0WEBPVP8 ")  # the upload checks the first bytes
    server.on("POST", "/upload-asset", Reply(json=reply))
    assert await client.upload(image) == "https://u/1.png"


async def test_upload_without_a_url_in_the_answer_is_an_error(
    client: Client, server: ScriptedServer, tmp_path: Path
) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nx")  # a PNG's first bytes: the file is checked
    server.on("POST", "/upload-asset", Reply(json={"message": "ok"}))
    with pytest.raises(ApiError, match="without a file URL"):
        await client.upload(image)


@pytest.mark.parametrize("ref", ["id", "submission"])
async def test_status_from_an_id_or_a_submission(
    client: Client, server: ScriptedServer, ref: str
) -> None:
    body = {"status": "processing", "request_id": RID, "metrics": {"queue_time": 1.5}}
    server.on("GET", f"/v2/requests/{RID}/status", Reply(json=body))
    job = RID if ref == "id" else Submission(RID, *_urls(server), raw={})
    reply = await client.status(job)
    assert (reply.status, reply.request_id, reply.error) == ("PROCESSING", RID, None)
    assert reply.metrics == {"queue_time": 1.5}
    assert not reply.is_terminal
    assert server.requests[0].headers["x-api-key"] == KEY


def _urls(server: ScriptedServer) -> tuple[str, str]:
    base = f"{server.url}/v2/requests/{RID}"
    return f"{base}/status", base


async def test_a_status_url_off_the_api_origin_is_not_trusted_with_the_key(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", f"/v2/requests/{RID}/status", Reply(json={"status": "QUEUED"}))
    foreign = Submission(RID, "https://elsewhere.example/s", "https://elsewhere.example/r", {})
    assert (await client.status(foreign)).status == "QUEUED"  # rebuilt from the id
    assert server.requests[0].path == f"/v2/requests/{RID}/status"


@pytest.mark.parametrize("which", ["status", "result"])
async def test_failed_under_422_is_a_normal_reply(
    client: Client, server: ScriptedServer, which: str
) -> None:
    path = f"/v2/requests/{RID}" + ("/status" if which == "status" else "")
    body = {"status": "FAILED", "error": "Content blocked by safety filter", "request_id": RID}
    server.on("GET", path, Reply(status=422, json=body))
    reply = await getattr(client, which)(RID)
    assert reply.status == "FAILED"
    assert reply.error == "Content blocked by safety filter"
    assert len(server.requests) == 1


@pytest.mark.parametrize("which", ["status", "result"])
async def test_422_without_a_failed_body_is_an_api_error(
    client: Client, server: ScriptedServer, which: str
) -> None:
    path = f"/v2/requests/{RID}" + ("/status" if which == "status" else "")
    server.on("GET", path, Reply(status=422, json={"error": "Unprocessable"}))
    with pytest.raises(ApiError) as info:
        await getattr(client, which)(RID)
    assert info.value.status_code == 422
    assert info.value.detail == "Unprocessable"
    assert info.value.request_id == RID


VIDEO = {
    "url": "https://cdn.example/v.mp4",
    "content_type": "video/mp4",
    "file_name": "v.mp4",
    "file_size": 1234,
}


@pytest.mark.parametrize(
    ("body", "url", "video"),
    [
        ({"output": "https://cdn.example/v.mp4"}, "https://cdn.example/v.mp4", None),
        ({"output": ["https://cdn.example/a.mp4", "https://cdn.example/b.mp4"]},
         "https://cdn.example/a.mp4", None),
        ({"output": {"url": "https://cdn.example/v.mp4"}}, "https://cdn.example/v.mp4",
         OutputVideo("https://cdn.example/v.mp4")),
        ({"output": "https://cdn.example/v.mp4", "video": VIDEO}, "https://cdn.example/v.mp4",
         OutputVideo(**VIDEO)),
        ({"video": VIDEO}, "https://cdn.example/v.mp4", OutputVideo(**VIDEO)),
        ({"output": [{"url": "https://cdn.example/v.mp4"}]}, "https://cdn.example/v.mp4", None),
        ({"output": VIDEO | {"file_size": "1234"}}, "https://cdn.example/v.mp4",
         OutputVideo(**VIDEO)),
    ],
)  # fmt: skip
async def test_every_output_shape(
    client: Client,
    server: ScriptedServer,
    body: dict[str, object],
    url: str,
    video: OutputVideo | None,
) -> None:
    full = {"status": "COMPLETED", "metrics": {"inference_time": 70.2, "cost": 0.63}} | body
    server.on("GET", f"/v2/requests/{RID}", Reply(json=full))
    reply = await client.result(RID)
    assert (reply.status, reply.output_url, reply.video) == ("COMPLETED", url, video)
    assert reply.cost == 0.63
    assert reply.metrics["inference_time"] == 70.2


async def test_result_without_status_but_with_output_is_completed(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", f"/v2/requests/{RID}", Reply(json={"output": "https://c/v.mp4"}))
    reply = await client.result(RID)
    assert (reply.status, reply.cost) == ("COMPLETED", None)


async def test_non_json_answer_to_a_read_is_an_api_error(
    client: Client, server: ScriptedServer
) -> None:
    server.on("GET", f"/v2/requests/{RID}/status", Reply(text="<html>oops</html>"))
    with pytest.raises(ApiError, match="not a JSON object"):
        await client.status(RID)


@pytest.mark.parametrize("key", ["free-credits", "free_credits"])
async def test_credits(client: Client, server: ScriptedServer, key: str) -> None:
    server.on("GET", "/v1/get-user-credits", Reply(json={"credits": 12.5, key: 0.0185}))
    credits = await client.credits()
    assert (credits.credits, credits.free_credits) == (12.5, 0.0185)
    assert server.requests[0].headers["x-api-key"] == KEY


async def test_no_key_raises_before_any_request(server: ScriptedServer, tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\nx")  # a PNG's first bytes: the file is checked
    async with Client(Settings(api_key=None, base_url=f"{server.url}/v1")) as client:
        calls = [
            client.submit(validate(prompt="x")),
            client.submit(validate(prompt="x", image=str(image))),
            client.status(RID),
            client.result(RID),
            client.credits(),
            client.upload(image),
        ]
        for call in calls:
            with pytest.raises(AuthenticationError, match="SEGMIND_API_KEY") as info:
                await call
            assert "configure(api_key=...)" in str(info.value)
        with pytest.raises(AuthenticationError):
            async with client.run_sync(validate(prompt="x")):
                pass
        with pytest.raises(AuthenticationError):
            async with client.stream(f"{server.url}/media/v.mp4"):
                pass
    assert server.requests == []
