"""``_jobs`` stays rooms, not a list: a newcomer finds a change's place by its name."""

from __future__ import annotations

from pathlib import Path

JOBS = Path(__file__).resolve().parents[2] / "ltx_notebook" / "_jobs"
# Modules directly in _jobs, past which a new one goes into a room (a sub-package).
MOST = 10


def test_jobs_keeps_at_most_ten_modules_at_its_top() -> None:
    modules = sorted(p.stem for p in JOBS.glob("*.py") if p.stem != "__init__")
    assert len(modules) <= MOST, f"_jobs holds {len(modules)} modules: {modules}"
