"""Where the job store lives: a SQLite file (a path, as always) or a database URL.

``configure(store_path=...)`` and ``LTX_NOTEBOOK_STORE`` take either. A plain
path, or ``sqlite:///path``, is a SQLite file and stays a :class:`~pathlib.Path`
so that every path rule (relative to the kernel's folder, ``~``) keeps holding;
any other ``scheme://`` is a database URL kept as text
(``postgresql+psycopg://user@host/db``). Parsing the URL itself is SQLAlchemy's
job, in the store's open path: nothing here imports it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit

from .secrets import register_secret

__all__ = ["shown_location", "store_location"]

_URL: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def store_location(value: str | os.PathLike[str]) -> Path | str:
    """A ``Path`` for a SQLite file, the URL's text for any other database.

    ``ValueError`` for a SQLite URL that names no file (``sqlite://``: an
    in-memory store would forget every job when the kernel ends).
    """
    if isinstance(value, os.PathLike):
        return Path(value)
    text = str(value)
    if not _URL.match(text):
        return Path(text)
    scheme, rest = text.split("://", 1)
    if scheme.lower().split("+", 1)[0] != "sqlite":
        # A password in the URL is a secret like the API key: no message may show it.
        register_secret(urlsplit(text).password)
        return text
    path = unquote(rest[1:].split("?", 1)[0]) if rest.startswith("/") else ""
    if not path:
        raise ValueError(
            f"{text!r} names no file: a SQLite store is sqlite:///relative/path.sqlite "
            "or sqlite:////absolute/path.sqlite (or just the path)"
        )
    return Path(path)


def shown_location(location: Path | str) -> str:
    """*location* fit to print: a URL's password replaced by ``***``."""
    if isinstance(location, Path):
        return str(location)
    parts = urlsplit(location)
    if parts.password is None:
        return location
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
