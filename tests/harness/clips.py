"""Four real clips made once per module through the emulator: 2 durations × 2 resolutions.

Fixtures (registered by ``pytest_plugins`` in tests/conftest.py): ``clips`` (module
scope: a `Clips`) and ``in_root`` (the test runs from the clips' folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ltx_notebook import Job, Session, Settings, validate
from ltx_notebook._core import config as _config
from ltx_notebook._core.config import Secret
from tests.conftest import API_KEY, make_emulator

PROMPTS = ("a lighthouse at dusk, waves crashing", "a red fox running through fresh snow")


@dataclass
class Clips:
    session: Session
    jobs: list[Job]
    root: Path  # the "notebook folder": media lives in root/ltx_media


@pytest.fixture(scope="module")
def clips(render_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clips]:
    root = tmp_path_factory.mktemp("review")
    with make_emulator(render_cache) as emu:
        settings = Settings(
            api_key=Secret(API_KEY),
            base_url=emu.base_url,
            media_dir=root / "ltx_media",
            store_path=root / "ltx_media" / "ltx-jobs.sqlite",
        )
        session = Session(settings)
        try:
            jobs = [
                session.submit(validate(prompt=PROMPTS[i % 2], duration=d, resolution=r))
                for i, (r, d) in enumerate([("1080p", 6), ("1080p", 8), ("2k", 6), ("2k", 8)])
            ]
            for job in jobs:
                job.wait(60)
            yield Clips(session, jobs, root)
        finally:
            session.runtime.stop()


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
