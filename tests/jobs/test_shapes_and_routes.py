"""The client against the emulator's other answers: every output shape, v1 sync, credits, upload."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import av
import pytest
from PIL import Image

from ltx_notebook import JobStatus, Session, validate
from ltx_notebook._service.client import Client
from ltx_notebook._storage.media import probe
from ltx_notebook._storage.parts import save_stream
from tests.conftest import make_emulator

PROMPT = "a slow pan across a misty pine forest"


@pytest.mark.parametrize(
    "shape",
    [
        {"output_shape": "list"},
        {"output_shape": "object"},
        {"output_shape": "mixed"},
        {"output_shape": "string", "include_video": False},
        {"submit_status": 202},
    ],
    ids=["output-list", "output-object", "output-mixed", "no-video-object", "submit-202"],
)
def test_every_response_shape_ends_in_a_local_video(
    render_cache: Path, settings, shape: dict
) -> None:
    with make_emulator(render_cache, **shape) as emu:
        session = Session(replace(settings, base_url=emu.base_url))
        try:
            jobs = [session.submit(validate(prompt=f"{PROMPT} {i}")) for i in range(2)]
            for job in jobs:
                assert job.wait(60).status is JobStatus.COMPLETED
                assert job.video_path is not None and job.video_path.is_file()
                assert job.output_url and job.output_url.startswith("http")
        finally:
            session.runtime.stop()


def test_v1_sync_streams_the_mp4_and_reports_credits(emulator, settings, tmp_path: Path) -> None:
    async def main() -> tuple[float | None, float | None]:
        async with Client(settings) as client:
            before = (await client.credits()).credits
            params = validate(prompt=PROMPT, generate_audio=False)
            async with client.run_sync(params) as run:
                await save_stream(
                    run.chunks, tmp_path / "sync.mp4", expected_size=run.expected_size
                )
            return before, run.remaining_credits

    before, remaining = asyncio.run(main())
    info = probe(tmp_path / "sync.mp4")
    assert info.seconds == pytest.approx(6, abs=0.1) and not info.has_audio
    assert before is not None and remaining == pytest.approx(before - 0.36)
    assert emulator.engine.count("sync") == 1


def test_a_local_image_is_uploaded_and_starts_the_clip(
    session: Session, emulator, tmp_path: Path
) -> None:
    frame = tmp_path / "first-frame.png"
    Image.new("RGB", (320, 180), (250, 20, 20)).save(frame)
    job = session.submit(validate(prompt=PROMPT, image=frame)).wait(60)
    assert job.status is JobStatus.COMPLETED
    assert emulator.engine.count("upload") == 1
    sent = emulator.engine.jobs[job.request_id].params["image"]
    assert sent.startswith("http") and "/assets/" in sent  # the uploaded URL, not the path
    with av.open(str(job.video_path)) as container:
        first = next(container.decode(video=0)).to_ndarray(format="rgb24")
    red, green, blue = (first[..., c].mean() for c in range(3))
    assert red > 150 and green < 100 and blue < 100  # the clip starts from the image
