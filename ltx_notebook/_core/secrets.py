"""The API key's hygiene: what a key may hold, and scrubbing it from every text and log line.

A key is registered when a :class:`~.config.Secret` is made. :func:`redact`
then replaces it with ``***`` in any text, in every spelling a message may
give it: as is, escaped by ``repr`` or JSON (an httpx error quotes the header
bytes: ``b'sk-...\\n'``), URL-encoded, and base64-encoded at any alignment.
Errors redact their messages, the store redacts every text it writes, and a
filter on the package's loggers and on httpx's and httpcore's redacts every
record, so a debug log line quoting a header cannot carry the key either.
"""

from __future__ import annotations

import base64
import json
import logging
import sys
from typing import Final
from urllib.parse import quote, quote_plus

__all__ = [
    "SCRUBBED_LOGGERS",
    "KeyScrubber",
    "RedactedError",
    "clean_cause",
    "colab_secret",
    "key_problem",
    "redact",
    "register_secret",
    "scrub_loggers",
]

# Every logger that could be handed a header or an error quoting one: ours, and
# httpx's and httpcore's (one per module: a filter on a parent logger does not
# see records logged on its children). A test checks ours are all here.
SCRUBBED_LOGGERS: Final = (
    "ltx_notebook",
    "ltx_notebook.client",
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "hpack",
    "hpack.hpack",
)

MASK: Final = "***"
_MIN_FORM = 6  # shorter spellings (a base64 sliver of a short key) would scrub ordinary words

# Each registered secret, with every spelling of it.
_SECRETS: dict[str, frozenset[str]] = {}


def key_problem(key: str) -> str | None:
    """What makes *key* unfit for an HTTP header, in general terms, or ``None``.

    Never names a position or a character: either would show a part of the key.
    """
    problems = []
    if not key.isascii():
        problems.append("a non-ASCII character")
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        problems.append("a control character (a line break or a tab)")
    if " " in key:
        problems.append("a space")
    return " and ".join(problems) or None


def register_secret(value: str | None) -> None:
    """Remember a secret so :func:`redact` can scrub it from any text."""
    for secret in {value or "", (value or "").strip()}:
        if len(secret) >= 4 and secret not in _SECRETS:
            _SECRETS[secret] = frozenset(_spellings(secret))


def redact(text: str) -> str:
    """Return *text* with every spelling of every registered secret replaced by ``***``."""
    # Longest first, so a spelling that contains another is replaced whole.
    forms = {form for spellings in _SECRETS.values() for form in spellings}
    for form in sorted(forms, key=len, reverse=True):
        if form in text:
            text = text.replace(form, MASK)
    return text


# How repr (either quote), a bytes repr and JSON spell a string inside their quotes.
_ESCAPES: Final = (
    lambda s: s.replace("\\", "\\\\"),
    lambda s: s.replace("\\", "\\\\").replace("'", "\\'"),
    lambda s: s.replace("\\", "\\\\").replace('"', '\\"'),
    lambda s: json.dumps(s)[1:-1],
    lambda s: repr(s)[1:-1],
)


def _spellings(secret: str) -> set[str]:
    raw = secret.encode("utf-8", "surrogatepass")
    escaped = {secret, repr(raw)[2:-1]}
    for _ in range(2):  # twice: the repr of an error whose message quotes a header's repr
        escaped |= {escape(form) for form in escaped for escape in _ESCAPES}
    urls = {quote(secret, safe=""), quote(secret), quote_plus(secret)}
    forms = escaped | urls | _base64_cores(raw)
    return {form for form in forms if len(form) >= min(_MIN_FORM, len(secret))}


def _base64_cores(raw: bytes) -> set[str]:
    """The base64 characters *raw* alone decides, at each of the three alignments.

    Embedded in a longer input (``user:key`` for Basic auth), the characters
    at the edges also depend on the neighbours; the core between them does not.
    """
    cores = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw).decode()
            start = -(-8 * offset // 6)  # the first character made only of the key's bits
            end = 8 * (offset + len(raw)) // 6
            cores.add(encoded[start:end])
    return cores


def colab_secret(name: str) -> str | None:
    """The Colab notebook secret *name* (the key icon in Colab's sidebar), or ``None``.

    Only asked inside Colab: ``google.colab`` is imported lazily, and only when
    the runtime already loaded it, so elsewhere this costs nothing and never
    fails. Inside Colab, a secret that is missing, or whose notebook access is
    not granted, is ``None`` too: the usual "no key" message then says what to
    do. The value is registered for :func:`redact` before it is returned.
    """
    if "google.colab" not in sys.modules:  # Colab's kernel imports it at start
        return None
    try:
        from google.colab import userdata  # type: ignore[import-not-found]  # Colab only

        value = userdata.get(name)
    except Exception:  # SecretNotFoundError, NotebookAccessError, a timeout: no key
        return None
    if not isinstance(value, str) or not value.strip():
        return None
    register_secret(value)
    return value


class RedactedError(Exception):
    """Stands in, as a cause, for an error (and its chain) whose text held a secret."""


def clean_cause(exc: BaseException) -> BaseException:
    """*exc* to chain as a cause: itself if its chain is clean, else a scrubbed stand-in.

    An httpx error may quote the header it refused (and chain httpcore's and
    h11's, which quote it too). The stand-in keeps their names and scrubbed
    messages, but not their tracebacks: a verbose traceback would print the
    frames' variables, and the header is one of them.
    """
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    shown = [f"{type(e).__module__}.{type(e).__qualname__}: {e}" for e in chain]
    held = [repr(e.args) for e in chain]
    if all(redact(text) == text for text in shown + held):
        return exc
    return RedactedError(" <- ".join(redact(text) for text in shown))


class KeyScrubber(logging.Filter):
    """Redacts a record's message, arguments, traceback and stack before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _SECRETS:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: logging reports it later, as it would anyway
            message = str(record.msg)
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            if redact(text) != text:
                # The exception object itself holds the key: hand on only its scrubbed text.
                record.exc_info, record.exc_text = None, redact(text)
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_SCRUBBER: Final = KeyScrubber()


def _install() -> None:
    for name in SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, KeyScrubber) for f in logger.filters):
            logger.addFilter(_SCRUBBER)


_install()


def scrub_loggers(*prefixes: str) -> None:
    """Put the scrubber on every logger named by or under *prefixes* that exists now.

    For a library imported on demand (a storage backend and botocore, which logs
    request headers at DEBUG): called once it is imported, as its modules make
    their loggers then, and a filter on a parent does not see its children's records.
    """
    known = list(logging.root.manager.loggerDict)
    for name in {*prefixes, *(n for n in known if n.startswith(tuple(p + "." for p in prefixes)))}:
        logger = logging.getLogger(name)
        if not any(isinstance(f, KeyScrubber) for f in logger.filters):
            logger.addFilter(_SCRUBBER)
