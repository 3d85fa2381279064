"""The runner's data: what the files say, what the journal says, and the plan between them.

Nothing here does I/O (a Script made by files.py may call back into it to read its file);
every other module passes these records around. Records are immutable NamedTuples rather than
frozen dataclasses: a dataclass costs ~1 ms to define (generated code), paid by every command
at start-up, a NamedTuple a tenth of that.
"""

import enum
from pathlib import Path
from typing import Callable, NamedTuple


class Script:
    """One SQL file as found on disk, its text normalised (no BOM, LF line ends).

    Made either with its text and checksum, or with `read` (files.py reads rollback files this
    way): then the file is read and hashed on the first use of `.sql` or `.checksum`, because
    `status` and `verify` never need a rollback's text and reading the files is most of their cost.
    """

    __slots__ = ("path", "display_path", "_sql", "_checksum", "_read")

    def __init__(self, path: str | Path, sql: str | None = None, checksum: str | None = None, display_path: str = "",
                 *, read: Callable[[], tuple[str, str]] | None = None):
        assert (sql is not None and checksum is not None) or read is not None
        self.path = path
        self.display_path = display_path  # relative to the project directory, for messages
        self._sql, self._checksum, self._read = sql, checksum, read

    def load(self) -> "Script":
        """Read the file now if it has not been read (raises ConfigError if it is not UTF-8)."""
        if self._sql is None:
            self._sql, self._checksum = self._read()
        return self

    @property
    def sql(self) -> str:
        return self.load()._sql

    @property
    def checksum(self) -> str:
        return self.load()._checksum

    @property
    def no_transaction(self) -> bool:
        return "no-transaction" in directives(self.sql)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Script):
            return NotImplemented
        return (self.path, self.display_path, self.checksum) == (other.path, other.display_path, other.checksum)

    def __hash__(self) -> int:
        return hash((self.path, self.display_path))

    def __repr__(self) -> str:
        return f"Script({self.display_path!r})"


class Migration(NamedTuple):
    """An up file and, when they exist, its paired rollback file and data checks (checks/)."""

    version: int
    name: str
    up: Script
    rollback: Script | None
    checks: Script | None = None

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


class DataCheck(NamedTuple):
    """One query of a checks/ file: it returns the offending rows; any row fails its migration."""

    sql: str
    path: str  # checks/0012_x.sql
    line: int  # where the query starts in it
    when: str  # "before" (the migration's SQL) | "after" (it, before its journal row commits)


class Seed(NamedTuple):
    version: int
    name: str
    script: Script

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


class Applied(NamedTuple):
    """One row of the journal: only what comparison and rollback need."""

    version: int
    name: str
    checksum: str
    rollback_sql: str | None
    rollback_checksum: str | None
    applied_at: str | None
    applied_by: str | None
    duration_ms: int | None
    failed: bool = False  # a no-transaction migration that stopped part-way
    applied_sql: str | None = None  # the up file as applied (None: an older journal, or too large to keep)
    out_of_order: bool = False  # applied with --allow-out-of-order below a newer applied version


class State(str, enum.Enum):
    APPLIED = "applied"
    PENDING = "pending"
    MODIFIED = "modified"
    MISSING = "missing"
    FAILED = "failed"


class MigrationStatus(NamedTuple):
    version: int
    name: str
    state: State
    applied_at: str | None
    duration_ms: int | None
    checksum: str | None
    applied_by: str | None = None
    out_of_order: bool = False  # applied with --allow-out-of-order
    has_checks: bool = False  # checks/ holds data checks for it
    changes: str | None = None  # modified: a unified diff of the SQL as applied against today's file

    def as_json(self) -> dict:
        doc = {
            "version": self.version,
            "name": self.name,
            "state": self.state.value,
            "applied_at": self.applied_at,
            "duration_ms": self.duration_ms,
            "checksum": self.checksum,
            "out_of_order": self.out_of_order,
            "checks": self.has_checks,
            "changes": self.changes,
        }
        return doc


class ProblemKind(str, enum.Enum):
    BAD_NAME = "bad-name"
    DUPLICATE = "duplicate"
    ORPHAN_ROLLBACK = "orphan-rollback"
    ORPHAN_CHECKS = "orphan-checks"
    UNWRITTEN = "unwritten"
    INVALID_INDEX = "invalid-index"
    MISSING_ROLLBACK = "missing-rollback"
    MODIFIED = "modified"
    MISSING = "missing"
    OUT_OF_ORDER = "out-of-order"
    FAILED = "failed"
    PENDING = "pending"


# Problems that make `up` refuse; a missing rollback file does not (down falls back
# to the copy stored in the journal), and `pending` only matters to `verify --strict`.
BLOCKING = frozenset(
    {
        ProblemKind.BAD_NAME,
        ProblemKind.DUPLICATE,
        ProblemKind.ORPHAN_ROLLBACK,
        ProblemKind.ORPHAN_CHECKS,
        ProblemKind.UNWRITTEN,
        ProblemKind.MODIFIED,
        ProblemKind.MISSING,
        ProblemKind.OUT_OF_ORDER,
        ProblemKind.FAILED,
    }
)

# Problems in the files themselves, found before any database is touched.
FILE_PROBLEMS = frozenset({ProblemKind.BAD_NAME, ProblemKind.DUPLICATE, ProblemKind.ORPHAN_ROLLBACK,
                           ProblemKind.ORPHAN_CHECKS})


class Problem(NamedTuple):
    kind: ProblemKind
    message: str
    version: int | None = None
    detail: str | None = None  # more lines: what changed in a modified migration (a unified diff)

    def __str__(self) -> str:
        text = f"{self.kind.value}: {self.message}"
        if self.detail:
            text += "".join("\n    " + line for line in self.detail.rstrip("\n").split("\n"))
        return text


class Project(NamedTuple):
    """Everything discovered under the project directory for one dialect."""

    migrations: list[Migration]
    seeds: list[Seed]
    problems: list[Problem] = []  # never changed in place: discover() builds the lists
    repeatables: "list[Repeatable]" = []

    def by_version(self) -> dict[int, Migration]:
        return {m.version: m for m in self.migrations}


class Rollback(NamedTuple):
    """One applied migration to roll back, with the rollback SQL `down` will run."""

    version: int
    name: str
    sql: str
    source: str  # the file the SQL comes from, or "journal" for a stored rollback
    migration: Migration | None = None

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


class StepResult(NamedTuple):
    action: str  # "up", "down", "seed", "baseline", "repeatable", "test", "retry"
    version: int | None  # None for a repeatable
    name: str
    duration_ms: int
    source: str | None = None

    @property
    def label(self) -> str:
        return f"repeatable/{self.name}" if self.version is None else f"{self.version:04d}_{self.name}"


class Repeatable(NamedTuple):
    """sql/repeatable/<name>.sql: a definition (view, function) re-run whenever it changes."""

    name: str
    script: Script

    @property
    def label(self) -> str:
        return f"repeatable/{self.name}"


class RepeatableStatus(NamedTuple):
    name: str
    state: str  # "current" | "changed" | "new"
    checksum: str
    applied_at: str | None

    def as_json(self) -> dict:
        return {"name": self.name, "state": self.state, "checksum": self.checksum, "applied_at": self.applied_at}


def directives(sql: str) -> set[str]:
    """`-- runner: <word>` comments among the file's leading comment lines."""
    found: set[str] = set()
    if "runner:" not in sql.lower():  # most files have none: no need to split them into lines
        return found
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            break
        body = stripped[2:].strip()
        if body.lower().startswith("runner:"):
            found.add(body[len("runner:"):].strip().lower())
    return found


def up_template(stem: str) -> str:
    """What `new` writes into sql/<stem>.sql: a file still holding only this was never written."""
    return f"-- {stem}: write the change here.\n"


def rollback_template(stem: str) -> str:
    return f"-- Rollback of {stem}: undo exactly what sql/{stem}.sql does.\n"
