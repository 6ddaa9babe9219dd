"""``ltx-notebook demo``: run the quickstart notebook against a local emulator.

The quickstart ships inside the package (``notebooks/quickstart.ipynb`` beside
this module, a copy of the repository's ``notebooks/quickstart.ipynb`` that a
test keeps identical), so the demo runs in any folder. The notebook is executed
headless (nbclient) in ``build/`` under the current folder, so its videos land
in ``build/ltx_media/`` beside the executed copy and its HTML export, and the
relative ``<video src>`` in both resolves. Needs the ``emulator`` extra
(``needs.DEMO``).

Run again in the same folder, the demo's emulator asks for the port it had: the
re-run guard knows a service by its URL, so the same port lets the store's job be
shown again instead of billed again.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .needs import play_in_lab

if TYPE_CHECKING:
    from ..emulator import Emulator, EmulatorConfig

__all__ = ["QUICKSTART", "run_demo"]

DEMO_KEY = "demo-emulator-key"
# The packaged copy: a Traversable, a real file in any installed wheel or checkout.
QUICKSTART = resources.files("ltx_notebook._cli").joinpath("notebooks", "quickstart.ipynb")


def _start_emulator(config: EmulatorConfig, port_file: Path) -> Emulator:
    """The demo's emulator, on the port in *port_file* (the folder's last run) when it is free."""
    import dataclasses

    from ..emulator import Emulator

    try:
        preferred = int(port_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        preferred = 0
    if preferred:
        emulator = Emulator(dataclasses.replace(config, port=preferred))
        try:
            return emulator.start()
        except OSError:
            emulator.stop()
            print(
                f"port {preferred} of the last demo run here is busy: "
                "its jobs cannot be reused, this run sends them again"
            )
    emulator = Emulator(config).start()
    port_file.parent.mkdir(parents=True, exist_ok=True)
    port_file.write_text(str(emulator.port), encoding="utf-8")
    return emulator


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
    from ..emulator import EmulatorConfig

    out_dir.mkdir(parents=True, exist_ok=True)
    name = notebook.name if notebook is not None else QUICKSTART.name
    media_dir = out_dir / "ltx_media"
    config = EmulatorConfig(speed=speed, api_key=DEMO_KEY, data_dir=out_dir / "emulator")
    with _start_emulator(config, out_dir / "emulator" / "port") as emulator:
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
        submits = emulator.engine.count("submit")

    executed = out_dir / name
    nbformat.write(nb, executed)
    html_path = executed.with_suffix(".html")
    body, _ = HTMLExporter().from_notebook_node(nb)
    html_path.write_text(body, encoding="utf-8")

    records = Store(media_dir / "ltx-jobs.sqlite").find()
    print(f"\nwrote {executed} and {html_path}")
    shown = ": every request was in the store, shown again" if records and not submits else ""
    print(f"the emulator took {submits} submit(s) this run{shown}")
    print(f"{len(records)} job(s):")
    for r in records:
        seconds = f"{r.total_s:.1f}s" if r.total_s is not None else "-"
        video = os.path.relpath(out_dir / r.video_path) if r.video_path else "(no file)"
        print(f"  {r.request_id}  {r.status.value:<10} {seconds:>7}  {video}")
    ok = any(r.status is JobStatus.COMPLETED and r.video_path for r in records)
    if not ok:
        print("the demo produced no video", file=sys.stderr)
        return 1
    print(f"\nwatch it: open {html_path} in a browser")
    print(play_in_lab(out_dir))
    return 0
