"""argv → the arguments docopt finds in the usage text, or a UsageError saying what is wrong."""
from __future__ import annotations

import re

from docopt import DocoptExit, docopt

from .usage import USAGE

# Options every command takes (besides its own, which its usage lines name).
COMMON_OPTIONS = {"--url", "--dir", "--lock-wait", "--lock-timeout", "--statement-timeout", "--retries", "--log-file"}
FLEET_OPTIONS = {"--parallel", "--canary", "--continue-on-error"}
LIST_ARGUMENTS = ("<name>",)  # `seed <name>...` makes it a list for every command, `new` included


class UsageError(Exception):
    """The command line does not match the usage: exit 2 with the usage to read."""


class Arguments(dict):
    """docopt's result, where a command or argument of another command's usage line reads as absent."""

    def __missing__(self, key: str):
        return [] if key in LIST_ARGUMENTS else None if key.startswith("<") else False

    @property
    def command(self) -> str:
        """`up`, `status`, … or `fleet up`, `fleet status`, …"""
        names = list(dict.fromkeys(_command_words(line)[0] for line in _usage_lines() if _command_words(line)))
        if self.get("fleet"):
            return "fleet " + next(name for name in names if name != "fleet" and self.get(name))
        return next(name for name in names if self.get(name))


def parse_command_line(argv: list[str]) -> Arguments:
    """docopt on the usage lines of the command asked for, else on the whole usage.

    docopt's matching grows with the square of the usage's size: the whole of it costs ~50 ms,
    one command's lines ~8 ms. A command line no command's lines take is parsed on the whole
    usage, so its error reads as it always did.

    On one command's lines docopt's `[options]` takes every option those lines do not name, even
    another command's (`status --backup`), which would then be silently ignored: an option the
    command's usage lines do not name, and that is not one of every command's, is refused.
    """
    usage, options = USAGE.split("\nOptions:", 1)
    lines = _usage_lines()
    try:
        if not {"-h", "--help", "--version"} & set(argv):
            for word in (a for a in argv if not a.startswith("-")):
                mine = [line for line in lines if line.split()[1:2] == [word]]
                if not mine:
                    continue
                try:
                    args = Arguments(docopt("Usage:\n" + "\n".join(mine) + "\n\nOptions:" + options, argv=argv))
                except DocoptExit:
                    continue  # e.g. `--dir up status`: "up" is a value here, not the command
                chosen = [line for line in mine if all(args[w] for w in _command_words(line))]  # fleet up, …
                _refuse_options_of_other_commands(argv, " ".join(_command_words(chosen[0])), chosen, options)
                for key in LIST_ARGUMENTS:
                    if isinstance(args.get(key), str):
                        args[key] = [args[key]]
                return args
        return Arguments(docopt(USAGE, argv=argv))
    except DocoptExit as exc:
        raise UsageError(str(exc).strip()) from None


def _usage_lines() -> list[str]:
    return USAGE.split("Usage:\n", 1)[1].split("\n\n", 1)[0].splitlines()


def _command_words(usage_line: str) -> list[str]:
    words = []
    for token in usage_line.split()[1:]:
        if token[0] in "[<(-":
            break
        words.append(token)
    return words


def _refuse_options_of_other_commands(argv: list[str], command: str, usage_lines: list[str], options: str) -> None:
    known = set(re.findall(r"--[a-z][a-z-]*", options))
    allowed = set(re.findall(r"--[a-z][a-z-]*", " ".join(usage_lines))) | COMMON_OPTIONS
    if command.startswith("fleet"):
        allowed |= FLEET_OPTIONS
    for token in argv:
        if token == "--" or not token.startswith("--"):
            continue
        given = token.split("=", 1)[0]
        matches = [given] if given in known else [o for o in known if o.startswith(given)]  # docopt takes prefixes
        if len(matches) == 1 and matches[0] not in allowed:
            raise DocoptExit(f"{matches[0]} does not apply to `{command}`")
