"""A pure-SQL migration runner: numbered SQL files, paired rollbacks, a checksummed journal.

The public API is `Migrator` (async) and the blocking wrappers in `migrator.sync`; every command
of runner.py is a thin layer over it. Nothing here prints: progress goes to an optional callback,
failures raise `MigratorError` subclasses carrying the message the CLI prints and its exit status.
"""
__version__ = "0.1.0"

from .engine import Migrator, ResetResult, StatusReport  # noqa: E402
from .model import MigrationStatus, Problem, StepResult  # noqa: E402
from .errors import (  # noqa: E402
    ConfigError,
    DatabaseError,
    LockTimeout,
    MigratorError,
    ProblemsFound,
    ScriptError,
)

__all__ = [
    "Migrator", "StatusReport", "ResetResult", "MigratorError", "ConfigError", "ScriptError", "ProblemsFound", "LockTimeout",
    "DatabaseError", "MigrationStatus", "Problem", "StepResult", "__version__",
]
