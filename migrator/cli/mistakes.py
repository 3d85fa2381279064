"""What is wrong with a command line the usage does not take, as one plain sentence, and which
usage lines to show with it. Never docopt's own words: they name its internals."""
from __future__ import annotations

from difflib import get_close_matches

from .grammar import Command, ReadArgv, UsageError, commands, option_values, read_argv


# Verbs of other tools (Drizzle Kit's first, then Flyway's, dbmate's, knex's) → where to go here.
OTHER_TOOLS = {
    "migrate": ("use `up` to apply the pending migrations", ["up"]),
    "push": ("the runner applies the SQL files you write: use `up` (on a development database, `reset` "
             "rebuilds it from the files)", ["up", "reset"]),
    "generate": ("the runner does not generate SQL from a schema, you write it: `new <name>` creates the "
                 "next migration's files", ["new"]),
    "pull": ("`schema` prints the database's schema as SQL", ["schema"]),
    "introspect": ("`schema` prints the database's schema as SQL", ["schema"]),
    "rollback": ("use `down` to roll back the newest migration", ["down"]),
    "undo": ("use `down` to roll back the newest migration", ["down"]),
    "info": ("use `status` to list the migrations and their states", ["status"]),
    "validate": ("use `verify` to check the applied migrations against the files", ["verify"]),
    "create": ("use `new <name>` to create the next migration's files", ["new"]),
}


def what_is_wrong(argv: list[str]) -> UsageError:
    """The first thing wrong with argv, reading it as a user would: the command, then its options,
    then its arguments."""
    read = read_argv(argv)
    known = commands()
    if not read.words:
        return UsageError("no command given")
    first, *rest = read.words
    if first == "fleet":
        fleet = {name.split()[1]: c.lines for name, c in known.items() if name.startswith("fleet ")}
        if not rest:
            return UsageError(f"`fleet` needs a command: {_either(fleet)}", _lines_of(fleet))
        if rest[0] not in fleet:
            return _unknown(rest[0], fleet, "fleet command")
        command, arguments = known[f"fleet {rest[0]}"], rest[1:]
    elif first in known:
        command, arguments = known[first], rest
    else:
        first_words: dict[str, list[str]] = {}  # `fleet` stands for its five lines
        for name, c in known.items():
            first_words.setdefault(name.split()[0], []).extend(c.lines)
        close = get_close_matches(first.lower(), [*first_words, *OTHER_TOOLS], n=1)
        if close and close[0] in OTHER_TOOLS:  # `migrate`, or `migrat`: another tool's verb
            advice, names = OTHER_TOOLS[close[0]]
            return UsageError(f"unknown command {_shown(first)}; {advice}",
                              [line for name in names for line in known[name].lines])
        return _unknown(first, first_words, "command")
    return _option_mistake(read, command) or _argument_mistake(arguments, command) or UsageError(
        f"this command line does not match the usage of `{command.name}`", command.lines)


def _unknown(word: str, choices: dict[str, list[str]], what: str) -> UsageError:
    """`did you mean` the closest choice (difflib's ratio, case aside), with its usage lines."""
    close = get_close_matches(word.lower(), choices, n=1)
    if close:
        return UsageError(f"unknown {what} {_shown(word)}; did you mean '{close[0]}'?", choices[close[0]])
    return UsageError(f"unknown {what} {_shown(word)}", _lines_of(choices))


def _option_mistake(read: ReadArgv, command: Command) -> UsageError | None:
    cmd = command.name
    seen: set[str] = set()
    for name, value, typed in read.options:
        if name is None:
            return UsageError(f"unknown option {_shown(typed, quote=False)} for `{cmd}`{_suggest(typed, command)}",
                              command.lines)
        if name in ("--help", "--version"):
            continue  # only reached when given with a value or twice; main() answers them before parsing
        if name not in command.options:
            return UsageError(f"{name} does not apply to `{cmd}`{_owners(name)}", command.lines)
        if name in seen:
            return UsageError(f"{name} is given more than once", command.lines)
        seen.add(name)
    if read.missing_value:
        name = read.missing_value
        return UsageError(f"{name} needs a value: {name}={option_values()[name]}", command.lines)
    if read.value_of_flag:
        name, value = read.value_of_flag
        return UsageError(f"{name} takes no value (given {_shown(value)}); write {name} alone", command.lines)
    for group in command.exclusive:
        given = [name for name in group if name in seen]
        if len(given) > 1:
            return UsageError(f"{' and '.join(given)} cannot be used together", command.lines)
    for name in command.required_options:
        if name not in seen:
            return UsageError(f"`{cmd}` needs {name}={option_values()[name]}", command.lines)
    return None


def _argument_mistake(arguments: list[str], command: Command) -> UsageError | None:
    cmd = command.name
    for positional in command.positionals:
        if positional.required and not arguments:
            return UsageError(f"`{cmd}` needs a {positional.name}", command.lines)
        arguments = [] if positional.repeated else arguments[1:]
    if arguments:
        takes = " and ".join(f"one {p.name}" + ("" if p.required else " at most") for p in command.positionals)
        return UsageError(f"unexpected argument {_shown(arguments[0])}: `{cmd}` takes {takes or 'no arguments'}",
                          command.lines)
    return None


def _owners(option: str) -> str:
    """` (only to `up`)`: the commands an option belongs to; `fleet` ones as one when all take it."""
    owners = [c.name for c in commands().values() if option in c.options]
    fleet = [name for name in commands() if name.startswith("fleet ")]
    if set(fleet) <= set(owners):
        owners = [name for name in owners if name not in fleet] + ["fleet"]
    return f" (only to {_either(f'`{name}`' for name in owners)})" if owners else ""


def _suggest(typed: str, command: Command) -> str:
    """`; did you mean --dry-run?` for `--dryrun`, or a prefix of one of the command's options."""
    if not typed.startswith("--"):
        return ""
    starting = sorted(name for name in command.options if name.startswith(typed))
    if not starting:
        bare = {name[2:]: name for name in command.options}
        starting = [bare[b] for b in get_close_matches(typed[2:].lower(), bare, n=1)]
    return f"; did you mean {_either(starting)}?" if starting else ""


def _lines_of(choices: dict[str, list[str]]) -> list[str]:
    return [line for lines in choices.values() for line in lines]


def _either(names) -> str:
    names = list(names)
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names)


def _shown(word: str, quote: bool = True, limit: int = 60) -> str:
    """A word from argv as it can be printed on one line: quoted, control characters escaped, long
    ones cut."""
    if len(word) > limit:
        word = word[:limit] + "…"
    shown = repr(word)
    return shown if quote or shown[1:-1] != word else word
