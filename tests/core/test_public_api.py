"""The package's public face: what is exported, and that nothing else leaks."""

from __future__ import annotations

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
    assert issubclass(e.InsecureURLWarning, UserWarning)
    for name in e.__all__:
        obj = getattr(e, name)
        if isinstance(obj, type) and issubclass(obj, Exception) and not issubclass(obj, Warning):
            assert issubclass(obj, e.LtxError)
