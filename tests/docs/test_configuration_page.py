"""docs/configuration.md names every setting the package reads (no kernel needed)."""

from __future__ import annotations

import re
from pathlib import Path

from ltx_notebook._magic.magics import LtxMagics

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
# Set by the front ends themselves, read to guess which one drives the kernel.
FRONT_END_TRACES = {"JPY_SESSION_NAME", "VSCODE_PID", "VSCODE_CWD", "COLAB_RELEASE_TAG"}
# Handed on to a child process (the poster's), extended, never read as a setting.
PASSED_ON = {"PYTHONPATH"}


def variables_read() -> set[str]:
    """Every environment variable the package (not its emulator) reads, by its source."""
    found: set[str] = set()
    for path in (ROOT / "ltx_notebook").rglob("*.py"):
        if "emulator" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"""env(?:iron)?\.get\(\s*["']([A-Z][A-Z0-9_]+)["']""", text))
        found |= set(re.findall(r"""["']([A-Z][A-Z0-9_]+)["']\s+in\s+env""", text))
    return found


def test_every_environment_variable_is_documented() -> None:
    read = variables_read()
    assert {"SEGMIND_API_KEY", "LTX_NOTEBOOK_FRONTEND"} <= read, read
    table = {name for name in re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", PAGE, re.MULTILINE)}
    assert read - FRONT_END_TRACES - PASSED_ON <= table, (read - FRONT_END_TRACES) - table
    for name in read & FRONT_END_TRACES:
        assert f"`{name}`" in PAGE, name


def test_every_magic_trait_is_documented_with_its_default() -> None:
    for name, trait in LtxMagics.class_traits(config=True).items():
        row = re.search(rf"^\| `LtxMagics\.{name}` \| `([^`]*)` \|", PAGE, re.MULTILINE)
        assert row, f"LtxMagics.{name} is not in docs/configuration.md"
        assert row.group(1) == repr(trait.default_value), name
