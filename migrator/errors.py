"""Typed errors. Each carries the exit status the command line maps it to (the contract's exit statuses)."""
from __future__ import annotations

from .model import Problem, StepResult


class MigratorError(Exception):
    """Base class: an expected failure, printed as one `error:` line without a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, done: list[StepResult] | None = None):
        super().__init__(message)
        self.message = message
        self.done = done or []  # what completed before the failure

    def lines(self) -> list[str]:
        """The message as printed: the `error:` line first, then any detail lines, then notes
        added on the way out (`add_note`, e.g. a clean-up that failed after this error)."""
        return (self.message.splitlines() or [self.message]) + list(getattr(self, "__notes__", []))


class ConfigError(MigratorError):
    """Usage or configuration is wrong: a bad URL, option, file name or an unreachable database."""

    exit_code = 2


class ScriptError(MigratorError):
    """A statement of a migration, rollback or seed failed; its transaction was rolled back."""

    exit_code = 1

    def __init__(
        self,
        path: str,
        line: int | None,
        message: str,
        *,
        detail: str | None = None,
        hint: str | None = None,
        done: list[StepResult] | None = None,
    ):
        where = f"{path}:{line}" if line else path
        text = f"{where}: {message}"
        if detail:
            text += f"\nDETAIL: {detail}"
        if hint:
            text += f"\nHINT: {hint}"
        super().__init__(text, done=done)
        self.path, self.line, self.db_message, self.detail, self.hint = path, line, message, detail, hint
        self.lock_timeout = False  # failed waiting for a lock (lock_timeout): worth retrying


class Refused(MigratorError):
    """The database is not in a state the command may change (`baseline` on a journal that records
    migrations already): nothing was changed."""

    exit_code = 3


class ProblemsFound(Refused):
    """`verify` found problems, or `up` refuses because of them."""

    def __init__(self, problems: list[Problem], headline: str):
        self.problems = problems
        super().__init__(headline + "".join(f"\n  {p}" for p in problems))


class LockTimeout(MigratorError):
    """Another runner (or a long transaction) held the lock longer than --lock-wait."""

    exit_code = 4


class Stopped(MigratorError):
    """The caller's stop event was set: the run stopped between two steps, none half-done.

    `done` holds the steps completed before it (used by `fleet` after a failure or a signal).
    """

    exit_code = 1


class DatabaseError(MigratorError):
    """The database failed outside any script (a dropped connection, a journal query)."""

    exit_code = 1


class StatementError(Exception):
    """Raised by drivers: a statement failed.

    `op`: the index of the failing operation in its unit (None outside a unit); `offset`: the
    0-based character index of the failing statement in that Script's SQL (None when the
    failure is not a statement of a script, or the database does not say); `lost`: the database
    rolled back, with this unit, every earlier one not yet durable (SQLite's open group).
    """

    def __init__(self, message: str, offset: int | None = None, detail: str | None = None, hint: str | None = None,
                 lock_timeout: bool = False, *, op: int | None = None, sqlstate: str | None = None):
        super().__init__(message)
        self.message, self.offset, self.detail, self.hint = message, offset, detail, hint
        self.lock_timeout = lock_timeout
        self.op, self.sqlstate = op, sqlstate
        self.lost = False


class CheckFailed(StatementError):
    """A Check op of a unit returned rows: `rows` holds the first three, `query` the check."""

    def __init__(self, query: str, rows: list[tuple], *, op: int | None = None):
        super().__init__("the check returned rows", op=op)
        self.query, self.rows = query, rows


class ConnectionLost(Exception):
    """Raised by drivers when the connection to the server is gone."""


class BackupFailed(MigratorError):
    """pg_dump, pg_restore/psql or SQLite's backup failed; a restore that fails changes nothing."""

    exit_code = 1
