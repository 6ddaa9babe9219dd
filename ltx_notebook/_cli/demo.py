"""``ltx-notebook demo``: run the quickstart notebook against a local emulator.

The notebook is executed headless (nbclient) in ``build/``, so its videos land
in ``build/ltx_media/`` beside the executed copy and its HTML export, and the
relative ``<video src>`` in both resolves. Needs the ``emulator`` and ``lab``
extras (``make demo`` installs everything).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["run_demo"]

DEMO_KEY = "demo-emulator-key"


def run_demo(
    notebook: Path = Path("notebooks/quickstart.ipynb"),
    out_dir: Path = Path("build"),
    *,
    speed: float = 10.0,
    timeout: float = 600.0,
) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    from .._core.status import JobStatus
    from .._storage.store import Store
    from ..emulator import Emulator, EmulatorConfig

    out_dir.mkdir(parents=True, exist_ok=True)
    media_dir = out_dir / "ltx_media"
    config = EmulatorConfig(speed=speed, api_key=DEMO_KEY, data_dir=out_dir / "emulator")
    with Emulator(config) as emulator:
        print(f"emulator: {emulator.base_url} (speed {speed:g})")
        # The kernel inherits this process's environment.
        os.environ.update(
            SEGMIND_BASE_URL=emulator.base_url,
            SEGMIND_API_KEY=DEMO_KEY,
            LTX_NOTEBOOK_MEDIA_DIR="ltx_media",
        )
        os.environ.pop("LTX_NOTEBOOK_STORE", None)
        nb = nbformat.read(notebook, as_version=4)
        print(f"executing {notebook} in {out_dir}/ …")
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            # The kernel's TCP-without-encryption notice is noise on loopback; errors still show.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(out_dir)}},
        )
        client.execute()

    executed = out_dir / notebook.name
    nbformat.write(nb, executed)
    html_path = executed.with_suffix(".html")
    body, _ = HTMLExporter().from_notebook_node(nb)
    html_path.write_text(body, encoding="utf-8")

    records = Store(media_dir / "ltx-jobs.sqlite").find()
    print(f"\nwrote {executed} and {html_path}")
    print(f"{len(records)} job(s):")
    for r in records:
        seconds = f"{r.total_s:.1f}s" if r.total_s is not None else "-"
        video = os.path.relpath(out_dir / r.video_path) if r.video_path else "(no file)"
        print(f"  {r.request_id}  {r.status.value:<10} {seconds:>7}  {video}")
    ok = any(r.status is JobStatus.COMPLETED and r.video_path for r in records)
    if not ok:
        print("the demo produced no video", file=sys.stderr)
        return 1
    print(f"\nopen {html_path} in a browser, or run `make lab` to play it in JupyterLab")
    return 0
