"""What a review shows of one clip beside its video: its params, its prompt's differing words.

Shared by the gallery's tiles and the A/B compare. Params are read
generically from the stored payload (whatever a model's body holds), plus
the model, so a model with other knobs shows them without code here; which
differ and how a value reads are :mod:`.differ`'s, as in the tables. A
prompt is split into runs of words, each marked whether it differs from the
gallery's other prompt variants, so the view can highlight what changed.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, Final

from .._storage.records import JobRecord
from .differ import param_text, split_params

__all__ = ["DIFF_PROMPTS_MAX", "ParamRow", "param_diff", "prompt_parts", "tile_params"]

# Beyond this many distinct prompts, variants are not highlighted: one diff per prompt
# against the commonest keeps a 1,000-clip gallery quick, but a wall of highlights says
# nothing anyway.
DIFF_PROMPTS_MAX: Final = 64
_WORDS: Final = re.compile(r"\S+\s*|\s+")

ParamRow = tuple[str, str, str]  # name, A's label, B's label


def _values(record: JobRecord) -> dict[str, Any]:
    """The clip's params as sent: the model, each key of the stored payload but prompt, tag."""
    try:
        payload = record.payload
    except ValueError:  # a row written by hand: show what the columns hold
        payload = {}
    if not isinstance(payload, dict) or not payload:
        payload = {k: v for k, v in record.params.as_dict().items() if k != "model"}
    out: dict[str, Any] = {"model": record.model}
    out.update((str(name), value) for name, value in payload.items() if name != "prompt")
    if record.tag:  # not sent, but what people label takes by: filter and compare by it too
        out.setdefault("tag", record.tag)
    return out


def tile_params(record: JobRecord) -> dict[str, str]:
    """The clip's params as labels, as the tables write them (an image by its file name)."""
    return {name: param_text(name, value) for name, value in _values(record).items()}


def _label(values: dict[str, Any], name: str) -> str:
    return param_text(name, values[name]) if name in values else "—"


def param_diff(a: JobRecord, b: JobRecord) -> tuple[list[ParamRow], list[ParamRow]]:
    """(rows that differ, rows that are the same) of two clips' params, in payload order.

    Whether a param differs is decided on the values, as the tables decide it,
    not on their clipped labels.
    """
    va, vb = _values(a), _values(b)
    varying, _ = split_params([va, vb])
    names = list(dict.fromkeys([*va, *vb]))
    rows = [(n, _label(va, n), _label(vb, n)) for n in names]
    diff = [r for r in rows if r[0] in varying]
    if a.prompt != b.prompt:
        diff.insert(1 if "model" in varying else 0, ("prompt", a.prompt, b.prompt))
    return diff, [r for r in rows if r[0] not in varying]


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


def _marks(words: list[str], other: list[str]) -> list[bool]:
    """Per word of *words*, whether it is outside every run it shares with *other*."""
    differs = [True] * len(words)
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in words], [w.strip() for w in other])
    for block in matcher.get_matching_blocks():
        for i in range(block.a, block.a + block.size):
            differs[i] = False
    return differs


def _runs(words: list[str], differs: list[bool]) -> list[tuple[str, bool]]:
    runs: list[tuple[str, bool]] = []
    for word, flag in zip(words, differs, strict=True):
        if runs and runs[-1][1] == flag:
            runs[-1] = (runs[-1][0] + word, flag)
        else:
            runs.append((word, flag))
    return runs


def prompt_parts(prompts: Iterable[str]) -> dict[str, list[tuple[str, bool]]]:
    """Each distinct prompt as runs of ``(text, differs)``, against the commonest prompt.

    The commonest prompt is marked against the next commonest, so both sides of
    a two-variant sweep light up. One prompt (or more than
    :data:`DIFF_PROMPTS_MAX`) gives a single unmarked run each.
    """
    counts = Counter(prompts)
    ranked = [p for p, _ in counts.most_common()]
    if len(ranked) < 2 or len(ranked) > DIFF_PROMPTS_MAX:
        return {p: [(p, False)] for p in ranked}
    words = {p: _words(p) for p in ranked}
    ref, second = ranked[0], ranked[1]
    out = {ref: _runs(words[ref], _marks(words[ref], words[second]))}
    for prompt in ranked[1:]:
        out[prompt] = _runs(words[prompt], _marks(words[prompt], words[ref]))
    return out
