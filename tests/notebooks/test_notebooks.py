"""Every example notebook in notebooks/ runs top to bottom against the emulator.

Executed headless with nbclient in a real kernel, in a temporary copy of the
folder, so the examples cannot rot. Their saved outputs are checked for videos
that exist and for the API key, which must appear nowhere. The copies in the
repository are kept small: saved with no outputs, so no video, poster or
widget state rides along in git.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import API_KEY, make_emulator

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# What a reader gets: these four, at least (others may join).
EXPECTED = {"quickstart", "sweep", "review", "python-api"}
MAX_BYTES = 20_000


def test_the_examples_are_there() -> None:
    assert {p.stem for p in NOTEBOOKS} >= EXPECTED


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_example_notebook_is_saved_without_outputs(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    assert len(text.encode()) < MAX_BYTES, f"{source.name} is {len(text)} bytes"
    assert "base64" not in text and "data:video" not in text
    nb = json.loads(text)
    assert "widgets" not in nb["metadata"], "widget state saved in the notebook"
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{source.name} was saved with outputs: clear them "
                "(jupyter nbconvert --clear-output --inplace)"
            )


@pytest.mark.kernel
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_example_notebook_runs_and_keeps_its_videos(
    source: Path, render_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "nb"
    work.mkdir()
    shutil.copy(source, work / source.name)
    with make_emulator(render_cache, speed=50) as emu:
        # The kernel inherits this process's environment.
        monkeypatch.setenv("SEGMIND_BASE_URL", emu.base_url)
        monkeypatch.setenv("SEGMIND_API_KEY", API_KEY)
        monkeypatch.setenv("LTX_NOTEBOOK_MEDIA_DIR", "ltx_media")
        monkeypatch.delenv("LTX_NOTEBOOK_STORE", raising=False)
        nb = nbformat.read(work / source.name, as_version=4)
        NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(work)}},
        ).execute()
    nbformat.write(nb, work / source.name)
    saved = (work / source.name).read_text()
    assert API_KEY not in saved

    errors = [
        out
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, errors
    sources = re.findall(r'<video[^>]*?\ssrc=\\?"([^"\\]+)', saved)
    assert sources, "the notebook shows no video"
    for src in sources:
        if not src.startswith("data:"):
            assert (work / src).is_file(), src
