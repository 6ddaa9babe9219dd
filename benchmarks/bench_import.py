"""``%load_ext ltx_notebook`` in a fresh IPython: how long it takes and what it loads.

Each run is a fresh interpreter that first makes an IPython shell (IPython's
own start is not the extension's), then times one statement and counts the
modules it added. Side by side, in turn, the same for two references:
``import segmind`` (the official SDK, the yardstick of this project's
benchmarks) and ``import pandas`` (the heaviest of what ``%load_ext`` loaded
before the heavy imports were made lazy). Reported: min, median and max over
the runs; the goal is the median.

    python -m benchmarks.bench_import --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from typing import Any

GOAL_S = 0.3
HEAVY = ("pandas", "numpy", "av", "PIL", "anywidget", "ipywidgets")

CHILD = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
before = set(sys.modules)
start = time.perf_counter()
{statement}
seconds = time.perf_counter() - start
added = set(sys.modules) - before
heavy = sorted(h for h in {heavy!r} if h in added)
print(json.dumps({{"seconds": seconds, "modules": len(added), "heavy": heavy}}))
"""

STATEMENTS = {
    "%load_ext ltx_notebook": "shell.run_line_magic('load_ext', 'ltx_notebook')",
    "import segmind": "import segmind",
    "import pandas": "import pandas",
}


def _once(statement: str) -> dict[str, Any]:
    code = CHILD.format(statement=statement, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(repeat: int) -> dict[str, Any]:
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label in STATEMENTS}
    for _ in range(repeat):
        for label, statement in STATEMENTS.items():
            runs[label].append(_once(statement))
    results: dict[str, Any] = {"repeat": repeat}
    for label, done in runs.items():
        seconds = sorted(r["seconds"] for r in done)
        results[label] = {
            "min": seconds[0],
            "median": statistics.median(seconds),
            "max": seconds[-1],
            "modules": statistics.median(r["modules"] for r in done),
            "heavy": done[-1]["heavy"],
        }
    return results


def section(r: dict[str, Any]) -> list[str]:
    """The page's section for :func:`run`'s results."""
    ours = r["%load_ext ltx_notebook"]
    sdk = r["import segmind"]
    lines = [
        "## `%load_ext ltx_notebook`",
        "",
        "`bench_import`: a fresh interpreter per run makes an IPython shell, then times one",
        "statement and counts the modules it added; the three statements take turns,",
        f"{r['repeat']} runs each (min, median, max). The references: the official SDK's",
        "import, and pandas, the heaviest of what the extension loaded before its heavy",
        "imports were made lazy.",
        "",
        "| statement | min | median | max | modules added | heavy ones loaded |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label in STATEMENTS:
        m = r[label]
        heavy = ", ".join(m["heavy"]) or "none"
        lines.append(
            f"| `{label}` | {m['min']:.3f} s | {m['median']:.3f} s | {m['max']:.3f} s "
            f"| {m['modules']:.0f} | {heavy} |"
        )
    ok = ours["median"] < GOAL_S and not ours["heavy"]
    loaded = (
        f"none of {', '.join(HEAVY)} is loaded (the suite's lazy-import test keeps it so)"
        if not ours["heavy"]
        else f"it loads {', '.join(ours['heavy'])}"
    )
    lines += [
        "",
        "### Goals",
        "",
        f"- Under {GOAL_S:g} s, the heavy libraries loaded when first needed: "
        f"{'**met**' if ok else '**not yet**'} ({ours['median']:.3f} s, "
        f"{ours['median'] / sdk['median']:.2f}x the SDK's import); {loaded}.",
    ]
    return lines


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    results = run(args.repeat)
    print(f"%load_ext and imports in a fresh IPython ({args.repeat} runs each, in turn):")
    for label in STATEMENTS:
        m = results[label]
        print(
            f"  {label:<24} median {m['median']:.3f} s (min {m['min']:.3f}, max {m['max']:.3f}), "
            f"{m['modules']:.0f} modules, heavy: {', '.join(m['heavy']) or 'none'}"
        )
    return results


if __name__ == "__main__":
    main()
