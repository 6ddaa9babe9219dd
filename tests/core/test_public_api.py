"""The package's public face: what is exported, and that nothing else leaks."""

from __future__ import annotations

import inspect
import pickle
import pkgutil
import re

import ltx_notebook


def test_all_is_exactly_the_public_names() -> None:
    public = {n for n in dir(ltx_notebook) if not n.startswith("_") and n != "annotations"}
    modules = {m.name for m in pkgutil.iter_modules(ltx_notebook.__path__)}
    hooks = {"load_ipython_extension"}  # IPython looks this up by name
    assert public - modules - hooks == set(ltx_notebook.__all__) - {"__version__"}
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


def _sentences(doc: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(doc.split())) if s]


def _public_docstrings() -> dict[str, str]:
    docs = {}
    for name in ltx_notebook.__all__:
        obj = getattr(ltx_notebook, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        docs[name] = inspect.getdoc(obj) or ""
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                if not member.startswith("_") and getattr(value, "__doc__", None):
                    docs[f"{name}.{member}"] = inspect.getdoc(value) or ""
    return docs


def test_no_public_docstring_says_a_sentence_twice() -> None:
    # A bad merge once left sweep()'s docstring with a line's tail and a sentence twice
    # ("cannot hang on it.", "*concurrency* (default 2) ..."), on the API page for all to see.
    for name, doc in _public_docstrings().items():
        seen: list[str] = []
        for sentence in _sentences(doc):
            repeated = [s for s in seen if s == sentence or s.endswith(" " + sentence)]
            assert not repeated, f"{name}: {sentence!r} repeats {repeated[0]!r}"
            seen.append(sentence)


def test_public_names_say_they_are_ltx_notebooks_and_pickle_by_that_name() -> None:
    # Reprs and tracebacks say ltx_notebook.Job; pickle then finds each by that name.
    assert repr(ltx_notebook.Job) == "<class 'ltx_notebook.Job'>"
    for name in [*ltx_notebook.__all__, "load_ipython_extension"]:
        obj = getattr(ltx_notebook, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__ == "ltx_notebook", name
            assert pickle.loads(pickle.dumps(obj)) is obj, name
    error = pickle.loads(pickle.dumps(ltx_notebook.InvalidParams("duration must be 6, 8 or 10")))
    assert type(error) is ltx_notebook.InvalidParams and str(error) == "duration must be 6, 8 or 10"
    assert pickle.loads(pickle.dumps(ltx_notebook.JobStatus.COMPLETED)) is (
        ltx_notebook.JobStatus.COMPLETED
    )
