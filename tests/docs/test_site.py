"""The documentation site builds with no warnings, as `make docs` builds it.

``mkdocs build --strict`` fails on any warning: a link to a missing page or
anchor, a page in docs/ that is in no section of the nav (unless listed under
``not_in_nav``), an API reference that cannot be generated. The built pages
are then read for what a reader must find there.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ltx_notebook

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "WARNING" not in output, output
    return out


def test_every_page_is_built(site: Path) -> None:
    for page in (ROOT / "docs").glob("*.md"):
        built = site / ("index.html" if page.stem == "index" else f"{page.stem}/index.html")
        assert built.is_file(), page.name


def test_the_api_reference_covers_the_public_face(site: Path) -> None:
    html = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ltx_notebook.__all__:
        if name.startswith("__"):
            continue
        assert f'id="ltx_notebook.{name}"' in html, f"{name} is not in docs/api.md"
    # Docstrings' Sphinx roles are rewritten as code (docs/_hooks/sphinx_roles.py).
    assert not re.search(r":(class|func|meth|exc):`", html)


def test_light_and_dark_themes(site: Path) -> None:
    html = (site / "index.html").read_text(encoding="utf-8")
    assert 'data-md-color-scheme="default"' in html
    assert "slate" in html  # the dark palette's toggle
