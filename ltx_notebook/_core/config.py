"""Settings: where the service is, which key to use, where videos and the store live.

One :class:`Settings` object per process, changed only through
:func:`configure`. The key is held in a :class:`Secret` so that no repr, log
line or exception can print it by accident.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from .errors import InsecureURLWarning, InvalidParams, register_secret
from .secrets import colab_secret, key_problem

__all__ = ["Secret", "Settings", "configure", "get_settings"]

DEFAULT_BASE_URL = "https://api.segmind.com/v1"
SEGMIND_UPLOAD_URL = "https://workflows-api.segmind.com/upload-asset"
SEGMIND_HISTORY_URL = "https://api.spotprod.segmind.com/inference-request"
HISTORY_PREFIX = "/inference-request"


class Secret:
    """A string that never shows itself: ``str``/``repr`` give a masked form.

    It holds what it is given; :class:`Settings` strips and checks the API key.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def get(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return f"{self._value[:2]}…{self._value[-2:]}" if len(self._value) > 8 else "***"

    def __repr__(self) -> str:
        return f"Secret({self.masked!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> str | tuple[Any, ...]:  # refuse to be pickled into a file
        raise TypeError("a Secret cannot be pickled")


def clean_key(value: str | None, *, source: str = "the API key") -> str | None:
    """*value* stripped of the whitespace a key file or a paste leaves; ``None`` if blank.

    Raises :class:`InvalidParams` when what is left cannot be sent as an HTTP
    header. The message names *source* and the kind of character, never a
    part of the key.
    """
    key = (value or "").strip()
    if not key:
        return None
    problem = key_problem(key)
    if problem:
        raise InvalidParams(
            f"{source} contains {problem}, which an HTTP header cannot carry: copy the key "
            "again from your Segmind console and set SEGMIND_API_KEY or call "
            "ltx_notebook.configure(api_key=...)",
            param="api_key",
        )
    return key


def is_loopback(host: str) -> bool:
    """Whether *host* names this machine: ``localhost`` (RFC 6761), 127.0.0.0/8 or ``::1``.

    ``0.0.0.0`` and ``::`` count too: an emulator bound to every interface is
    reached through them, and a connection to them stays on this machine.
    """
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def cleartext_warning(base_url: str) -> None:
    """Warn (:class:`InsecureURLWarning`) if *base_url* sends the key in clear off this machine.

    A warning rather than a refusal: plain http to another host is sometimes
    meant (an emulator on a LAN box, a proxy that adds TLS), and the URL is
    always the user's own choice, never a default. Those who want a refusal
    turn the warning into an error.
    """
    parts = urlparse(base_url)
    if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
        return
    where = parts.netloc.rsplit("@", 1)[-1]  # never echo credentials in the URL
    warnings.warn(
        f"the base URL http://{where} is plain http to another machine, so the API key "
        "would cross the network unencrypted; use https:// (plain http is fine only on "
        "this machine, as with the emulator)",
        InsecureURLWarning,
        stacklevel=_caller_level(),
    )


def _caller_level() -> int:
    """The ``stacklevel`` naming the first caller outside this package (and dataclasses)."""
    frame = sys._getframe(1)  # cleartext_warning's frame, level 1 for warnings.warn
    level = 1
    while frame.f_back is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module.split(".")[0] == "ltx_notebook" or module == "dataclasses"):
            break
        frame = frame.f_back
        level += 1
    return level


def v2_base(base_url: str) -> str:
    """The v2 prefix, derived as the official SDK does: a trailing ``/vN`` becomes ``/v2``."""
    base = base_url.rstrip("/")
    if "/" in base and base.rsplit("/", 1)[1].startswith("v"):
        base = base.rsplit("/", 1)[0]
    return base + "/v2"


def upload_url(base_url: str) -> str:
    """Where local images are uploaded: Segmind's storage API, or the same host elsewhere.

    The real service keeps uploads on a separate host; any other base URL (the
    emulator, a proxy) is expected to serve ``/upload-asset`` itself.
    """
    parts = urlparse(base_url)
    if parts.hostname and parts.hostname.endswith("segmind.com"):
        return SEGMIND_UPLOAD_URL
    return urlunparse((parts.scheme, parts.netloc, "/upload-asset", "", "", ""))


def history_url(base_url: str) -> str:
    """Where request records are read: Segmind's history host, or the same origin elsewhere.

    The real service keeps its records on a host of their own (the official
    SDK's ``api.spotprod.segmind.com``); any other base URL (the emulator, a
    proxy) is expected to serve ``/inference-request/...`` itself, so one URL
    configures a local service.
    """
    parts = urlparse(base_url)
    name = (parts.hostname or "").lower()
    if name == "segmind.com" or name.endswith(".segmind.com"):
        return SEGMIND_HISTORY_URL
    return urlunparse((parts.scheme, parts.netloc, HISTORY_PREFIX, "", "", ""))


@dataclass(frozen=True)
class Settings:
    api_key: Secret | None = field(default=None)
    base_url: str = DEFAULT_BASE_URL
    media_dir: Path = Path("ltx_media")
    store_path: Path = Path("ltx_media/ltx-jobs.sqlite")
    # An explicit request-history URL; None derives it from base_url (see history_url()).
    history_base: str | None = None

    def __post_init__(self) -> None:
        if self.api_key is not None:
            key = clean_key(self.api_key.get())
            if key != self.api_key.get():
                object.__setattr__(self, "api_key", Secret(key) if key else None)
        if self.api_key is not None:
            cleartext_warning(self.base_url)

    @property
    def v2_url(self) -> str:
        return v2_base(self.base_url)

    @property
    def upload_url(self) -> str:
        return upload_url(self.base_url)

    @property
    def history_url(self) -> str:
        """The request-history prefix: ``{history_url}/request-history/{id}`` and so on."""
        return self.history_base or history_url(self.base_url)

    @classmethod
    def from_env(cls, *, read_key: bool = True) -> Settings:
        """The settings the environment gives; *read_key* False leaves the key unset."""
        env = os.environ
        key = None
        if read_key:
            key = clean_key(env.get("SEGMIND_API_KEY"), source="SEGMIND_API_KEY")
            if key is None:  # in Colab, the notebook's secret of the same name
                key = clean_key(colab_secret("SEGMIND_API_KEY"), source="Colab's SEGMIND_API_KEY")
        media = Path(env.get("LTX_NOTEBOOK_MEDIA_DIR") or "ltx_media")
        store = Path(env.get("LTX_NOTEBOOK_STORE") or media / "ltx-jobs.sqlite")
        return cls(
            api_key=Secret(key) if key else None,
            base_url=(env.get("SEGMIND_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            media_dir=media,
            store_path=store,
            history_base=(env.get("SEGMIND_HISTORY_URL") or "").rstrip("/") or None,
        )

    def describe(self) -> dict[str, str]:
        """The effective settings with the key masked, for ``%ltx config`` and logs."""
        return {
            "base_url": self.base_url,
            "v2_url": self.v2_url,
            "history_url": self.history_url,
            "api_key": self.api_key.masked if self.api_key else "(not set)",
            "media_dir": str(self.media_dir),
            "store_path": str(self.store_path),
        }


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def configure(
    api_key: str | None = None,
    base_url: str | None = None,
    media_dir: str | os.PathLike[str] | None = None,
    store_path: str | os.PathLike[str] | None = None,
    history_url: str | None = None,
) -> Settings:
    """Change the settings in force; only what is given changes.

    Defaults come from ``SEGMIND_API_KEY``, ``SEGMIND_BASE_URL``,
    ``LTX_NOTEBOOK_MEDIA_DIR``, ``LTX_NOTEBOOK_STORE`` and ``SEGMIND_HISTORY_URL``.
    A new ``media_dir`` moves the default store with it unless ``store_path``
    was set explicitly. ``history_url=""`` goes back to deriving it from the base URL.
    """
    global _settings
    # A key given here replaces the environment's, so a bad SEGMIND_API_KEY cannot block it.
    current = _settings or Settings.from_env(read_key=api_key is None)
    changes: dict[str, Any] = {}
    if api_key is not None:
        changes["api_key"] = Secret(api_key) if api_key else None
    if base_url is not None:
        changes["base_url"] = base_url.rstrip("/")
    if media_dir is not None:
        changes["media_dir"] = Path(media_dir)
        if store_path is None and not os.environ.get("LTX_NOTEBOOK_STORE"):
            changes["store_path"] = Path(media_dir) / "ltx-jobs.sqlite"
    if store_path is not None:
        changes["store_path"] = Path(store_path)
    if history_url is not None:
        changes["history_base"] = history_url.rstrip("/") or None
    _settings = replace(current, **changes)
    return _settings
