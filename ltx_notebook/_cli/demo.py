"""``ltx-notebook demo``: run the quickstart notebook against a local emulator.

The quickstart ships inside the package (``notebooks/quickstart.ipynb`` beside
this module, a copy of the repository's ``notebooks/quickstart.ipynb`` that a
test keeps identical), so the demo runs in any folder. The notebook is executed
headless (nbclient) in ``build/`` under the current folder, so its videos land
in ``build/ltx_media/`` beside the executed copy and its HTML export, and the
relative ``<video src>`` in both resolves. Needs the ``emulator`` extra and
Jupyter's notebook runner (the ``lab`` extra brings it; ``make demo`` installs
everything).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib import resources
from pathlib import Path

__all__ = ["QUICKSTART", "missing_modules", "run_demo"]

DEMO_KEY = "demo-emulator-key"
# The packaged copy: a Traversable, a real file in any installed wheel or checkout.
QUICKSTART = resources.files("ltx_notebook._cli").joinpath("notebooks", "quickstart.ipynb")
# What executing and exporting a notebook takes beyond the package's own dependencies.
NEEDS = {
    "nbclient": "emulator",
    "nbconvert": "emulator",
    "ipykernel": "emulator",
    "starlette": "emulator",
    "uvicorn": "emulator",
    "numpy": "emulator",
}


def missing_modules() -> list[str]:
    """The modules the demo needs that are not installed here."""
    return [name for name in NEEDS if importlib.util.find_spec(name) is None]


def run_demo(
    notebook: Path | None = None,
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
    name = notebook.name if notebook is not None else QUICKSTART.name
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
        if notebook is None:
            with QUICKSTART.open(encoding="utf-8") as source:
                nb = nbformat.read(source, as_version=4)
        else:
            nb = nbformat.read(notebook, as_version=4)
        print(f"executing {notebook or 'the quickstart notebook'} in {out_dir}/ …")
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            # The kernel's TCP-without-encryption notice is noise on loopback; errors still show.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            resources={"metadata": {"path": str(out_dir)}},
        )
        client.execute()

    executed = out_dir / name
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
    print(
        f"\nopen {html_path} in a browser, or run `ltx-notebook lab --dir {out_dir}` "
        "to play it in JupyterLab"
    )
    return 0
