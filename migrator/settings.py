"""Settings from the environment, else from the project's `.env` file.

The real environment always wins, so a deploy pipeline's secrets override a developer's `.env`.
The file is read, never loaded into `os.environ`: only the settings asked for come from it.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

from .errors import ConfigError
from .url import DEFAULT_URL, DatabaseURL, parse


def setting(name: str, project_dir: str | Path = ".") -> str | None:
    """$NAME if set and not empty, else NAME from `<project_dir>/.env`, else None."""
    value = os.environ.get(name)
    if value:
        return value
    path = Path(project_dir) / ".env"
    try:
        if not path.is_file():
            return None
        from dotenv import dotenv_values  # here: without a .env, every command starts without it
        return dotenv_values(path).get(name) or None
    except (OSError, UnicodeDecodeError) as exc:
        # a name too long for the file system, a folder we may not search, a file not UTF-8
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read {path}: {reason}") from None


def resolve_url(url: str | None, project_dir: str | Path = ".") -> DatabaseURL:
    """--url, else $DATABASE_URL, else DATABASE_URL from the project's .env, else the SQLite default."""
    return parse(url or setting("DATABASE_URL", project_dir) or DEFAULT_URL)


@functools.cache
def os_user() -> str | None:
    """The operating-system user running this; None where the system has no name for it (some containers)."""
    import getpass  # here: read-only commands never need it

    try:
        return getpass.getuser()
    except Exception:
        return None
