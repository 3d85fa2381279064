"""The usage text read as data (commands, their usage lines, options, arguments), and argv read
the way docopt reads it, so a command line docopt refuses can be explained in plain words.

Records are NamedTuples without string annotations: every command line builds them at start-up."""
import re
from functools import cache
from typing import NamedTuple

from .usage import USAGE

# Options every command takes (besides its own, which its usage lines name).
COMMON_OPTIONS = frozenset({"--url", "--dir", "--lock-wait", "--lock-timeout", "--statement-timeout", "--retries",
                            "--log-file"})
FLEET_OPTIONS = frozenset({"--parallel", "--canary", "--continue-on-error"})


class UsageError(Exception):
    """The command line does not match the usage: exit 2, the sentence, then the usage lines."""

    def __init__(self, message: str, lines: list[str] | tuple[str, ...] | None = None):
        super().__init__(message)
        self.message = message
        self.usage = list(lines) if lines else usage_lines()


class Positional(NamedTuple):
    name: str  # "<count>"
    required: bool
    repeated: bool


class Command(NamedTuple):
    name: str  # "up", "fleet up"
    lines: tuple[str, ...]  # its usage lines, as the usage text has them ("  runner.py up …")
    options: frozenset[str]  # the options it takes: its usage lines' and every command's
    required_options: tuple[str, ...]  # fleet's --targets
    exclusive: tuple[tuple[str, ...], ...]  # [--dry-run | --test]: one at most
    positionals: tuple[Positional, ...]


class ReadArgv:
    """argv as docopt splits it: words (commands and arguments) and options with their values."""

    __slots__ = ("words", "options", "missing_value", "value_of_flag")

    def __init__(self):
        self.words: list[str] = []
        self.options: list[tuple[str | None, str | None, str]] = []  # (option or None, value, as typed)
        self.missing_value: str | None = None  # an option that takes a value, given last with none
        self.value_of_flag: tuple[str, str] | None = None  # (flag, value): `--json=3`


def usage_lines() -> list[str]:
    """Every line of the Usage: section, as `--help` prints them."""
    return USAGE.split("Usage:\n", 1)[1].split("\n\n", 1)[0].splitlines()


@cache
def option_values() -> dict[str, str | None]:
    """Every option (long name) → the value it takes (`<version>`), or None for a flag."""
    found: dict[str, str | None] = {}
    for name, value in re.findall(r"^ {1,4}(?:-\w[ ,]+)?(--[a-z][a-z-]*)(?:[= ](<[^>]+>))?", USAGE, re.M):
        found[name] = value or None
    for name, value in re.findall(r"(--[a-z][a-z-]*)(?:=(<[^>]+>))?", "\n".join(usage_lines())):
        found.setdefault(name, value or None)
    return found


@cache
def commands() -> dict[str, Command]:
    """`up`, `down`, …, `fleet up`, … → its Command, in the usage's order."""
    found: dict[str, list[str]] = {}
    for line in usage_lines():
        words = command_words(line)
        if words:
            found.setdefault(" ".join(words), []).append(line)
    return {name: _command(name, lines) for name, lines in found.items()}


def command_words(usage_line: str) -> list[str]:
    words = []
    for token in usage_line.split()[1:]:
        if token[0] in "[<(-":
            break
        words.append(token)
    return words


def _command(name: str, lines: list[str]) -> Command:
    text = " ".join(line.split(None, 1)[1] for line in lines)
    options = set(re.findall(r"--[a-z][a-z-]*", text)) | COMMON_OPTIONS
    if name.startswith("fleet"):
        options |= FLEET_OPTIONS
    outside_brackets = re.sub(r"\[[^\[\]]*\]", "", text)
    groups = re.findall(r"\[([^\[\]]*\|[^\[\]]*)\]", text)
    return Command(
        name=name, lines=tuple(lines), options=frozenset(options),
        required_options=tuple(re.findall(r"--[a-z][a-z-]*", outside_brackets)),
        exclusive=tuple(tuple(re.findall(r"--[a-z][a-z-]*", group)) for group in groups),
        positionals=tuple(Positional(m[2], required=not m[1], repeated=bool(m[3]))
                          for m in re.finditer(r"(\[)?(<[^>]+>)(\.\.\.)?", text)
                          if not text[:m.start()].endswith("=")))


def resolve_option(typed: str) -> str | None:
    """`--dry` → `--dry-run`, as docopt takes a unique prefix of an option; else None."""
    known = option_values()
    if typed in known:
        return typed
    matches = [name for name in known if name.startswith(typed)]
    return matches[0] if len(matches) == 1 else None


def read_argv(argv: list[str]) -> ReadArgv:
    """Split argv as docopt's parse_argv does: `--opt=v` or `--opt v` for an option that takes a
    value, any other `-x` an option, a negative number a word, everything after `--` words."""
    read = ReadArgv()
    values = option_values()
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token == "--":
            read.words += argv[i - 1:]  # docopt keeps the `--` itself as a word
            break
        if token.startswith("--"):
            typed, eq, value = token.partition("=")
            name = resolve_option(typed)
            takes_value = bool(name and values[name])
            if name and eq and not takes_value:
                read.value_of_flag = read.value_of_flag or (name, value)
            elif takes_value and not eq:
                if i < len(argv) and argv[i] != "--":  # docopt takes the next word, even `--json`
                    value, i = argv[i], i + 1
                else:
                    read.missing_value = read.missing_value or name
            read.options.append((name, value if eq or takes_value else None, typed))
        elif token.startswith("-") and token != "-" and not _is_number(token):
            read.options.append(("--help" if token == "-h" else None, None, token))
        else:
            read.words.append(token)
    return read


def _is_number(token: str) -> bool:
    try:
        float(token)  # docopt's own test: `-1` is an argument, not an option
        return True
    except ValueError:
        return False
