"""``%ltx models`` and ``%ltx models SLUG``: the model catalog, read in the notebook."""

from __future__ import annotations

from IPython.core.error import UsageError
from IPython.core.magic_arguments import argument

from .._core.catalog import CATALOG, Model
from .commands import Host, command
from .model_options import option_of

__all__: list[str] = []


@command(
    "%ltx models [SLUG]",
    "every model: kind, typical time, price;",
    "with SLUG: that model's parameters (its %%ltx options)",
)
@argument("slug", nargs="?", metavar="SLUG")
def models(host: Host, slug: str | None) -> None:
    if slug is None:
        print(_table())
        return
    model = CATALOG.get(slug)
    if model is None:
        raise UsageError(f"unknown model {slug!r}; known models: {', '.join(CATALOG)}")
    print(_detail(model))


def _table() -> str:
    rows = [("model", "kind", "typical", "price (estimate)")]
    for m in CATALOG.values():
        rows.append((m.slug, m.kind, f"~{m.typical_seconds:.0f} s", m.price.describe()))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        for r in rows
    ]
    return "\n".join([*lines, "", "%ltx models SLUG shows a model's parameters."])


def _detail(m: Model) -> str:
    lines = [
        f"{m.slug}: {m.title}",
        f"{m.kind} · {m.family} · typical ~{m.typical_seconds:g} s ({m.seconds_certainty}) · "
        f"price {m.price.describe()} ({m.price.certainty}; listed: {m.price.listed or 'no'})",
        f"page: {m.url}",
        "",
    ]
    rows = [("option", "type", "default", "allowed", "certainty")]
    for p in m.params:
        if p.name == "prompt":
            continue
        default = "required" if p.required and p.default is None else _value(p.default)
        if p.default is None and p.assumed is not None:
            default = f"(not sent; ~{_value(p.assumed)})"
        sure = p.certainty + (f" ({', '.join(p.guessed)} guessed)" if p.guessed else "")
        rows.append((option_of(m, p.name), p.type, default, p.allowed() + _unit(p.unit), sure))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if not m.complete:
        lines += ["", "The page's list was cut: other params may exist (send with --param N=V)."]
    if m.notes:
        lines += [m.notes]
    return "\n".join(lines)


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unit(unit: str) -> str:
    return f" {unit}" if unit else ""
