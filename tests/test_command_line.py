"""The command line is parsed on the asked-for command's usage lines (fast), with the same result
as docopt on the whole usage."""
import pytest
from docopt import docopt

from migrator import cli
from migrator.cli.parse import parse_command_line
from migrator.cli.usage import USAGE

SAME_AS_WHOLE_USAGE = [
    ["up"],
    ["up", "--to", "3", "--dry-run", "--url", "sqlite:///x.db"],
    ["--dir", "p", "status", "--json"],
    ["--dir", "up", "status"],  # an option's value that is also a command's name
    ["down", "2"],
    ["down", "--all", "--lock-wait=1"],
    ["new", "add_users"],
    ["seed"],
    ["seed", "demo", "volume", "--scale", "10"],
    ["baseline", "7"],
    ["restore", "backups/x.db"],
    ["fleet", "down", "2", "--targets", "t.txt", "--parallel", "3"],
    ["fleet", "seed", "demo", "--targets", "t.txt"],
    ["lint", "--dialect", "sqlite", "--strict"],
    ["studio", "--port", "0"],
]


@pytest.mark.parametrize("argv", SAME_AS_WHOLE_USAGE, ids=" ".join)
def test_a_command_parses_as_on_the_whole_usage(argv):
    whole = docopt(USAGE, argv=argv)
    narrowed = parse_command_line(argv)
    assert {key: narrowed[key] for key in whole} == dict(whole)


@pytest.mark.parametrize("argv", [["bogus"], ["status", "--bogus"], ["down", "1", "2"], []], ids=repr)
def test_a_bad_command_line_shows_the_whole_usage(argv, capsys):
    assert cli.main(argv, prog="runner.py") == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: invalid command line; see --help")
    assert "runner.py fleet up" in err and "runner.py studio" in err


@pytest.mark.parametrize("argv, option", [
    (["status", "--backup"], "--backup"),
    (["down", "1", "--single-transaction"], "--single-transaction"),
    (["verify", "--dry"], "--dry-run"),  # docopt's prefix of --dry-run
    (["up", "--parallel=4"], "--parallel"),
    (["fleet", "status", "--targets=t.txt", "--dry-run"], "--dry-run"),
    (["status", "--port=1"], "--port"),
], ids=" ".join)
def test_an_option_of_another_command_is_refused(argv, option, capsys):
    assert cli.main(argv, prog="runner.py") == cli.EXIT_USAGE
    err = capsys.readouterr().err
    command = " ".join(argv[:2]) if argv[0] == "fleet" else argv[0]
    assert err.startswith(f"error: invalid command line; see --help\n{option} does not apply to `{command}`")


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
