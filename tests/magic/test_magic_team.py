"""Who did what in a real (headless) kernel: ``%ltx history --mine``, ``LtxMagics.reuse``.

The kernel is ``ana``'s (``LTX_NOTEBOOK_USER``); a teammate, ``bo``, is a second
Session on the same store in the same kernel. Submits are counted at the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ltx_notebook.emulator import Emulator
from tests.harness.kernel import Kernel, kernel_env, start_kernel

pytestmark = pytest.mark.kernel

BO = """
import dataclasses
from ltx_notebook import Session, validate
from ltx_notebook._core.config import get_settings
bo = Session(dataclasses.replace(get_settings(), user="bo"))
theirs = bo.submit(validate(prompt="bo's lighthouse in the fog")).wait(60)
print(theirs.id, theirs.status.value, theirs.record.owner)
"""


def submits(emu: Emulator) -> int:
    return sum(emu.engine.count("submit", status=code) for code in (200, 201, 202))


@pytest.fixture(scope="module")
def ana(module_emulator: Emulator, root: Path) -> Iterator[Kernel]:
    k = start_kernel(root, kernel_env(module_emulator, root, LTX_NOTEBOOK_USER="ana"))
    k.ok("%load_ext ltx_notebook")
    yield k
    k.shutdown()


@pytest.fixture(scope="module")
def bo_job(ana: Kernel) -> str:
    """bo's finished job in the store, made once: its id."""
    bo_id, status, owner = ana.ok(BO, timeout=120).stdout.split()
    assert (status, owner) == ("COMPLETED", "bo")
    return bo_id


def test_reuse_team_shows_a_teammates_job_and_mine_sends_anew(
    ana: Kernel, bo_job: str, module_emulator: Emulator
) -> None:
    bo_id = bo_job
    before = submits(module_emulator)

    ana.ok('%config LtxMagics.reuse = "team"')
    run = ana.ok("%%ltx -o shown\nbo's lighthouse in the fog", timeout=120)
    assert run.stdout.strip().startswith(f"same request as bo's job {bo_id} (COMPLETED)")
    assert submits(module_emulator) == before  # nothing sent
    assert ana.ok("print(shown.id, shown.driven)").stdout.split() == [bo_id, "False"]

    ana.ok('%config LtxMagics.reuse = "mine"')
    sent = ana.ok("%%ltx -o mine\nbo's lighthouse in the fog", timeout=120)
    assert "same request" not in sent.stdout and submits(module_emulator) == before + 1
    assert ana.ok("print(mine.record.owner)").stdout.strip() == "ana"
    ana.ok("%config LtxMagics.reuse = True")

    bad = ana.run('%config LtxMagics.reuse = "everyone"')
    assert "LtxMagics.reuse" in bad.stderr and "'team'" in bad.stderr
    assert submits(module_emulator) == before + 1


def test_history_mine_keeps_the_users_own_jobs(ana: Kernel, bo_job: str) -> None:
    ana.ok("%%ltx --again --wait\nana's own lighthouse at noon", timeout=120)
    ana.ok("every = %ltx history")
    ana.ok("mine = %ltx history --mine")
    owners = ana.ok("print(sorted(set(every.owner)), sorted(set(mine.owner)))").stdout.strip()
    assert owners == "['ana', 'bo'] ['ana']"
    # The team's page names each job's owner; one person's has no owner column.
    text = ana.ok("print(repr(every)); print('--'); print(repr(mine))").stdout
    team, alone = text.split("--")
    assert "owner" in team.splitlines()[1] and "owner" not in alone.strip().splitlines()[1]
