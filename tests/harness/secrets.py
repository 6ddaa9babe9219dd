"""Looking for an API key everywhere it could show: every spelling, every part of an error."""

from __future__ import annotations

import base64
import json
import traceback
from urllib.parse import quote, quote_plus


def key_forms(key: str) -> list[tuple[str, str]]:
    """Every spelling of *key* a text might hold, each with the part of it that betrays the key.

    Mostly the two are the same; a base64 spelling is betrayed by its middle,
    since its edges also depend on the bytes around the key.
    """
    raw = key.encode()
    forms = [
        key,
        repr(key)[1:-1],
        repr(raw)[2:-1],
        repr(key + "\n")[1:-1],
        repr(raw + b"\r\n")[2:-1],
        repr(repr(raw + b"\n"))[1:-1],  # repr of an exception quoting a bytes repr
        json.dumps(key)[1:-1],
        quote(key, safe=""),
        quote_plus(key),
    ]
    pairs = [(form, form) for form in forms]
    for padded in (raw, b"user:" + raw, b"ab" + raw + b"cd", b"x" + raw):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(padded).decode()
            pairs.append((text, text[len(padded) - len(raw) + 2 : -4]))
    return pairs


def leaks(text: str, key: str) -> list[str]:
    """The spellings of *key* found in *text* (empty when it is clean)."""
    return [probe for _, probe in key_forms(key) if probe and probe in text]


def exception_text(exc: BaseException) -> str:
    """What anyone could see of *exc*: str, repr, the printed traceback, every chained error."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        parts += [str(current), repr(current), repr(current.args)]
        parts += [repr(v) for v in vars(current).values()] if hasattr(current, "__dict__") else []
        todo += [current.__cause__, current.__context__]
    return "\n".join(parts)


def assert_nowhere(key: str, *texts: str | bytes) -> None:
    """*key*, stripped or not, in no spelling, is in none of *texts*."""
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        found = leaks(text, key.strip())
        assert not found, f"the key shows as {found[0]!r} in: {text[:2000]}"
