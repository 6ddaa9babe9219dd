"""The key's hygiene at the bottom: what configure accepts, and what redact scrubs.

Pure functions and one logger, so no server is needed here; the end-to-end
checks (scripted server, emulator, store, kernel) live beside what they drive.
"""

from __future__ import annotations

import logging
import re
import traceback
from pathlib import Path

import pytest

import ltx_notebook
from ltx_notebook._core import config as _config
from ltx_notebook._core.config import Secret, Settings
from ltx_notebook._core.errors import InvalidParams, LtxError, redact, register_secret
from ltx_notebook._core.secrets import SCRUBBED_LOGGERS
from tests.harness.secrets import key_forms, leaks

# Characters that URL-encoding, repr and JSON each spell differently.
ODD_KEY = "sk-live-Ab+c/d=e%f'g\\h-0123456789"


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(_config, "_settings", None)
    yield


@pytest.mark.parametrize("key", ["sk-test-0123456789abcdef", ODD_KEY])
def test_redact_scrubs_every_spelling_of_a_registered_key(key: str) -> None:
    register_secret(key)
    for form, _ in key_forms(key):
        text = f"before {form} after"
        scrubbed = redact(text)
        assert not leaks(scrubbed, key), (form, scrubbed)
        assert scrubbed.startswith("before ") and scrubbed.endswith(" after")


def test_an_error_built_before_its_key_was_known_is_scrubbed_when_shown() -> None:
    key = "sk-registered-later-987654321"
    early = LtxError(f"the header was {key!r}")
    register_secret(key)
    assert key not in str(early) and key not in repr(early)
    assert key not in "".join(traceback.format_exception(early))


@pytest.mark.parametrize("tail", ["\n", "\r\n", " ", "\t", " \r\n"])
def test_configure_strips_a_key_read_from_a_file(tail: str) -> None:
    key = "sk-test-file-0123456789"
    settings = ltx_notebook.configure(api_key=key + tail, base_url="https://api.segmind.com/v1")
    assert settings.api_key is not None and settings.api_key.get() == key
    assert Settings(api_key=Secret("  " + key + tail)).api_key == Secret(key)


def test_an_empty_or_blank_key_is_no_key() -> None:
    assert ltx_notebook.configure(api_key="  \n").api_key is None
    assert Settings(api_key=Secret("\r\n")).api_key is None


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("sk-test-01234567é9abcdef", "non-ASCII"),
        ("sk-test-0123\n4567abcdef", "control character"),
        ("sk-test-0123 4567abcdef", "space"),
        ("sk-test-0123\x004567abcdef", "control character"),
    ],
)
def test_a_key_with_characters_no_header_can_carry_is_refused_without_showing_it(
    key: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidParams) as info:
        ltx_notebook.configure(api_key=key)
    assert info.value.param == "api_key"
    assert says in str(info.value) and "configure(api_key=" in str(info.value)
    errors = [info.value]
    if "\x00" not in key:  # an environment variable cannot hold a NUL
        monkeypatch.setenv("SEGMIND_API_KEY", key)
        monkeypatch.setattr(_config, "_settings", None)
        with pytest.raises(InvalidParams) as from_env:
            ltx_notebook.get_settings()
        assert "SEGMIND_API_KEY" in str(from_env.value) and says in str(from_env.value)
        errors.append(from_env.value)
    for exc in errors:
        shown = str(exc) + repr(exc) + "".join(traceback.format_exception(exc))
        # No part of the key either: not its head, not its tail, no 6-character run.
        runs = {key[i : i + 6] for i in range(len(key) - 5)}
        assert not [run for run in runs if run.isprintable() and run in shown], shown
        assert exc.__cause__ is None and exc.__context__ is None


def test_the_environment_key_is_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEGMIND_API_KEY", "sk-env-key-123456\r\n")
    s = ltx_notebook.get_settings()
    assert s.api_key is not None and s.api_key.get() == "sk-env-key-123456"


def test_a_bad_environment_key_can_be_replaced_with_configure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEGMIND_API_KEY", "sk-env-ké-123456")
    s = ltx_notebook.configure(api_key="sk-good-key-123456")
    assert s.api_key is not None and s.api_key.get() == "sk-good-key-123456"


def test_every_logger_of_the_package_and_of_httpx_is_scrubbed() -> None:
    package = Path(ltx_notebook.__file__).parent
    named = set()
    for source in package.rglob("*.py"):
        if "emulator" in source.parts:
            continue  # a stand-alone server: it never holds the client's key
        named.update(re.findall(r"getLogger\(\"([^\"]+)\"\)", source.read_text()))
    assert named and named <= set(SCRUBBED_LOGGERS)
    for name in ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2"):
        assert name in SCRUBBED_LOGGERS


@pytest.mark.parametrize("name", ["ltx_notebook.client", "httpcore.http11", "httpx"])
def test_a_log_record_holding_the_key_is_scrubbed(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk-logged-0123456789abcdef"
    Secret(key)
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger(name)
    log.debug("header %r sent", (key + "\n").encode())
    log.debug(f"pre-formatted {key!r}")
    log.debug("as a mapping %(key)s", {"key": key})
    try:
        raise ValueError(f"Illegal header value {(key + chr(10)).encode()!r}")
    except ValueError:
        log.exception("failed")
    assert caplog.records and key not in caplog.text
    for record in caplog.records:
        assert key not in record.getMessage()
