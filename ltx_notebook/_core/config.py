"""Settings: where the service is, which key to use, where videos and the store live.

One :class:`Settings` object per process, changed only through
:func:`configure`. The key is held in a :class:`Secret` so that no repr, log
line or exception can print it by accident.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import sys
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from .errors import InsecureURLWarning, InvalidParams, register_secret
from .secrets import colab_secret, key_problem, redact
from .store_url import shown_location, store_location

__all__ = ["Secret", "Settings", "StorageOptions", "configure", "get_settings", "media_location"]

DEFAULT_BASE_URL = "https://api.segmind.com/v1"
SEGMIND_UPLOAD_URL = "https://workflows-api.segmind.com/upload-asset"
SEGMIND_HISTORY_URL = "https://api.spotprod.segmind.com/inference-request"
HISTORY_PREFIX = "/inference-request"
# The periods a budget may run over; a timedelta is a rolling window instead.
BUDGET_PERIODS = ("session", "day", "month", "all")
MAX_PERIOD = timedelta(days=36500)  # a century: longer is "all", and datetimes end at year 9999
# How long after a submit whose answer was lost the request history is searched for it
# before the row says the service has no such request. The submit's own retries end
# within two minutes; the history may show a request a little after it is made.
DEFAULT_MATCH_GRACE = 300.0
# How long after a lost answer the history is given to list every request made then
# before its only match is taken for the submit without asking (25 s late has been seen).
DEFAULT_MATCH_SETTLE = 60.0
# No video of a job comes near this (a 10 s 4k clip is ~50 MB): a longer answer is broken
# or endless, and is stopped here rather than filling the disk.
DEFAULT_MAX_VIDEO_BYTES = 2 * 1024**3
# Which file a <video> is given: "auto" by the front end (VS Code: a copy with MP3 audio,
# as its player has no AAC decoder), or one choice everywhere.
PLAYBACK_MODES = ("auto", "original", "mp3-audio")
# With the videos in a bucket, the local copies that play live here (least recently used
# evicted past the cap); the default store moves beside them.
DEFAULT_CACHE_DIR = Path("ltx_cache")
DEFAULT_CACHE_MAX_GB = 10.0
# A dead kernel's jobs can be taken over within two minutes: the lease lapses 90 s
# after its last heartbeat, and a heartbeat goes every 30 s.
DEFAULT_LEASE_SECONDS = 90.0
DEFAULT_HEARTBEAT_SECONDS = 30.0
BUDGET_SCOPES = ("mine", "team")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://")


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


class StorageOptions(Mapping[str, Any]):
    """Options for the storage library (fsspec's ``storage_options``): shown by name only.

    They often carry credentials (``key``, ``secret``, ``token``, a SAS, a connection
    string), so no repr, log line or ``%ltx config`` shows a value, and the values of
    options named like credentials are scrubbed from every text like the API key.
    Never written to the store.
    """

    __slots__ = ("_options",)

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        self._options = dict(options or {})
        for name, value in self._options.items():
            if not isinstance(name, str):
                raise InvalidParams(
                    f"storage_options names must be text (got {type(name).__name__})",
                    param="storage_options",
                )
            _register_texts(value, name)

    def __getitem__(self, name: str) -> Any:
        return self._options[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def __repr__(self) -> str:
        return f"StorageOptions({', '.join(sorted(self._options)) or '(none)'})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorageOptions) and other._options == self._options

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._options)))

    def __reduce__(self) -> str | tuple[Any, ...]:
        if self._options:  # they may hold credentials: refuse to be pickled into a file
            raise TypeError("storage options cannot be pickled")
        return (StorageOptions, ())


# An option named so holds a credential: its value is scrubbed from every text. Only
# these: scrubbing every value would blank a region or a word like "auto" everywhere.
_SECRET_OPTION = re.compile(r"key|secret|token|password|passwd|credential|sas|signature|auth|conn")


def _register_texts(value: Any, name: str = "") -> None:
    # Nested too: s3fs takes client_kwargs={"aws_secret_access_key": ...}.
    if isinstance(value, str):
        if _SECRET_OPTION.search(name.lower()):
            register_secret(value)
    elif isinstance(value, Mapping):
        for inner, item in value.items():
            _register_texts(item, f"{name}.{inner}")
    elif isinstance(value, list | tuple):
        for item in value:
            _register_texts(item, name)


def media_location(value: str | os.PathLike[str]) -> Path | str:
    """Where the videos live: a local folder (a :class:`Path`) or an fsspec URL (text).

    ``file://`` URLs are local folders; any other ``scheme://`` (``s3://bucket/prefix``,
    ``gs://``, ``az://``, ``memory://``) is kept as text, without a trailing slash.
    """
    if isinstance(value, Path):
        return value
    text = os.fspath(value)
    if text.startswith("file://"):
        return Path(text.removeprefix("file://"))
    if _URL.match(text):
        scheme, rest = text.split("://", 1)
        if not rest.strip("/"):
            raise InvalidParams(
                f"media_dir {scheme}:// names no bucket or folder", param="media_dir"
            )
        userinfo, at, _ = rest.partition("/")[0].rpartition("@")
        if at:  # credentials written into the URL: never shown (better kept out of it)
            register_secret(userinfo.partition(":")[2] or userinfo)
        return f"{scheme.lower()}://{rest.rstrip('/')}"
    return Path(text)


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


def check_budget(value: Any, source: str = "budget") -> float | None:
    """A budget in USD (a number, 0 or more), None for no cap; InvalidParams otherwise.

    Text is read as a number too (``"5"``, ``"$5.50"``): environment variables
    and ``%config`` hand it over that way. ``inf`` means no cap.
    """
    if value is None:
        return None
    number: Any = value
    if isinstance(value, str):
        text = value.strip().lstrip("$").strip()
        if text.lower() in ("", "none", "off"):
            return None
        try:
            number = float(text)
        except ValueError:
            number = value
    if isinstance(number, bool) or not isinstance(number, int | float) or not number >= 0:
        raise InvalidParams(
            f"{source} must be an amount in USD, 0 or more (got {value!r})", param="budget"
        )
    return None if number == math.inf else float(number)


def check_period(value: Any, source: str = "budget_period") -> str | timedelta:
    """A budget period: session, day, month, all, a positive timedelta, or text like ``24h``."""
    if isinstance(value, timedelta):
        if timedelta(0) < value <= MAX_PERIOD:
            return value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in BUDGET_PERIODS:
            return text
        match = re.fullmatch(r"(\d{1,9}(?:\.\d{1,9})?)\s*([hd])", text)
        if match and float(match.group(1)) > 0:
            amount = float(match.group(1))
            span = timedelta(hours=amount) if match.group(2) == "h" else timedelta(days=amount)
            if span <= MAX_PERIOD:
                return span
    raise InvalidParams(
        f"{source} must be one of {', '.join(BUDGET_PERIODS)}, a positive timedelta, or a "
        f"number of hours or days such as 24h or 7d, up to a century (got {value!r})",
        param="budget_period",
    )


@dataclass(frozen=True)
class Settings:
    """Where the service is, which key to use, where videos and the job store live.

    Frozen: ``configure()`` makes a new one. ``api_key`` is a masked `Secret`
    (or None); ``base_url`` the service's v1 URL; ``media_dir`` a local folder or
    an fsspec URL (text, see :func:`media_location`); ``media_dir``, ``cache_dir``
    and ``store_path`` are relative to the kernel's working directory unless
    absolute; ``history_base`` an explicit request-history URL, or None to
    derive it (see ``history_url``).
    """

    api_key: Secret | None = field(default=None)
    base_url: str = DEFAULT_BASE_URL
    media_dir: Path | str = Path("ltx_media")
    # A SQLite file, or a database's URL (see _core/store_url.py).
    store_path: Path | str = Path("ltx_media/ltx-jobs.sqlite")
    # An explicit request-history URL; None derives it from base_url (see history_url()).
    history_base: str | None = None
    # A cap in USD on this store's spend over budget_period (None: no cap); see _jobs/budget.
    budget: float | None = None
    budget_period: str | timedelta = "session"
    # Seconds after an UNKNOWN submit during which the request history is searched for it.
    match_grace: float = DEFAULT_MATCH_GRACE
    # Seconds after a lost answer before the history's one match is taken without asking.
    match_settle: float = DEFAULT_MATCH_SETTLE
    # A video download stops (given up, said once) past this many bytes.
    max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    # Which file a player is given: see PLAYBACK_MODES.
    playback: str = "auto"
    # With media_dir a URL: the local copies that play, capped at cache_max_gb (LRU).
    cache_dir: Path = DEFAULT_CACHE_DIR
    cache_max_gb: float = DEFAULT_CACHE_MAX_GB
    # For the storage library, beside its own configuration (AWS_* variables...).
    storage_options: StorageOptions = field(default_factory=StorageOptions)
    # Who this kernel's jobs belong to in a store a team shares (default: the login name).
    user: str = field(default_factory=lambda: default_user())
    # Whose spend the budget counts: "mine" (this user's jobs) or "team" (every row).
    budget_scope: str = "mine"
    # A kernel's claim on the jobs it drives lapses this many seconds after its last
    # heartbeat; another kernel may then take them over. Renewed every heartbeat_seconds.
    lease_seconds: float = DEFAULT_LEASE_SECONDS
    heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "user", check_user(self.user))
        object.__setattr__(self, "budget_scope", check_budget_scope(self.budget_scope))
        lease, beat = check_lease(self.lease_seconds, self.heartbeat_seconds)
        object.__setattr__(self, "lease_seconds", lease)
        object.__setattr__(self, "heartbeat_seconds", beat)
        object.__setattr__(self, "media_dir", media_location(self.media_dir))
        object.__setattr__(self, "cache_dir", Path(self.cache_dir))
        options: Any = self.storage_options  # a plain dict from a caller is welcome too
        if not isinstance(options, StorageOptions):
            object.__setattr__(self, "storage_options", StorageOptions(options))
        object.__setattr__(self, "cache_max_gb", check_gigabytes(self.cache_max_gb))
        for name in ("match_grace", "match_settle"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not 0 <= value < 1e7
            ):
                raise InvalidParams(
                    f"{name} must be a number of seconds from 0 (got {value!r})", param=name
                )
        cap = self.max_video_bytes
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 1:
            raise InvalidParams(
                f"max_video_bytes must be a whole number of bytes from 1 (got {cap!r})",
                param="max_video_bytes",
            )
        object.__setattr__(self, "playback", check_playback(self.playback))
        if self.api_key is not None:
            key = clean_key(self.api_key.get())
            if key != self.api_key.get():
                object.__setattr__(self, "api_key", Secret(key) if key else None)
        if self.api_key is not None:
            cleartext_warning(self.base_url)

    def __repr__(self) -> str:
        # Redacted: a media URL may carry credentials (the API key is a masked Secret).
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return redact(f"Settings({shown})")

    @property
    def media_url(self) -> str | None:
        """The fsspec URL of the videos' canonical copies; None for a local folder."""
        return self.media_dir if isinstance(self.media_dir, str) else None

    @property
    def local_media(self) -> Path:
        """Where this kernel's videos are written and played: the media folder, or the cache."""
        return self.media_dir if isinstance(self.media_dir, Path) else self.cache_dir

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
        media = media_location(env.get("LTX_NOTEBOOK_MEDIA_DIR") or "ltx_media")
        cache = Path(env.get("LTX_NOTEBOOK_CACHE_DIR") or DEFAULT_CACHE_DIR)
        local = media if isinstance(media, Path) else cache
        store = _store(
            env.get("LTX_NOTEBOOK_STORE") or local / "ltx-jobs.sqlite", "LTX_NOTEBOOK_STORE"
        )
        return cls(
            api_key=Secret(key) if key else None,
            base_url=(env.get("SEGMIND_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            media_dir=media,
            store_path=store,
            history_base=(env.get("SEGMIND_HISTORY_URL") or "").rstrip("/") or None,
            budget=check_budget(env.get("LTX_NOTEBOOK_BUDGET"), "LTX_NOTEBOOK_BUDGET"),
            budget_period=check_period(
                env.get("LTX_NOTEBOOK_BUDGET_PERIOD") or "session", "LTX_NOTEBOOK_BUDGET_PERIOD"
            ),
            match_grace=_seconds(env.get("LTX_NOTEBOOK_MATCH_GRACE"), "LTX_NOTEBOOK_MATCH_GRACE"),
            match_settle=_seconds(
                env.get("LTX_NOTEBOOK_MATCH_SETTLE"),
                "LTX_NOTEBOOK_MATCH_SETTLE",
                DEFAULT_MATCH_SETTLE,
                "match_settle",
            ),
            max_video_bytes=check_bytes(
                env.get("LTX_NOTEBOOK_MAX_VIDEO_BYTES"), "LTX_NOTEBOOK_MAX_VIDEO_BYTES"
            ),
            playback=check_playback(env.get("LTX_NOTEBOOK_PLAYBACK"), "LTX_NOTEBOOK_PLAYBACK"),
            cache_dir=cache,
            cache_max_gb=check_gigabytes(
                env.get("LTX_NOTEBOOK_CACHE_MAX_GB") or DEFAULT_CACHE_MAX_GB,
                "LTX_NOTEBOOK_CACHE_MAX_GB",
            ),
            user=check_user(env.get("LTX_NOTEBOOK_USER") or default_user(), "LTX_NOTEBOOK_USER"),
            budget_scope=check_budget_scope(
                env.get("LTX_NOTEBOOK_BUDGET_SCOPE") or "mine", "LTX_NOTEBOOK_BUDGET_SCOPE"
            ),
            lease_seconds=_seconds(
                env.get("LTX_NOTEBOOK_LEASE"),
                "LTX_NOTEBOOK_LEASE",
                DEFAULT_LEASE_SECONDS,
                "lease_seconds",
            ),
            heartbeat_seconds=_seconds(
                env.get("LTX_NOTEBOOK_HEARTBEAT"),
                "LTX_NOTEBOOK_HEARTBEAT",
                DEFAULT_HEARTBEAT_SECONDS,
                "heartbeat_seconds",
            ),
        )

    def describe(self) -> dict[str, str]:
        """The effective settings with the key masked, for ``%ltx config`` and logs."""
        return {
            "base_url": self.base_url,
            "v2_url": self.v2_url,
            "history_url": self.history_url,
            "api_key": self.api_key.masked if self.api_key else "(not set)",
            "media_dir": _shown(self.media_dir),
            "cache_dir": str(self.cache_dir)
            if self.media_url
            else "(not used: media_dir is local)",
            "cache_max_gb": f"{self.cache_max_gb:g} GB",
            "storage_options": ", ".join(sorted(self.storage_options)) or "(none)",
            "store_path": shown_location(self.store_path),
            "budget": "(none)" if self.budget is None else f"${self.budget:.2f}",
            "budget_period": str(self.budget_period),
            "match_grace": f"{self.match_grace:g} s",
            "match_settle": f"{self.match_settle:g} s",
            "max_video_bytes": f"{self.max_video_bytes:,}",
            "playback": self.playback,
            "user": self.user,
            "budget_scope": self.budget_scope,
            "lease_seconds": f"{self.lease_seconds:g} s",
            "heartbeat_seconds": f"{self.heartbeat_seconds:g} s",
        }


def _store(value: str | os.PathLike[str], source: str) -> Path | str:
    try:
        return store_location(value)
    except ValueError as exc:
        raise InvalidParams(f"{source}: {exc}", param="store_path") from None


def _shown(media: Path | str) -> str:
    """*media* for display: a URL without any credentials in it."""
    if isinstance(media, Path):
        return str(media)
    scheme, rest = media.split("://", 1)
    return f"{scheme}://{rest.rsplit('@', 1)[-1]}" if "@" in rest.split("/", 1)[0] else media


def check_gigabytes(value: Any, source: str = "cache_max_gb") -> float:
    """A cache cap in GB: a number above 0 (text is read as one); InvalidParams otherwise."""
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = value
    if isinstance(number, bool) or not isinstance(number, int | float) or not 0 < number < math.inf:
        raise InvalidParams(
            f"{source} must be a number of gigabytes above 0 (got {value!r})",
            param="cache_max_gb",
        )
    return float(number)


def _seconds(
    value: str | None,
    source: str,
    default: float = DEFAULT_MATCH_GRACE,
    param: str = "match_grace",
) -> float:
    if not (value or "").strip():
        return default
    try:
        return float(str(value))
    except ValueError:
        raise InvalidParams(
            f"{source} must be a number of seconds (got {value!r})", param=param
        ) from None


def check_bytes(value: Any, source: str = "max_video_bytes") -> int:
    """A byte count from 1 (text such as ``"2e9"`` too); the default when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_MAX_VIDEO_BYTES
    number: Any = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = value
    if isinstance(number, float) and math.isfinite(number) and number.is_integer():
        number = int(number)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise InvalidParams(
            f"{source} must be a whole number of bytes from 1 (got {value!r})",
            param="max_video_bytes",
        )
    return number


def check_playback(value: Any, source: str = "playback") -> str:
    """One of :data:`PLAYBACK_MODES` (any case; blank is ``auto``); InvalidParams otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "auto"
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in PLAYBACK_MODES:
        raise InvalidParams(
            f"{source} must be one of {', '.join(PLAYBACK_MODES)} (got {value!r})",
            param="playback",
        )
    return str(text)


def default_user() -> str:
    """The login name (``getpass``), or ``"unknown"`` where the system has none to give."""
    import getpass

    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no USER variable and no passwd entry (some containers)
        return "unknown"


def check_user(value: Any, source: str = "user") -> str:
    """A name for whose jobs these are: printable text, 1 to 64 characters, trimmed."""
    text = value.strip() if isinstance(value, str) else None
    if not text or len(text) > 64 or not text.isprintable():
        raise InvalidParams(
            f"{source} must be a name of 1 to 64 printable characters (got {value!r})",
            param="user",
        )
    return text


def check_budget_scope(value: Any, source: str = "budget_scope") -> str:
    """``"mine"`` or ``"team"`` (any case)."""
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in BUDGET_SCOPES:
        raise InvalidParams(
            f"{source} must be one of {', '.join(BUDGET_SCOPES)} (got {value!r})",
            param="budget_scope",
        )
    return str(text)


def check_lease(lease: Any, heartbeat: Any) -> tuple[float, float]:
    """The lease and its heartbeat in seconds: a heartbeat at most a third of the lease,
    so two renewals can be missed (a slow disk, a busy loop) before the lease lapses."""
    for name, value in (("lease_seconds", lease), ("heartbeat_seconds", heartbeat)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
            raise InvalidParams(
                f"{name} must be a number of seconds above 0 (got {value!r})", param=name
            )
    if heartbeat * 3 > lease:
        raise InvalidParams(
            f"heartbeat_seconds ({heartbeat:g}) must be at most a third of lease_seconds "
            f"({lease:g}), so a missed heartbeat does not lose the lease",
            param="heartbeat_seconds",
        )
    return float(lease), float(heartbeat)


_settings: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: read from the environment on first use, then as configured."""
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
    budget: float | str | None = None,
    budget_period: str | timedelta | None = None,
    match_grace: float | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    cache_max_gb: float | None = None,
    storage_options: Mapping[str, Any] | None = None,
    match_settle: float | None = None,
    max_video_bytes: int | None = None,
    playback: str | None = None,
    user: str | None = None,
    budget_scope: str | None = None,
    lease_seconds: float | None = None,
    heartbeat_seconds: float | None = None,
) -> Settings:
    """Change the settings in force; only what is given changes.

    Defaults come from ``SEGMIND_API_KEY``, ``SEGMIND_BASE_URL``,
    ``LTX_NOTEBOOK_MEDIA_DIR``, ``LTX_NOTEBOOK_STORE``, ``SEGMIND_HISTORY_URL`` and
    ``LTX_NOTEBOOK_MATCH_GRACE`` (seconds an UNKNOWN submit is looked for in the
    request history before its row says the service has no such request; 300) and
    ``LTX_NOTEBOOK_MATCH_SETTLE`` (seconds after a lost answer before the history's one
    match is taken for the submit without asking; 60); ``LTX_NOTEBOOK_MAX_VIDEO_BYTES``
    (a video download stops, given up, past this many bytes; 2 GiB);
    ``LTX_NOTEBOOK_PLAYBACK`` (which file players get: ``auto``, the default, gives
    VS Code a copy with MP3 audio, which its player decodes, and every other front
    end the original; ``original`` or ``mp3-audio`` choose one everywhere).
    A new ``media_dir`` moves the default store with it unless ``store_path``
    was set explicitly. ``history_url=""`` goes back to deriving it from the base URL.
    ``budget`` caps this store's spend in USD over ``budget_period`` (``"session"``,
    the default, ``"day"``, ``"month"``, ``"all"`` or a ``timedelta``);
    ``budget=float("inf")`` removes the cap. From ``LTX_NOTEBOOK_BUDGET`` and
    ``LTX_NOTEBOOK_BUDGET_PERIOD`` by default. Bad values raise InvalidParams.

    ``media_dir`` may be an fsspec URL (``s3://bucket/prefix``, ``gs://``, ``az://``):
    the canonical copy of every video goes there, and the videos play from a local
    ``cache_dir`` (``LTX_NOTEBOOK_CACHE_DIR``, default ``ltx_cache``) of at most
    ``cache_max_gb`` (``LTX_NOTEBOOK_CACHE_MAX_GB``, default 10), least recently used
    evicted. Credentials come from the storage library's own configuration (for S3
    the ``AWS_*`` variables); ``storage_options`` adds anything else, never stored
    or shown. See docs/team.md.

    In a store a team shares, ``user`` (``LTX_NOTEBOOK_USER``, default the login
    name) marks whose jobs are whose; ``budget_scope`` (``LTX_NOTEBOOK_BUDGET_SCOPE``)
    is ``"mine"`` (the default: the budget counts your jobs) or ``"team"`` (everyone's);
    a kernel's claim on the jobs it drives lapses ``lease_seconds`` (``LTX_NOTEBOOK_LEASE``,
    90) after its last heartbeat, sent every ``heartbeat_seconds``
    (``LTX_NOTEBOOK_HEARTBEAT``, 30), and another kernel may then take them over.
    """
    global _settings
    # A key given here replaces the environment's, so a bad SEGMIND_API_KEY cannot block it.
    current = _settings or Settings.from_env(read_key=api_key is None)
    changes: dict[str, Any] = {}
    if api_key is not None:
        changes["api_key"] = Secret(api_key) if api_key else None
    if base_url is not None:
        changes["base_url"] = base_url.rstrip("/")
    if cache_dir is not None:
        changes["cache_dir"] = Path(cache_dir)
    if cache_max_gb is not None:
        changes["cache_max_gb"] = check_gigabytes(cache_max_gb)
    if storage_options is not None:
        changes["storage_options"] = StorageOptions(storage_options)
    if media_dir is not None:
        media = changes["media_dir"] = media_location(media_dir)
        if store_path is None and not os.environ.get("LTX_NOTEBOOK_STORE"):
            local = (
                media if isinstance(media, Path) else changes.get("cache_dir", current.cache_dir)
            )
            changes["store_path"] = local / "ltx-jobs.sqlite"
    if store_path is not None:
        changes["store_path"] = _store(store_path, "store_path")
    if history_url is not None:
        changes["history_base"] = history_url.rstrip("/") or None
    if budget is not None:
        changes["budget"] = check_budget(budget)
    if budget_period is not None:
        changes["budget_period"] = check_period(budget_period)
    if match_grace is not None:
        changes["match_grace"] = match_grace
    if match_settle is not None:
        changes["match_settle"] = match_settle
    if max_video_bytes is not None:
        changes["max_video_bytes"] = check_bytes(max_video_bytes)
    if playback is not None:
        changes["playback"] = check_playback(playback)
    if user is not None:
        changes["user"] = check_user(user)
    if budget_scope is not None:
        changes["budget_scope"] = check_budget_scope(budget_scope)
    if lease_seconds is not None:
        changes["lease_seconds"] = lease_seconds
    if heartbeat_seconds is not None:
        changes["heartbeat_seconds"] = heartbeat_seconds
    _settings = replace(current, **changes)
    return _settings
