"""Headless execution (nbclient, as nbconvert and papermill use it): the magic waits.

The executed notebook is saved and read back: what a person opens next week
must hold plain HTML whose video and poster files exist next to it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from ltx_notebook._storage.store import Store
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY, poster_ok
from tests.harness.kernel import kernel_env

pytestmark = pytest.mark.kernel

WIDGET = "application/vnd.jupyter.widget-view+json"


def test_an_executed_notebook_holds_plain_html_videos_whose_files_exist(
    module_emulator: Emulator, tmp_path: Path
) -> None:
    nb_dir = tmp_path / "project"
    nb_dir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P3"}
    nb.cells = [
        nbformat.v4.new_code_cell("%load_ext ltx_notebook"),
        nbformat.v4.new_code_cell("%%ltx -d 6 --tag headless\na lighthouse on a cliff at dusk"),
        nbformat.v4.new_code_cell("%ltx config"),
    ]
    env = kernel_env(module_emulator, nb_dir)
    env["LTX_NOTEBOOK_MEDIA_DIR"] = "ltx_media"  # relative: next to the notebook
    full_env = {**os.environ, **{k: v for k, v in env.items() if v is not None}}
    for name in [k for k, v in env.items() if v is None]:
        full_env.pop(name, None)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(nb_dir)}},
    )
    client.execute(env=full_env)
    path = nb_dir / "generated.ipynb"
    nbformat.write(nb, path)

    saved = nbformat.read(path, as_version=4)
    outputs = saved.cells[1].outputs
    assert len(outputs) == 1, outputs  # the progress display, replaced in place
    (out,) = outputs
    assert out.output_type == "display_data"
    assert WIDGET not in out.data  # plain HTML: survives saving, renders in nbviewer
    html = out.data["text/html"]
    src = re.search(r'<video[^>]*\ssrc="([^"]+)"', html)
    poster = re.search(r'<video[^>]*\sposter="([^"]+)"', html)
    assert src and poster, html[:400]
    assert not src.group(1).startswith(("data:", "/", "http"))  # relative to the notebook
    video = (nb_dir / src.group(1)).resolve()
    assert video.is_file() and video.stat().st_size > 0
    assert poster_ok(poster.group(1), nb_dir)
    assert "COMPLETED" in out.data["text/plain"]

    # The store row knows the same file, and the probe of it.
    (record,) = Store(nb_dir / "ltx_media" / "ltx-jobs.sqlite").find(tag="headless")
    # (The store keeps the path as the kernel saw it: relative to its working directory.)
    assert record.status == "COMPLETED" and (nb_dir / record.video_path).resolve() == video
    assert record.video_seconds == pytest.approx(6, abs=0.1) and record.has_audio is True

    # No widget state, and no key anywhere in the saved file.
    text = path.read_text()
    assert "widgets" not in saved.metadata
    assert API_KEY not in text
    assert "sk…ef" in text  # %ltx config showed the key masked
