"""Database URLs: which dialect and driver, what to connect to, and how to print it safely."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from .errors import ConfigError

DEFAULT_URL = "file:./dev.db"
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})  # and any socket directory

_PG_SCHEMES = {
    "postgresql": "asyncpg",
    "postgres": "asyncpg",
    "postgresql+asyncpg": "asyncpg",
    "postgres+asyncpg": "asyncpg",
    "postgresql+psycopg": "psycopg",
    "postgres+psycopg": "psycopg",
}


@dataclass(frozen=True)
class DatabaseURL:
    dialect: str  # "sqlite" | "postgres"
    driver: str  # "sqlite" | "asyncpg" | "psycopg"
    target: str  # SQLite: a file path; PostgreSQL: a libpq URL without the +driver suffix
    password: str | None
    raw: str

    @property
    def display(self) -> str:
        """The URL with any password replaced, safe for output and logs."""
        return redact(self.raw, self.password)

    @property
    def is_local(self) -> bool:
        if self.dialect == "sqlite":
            return True
        host = urlsplit(self.target).hostname or ""
        return host in LOCAL_HOSTS or host.startswith("/")


def parse(url: str) -> DatabaseURL:
    scheme, sep, rest = url.partition(":")
    if not sep:
        raise ConfigError(f"database URL {redact(url)!r} has no scheme; use file:PATH, sqlite:PATH or postgresql://…")
    scheme = scheme.lower()
    if scheme in ("file", "sqlite"):
        return DatabaseURL("sqlite", "sqlite", _sqlite_path(url, rest), None, url)
    if scheme in _PG_SCHEMES:
        parts = urlsplit(url)
        # libpq takes the password from the user info or from a `password` parameter
        password = unquote(parts.password) if parts.password else (parse_qs(parts.query).get("password") or [None])[-1]
        # libpq and asyncpg only know postgresql://; the +driver part is ours.
        target = urlunsplit(("postgresql",) + tuple(parts)[1:])
        return DatabaseURL("postgres", _PG_SCHEMES[scheme], target, password, url)
    raise ConfigError(
        f"unsupported database URL scheme {scheme!r}: use file:PATH, sqlite:PATH, sqlite:///relative, "
        "sqlite:////absolute, postgresql://…, postgresql+asyncpg://… or postgresql+psycopg://…"
    )


def _sqlite_path(url: str, rest: str) -> str:
    rest = rest.split("?", 1)[0]
    if rest.startswith("//"):
        # sqlite:///rel/path -> rel/path ; sqlite:////abs/path -> /abs/path (SQLAlchemy's convention)
        after = rest[2:]
        if not after.startswith("/"):
            raise ConfigError(f"database URL {url!r}: expected sqlite:///relative/path or sqlite:////absolute/path")
        rest = after[1:]
    path = unquote(rest)
    if not path:
        raise ConfigError(f"database URL {url!r} names no file")
    return path


_PASSWORD_PARAMETER = re.compile(r"(?P<head>[?&]password=)[^&#\s]*", re.I)
_USERINFO = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/?#@\s]*:)(?P<password>[^@/?#\s]*)(?=@)", re.I)


def redact(text: str, password: str | None = None) -> str:
    """Hide passwords: the known one wherever it appears, any user:password@ in a URL and any ?password= parameter."""
    if password:
        text = text.replace(password, "***")
    text = _USERINFO.sub(lambda m: m["head"] + "***", text)
    return _PASSWORD_PARAMETER.sub(lambda m: m["head"] + "***", text)
