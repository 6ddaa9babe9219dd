"""The Python blocks of docs/*.md, read with what marks them.

The convention, enforced by ``test_docs_code.py``: every fenced block whose
language is ``python`` (or ``py``, ``ipython``, ``pycon``) either runs in the
suite, or is marked on the line just above it with why it cannot::

    <!-- not-run: a signature listing, not code -->

A block may need names the reader does not (an emulator, a finished sweep).
Code in a ``<!-- setup: ... -->`` comment just above the block runs first,
hidden from the page. The runnable blocks of a page run in order as the cells
of one notebook, in a real kernel, so a block may use what an earlier one made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

PYTHON_LANGUAGES = frozenset({"python", "py", "ipython", "ipython3", "pycon"})
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)$")
NOT_RUN = re.compile(r"^<!--\s*not-run:(?P<reason>.*?)-->\s*$")
SETUP = re.compile(r"<!--\s*setup:(?P<code>.*?)-->\s*$", re.DOTALL)


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # 1-based line of the opening fence
    language: str
    code: str
    not_run: str | None  # the reason, when marked not runnable
    setup: str | None  # hidden code to run first

    @property
    def where(self) -> str:
        return f"{self.page.name}:{self.line}"

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON_LANGUAGES


def read_blocks(page: Path) -> list[Block]:
    """Every fenced block of *page* (nested fences are not used in these docs)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening["fence"]
        language = opening["info"].strip().split(" ")[0].lower()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        code = "\n".join(line[len(opening["indent"]) :] for line in lines[i + 1 : end])
        blocks.append(Block(page, i + 1, language, code, *_marks(lines, i)))
        i = end + 1
    return blocks


def _marks(lines: list[str], fence_index: int) -> tuple[str | None, str | None]:
    """The not-run reason and the setup code written just above the fence, if any."""
    above = fence_index - 1
    if above < 0:
        return None, None
    not_run = NOT_RUN.match(lines[above].strip())
    if not_run:
        return not_run["reason"].strip(), None
    if lines[above].rstrip().endswith("-->"):
        start = above
        while start >= 0 and "<!--" not in lines[start]:
            start -= 1
        comment = "\n".join(lines[start : above + 1]).strip()
        setup = SETUP.match(comment)
        if setup:
            return None, _dedent(setup["code"])
    return None, None


def _dedent(code: str) -> str:
    import textwrap

    return textwrap.dedent(code.strip("\n")).strip()
