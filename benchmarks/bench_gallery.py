"""Galleries and reports over a large history: the bytes they make, and the time to build them.

A store of 1,000 and of 5,000 finished jobs (one real 1080p job's row and
poster, rendered and fetched by a session as any job's, then linked under
each row's own file names, as a long history has them; the video itself a
small clip, since a report copies every video beside its page). The front
end is taken to be JupyterLab, which serves local files. Measured through the
public API, as a person calls it:

* ``ltx.gallery(history)``: the display bundle it puts into the notebook
  (``_repr_mimebundle_``: the widget's view and the static HTML a saved
  notebook keeps) and the widget's state sent to the front end;
* ``ltx.export_report(history, path)``: the page it writes, with whatever
  files it writes beside it.

    python -m benchmarks.bench_gallery --rows 1000 5000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ltx_notebook as ltx
from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.params import validate
from ltx_notebook._jobs.session import Session
from ltx_notebook._storage.tables import history_frame
from ltx_notebook.emulator import Emulator, EmulatorConfig

KEY = "bench-key-0123456789"
GOAL_BYTES = 2 * 1024 * 1024


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _one_clip(folder: Path, *, scale: float = 1.0) -> Session:
    """A session whose store holds one finished 1080p job, its video and poster on disk."""
    config = EmulatorConfig(
        speed=200, api_key=KEY, preset="ultrafast", seed=4, data_dir=folder, render_scale=scale
    )
    with Emulator(config) as emu:
        session = Session(
            Settings(
                api_key=Secret(KEY),
                base_url=emu.base_url,
                media_dir=folder / "ltx_media",
                store_path=folder / "ltx_media" / "jobs.sqlite",
            )
        )
        try:
            job = session.submit(validate(prompt="lanterns drifting on a night river"))
            job.wait(600)
        finally:
            session.runtime.stop()
    assert job.video_path and job.record.poster_path, job.record
    return session


def _grow(session: Session, rows: int) -> None:
    """Copies of the one row until the store holds *rows*, each with its own linked files."""
    store = session.store
    with contextlib.closing(sqlite3.connect(store.path)) as db, db:
        db.row_factory = sqlite3.Row
        first = dict(db.execute("SELECT * FROM jobs ORDER BY id LIMIT 1").fetchone())
        have = db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]
        video, poster = Path(first["video_path"]), Path(first["poster_path"])
        copies = []
        for i in range(have, rows):
            row = dict(first, id=None, request_id=f"{first['request_id'][:-8]}{i:08d}")
            for key, src in (("video_path", video), ("poster_path", poster)):
                dest = src.with_name(f"{i:05d}-{src.name}")
                if not dest.exists():
                    os.link(src, dest)
                row[key] = str(dest)
            if "request_key" in row:
                row["request_key"] = None
            copies.append(row)
        if copies:
            names = list(copies[0])
            marks = ", ".join("?" for _ in names)
            db.executemany(
                f"INSERT INTO jobs ({', '.join(names)}) VALUES ({marks})",
                [tuple(r[n] for n in names) for r in copies],
            )


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(session: Session, rows: int, folder: Path) -> dict[str, Any]:
    _grow(session, rows)
    with _cwd(folder):
        t0 = time.perf_counter()
        frame = history_frame(session.store)
        widget = ltx.gallery(frame, session=session)
        bundle = widget._repr_mimebundle_()
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle = bundle[0]
        gallery_s = time.perf_counter() - t0
        state = widget.get_state()
        state_bytes = len(json.dumps(state, default=str).encode())
        bundle_bytes = len(json.dumps(bundle, default=str).encode())
        html_bytes = (
            len(str(bundle.get("text/html", "")).encode()) if isinstance(bundle, dict) else 0
        )
        widget.close()
        out = folder / f"report-{rows}" / "report.html"
        t0 = time.perf_counter()
        written = Path(ltx.export_report(frame, out, session=session))
        report_s = time.perf_counter() - t0
    beside = [p for p in out.parent.rglob("*") if p.is_file() and p != written]
    beside_bytes = sum(p.stat().st_size for p in beside)
    page_bytes = written.stat().st_size
    shutil.rmtree(out.parent, ignore_errors=True)  # copies of every clip: free the disk
    return {
        "rows": rows,
        "gallery_s": gallery_s,
        "gallery_bundle_bytes": bundle_bytes,
        "gallery_html_bytes": html_bytes,
        "gallery_state_bytes": state_bytes,
        "report_s": report_s,
        "report_bytes": page_bytes,
        "report_files_beside": len(beside),
        "report_beside_bytes": beside_bytes,
    }


def run(sizes: list[int]) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-gallery-"))
    session = _one_clip(folder)
    # The rows' videos are a small clip (the report copies every one of them beside
    # its page: thousands of full-size clips would fill the disk); posters are full size.
    small = _one_clip(folder / "small", scale=0.1).store.find()[0].video_path
    with contextlib.closing(sqlite3.connect(session.store.path)) as db, db:
        db.execute("UPDATE jobs SET video_path = ?", (str(small),))
    poster_bytes = Path(str(session.store.find()[0].poster_path)).stat().st_size
    previous = os.environ.get("LTX_NOTEBOOK_FRONTEND")
    os.environ["LTX_NOTEBOOK_FRONTEND"] = "jupyter"  # as in JupyterLab, which serves files
    try:
        results = [measure(session, rows, folder) for rows in sorted(sizes)]
    finally:
        if previous is None:
            os.environ.pop("LTX_NOTEBOOK_FRONTEND", None)
        else:
            os.environ["LTX_NOTEBOOK_FRONTEND"] = previous
        shutil.rmtree(folder, ignore_errors=True)
    return {"poster_bytes": poster_bytes, "results": results}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args(argv)
    r = run(args.rows)
    mb = 1024 * 1024
    for m in r["results"]:
        print(
            f"{m['rows']} rows: gallery {m['gallery_bundle_bytes'] / mb:.2f} MB in the notebook "
            f"(HTML {m['gallery_html_bytes'] / mb:.2f} MB), widget state "
            f"{m['gallery_state_bytes'] / mb:.2f} MB, built in {m['gallery_s']:.2f} s; report "
            f"{m['report_bytes'] / mb:.2f} MB (+{m['report_files_beside']} files, "
            f"{m['report_beside_bytes'] / mb:.1f} MB) in {m['report_s']:.2f} s"
        )
    return r


if __name__ == "__main__":
    main()
