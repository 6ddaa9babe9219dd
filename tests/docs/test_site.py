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
from typing import Any

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
    # One file per page (use_directory_urls: false), so links work opened from disk.
    for page in (ROOT / "docs").glob("*.md"):
        assert (site / f"{page.stem}.html").is_file(), page.name


def test_the_api_reference_covers_the_public_face(site: Path) -> None:
    html = (site / "api.html").read_text(encoding="utf-8")
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


# The README says: open build/site/index.html. Opened from disk (file://), a link to a
# folder shows a directory listing, and the search worker needs the inlined index
# (search/search_index.js) and the iframe-worker shim, served from the site itself.
_NAV_LINKS = "els => els.map(e => e.href)"
_PRIMARY_NAV = "nav.md-nav--primary a.md-nav__link[href]"


def _as_file(url: str) -> Path:
    from urllib.parse import unquote, urlsplit

    return Path(unquote(urlsplit(url).path))


@pytest.mark.browser
def test_opened_as_a_file_every_nav_link_opens_a_page(site: Path, page: Any) -> None:
    page.goto((site / "index.html").as_uri())
    start = page.eval_on_selector_all(_PRIMARY_NAV, _NAV_LINKS)
    targets = sorted({url.split("#", 1)[0] for url in start if url.startswith("file:")})
    assert len(targets) >= len(list((ROOT / "docs").glob("*.md")))
    for url in targets:
        page.goto(url)
        assert page.locator("article.md-content__inner h1").count() == 1, url
        # From every page, every nav link names a page file, never a folder.
        for link in page.eval_on_selector_all(_PRIMARY_NAV, _NAV_LINKS):
            if link.startswith("file:"):
                assert _as_file(link.split("#", 1)[0]).is_file(), f"{link} on {url}"


@pytest.mark.browser
def test_opened_as_a_file_search_finds_a_word(site: Path, page: Any) -> None:
    assert (site / "search" / "search_index.js").is_file()
    page.goto((site / "getting-started.html").as_uri())
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially("reconcile")  # material listens for keys, not input events
    result = page.locator("li.md-search-result__item a").first
    result.wait_for(state="visible", timeout=20_000)
    page.screenshot(path=str(_artifact("docs-site-search.png")))
    result.click()
    page.wait_for_load_state()
    assert page.url.startswith("file:"), page.url
    assert page.locator("article.md-content__inner h1").count() == 1, page.url


def _artifact(name: str) -> Path:
    from tests.harness.lab import ARTIFACTS_DIR

    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR / name


@pytest.mark.browser
def test_the_all_models_table_fits_the_page_at_1280(site: Path, page: Any) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto((site / "models.html").as_uri())
    table = page.locator("h2#all-models ~ div.md-typeset__scrollwrap").first
    fits = table.evaluate("(w) => w.scrollWidth <= w.clientWidth + 1")
    table.screenshot(path=str(_artifact("docs-models-table.png")))
    assert fits, "the All models table scrolls sideways at 1280 px"


def _nav_pages(items: Any) -> list[str]:
    if isinstance(items, str):
        return [items]
    if isinstance(items, dict):
        return [p for v in items.values() for p in _nav_pages(v)]
    return [p for item in items for p in _nav_pages(item)]


def test_the_homes_where_to_go_names_every_page() -> None:
    import yaml

    nav = _nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"])
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    where = home.split("## Where to go", 1)[1].split("\n## ", 1)[0]
    missing = [p for p in nav if p != "index.md" and f"]({p})" not in where]
    assert not missing, f"docs/index.md's Where to go has no line for {missing}"
