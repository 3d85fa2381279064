"""The one place the command line prints: results to stdout, progress and errors to stderr.

Every line passes `clean`, which hides every password the run knows of, so none can slip out.
"""
from __future__ import annotations

import os
import sys


class Output:
    def __init__(self):
        self.secrets: set[str] = set()
        self._closed: set[int] = set()  # streams whose reader has gone (`runner status | head -1`)

    def hide(self, password: str | None) -> None:
        if password:
            self.secrets.add(password)

    def clean(self, text: str) -> str:
        from ..url import redact

        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return redact(text)

    def result(self, text: str = "") -> None:
        self._write(sys.stdout, text)

    def progress(self, text: str) -> None:
        self._write(sys.stderr, text)

    def error(self, lines: list[str]) -> None:
        first, *rest = lines or ["unknown error"]
        self.progress(f"error: {first}")
        for line in rest:
            self.progress(line)

    def _write(self, stream, text: str) -> None:
        if id(stream) in self._closed:
            return
        try:
            stream.write(self.clean(text) + "\n")
            stream.flush()
        except BrokenPipeError:
            # The reader stopped reading; the command goes on and keeps its exit status. Later
            # writes (and the interpreter's own flush at exit) go nowhere.
            self._closed.add(id(stream))
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def table(out: Output, rows: list[tuple[str, ...]], right_aligned: set[int] = frozenset()) -> None:
    """The table in one write (a thousand flushed prints cost more than the rest of `status`)."""
    out.result(table_text(rows, right_aligned))


def table_text(rows: list[tuple[str, ...]], right_aligned: set[int] = frozenset()) -> str:
    """Columns padded to their widest cell."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(widths[i]) if i in right_aligned else c.ljust(widths[i])
                               for i, c in enumerate(r)).rstrip() for r in rows)


def step_line(result) -> str:
    """A progress line for one StepResult: `applied 0003_loans (12 ms)`."""
    label = result.label
    if result.action == "retry":
        return f"retrying {label} in {result.duration_ms / 1000:g} s: {result.source}"
    verb = {"up": "applied", "down": "rolled back", "seed": "seeded", "baseline": "baselined",
            "test": "tested", "repeatable": "ran"}[result.action]
    text = f"{verb} {label} ({result.duration_ms} ms)"
    if result.action == "down" and result.source:
        text += f" using {result.source}" if "journal" not in result.source else " using the copy stored in the journal"
    return text


def status_table(out: Output, display_url: str, report) -> None:
    out.result(f"database: {display_url} ({report.dialect})")
    checks = any(s.has_checks for s in report.migrations)  # the column only where checks/ is used
    rows = [("VERSION", "NAME", "STATE", "APPLIED AT", "DURATION") + (("CHECKS",) if checks else ())]
    # a state's word looked up once per state, not per row (an enum's .value is slow to read)
    words = {state: state.value.upper() if state.value in ("modified", "missing", "failed") else state.value
             for state in {s.state for s in report.migrations}}
    for s in report.migrations:
        state = words[s.state]
        if s.out_of_order:
            state += " (out of order)"
        rows.append((f"{s.version:04d}", s.name, state, s.applied_at or "-",
                     f"{s.duration_ms} ms" if s.duration_ms is not None else "-")
                    + (("yes" if s.has_checks else "-",) if checks else ()))
    table(out, rows, right_aligned={4})
    for s in report.migrations:
        if s.changes:
            out.result(f"\n{s.version:04d}_{s.name} changed since it was applied:\n{s.changes.rstrip()}")
    if report.repeatables:
        out.result("")
        table(out, [("REPEATABLE", "STATE", "LAST RUN")] +
              [(r.name, r.state, r.applied_at or "-") for r in report.repeatables])
    counts: dict[str, int] = {}
    for s in report.migrations:
        counts[s.state.value] = counts.get(s.state.value, 0) + 1
    for index, table_name in report.invalid_indexes:
        from ..plan import invalid_index
        out.result(f"note: {invalid_index(index, table_name)}")
    current = f"{report.current:04d}" if report.current is not None else "none"
    summary = ", ".join(f"{n} {state}" for state, n in counts.items()) or "no migrations"
    out.result(f"current version: {current} ({summary})")
