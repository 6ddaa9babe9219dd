"""``%ltx spend``, ``%ltx import`` and ``%config LtxMagics.budget`` in a real kernel."""

from __future__ import annotations

from pathlib import Path

import pytest

from ltx_notebook._core.params import validate
from ltx_notebook.emulator import Emulator
from tests.harness.accounts import run_elsewhere
from tests.harness.kernel import Kernel, assert_no_key, assert_one_usage_error

pytestmark = pytest.mark.kernel


def test_import_spend_and_a_budget_set_with_config(
    kernel: Kernel, module_emulator: Emulator, tmp_path: Path
) -> None:
    heron = validate("ltx-2-fast", prompt="a heron on a lake", duration=8)
    (rid,) = run_elsewhere(module_emulator, tmp_path / "elsewhere", heron)

    out = kernel.ok("%ltx import --since 7d").stdout
    assert "imported 1 job (1 with video); 0 already in the store" in out
    again = kernel.ok("%ltx import --since 7d").stdout
    assert "imported 0 jobs (0 with video); 1 already in the store" in again
    counted = kernel.ok(
        "import ltx_notebook as ltx\n"
        "h = ltx.history()\n"
        "print(len(h), h['origin'].tolist(), h['request_id'].tolist())"
    ).stdout
    assert counted.strip() == f"1 ['history'] ['{rid}']"

    dry = kernel.ok("%%ltx --dry-run\na red fox running through snow").stdout
    assert "estimated cost: ~$0.36 (list price; an estimate, not a quote)" in dry
    kernel.ok("%%ltx\na red fox running through snow")
    dry = kernel.ok("%%ltx --dry-run\na red fox running through snow").stdout
    assert "~$0.36 (median of 1 recent charge; an estimate, not a quote)" in dry
    spend = kernel.ok("%ltx spend --by model,origin").stdout
    assert "ltx-2-pro" in spend and "ltx-2-fast" in spend and "history" in spend
    assert "2 jobs, $0.76 charged + ~$0.00 estimated = $0.76" in spend

    kernel.ok("%config LtxMagics.budget = 0.5")
    assert_one_usage_error(
        kernel,
        module_emulator,
        "%%ltx\na second fox",
        "BudgetExceeded: this ltx-2-pro job (~$0.36 estimated) would take this session's "
        "spend to $0.72, past the budget of $0.50",
    )
    assert_one_usage_error(
        kernel,
        module_emulator,
        "%%ltx --sweep duration=6,8\na fox",
        "BudgetExceeded: this sweep of 2 jobs",
    )
    status = kernel.ok("%ltx spend --since session").stdout
    assert "budget $0.50 this session: $0.36 charged + ~$0.00 estimated, $0.14 left" in status
    assert_one_usage_error(kernel, module_emulator, "%ltx spend --by colour", "cannot group by")
    assert_one_usage_error(kernel, module_emulator, "%ltx import --since whenever", "since must")

    bad = kernel.run("%config LtxMagics.budget = -1")
    assert "LtxMagics.budget must be an amount in USD" in bad.text()
    assert kernel.ok("print(get_ipython().find_magic('ltx').__self__.budget)").stdout == "0.5\n"

    kernel.ok("%config LtxMagics.budget = None")
    kernel.ok("%%ltx\na second fox")
    assert_no_key(kernel)
