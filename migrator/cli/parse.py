"""argv → the arguments docopt finds in the usage text, or a UsageError saying in plain words
what is wrong."""
from __future__ import annotations

import functools
import re

from docopt import DocoptExit, docopt

from .grammar import UsageError, command_words, commands, read_argv, usage_lines
from .usage import USAGE

__all__ = ["Arguments", "UsageError", "asks_for", "parse_command_line"]

LIST_ARGUMENTS = ("<name>",)  # `seed <name>...` makes it a list for every command, `new` included


class Arguments(dict):
    """docopt's result, where a command or argument of another command's usage line reads as absent."""

    def __missing__(self, key: str):
        if key.startswith("--"):  # an option of another command: what the whole usage would give
            return _option_defaults().get(key, False)
        return [] if key in LIST_ARGUMENTS else None if key.startswith("<") else False

    @property
    def command(self) -> str:
        """`up`, `status`, … or `fleet up`, `fleet status`, …"""
        names = list(dict.fromkeys(command_words(line)[0] for line in usage_lines() if command_words(line)))
        if self.get("fleet"):
            return "fleet " + next(name for name in names if name != "fleet" and self.get(name))
        return next(name for name in names if self.get(name))


def asks_for(argv: list[str]) -> str | None:
    """`--help` (also `-h`, `--he`) or `--version` anywhere in argv, else None: these answer
    whatever else the command line says."""
    asked = {name for name, _, _ in read_argv(argv).options} & {"--help", "--version"}
    return "--help" if "--help" in asked else asked.pop() if asked else None


def parse_command_line(argv: list[str]) -> Arguments:
    """docopt on the usage lines of the command asked for; a UsageError if they do not take argv.

    docopt's matching grows with the square of the usage's size: the whole of it costs ~50 ms,
    one command's lines ~8 ms.

    On one command's lines docopt's `[options]` takes every option those lines do not name, even
    another command's (`status --backup`), which would then be silently ignored: an option the
    command's usage lines do not name, and that is not one of every command's, is refused.
    """
    words = read_argv(argv).words
    name = " ".join(words[:2]) if words[:1] == ["fleet"] else " ".join(words[:1])
    command = commands().get(name)
    if command is None:
        raise _what_is_wrong(argv)
    try:
        # default_help=False: docopt would print help and exit itself; main() answers --help first
        args = Arguments(docopt("Usage:\n" + "\n".join(command.lines) + "\n\nOptions:\n" + _options_of(command),
                                argv=argv, default_help=False))
    except DocoptExit:
        raise _what_is_wrong(argv) from None
    if any(name not in command.options for name, _, _ in read_argv(argv).options):
        raise _what_is_wrong(argv)  # another command's option, taken by docopt's [options]
    for key in LIST_ARGUMENTS:
        if isinstance(args.get(key), str):
            args[key] = [args[key]]
    return args


@functools.cache
def _option_entries() -> list[tuple[str, str]]:
    """(long name, entry) of every option the usage's options sections describe."""
    entries = []
    for section in re.findall(r"^[^\n]*options[^\n]*:\n((?: +-.*\n?(?: {5,}.*\n?)*)+)", USAGE, re.M | re.I):
        for entry in re.split(r"\n(?= {1,4}-)", section.rstrip("\n")):
            name = re.match(r"\s*(?:-\w[ ,]+)?(--[a-z][a-z-]*)", entry)
            entries.append((name[1] if name else "", entry))
    return entries


@functools.cache
def _option_defaults() -> dict[str, str | bool | None]:
    """Each option's value when not given: its [default: …], else None for one that takes a value,
    False for a flag (as docopt gives them)."""
    found: dict[str, str | bool | None] = {}
    for name, entry in _option_entries():
        default = re.search(r"\[default: ([^\]]*)\]", entry, re.I)
        takes_value = re.match(r"\s*(?:-\w[ ,]+)?--[a-z][a-z-]*[= ]<", entry)
        found[name] = default[1] if default else None if takes_value else False
    return found


def _options_of(command) -> str:
    """The entries of the options `command` takes: docopt's parsing grows with the size of what
    it is given, and an option no entry describes is refused all the same."""
    return "\n".join(entry for name, entry in _option_entries() if name in command.options)


def _what_is_wrong(argv: list[str]) -> UsageError:
    from .mistakes import what_is_wrong  # here: only a mistake needs it (and difflib)
    return what_is_wrong(argv)
