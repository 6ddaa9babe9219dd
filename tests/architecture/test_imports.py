"""What importing the package costs: heavy libraries load when first needed, not before.

Checked in a fresh interpreter, by which modules end up in ``sys.modules``:
deterministic, unlike a timing (the time itself is in the benchmarks).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "pandas",
    "numpy",
    "av",
    "PIL",
    "anywidget",
    "ipywidgets",
    "matplotlib",
    # The store's database layer: loaded when a store is first opened.
    "sqlalchemy",
    "alembic",
    "psycopg",
    # fsspec and its S3 backend (with botocore) load only when media_dir is a URL.
    "fsspec",
    "s3fs",
    "botocore",
)

PROBE = """
import json, sys
heavy = {heavy!r}
{setup}
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


def _loaded(setup: str) -> list[str]:
    code = PROBE.format(heavy=HEAVY, setup=setup)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_import_loads_no_heavy_library() -> None:
    assert _loaded("import ltx_notebook") == []


def test_load_ext_loads_no_heavy_library() -> None:
    setup = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'ltx_notebook')\n"
        "assert 'ltx' in shell.magics_manager.magics['cell']\n"
    )
    assert _loaded(setup) == []


def test_history_loads_pandas_when_asked() -> None:
    # The check above means something only if the same probe sees a library once used.
    setup = (
        "import os, tempfile\n"
        "os.environ['LTX_NOTEBOOK_MEDIA_DIR'] = tempfile.mkdtemp()\n"
        "import ltx_notebook\n"
        "ltx_notebook.history()\n"
    )
    loaded = _loaded(setup)
    assert "pandas" in loaded and "sqlalchemy" in loaded
    assert "alembic" in loaded  # a fresh store: its schema is made by the migrations
    assert "psycopg" not in loaded  # a SQLite store never needs the PostgreSQL driver
