"""The command line: parsed on the asked-for command's usage lines (fast) with the same result as
docopt on the whole usage; a mistake gets one plain sentence and the usage lines of its command."""
import time

import pytest
from docopt import docopt

from migrator import __version__, cli
from migrator.cli.parse import parse_command_line
from migrator.cli.usage import USAGE

SAME_AS_WHOLE_USAGE = [
    ["up"],
    ["up", "--to", "3", "--dry-run", "--url", "sqlite:///x.db"],
    ["--dir", "p", "status", "--json"],
    ["--dir", "up", "status"],  # an option's value that is also a command's name
    ["down", "2"],
    ["down", "-1"],  # a negative number is an argument (the command refuses it), not an option
    ["down", "--all", "--lock-wait=1"],
    ["new", "add_users"],
    ["seed"],
    ["seed", "demo", "volume", "--scale", "10"],
    ["seed", "--", "demo"],
    ["baseline", "7"],
    ["restore", "backups/x.db"],
    ["fleet", "down", "2", "--targets", "t.txt", "--parallel", "3"],
    ["fleet", "--targets", "t.txt", "seed", "demo"],
    ["lint", "--dialect", "sqlite", "--strict"],
    ["studio", "--port", "0"],
]


@pytest.mark.parametrize("argv", SAME_AS_WHOLE_USAGE, ids=" ".join)
def test_a_command_parses_as_on_the_whole_usage(argv):
    whole = docopt(USAGE, argv=argv)
    narrowed = parse_command_line(argv)
    assert {key: narrowed[key] for key in whole} == dict(whole)


def usage_of(*commands: str) -> str:
    """The usage lines of these commands, as an error shows them after its sentence."""
    lines = [line for line in USAGE.splitlines() if any(line.startswith(f"  runner.py {c} ") for c in commands)]
    return "Usage:\n" + "\n".join(lines) + "\n`runner.py --help` describes every option.\n"


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    status = cli.main(argv, prog="runner.py")
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# what the user typed, the error line, the commands whose usage lines follow it
MISTAKES = [
    (["stauts"], "unknown command 'stauts'; did you mean 'status'?", ["status"]),
    (["Status"], "unknown command 'Status'; did you mean 'status'?", ["status"]),
    (["dwon", "2"], "unknown command 'dwon'; did you mean 'down'?", ["down"]),
    (["up", "--dryrun"], "unknown option --dryrun for `up`; did you mean --dry-run?", ["up"]),
    (["status", "--jsn"], "unknown option --jsn for `status`; did you mean --json?", ["status"]),
    (["up", "--d"], "unknown option --d for `up`; did you mean --dir or --dry-run?", ["up"]),
    (["up", "--bogus"], "unknown option --bogus for `up`", ["up"]),
    (["up", "-x"], "unknown option -x for `up`", ["up"]),
    (["baseline"], "`baseline` needs a <version>", ["baseline"]),
    (["new"], "`new` needs a <name>", ["new"]),
    (["restore"], "`restore` needs a <path>", ["restore"]),
    (["down", "1", "2"], "unexpected argument '2': `down` takes one <count> at most", ["down"]),
    (["new", "a", "b"], "unexpected argument 'b': `new` takes one <name>", ["new"]),
    (["status", "foo"], "unexpected argument 'foo': `status` takes no arguments", ["status"]),
    (["up", "--", "x"], "unexpected argument '--': `up` takes no arguments", ["up"]),
    (["status", "--json=yes"], "--json takes no value (given 'yes'); write --json alone", ["status"]),
    (["up", "--to"], "--to needs a value: --to=<version>", ["up"]),
    (["status", "--dir"], "--dir needs a value: --dir=<path>", ["status"]),
    (["up", "--to=1", "--to=2"], "--to is given more than once", ["up"]),
    (["up", "--dry-run", "--dry-run"], "--dry-run is given more than once", ["up"]),
    (["up", "--dry-run", "--test"], "--dry-run and --test cannot be used together", ["up"]),
    (["down", "--to=1", "--all"], "--to and --all cannot be used together", ["down"]),
    (["fleet", "up"], "`fleet up` needs --targets=<file>", ["fleet up"]),
    (["fleet", "stat", "--targets=t.txt"], "unknown fleet command 'stat'; did you mean 'status'?", ["fleet status"]),
    (["fleet"], "`fleet` needs a command: up, down, status, verify or seed", ["fleet"]),
    (["flet", "up"], "unknown command 'flet'; did you mean 'fleet'?", ["fleet"]),
    (["migrate"], "unknown command 'migrate'; use `up` to apply the pending migrations", ["up"]),
    (["push"], "unknown command 'push'; the runner applies the SQL files you write: use `up` (on a development "
               "database, `reset` rebuilds it from the files)", ["up", "reset"]),
    (["generate"], "unknown command 'generate'; the runner does not generate SQL from a schema, you write it: "
                   "`new <name>` creates the next migration's files", ["new"]),
    (["migrat"], "unknown command 'migrat'; use `up` to apply the pending migrations", ["up"]),
    (["rollback"], "unknown command 'rollback'; use `down` to roll back the newest migration", ["down"]),
    (["status\n"], r"unknown command 'status\n'; did you mean 'status'?", ["status"]),  # pasted: still one line
]


@pytest.mark.parametrize("argv, error, commands", MISTAKES, ids=[repr(m[0]) for m in MISTAKES])
def test_a_mistake_is_one_plain_sentence_then_the_usage_of_its_command(argv, error, commands, capsys):
    assert run(argv, capsys) == (2, "", f"error: {error}\n" + usage_of(*commands))


@pytest.mark.parametrize("argv", [[], ["--dir", "p"], ["-x"]], ids=repr)
def test_no_command_shows_every_usage_line(argv, capsys):
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, "")
    assert err.startswith("error: no command given\nUsage:\n  runner.py up ")
    assert "runner.py fleet up" in err and "runner.py studio" in err and "Options:" not in err


def test_an_unknown_command_with_no_close_one_shows_every_usage_line(capsys):
    status, out, err = run(["xyzzy"], capsys)
    assert status == 2
    assert err.startswith("error: unknown command 'xyzzy'\nUsage:\n  runner.py up ")
    assert "  runner.py restore <path> [options]\n" in err


def test_a_very_long_word_is_cut_in_the_error_line(capsys):
    status, out, err = run(["x" * 10_000], capsys)
    assert status == 2
    assert err.splitlines()[0] == f"error: unknown command '{'x' * 60}…'"


@pytest.mark.parametrize("argv", [["stauts"], ["up", "--dryrun"], ["down", "1", "2"], ["up", "--to=1", "--to=2"],
                                  ["--"], ["fleet", "bogus"], ["status", "--json=1"], ["up", "--to"]], ids=" ".join)
def test_no_mistake_shows_the_parsers_internals(argv, capsys):
    err = run(argv, capsys)[2]
    for internal in ("Argument(", "Option(", "Command(", "unmatched", "duplicate?", "requires argument",
                     "must not have an argument", "Warning"):
        assert internal not in err


@pytest.mark.parametrize("argv, option", [
    (["status", "--backup"], "--backup"),
    (["down", "1", "--single-transaction"], "--single-transaction"),
    (["verify", "--dry"], "--dry-run"),  # docopt's prefix of --dry-run
    (["up", "--parallel=4"], "--parallel"),
    (["fleet", "status", "--targets=t.txt", "--dry-run"], "--dry-run"),
    (["status", "--port=1"], "--port"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_an_option_of_another_command_is_refused(argv, option, capsys):
    command = " ".join(argv[:2]) if argv[0] == "fleet" else argv[0]
    status, out, err = run(argv, capsys)
    assert status == 2
    assert err.startswith(f"error: {option} does not apply to `{command}` (only to ")
    assert err.endswith(usage_of(command))


def test_an_option_of_another_command_names_the_commands_it_belongs_to(capsys):
    assert run(["status", "--backup"], capsys)[2].splitlines()[0] == \
        "error: --backup does not apply to `status` (only to `up`)"
    assert run(["up", "--parallel=4"], capsys)[2].splitlines()[0] == \
        "error: --parallel does not apply to `up` (only to `fleet`)"


@pytest.mark.parametrize("argv", [
    ["status", "--lock-wait=1", "--log-file=x.log", "--url", "sqlite:///x.db"],
    ["fleet", "up", "--targets=t.txt", "--parallel=2", "--continue-on-error", "--canary=1"],
    ["up", "--dry", "--to", "3"],
], ids=" ".join)
def test_every_command_takes_the_common_options_and_its_own(argv):
    parse_command_line(argv)


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_prints_the_whole_usage_as_docopt_does(flag, capsys):
    assert cli.main([flag], prog="runner.py") == 0
    fast = capsys.readouterr().out
    with pytest.raises(SystemExit):
        docopt(USAGE, argv=[flag])
    assert fast == capsys.readouterr().out
    assert fast.startswith("SQL migration runner") and "Exit status:" in fast


@pytest.mark.parametrize("argv", [["up", "--help"], ["bogus", "-h"], ["down", "1", "2", "--help"], ["up", "--he"],
                                  ["fleet", "-h"]], ids=" ".join)
def test_help_anywhere_prints_the_whole_usage(argv, capsys):
    status, out, err = run(argv, capsys)
    assert (status, err) == (0, "")
    assert out.startswith("SQL migration runner") and "Exit status:" in out and "runner.py studio" in out


@pytest.mark.parametrize("argv", [["--version"], ["up", "--version"]], ids=" ".join)
def test_version_prints_the_version(argv, capsys):
    assert run(argv, capsys) == (0, f"{__version__}\n", "")


def test_a_value_that_looks_like_help_is_the_options_value(capsys):
    status, out, err = run(["status", "--dir", "--help"], capsys)
    assert status == 2 and err.startswith("error: the project directory --help does not exist")


def test_a_very_long_argument_is_answered_at_once(tmp_path, capsys):
    # Every printed line passes the password filter; its URL pattern used to be tried at every
    # letter of a long word, so `down <100 KB>` took two minutes to say the count is no number.
    (tmp_path / "sql").mkdir()
    started = time.monotonic()
    status, out, err = run(["down", "x" * 100_000, "--dir", str(tmp_path)], capsys)
    assert status == 2 and err.startswith("error: <count> must be a whole number")
    assert time.monotonic() - started < 10


def test_the_usage_is_read_as_data_the_mistakes_are_explained_from():
    # The explanations come from the usage text: a new command or option needs no code here,
    # as long as the usage keeps this shape (no nested brackets).
    from migrator.cli.grammar import Positional, commands, option_values

    known = commands()
    assert {name.split()[0] for name in known} == set(cli.COMMANDS)
    assert known["down"].positionals == (Positional("<count>", required=False, repeated=False),)
    assert known["seed"].positionals == (Positional("<name>", required=False, repeated=True),)
    assert known["down"].exclusive == (("--to", "--all"),)
    assert known["fleet seed"].required_options == ("--targets",)
    assert option_values()["--to"] == "<version>" and option_values()["--json"] is None
    assert "--url" in known["status"].options and "--parallel" not in known["status"].options
