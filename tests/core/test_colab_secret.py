"""Colab's notebook secrets as a source of the key: asked only inside Colab, never failing."""

from __future__ import annotations

import sys
import types

import pytest

from ltx_notebook._core.config import Settings
from ltx_notebook._core.secrets import colab_secret, redact

KEY = "sg-colab-0123456789abcdef"


class SecretNotFoundError(Exception):
    pass


def _fake_colab(monkeypatch: pytest.MonkeyPatch, get: object) -> None:
    """Stand-ins for ``google.colab.userdata`` as the Colab runtime provides it."""
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    userdata = types.ModuleType("google.colab.userdata")
    userdata.get = get  # type: ignore[attr-defined]
    colab.userdata = userdata  # type: ignore[attr-defined]
    google.colab = colab  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.userdata", userdata)


def test_outside_colab_nothing_is_asked_and_nothing_fails(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("SEGMIND_API_KEY", raising=False)
    assert colab_secret("SEGMIND_API_KEY") is None
    assert Settings.from_env().api_key is None
    assert "google.colab" not in sys.modules  # not imported to find out


def test_in_colab_the_secret_is_the_key_and_is_redacted(monkeypatch: pytest.MonkeyPatch):
    asked: list[str] = []
    _fake_colab(monkeypatch, lambda name: asked.append(name) or KEY)
    monkeypatch.delenv("SEGMIND_API_KEY", raising=False)
    settings = Settings.from_env()
    assert settings.api_key is not None and settings.api_key.get() == KEY
    assert asked == ["SEGMIND_API_KEY"]
    assert KEY not in repr(settings) and KEY not in str(settings.describe())
    assert redact(f"Authorization: {KEY}") == "Authorization: ***"


def test_the_environment_wins_over_colab(monkeypatch: pytest.MonkeyPatch):
    _fake_colab(monkeypatch, lambda name: pytest.fail("Colab asked although the env has a key"))
    monkeypatch.setenv("SEGMIND_API_KEY", "sg-env-key-0123456789")
    settings = Settings.from_env()
    assert settings.api_key is not None and settings.api_key.get() == "sg-env-key-0123456789"


@pytest.mark.parametrize("answer", [SecretNotFoundError("SEGMIND_API_KEY"), "", "   ", None])
def test_a_missing_or_refused_secret_is_no_key(monkeypatch: pytest.MonkeyPatch, answer: object):
    def get(name: str) -> object:
        if isinstance(answer, Exception):
            raise answer
        return answer

    _fake_colab(monkeypatch, get)
    monkeypatch.delenv("SEGMIND_API_KEY", raising=False)
    assert colab_secret("SEGMIND_API_KEY") is None
    assert Settings.from_env().api_key is None
