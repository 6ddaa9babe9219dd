"""docs/magic.md and the magics' parsers stay in step (no kernel needed)."""

from __future__ import annotations

import re
from pathlib import Path

from ltx_notebook._magic.magics import LINE_COMMANDS, LtxMagics

DOC = (Path(__file__).parents[2] / "docs" / "magic.md").read_text()


def section(title: str) -> str:
    """The text under the ``## title`` / ``### title`` heading, up to the next one as high."""
    match = re.search(rf"^(#+) {re.escape(title)}\n", DOC, re.MULTILINE)
    assert match, f"docs/magic.md has no section {title!r}"
    level = len(match.group(1))
    rest = DOC[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def parser_options() -> set[str]:
    # magic_arguments keeps the argparse parser it builds on the decorated function.
    parser = LtxMagics.ltx_cell.parser
    return {s for action in parser._actions for s in action.option_strings} - {"-h", "--help"}


def test_every_option_of_the_parser_is_documented() -> None:
    options = section("Options")
    for option in parser_options():
        assert f"`{option}`" in options, f"{option} is not in the options table of docs/magic.md"


def test_nothing_documented_as_an_option_is_missing_from_the_parser() -> None:
    documented = set(re.findall(r"`(--?[a-z][a-z-]*)`", section("Options")))
    assert documented, "no options found in docs/magic.md"
    assert documented <= parser_options(), documented - parser_options()
    # The examples use only real options too.
    examples = section("Examples")
    for line in re.findall(r"^%%ltx(.*)$", examples, re.MULTILINE):
        for word in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", line):
            assert word in parser_options(), word


def test_every_subcommand_is_documented_and_no_other() -> None:
    commands = section("`%ltx <command>`")
    for command in LINE_COMMANDS:
        assert f"`%ltx {command}" in commands, command
    documented = set(re.findall(r"^\| `%ltx (\w+)", commands, re.MULTILINE))
    assert documented == set(LINE_COMMANDS)


def test_every_configurable_trait_is_documented_with_its_default() -> None:
    table = section("`%config LtxMagics`")
    traits = LtxMagics.class_traits(config=True)
    for name, trait in traits.items():
        row = re.search(rf"^\| `LtxMagics\.{name}` \| `([^`]*)` \|", table, re.MULTILINE)
        assert row, f"LtxMagics.{name} is not in the traits table"
        assert row.group(1) == repr(trait.default_value), name
    documented = set(re.findall(r"LtxMagics\.(\w+)", DOC))
    assert documented <= set(traits), documented - set(traits)


def test_the_help_names_the_magic_as_typed() -> None:
    # magic_arguments adds one "%" of its own; the usage line must read %%ltx, not %%%ltx.
    assert LtxMagics.ltx_cell.__doc__.lstrip(": \n").startswith("%%ltx [")
    assert LtxMagics.ltx_line.__doc__.lstrip(": \n").startswith("%ltx COMMAND")
