"""The README documents every command of the usage string, and its two commands come first."""
import re

from migrator.cli.usage import USAGE
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def usage_lines() -> list[str]:
    usage = USAGE.split("Usage:", 1)[1].split("\n\n", 1)[0]
    return [line.strip().replace("runner.py ", "", 1) for line in usage.strip().splitlines()
            if "--help" not in line and "--version" not in line]


def test_every_usage_line_is_in_the_readme():
    missing = [line for line in usage_lines() if line not in README]
    assert missing == []


def test_every_option_is_in_the_readme():
    options = set(re.findall(r"^\s+(--[a-z-]+)", USAGE, re.M)) - {"--help", "--version"}
    assert sorted(o for o in options if o not in README) == []


def test_readme_starts_with_the_two_commands():
    block = README.split("```", 2)[1].splitlines()[1:]
    commands = [line for line in block if line.strip()]
    assert len(commands) == 2
    assert "runner.py up" in commands[0] and "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci/run").read_text()
