"""The run log: one JSON object per line for every event of a run, appended as it happens.

For production audits (`--log-file` / $RUNNER_LOG_FILE): who ran what against which database,
each step with its duration, errors with their exit status. Each line is one `write` on a file
opened for appending, so it is on disk as soon as the event happens (a crash keeps every earlier
line) and lines of runners sharing one file do not interleave. Every string passes the command
line's `clean` (which hides every password the run knows of) before it is written.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .errors import ConfigError
from .model import StepResult
from .url import DatabaseURL, redact

STEP_EVENTS = {"up": "applied", "down": "rolled_back", "seed": "seeded", "baseline": "baselined"}


class RunLog:
    """Appends events to `path` (created 0600); `RunLog(None)` logs nothing."""

    def __init__(self, path: str | Path | None, clean: Callable[[str], str] = redact,
                 warn: Callable[[str], None] = lambda message: None):
        self.path = Path(path) if path else None
        self.run_id = ""  # groups the lines of one run when runners share a file
        self.clean, self.warn = clean, warn
        self.started = False
        self._start = time.monotonic()
        self._fd: int | None = None
        if self.path is not None:
            import uuid  # here: most runs have no log file and start without it

            self.run_id = uuid.uuid4().hex[:12]
            try:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise ConfigError(f"cannot open the log file {self.path}: {exc.strerror}") from None

    def start(self, command: str, url: DatabaseURL | None, project_dir: str | Path, *,
              refuse_unlogged: bool = True) -> None:
        """The first line of a run: what, where, who. A log that cannot be written to raises
        ConfigError (the database is not touched unlogged), unless `refuse_unlogged` is False (a
        run that failed before it started: its own error is what the user must see)."""
        from . import __version__

        if self.started:
            return
        self.started = True
        if self._fd is None:
            return
        import socket

        from .settings import os_user
        self._append("start", dict(
            command=command, database=url.display if url else None, dialect=url.dialect if url else None,
            project_dir=str(Path(project_dir).resolve()), os_user=os_user(), host=socket.gethostname(),
            pid=os.getpid(), runner_version=__version__), refuse=refuse_unlogged)

    def step(self, result: StepResult) -> None:
        self.write(STEP_EVENTS.get(result.action, result.action), version=result.version, name=result.name,
                   duration_ms=result.duration_ms, file=result.source)

    def error(self, message: str, exit_status: int) -> None:
        self.write("error", message=message, exit_status=exit_status)

    def end(self, exit_status: int) -> None:
        self.write("end", exit_status=exit_status, duration_ms=int((time.monotonic() - self._start) * 1000))
        self.close()

    def write(self, event: str, **fields) -> None:
        self._append(event, fields, refuse=False)

    def _append(self, event: str, fields: dict, *, refuse: bool) -> None:
        if self._fd is None:
            return
        import json  # here: a run without a log file (most of them) starts without it

        record = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                  "run": self.run_id, "event": event, **fields}
        line = json.dumps(self._redact(record), ensure_ascii=False) + "\n"
        data = line.encode("utf-8")
        try:
            while data:  # a write can be short (a size limit reached mid-line): the rest then fails
                data = data[os.write(self._fd, data):]
        except OSError as exc:  # a full disk, a file system gone read-only
            self.close()
            message = f"cannot write the log file {self.path}: {exc.strerror}"
            if refuse:
                raise ConfigError(message) from None
            self.warn(f"{message}; the rest of this run is not logged")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _redact(self, value):
        if isinstance(value, str):
            return self.clean(value)
        if isinstance(value, dict):
            return {k: self._redact(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._redact(v) for v in value]
        return value
