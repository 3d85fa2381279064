"""How many inputs each property test generated, printed in pytest's closing summary.

Issue 18 wants the number visible in every run's output, without `--hypothesis-show-statistics`.
A plain module (not conftest.py) so each property test file calls it on its own terms.
"""
from __future__ import annotations

PLUGIN = "generated-inputs"


def report(config, line: str) -> None:
    """Add one line to the `generated inputs` section of the terminal summary."""
    summary = config.pluginmanager.get_plugin(PLUGIN)
    if summary is None:
        summary = _Summary()
        config.pluginmanager.register(summary, PLUGIN)
    summary.lines.append(line)


class _Summary:
    def __init__(self):
        self.lines: list[str] = []

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.section("generated inputs")
        for line in self.lines:
            terminalreporter.write_line(line)
