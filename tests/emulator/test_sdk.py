"""The official segmind SDK, unchanged, against the emulator: the same answers as the real one."""

from __future__ import annotations

import pytest
from emu_support import KEY, StartEmulator, png_bytes
from segmind import InferenceFailed, SegmindClient, SegmindError
from segmind.files import Files
from segmind.v2 import AsyncJob

from ltx_notebook.emulator import Emulator

PAYLOAD = {"prompt": "an eagle over Alexandria", "duration": 6, "resolution": "1080p"}


@pytest.fixture
def client(emu: Emulator) -> SegmindClient:
    return SegmindClient(api_key=KEY, base_url=emu.base_url)


def test_submit_async_and_wait(emu: Emulator, client: SegmindClient) -> None:
    job = client.submit_async("ltx-2-pro", generate_audio=True, **PAYLOAD)
    assert job.request_id in emu.engine.jobs
    result = job.wait(timeout=60, interval=0.05)
    assert result["status"] == "COMPLETED"
    assert result["output"].endswith(f"/media/{job.request_id}.mp4")
    assert result["metrics"]["cost"] == 0.36
    video = client._client.get(result["output"])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"


def test_run_sync_returns_mp4_bytes(client: SegmindClient) -> None:
    response = client.run_sync("ltx-2-fast", prompt="a quick clip", duration=6)
    assert response.headers["content-type"] == "video/mp4"
    assert response.content[4:8] == b"ftyp"
    assert "x-remaining-credits" in response.headers


def test_failed_job_raises_inference_failed(client: SegmindClient) -> None:
    job = client.submit_async("ltx-2-pro", prompt="nsfw content")
    with pytest.raises(InferenceFailed) as caught:
        job.wait(timeout=60, interval=0.05)
    assert caught.value.detail is not None and "Content policy" in caught.value.detail
    assert caught.value.status_body["status"] == "FAILED"
    # The result URL serves the FAILED body under 422; the SDK returns it as a payload.
    assert job.result()["status"] == "FAILED"


def test_wrong_key_is_a_401_segmind_error(emu: Emulator) -> None:
    client = SegmindClient(api_key="wrong", base_url=emu.base_url)
    with pytest.raises(SegmindError) as caught:
        client.submit_async("ltx-2-pro", **PAYLOAD)
    assert caught.value.status == 401
    assert caught.value.detail and "wrong" not in caught.value.detail


def test_unknown_request_id_is_404(emu: Emulator, client: SegmindClient) -> None:
    job = AsyncJob(
        request_id="does-not-exist",
        status_url=emu.url("/v2/requests/does-not-exist/status"),
        response_url=emu.url("/v2/requests/does-not-exist"),
        submit_response={},
        _client=client,
    )
    with pytest.raises(SegmindError) as caught:
        job.status()
    assert caught.value.status == 404
    assert caught.value.detail == "Request does-not-exist not found"


def test_bad_param_and_credits_errors(start: StartEmulator) -> None:
    emu = start(credits=0.1)
    client = SegmindClient(api_key=KEY, base_url=emu.base_url)
    with pytest.raises(SegmindError) as bad:
        client.submit_async("ltx-2-pro", prompt="x", duration=7)
    assert bad.value.status == 400 and "duration" in (bad.value.detail or "")
    with pytest.raises(SegmindError) as poor:
        client.submit_async("ltx-2-pro", prompt="x")
    assert poor.value.status == 406


def test_files_upload_then_image(
    emu: Emulator, client: SegmindClient, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK hard-codes Segmind's storage host; only that constant is pointed here.
    monkeypatch.setattr(Files, "STORAGE_BASE_URL", emu.root_url)
    image = tmp_path / "first.png"  # type: ignore[operator]
    image.write_bytes(png_bytes())
    (url,) = client.files.upload(str(image))["file_urls"]
    result = client.submit_async("ltx-2-pro", prompt="from an image", image=url).wait(
        timeout=60, interval=0.05
    )
    assert result["status"] == "COMPLETED"
