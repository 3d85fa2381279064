"""A pure-SQL migration runner: numbered SQL files, paired rollbacks, a checksummed journal.

The public API is `Migrator` (async) and the blocking wrappers in `migrator.sync`; every command
of the command line (`migrator.cli`) is a thin layer over it. Nothing here prints: progress goes
to an optional callback, failures raise `MigratorError` subclasses carrying the message the
command line prints and its exit status.

The names below are imported on first use, so `import migrator.cli` (and `--help`) stays fast.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_WHERE = {
    "Migrator": "engine", "StatusReport": "engine", "ResetResult": "engine",
    "MigrationStatus": "model", "Problem": "model", "StepResult": "model",
    "MigratorError": "errors", "ConfigError": "errors", "ScriptError": "errors", "ProblemsFound": "errors",
    "LockTimeout": "errors", "DatabaseError": "errors", "Stopped": "errors",
}
__all__ = [*_WHERE, "__version__"]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    if name == "sync":
        return importlib.import_module(".sync", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:  # for type checkers; at run time __getattr__ imports them
    from . import sync  # noqa: F401
    from .engine import Migrator, ResetResult, StatusReport  # noqa: F401
    from .errors import (ConfigError, DatabaseError, LockTimeout, MigratorError,  # noqa: F401
                         ProblemsFound, ScriptError, Stopped)
    from .model import MigrationStatus, Problem, StepResult  # noqa: F401
