"""docs/models.md is the catalog's own output: regenerate it, never edit it by hand."""

from __future__ import annotations

from pathlib import Path

from ltx_notebook._core.catalog import CATALOG
from ltx_notebook._core.catalog.docs import DEFAULT_PATH, main, render

DOC = Path(__file__).parents[2] / "docs" / "models.md"


def test_the_committed_page_is_the_scripts_output() -> None:
    assert DOC.resolve() == DEFAULT_PATH
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/models.md is out of date: run python -m ltx_notebook._core.catalog.docs"
    )


def test_every_model_and_every_param_is_on_the_page_with_its_certainty() -> None:
    text = render()
    for model in CATALOG.values():
        section = text.split(f"## {model.slug}\n", 1)[1].split("\n## ", 1)[0]
        assert f"({model.seconds_certainty})" in section
        for p in model.params:
            row = next(line for line in section.splitlines() if line.startswith(f"| `{p.name}` |"))
            assert p.certainty in row and "guessed" in row if p.guessed else p.certainty in row


def test_check_mode_says_when_the_page_is_stale(tmp_path: Path) -> None:
    stale = tmp_path / "models.md"
    stale.write_text("# old\n")
    assert main(["--check", str(stale)]) == 1
    assert main([str(stale)]) == 0 and main(["--check", str(stale)]) == 0
