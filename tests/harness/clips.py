"""Real clips made through the emulator, for the view tests and the browser tests.

Fixtures (registered by ``pytest_plugins`` in tests/conftest.py): ``clips`` (module
scope: a `Clips`, four clips of 2 durations × 2 resolutions) and ``in_root`` (the
test runs from the clips' folder). The browser tests need real videos in a store
the notebook's kernel finds by default (``<folder>/ltx_media``); making them is the
slow part, so a module makes them once (:func:`made_clips`) and copies them under
each server's root (:func:`install_clips`, the store's absolute paths rewritten to
the copy); :func:`add_rows` multiplies them into a larger grid without rendering
more, and :func:`save_for_docs` keeps a screenshot for the documentation.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ltx_notebook import Job, Session, Settings, validate
from ltx_notebook._core import config as _config
from ltx_notebook._core.config import Secret
from tests.conftest import API_KEY, make_emulator

PROMPTS = ("a lighthouse at dusk, waves crashing", "a red fox running through fresh snow")
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"

# (prompt, resolution, duration) of each clip.
Clip = tuple[str, str, int]


@dataclass
class Clips:
    session: Session
    jobs: list[Job]
    root: Path  # the "notebook folder": media lives in root/ltx_media


@contextmanager
def made_clips(
    render_cache: Path,
    folder: Path,
    clips: Sequence[Clip],
    *,
    tags: Sequence[str | None] | None = None,
    render_scale: float | None = None,
) -> Iterator[Clips]:
    """The *clips* made, finished and downloaded into *folder*/ltx_media, the session
    still running until the block ends."""
    options: dict[str, Any] = {} if render_scale is None else {"render_scale": render_scale}
    with make_emulator(render_cache, **options) as emu:
        session = Session(
            Settings(
                api_key=Secret(API_KEY),
                base_url=emu.base_url,
                media_dir=folder / "ltx_media",
                store_path=folder / "ltx_media" / "ltx-jobs.sqlite",
            )
        )
        try:
            jobs = [
                session.submit(
                    validate(prompt=p, duration=d, resolution=r),
                    tag=tags[i] if tags else None,
                )
                for i, (p, r, d) in enumerate(clips)
            ]
            for job in jobs:
                assert job.wait(90).video_path is not None
            yield Clips(session, jobs, folder)
        finally:
            session.runtime.stop()


@pytest.fixture(scope="module")
def clips(render_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clips]:
    root = tmp_path_factory.mktemp("review")
    four = [
        (PROMPTS[i % 2], r, d)
        for i, (r, d) in enumerate([("1080p", 6), ("1080p", 8), ("2k", 6), ("2k", 8)])
    ]
    with made_clips(render_cache, root, four) as made:
        yield made


@pytest.fixture
def in_root(clips: Clips, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from the clips' folder, as a kernel runs from the notebook's.

    The settings are read afresh there: ones an earlier test of this process configured
    would name another store (the settings are a process-wide singleton).
    """
    monkeypatch.chdir(clips.root)
    monkeypatch.setattr(_config, "_settings", None)
    monkeypatch.setenv("LTX_NOTEBOOK_FRONTEND", "jupyter")
    return clips.root


def install_clips(made: Path, root: Path, name: str, *, fresh: bool = False) -> Path:
    """*made*'s clips copied to *root*/*name*/ltx_media, its store pointing at the copies.

    Kept when already there, unless *fresh* (a test that writes to the store).
    """
    folder = root / name
    if (folder / "ltx_media").exists():
        if not fresh:
            return folder
        shutil.rmtree(folder / "ltx_media")
    shutil.copytree(made / "ltx_media", folder / "ltx_media")
    old, new = str(made / "ltx_media"), str(folder / "ltx_media")
    with sqlite3.connect(folder / "ltx_media" / "ltx-jobs.sqlite") as conn:
        conn.execute(
            "UPDATE jobs SET video_path = replace(video_path, ?, ?), "
            "poster_path = replace(poster_path, ?, ?)",
            (old, new, old, new),
        )
    return folder


def add_rows(
    folder: Path,
    count: int,
    row: Callable[[int, dict[str, Any]], dict[str, Any]],
    *,
    replace: bool = False,
) -> None:
    """*count* more rows in *folder*'s store, each ``row(i, a copy of real row i % n)``.

    Their request ids must differ (``row`` sets them); with *replace* the real rows go.
    """
    with sqlite3.connect(folder / "ltx_media" / "ltx-jobs.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        rows = [dict(r) for r in conn.execute("SELECT * FROM jobs ORDER BY id")]
        if replace:
            conn.execute("DELETE FROM jobs")
        names = [n for n in rows[0] if n != "id"]
        copies: Iterable[list[Any]] = (
            [made[n] for n in names]
            for made in (row(i, dict(rows[i % len(rows)])) for i in range(count))
        )
        conn.executemany(
            f"INSERT INTO jobs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            copies,
        )


def save_for_docs(shot: Path, name: str, *, width: int | None = None, colors: int = 256) -> None:
    """With ``LTX_DOCS_IMAGES=1`` (``make docs-images``): *shot* as docs/images/*name*.

    Saved small: *width* pixels wide if given, with *colors* colours (a table needs few).
    """
    if os.environ.get("LTX_DOCS_IMAGES") != "1":
        return
    from PIL import Image

    with Image.open(shot) as image:
        small = image.convert("RGB")
        if width is not None:
            small = small.resize((width, round(width * small.height / small.width)), Image.LANCZOS)
        small.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(
            DOCS_IMAGES / name, optimize=True
        )
