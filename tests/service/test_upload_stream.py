"""Uploading a local image streams it: a file at the 20 MB cap costs the client little memory.

The upload used to read the file, base64 it, build a ``data:`` string and let
httpx serialise the JSON: several copies of the file at once (a 200 MB image
took 1.27 GB). Now the body is written a chunk at a time with its length
known up front. The client runs in a second process so that its peak memory
(``tracemalloc``) is its own, against a real emulator in this one, which
stores what it received: the bytes must arrive intact.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ltx_notebook import InvalidParams
from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import MAX_IMAGE_BYTES
from ltx_notebook._service.client import Client
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY

UPLOADER = """
import asyncio, json, sys, tracemalloc
from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._service.client import Client

async def main(path, small, base_url, key):
    async with Client(Settings(api_key=Secret(key), base_url=base_url)) as client:
        await client.upload(small)  # the first request imports and sets up what it needs
        tracemalloc.start()
        url = await client.upload(path)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps({"url": url, "peak": peak}))

asyncio.run(main(*sys.argv[1:5]))
"""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_of(path: Path, size: int) -> Path:
    """A file that starts as a PNG does, *size* bytes long, not all one byte."""
    with path.open("wb") as out:
        out.write(PNG_SIGNATURE)
        pattern = bytes(range(251))  # a prime length, so chunks never line up with it
        left = size - len(PNG_SIGNATURE)
        while left > 0:
            out.write(pattern[: min(left, len(pattern))])
            left -= len(pattern)
    return path


def test_an_image_at_the_cap_is_streamed_with_little_memory_and_arrives_intact(
    emulator: Emulator, tmp_path: Path
) -> None:
    path = image_of(tmp_path / "frame.png", MAX_IMAGE_BYTES)
    small = image_of(tmp_path / "small.png", 1000)
    done = subprocess.run(
        [sys.executable, "-c", UPLOADER, str(path), str(small), emulator.base_url, API_KEY],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    reply = json.loads(done.stdout)
    # One copy of the file would be 20 MB; the old upload held about six.
    assert reply["peak"] < 4 * 2**20, f"peak {reply['peak'] / 2**20:.1f} MB"
    asset = emulator.engine.asset(reply["url"].rsplit("/", 1)[1])
    assert asset is not None and asset.content_type == "image/png"
    assert asset.path.read_bytes() == path.read_bytes()
    assert emulator.engine.count("upload") == 2


@pytest.mark.parametrize("change", ["grown", "text", "link"])
def test_an_image_that_changed_after_validation_is_not_uploaded(
    emulator: Emulator, tmp_path: Path, change: str
) -> None:
    path = image_of(tmp_path / "frame.png", 1000)
    if change == "grown":
        image_of(path, MAX_IMAGE_BYTES + 1)
    elif change == "text":
        path.write_text("root:x:0:0:root:/root:/bin/bash\n")
    else:
        path.unlink()
        path.symlink_to("/etc/passwd")

    async def upload() -> str:
        settings = Settings(api_key=Secret(API_KEY), base_url=emulator.base_url)
        async with Client(settings) as client:
            return await client.upload(path)

    with pytest.raises(InvalidParams, match=r"frame\.png"):
        asyncio.run(upload())
    assert emulator.engine.count() == 0
