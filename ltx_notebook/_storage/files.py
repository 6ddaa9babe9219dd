"""The canonical copy of every video and poster, behind an fsspec URL (``s3://bucket/prefix``).

A team keeps its videos in one bucket, so every kernel can play every clip.
Each file goes up streamed from the local copy and is never half-written under
its final name: it is written to a hidden temporary key beside it, checked
(its size, then its hash: the server's ETag where that is the MD5 of what it
was sent, as for a plain S3 upload, else the temporary object read back), and
only then moved to its name. A failure removes the temporary key and raises
:class:`MediaError`; the local copy is untouched.

Credentials and endpoints come from the storage library's own configuration
(for S3 the ``AWS_*`` environment variables, as botocore reads them) and the
settings' ``storage_options``; their values are registered for redaction, so
no error or log line this package writes can carry them. fsspec and its
backends are imported when a URL is first used, never at import.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from .._core.errors import MediaError
from .._core.secrets import register_secret, scrub_loggers

__all__ = ["CREDENTIAL_VARIABLES", "RemoteFiles"]

# Read in pieces this size, so a file is never held in memory whole.
CHUNK: Final = 4 * 1024 * 1024
# What a writer buffers before sending (S3: one PUT below it, a multipart upload above,
# whose parts are at least 5 MB). Most clips fit in one PUT, whose ETag is their MD5.
BLOCK: Final = 16 * 1024 * 1024
# The storage libraries' own secrets in the environment: never to be shown.
CREDENTIAL_VARIABLES: Final = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_CLIENT_SECRET",
)
# The loggers of the storage libraries (botocore logs signed headers at DEBUG).
STORAGE_LOGGERS: Final = (
    "fsspec",
    "s3fs",
    "gcsfs",
    "adlfs",
    "botocore",
    "aiobotocore",
    "boto3",
    "urllib3",
    "aiohttp",
    "azure",
    "google",
)
_MD5: Final = re.compile(r"[0-9a-f]{32}")


class RemoteFiles:
    """The files under one fsspec URL: put one (verified, atomic), get one (streamed)."""

    def __init__(self, url: str, options: Mapping[str, Any] | None = None) -> None:
        self.url = url.rstrip("/")
        self._options = dict(options or {})
        self._fs: Any = None
        self._root = ""
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RemoteFiles({self.where!r})"

    @property
    def where(self) -> str:
        """The URL, for messages: never any credentials written into it."""
        scheme, _, rest = self.url.partition("://")
        head, sep, tail = rest.partition("/")
        return f"{scheme}://{head.rsplit('@', 1)[-1]}{sep}{tail}"

    def uses(self, options: Mapping[str, Any]) -> bool:
        """Whether these are the files *options* open (a change of them opens anew)."""
        return self._options == dict(options)

    def put(self, local: Path, name: str) -> None:
        """Copy *local* to *name*, verified by size and hash; never half-written.

        A canonical copy already there with the same size and hash is kept as is
        (a retry after a crash between the move and its record).
        """
        with self._failures("uploading", name):
            fs, key = self._key(name)
            size, digest = _measure(local)
            with contextlib.suppress(FileNotFoundError):
                if self._matches(fs, key, fs.info(key), size, digest):
                    return
            tmp = self._key(f".{name}.{uuid.uuid4().hex[:12]}.tmp")[1]
            try:
                sent = hashlib.md5(usedforsecurity=False)
                with open(local, "rb") as src, fs.open(tmp, "wb", block_size=BLOCK) as out:
                    while chunk := src.read(CHUNK):
                        sent.update(chunk)
                        out.write(chunk)
                if sent.hexdigest() != digest:
                    raise MediaError(f"{local.name} changed while it was uploaded; not kept")
                if not self._matches(fs, tmp, fs.info(tmp), size, digest):
                    raise MediaError(
                        f"the upload of {name} to {self.where} does not match the local copy "
                        "(size or hash); not kept"
                    )
                fs.mv(tmp, key)
            except BaseException:
                with contextlib.suppress(Exception):
                    fs.rm(tmp)
                raise
            stored = int(fs.info(key)["size"])
            if stored != size:
                raise MediaError(
                    f"{name} at {self.where} has {stored} bytes after the move, not {size}"
                )

    def get(self, name: str, dest: Path) -> int:
        """Stream *name*'s canonical copy into *dest* (a new file); the bytes written.

        ``MediaError`` if there is none, or fewer or more bytes arrive than it has.
        """
        with self._failures("fetching", name):
            fs, key = self._key(name)
            try:
                expected = int(fs.info(key)["size"])
            except FileNotFoundError:
                raise MediaError(f"{name} is not at {self.where}") from None
            written = 0
            with fs.open(key, "rb", block_size=CHUNK) as src, open(dest, "xb") as out:
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if written != expected:
                raise MediaError(
                    f"{name} from {self.where} arrived with {written} of {expected} bytes"
                )
            return written

    # -- inside --------------------------------------------------------------------
    def _key(self, name: str) -> tuple[Any, str]:
        with self._lock:
            if self._fs is None:
                import fsspec  # only a URL media_dir pays for it (and its backend)

                for variable in CREDENTIAL_VARIABLES:
                    register_secret(os.environ.get(variable))
                # An instance of its own: fsspec's shared one would keep the endpoint and
                # credentials the environment named when it was first made.
                self._fs, self._root = fsspec.core.url_to_fs(
                    self.url, skip_instance_cache=True, **self._options
                )
                scrub_loggers(*STORAGE_LOGGERS)  # now that the backend is imported
            return self._fs, f"{self._root.rstrip('/')}/{name}"

    def _matches(self, fs: Any, key: str, info: Mapping[str, Any], size: int, digest: str) -> bool:
        """Whether the object at *key* (its *info*) holds *size* bytes with MD5 *digest*."""
        if int(info.get("size") or -1) != size:
            return False
        etag = str(info.get("ETag") or info.get("etag") or "").strip('"').lower()
        if _MD5.fullmatch(etag) and etag == digest:
            return True  # the server's own hash of what it was sent
        # No usable ETag (a multipart upload, another store, server-side encryption):
        # read the object back.
        got = hashlib.md5(usedforsecurity=False)
        with fs.open(key, "rb", block_size=CHUNK) as src:
            while chunk := src.read(CHUNK):
                got.update(chunk)
        return got.hexdigest() == digest

    @contextlib.contextmanager
    def _failures(self, doing: str, name: str) -> Iterator[None]:
        """Any failure of the storage library as one :class:`MediaError` naming what and where."""
        try:
            yield
        except MediaError:
            raise
        except Exception as exc:
            # The library's message (the secrets in it are redacted by MediaError), not its
            # chain: a botocore error's context holds the request, headers and all.
            what = f"{type(exc).__name__}: {exc}".rstrip(": ")
            raise MediaError(f"{doing} {name} at {self.where} failed ({what})") from None


def _measure(path: Path) -> tuple[int, str]:
    """The size and MD5 of *path*, read in pieces."""
    digest = hashlib.md5(usedforsecurity=False)
    size = 0
    with open(path, "rb") as src:
        while chunk := src.read(CHUNK):
            size += len(chunk)
            digest.update(chunk)
    return size, digest.hexdigest()
