"""A Griffe extension for the docs site: Sphinx roles in docstrings read as code.

The package's docstrings name other objects the Sphinx way (``:class:`Job```,
``:func:`ltx_notebook.widgets.gallery```), which reads well in ``help()`` and
in an editor; Markdown would print the role literally. Rewritten here, at
build time, so the docstrings stay as they are.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|exc|mod|data|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRoles(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_code, obj.docstring.value)
