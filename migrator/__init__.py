"""A pure-SQL migration runner: numbered SQL files, paired rollbacks, a checksummed journal.

The public API is `Migrator` (async) and `migrate_sync`-style helpers in `api`; every command of
runner.py is a thin layer over it.
"""
__version__ = "0.1.0"

from .engine import Migrator, StatusReport  # noqa: E402
from .errors import (  # noqa: E402
    ConfigError,
    DatabaseError,
    LockTimeout,
    MigratorError,
    ProblemsFound,
    ScriptError,
    Stopped,
)

__all__ = [
    "Migrator", "StatusReport", "MigratorError", "ConfigError", "ScriptError", "ProblemsFound", "LockTimeout",
    "DatabaseError", "Stopped", "__version__",
]
