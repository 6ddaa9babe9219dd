"""The package's public face: what is exported, and that nothing else leaks."""

from __future__ import annotations

import importlib
import pkgutil

import ltx_notebook


def test_all_is_exactly_the_public_names() -> None:
    public = {n for n in dir(ltx_notebook) if not n.startswith("_") and n != "annotations"}
    modules = {m.name for m in pkgutil.iter_modules(ltx_notebook.__path__)}
    imported = {"pd", "Any"}
    hooks = {"load_ipython_extension"}  # IPython looks this up by name
    assert public - modules - imported - hooks == set(ltx_notebook.__all__) - {"__version__"}
    for name in ltx_notebook.__all__:
        assert hasattr(ltx_notebook, name), name


def test_every_error_is_an_ltx_error_and_catchable_by_meaning() -> None:
    e = ltx_notebook
    assert issubclass(e.InvalidParams, ValueError)
    assert issubclass(e.WaitTimeout, TimeoutError)
    assert issubclass(e.SubmitUnknown, e.TransportError)
    for name in ("AuthenticationError", "InsufficientCredits", "RateLimited", "NotFound"):
        assert issubclass(getattr(e, name), e.ApiError)
    for name in e.__all__:
        obj = getattr(e, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, e.LtxError)


def test_layers_only_import_downwards() -> None:
    """magic → params → jobs → client → store → media → display: no module reaches back up."""
    order = [
        "_magics",
        "_sweep",
        "_jobs",
        "_client",
        "_retry",
        "_store",
        "_media",
        "_params",
        "_errors",
    ]
    import ast
    from pathlib import Path

    root = Path(ltx_notebook.__file__).parent
    for i, name in enumerate(order):
        tree = ast.parse((root / f"{name}.py").read_text())
        imported = {
            (node.module or "").lstrip(".").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level >= 1
        }
        above = set(order[:i])
        assert not imported & above, f"{name} imports {imported & above}"
    client_src = (root / "_client.py").read_text()
    assert "ipywidgets" not in client_src and "emulator" not in client_src.split('"""', 2)[2]
    for module in pkgutil.walk_packages([str(root / "emulator")], "ltx_notebook.emulator."):
        src = importlib.util.find_spec(module.name).origin
        text = Path(src).read_text()
        assert "from .._client" not in text and "from ltx_notebook._client" not in text
