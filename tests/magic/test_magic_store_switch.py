"""``%config LtxMagics.media_dir`` mid-session, in a real kernel: the new store's jobs are new.

Both stores number their jobs from 1, so the second store's first job has the
first store's first job's id; the cell must follow and show the new one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, assert_no_key

pytestmark = pytest.mark.kernel


def video_srcs(html: list[str]) -> list[str]:
    return [m.group(1) for h in html for m in re.finditer(r'<video[^>]*\ssrc="([^"]+)"', h)]


def test_switching_media_dir_gives_the_new_job_its_own_handle_and_video(
    kernel: Kernel, module_emulator: Emulator, root: Path
) -> None:
    kernel.ok("%config LtxMagics.media_dir = 'store-a'")
    first = kernel.run("%%ltx -o first --embed never\na red fox in the snow")
    assert first.status == "ok", first.text()[-2000:]
    kernel.ok("%config LtxMagics.media_dir = 'store-b'")
    submits = module_emulator.engine.count("submit")
    second = kernel.run("%%ltx -o second --embed never\na heron in a misty river")
    assert second.status == "ok", second.text()[-2000:]
    assert module_emulator.engine.count("submit") == submits + 1

    out = kernel.ok(
        "print(first.id, second.id, second is first, second.request_id == first.request_id,"
        " second.status.value, second.video_path)"
    ).stdout.split()
    assert out[:5] == ["1", "1", "False", "False", "COMPLETED"]
    assert Path(out[5]).is_file() and "store-b" in out[5]
    (src,) = video_srcs(second.html())
    assert src.startswith("store-b/") and (root / src).is_file()

    rid = kernel.ok("print(second.request_id)").stdout.strip()
    assert rid in kernel.ok("%ltx status 1").stdout
    assert module_emulator.engine.jobs[rid].params["prompt"] == "a heron in a misty river"
    assert_no_key(kernel)
