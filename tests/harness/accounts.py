"""The same account seen from another store: jobs "run elsewhere" (another machine, the console).

The emulator keeps each key's request history, so a second :class:`Session` on the
same emulator and key, with a store of its own, runs jobs the store under test
has never seen but the account's history lists.
"""

from __future__ import annotations

from pathlib import Path

from ltx_notebook import Session, Settings
from ltx_notebook._core.config import Secret
from ltx_notebook._core.params import Params
from ltx_notebook._core.status import JobStatus
from ltx_notebook.emulator import Emulator
from tests.conftest import API_KEY


def settings_for(emulator: Emulator, folder: Path) -> Settings:
    """Settings on *emulator* with the suite's key, keeping videos and the store in *folder*."""
    return Settings(
        api_key=Secret(API_KEY),
        base_url=emulator.base_url,
        media_dir=folder,
        store_path=folder / "jobs.sqlite",
    )


def run_elsewhere(emulator: Emulator, folder: Path, *plan: Params) -> list[str]:
    """Run *plan* to completion from a store in *folder*; their request ids, in order."""
    session = Session(settings_for(emulator, folder))
    try:
        jobs = [session.submit(params) for params in plan]
        for job in jobs:
            job.wait(60)
            assert job.status is JobStatus.COMPLETED, job.error
        return [job.request_id or "" for job in jobs]
    finally:
        session.runtime.stop()
