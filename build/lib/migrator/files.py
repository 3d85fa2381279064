"""Discovery of sql/, rollbacks/ and seeds/ under the project directory.

Reads files and hashes them once (a rollback file only when it is first used); reports bad
names, duplicate versions and orphan rollbacks as problems rather than raising, so `verify`
can list them all.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import NamedTuple

from .errors import ConfigError
from .model import Migration, Problem, ProblemKind, Project, Repeatable, Script, Seed

DIALECTS = ("sqlite", "postgres")
FILE_NAME = re.compile(r"^(?P<version>[0-9]+)_(?P<name>[A-Za-z0-9_-]+)(?:\.(?P<dialect>sqlite|postgres))?\.sql$")
REPEATABLE_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_-]+?)(?:\.(?P<dialect>sqlite|postgres))?\.sql$")


def normalise(raw: bytes) -> str:
    """The text a checksum is taken of: UTF-8 without BOM, CRLF and CR turned into LF."""
    text = raw.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_script(path: Path, project_dir: Path, display_path: str | None = None) -> Script:
    display_path = display_path or _display(path, project_dir)
    return Script(path, *_read_text(path, display_path), display_path=display_path)


def lazy_script(path: Path, display_path: str) -> Script:
    """A Script whose file is read and hashed on first use (rollbacks: status never needs them)."""
    return Script(path, display_path=display_path, read=lambda: _read_text(path, display_path))


def _read_text(path: Path, display_path: str) -> tuple[str, str]:
    try:
        with open(path, "rb") as f:
            text = normalise(f.read())
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display_path}: not UTF-8 text ({exc.reason})") from None
    return text, checksum(text)


def _display(path: Path, project_dir: Path) -> str:
    try:
        return path.relative_to(project_dir).as_posix()
    except ValueError:
        return str(path)


class _Entry(NamedTuple):  # a NamedTuple: thousands are made on every start
    version: int
    name: str
    dialect: str | None
    path: Path
    display_path: str


def _scan(folder: Path, project_dir: Path, problems: list[Problem]) -> list[_Entry]:
    entries: list[_Entry] = []
    if not folder.is_dir():
        return entries
    prefix = _display(folder, project_dir)
    # scandir and plain-string sorting: pathlib's per-file comparisons and stat calls were most
    # of the cost of discovering thousands of files.
    with os.scandir(folder) as found:
        files = sorted((e.name for e in found if e.name.endswith(".sql") and e.is_file()))
    for file_name in files:  # sub-folders (sql/repeatable/) and notes are not numbered migrations
        match = FILE_NAME.match(file_name)
        if not match:
            problems.append(Problem(
                ProblemKind.BAD_NAME,
                f"{prefix}/{file_name}: name must be <version>_<name>.sql "
                "(digits, underscore, letters/digits/_/-, optional .sqlite or .postgres)",
            ))
            continue
        entries.append(_Entry(int(match["version"]), match["name"], match["dialect"], folder / file_name,
                              f"{prefix}/{file_name}"))
    return entries


def _select(entries: list[_Entry], dialect: str, folder: str, problems: list[Problem]) -> dict[int, _Entry]:
    """One entry per version for `dialect`: its variant if there is one, else the plain file."""
    by_version: dict[int, list[_Entry]] = {}  # grouped in one pass: discovery stays linear in the file count
    for e in entries:
        by_version.setdefault(e.version, []).append(e)
    chosen: dict[int, _Entry] = {}
    for version, candidates in by_version.items():
        found = {e.name for e in candidates}
        if len(found) > 1:
            problems.append(Problem(
                ProblemKind.DUPLICATE,
                f"{folder}/: version {version} is used by more than one name: {', '.join(sorted(found))}",
                version,
            ))
            continue
        variant = [e for e in candidates if e.dialect == dialect]
        plain = [e for e in candidates if e.dialect is None]
        pick = variant or plain
        if len(pick) > 1:  # 0003_x.sql and 00003_x.sql: same version, same name
            problems.append(Problem(
                ProblemKind.DUPLICATE,
                f"{folder}/: version {version} has several files: {', '.join(p.path.name for p in pick)}",
                version,
            ))
            continue
        if pick:
            chosen[version] = pick[0]
    return chosen


def discover(project_dir: Path, dialect: str) -> Project:
    """Read the project's files for `dialect`; problems in them are collected, never raised.

    A project directory that does not exist or has no sql/ folder is a ConfigError: a deploy
    started in the wrong folder must fail, not succeed having done nothing.
    """
    assert dialect in DIALECTS
    project_dir = Path(project_dir)
    require_project(project_dir)
    problems: list[Problem] = []
    ups = _scan(project_dir / "sql", project_dir, problems)
    downs = _scan(project_dir / "rollbacks", project_dir, problems)
    seed_entries = _scan(project_dir / "seeds", project_dir, problems)

    up_by_version = _select(ups, dialect, "sql", problems)
    down_by_version = _select(downs, dialect, "rollbacks", problems)
    up_names = {(e.version, e.name) for e in ups}
    for e in downs:
        if (e.version, e.name) not in up_names:
            problems.append(Problem(
                ProblemKind.ORPHAN_ROLLBACK,
                f"{_display(e.path, project_dir)}: rollback has no up file sql/{e.path.name}",
                e.version,
            ))

    migrations = []
    for version in sorted(up_by_version):
        up = up_by_version[version]
        down = down_by_version.get(version)
        rollback = lazy_script(down.path, down.display_path) if down and down.name == up.name else None
        migrations.append(Migration(version, up.name, read_script(up.path, project_dir, up.display_path), rollback))

    seeds = [
        Seed(e.version, e.name, read_script(e.path, project_dir, e.display_path))
        for _, e in sorted(_select(seed_entries, dialect, "seeds", problems).items())
    ]
    return Project(migrations=migrations, seeds=seeds, problems=problems,
                   repeatables=_repeatables(project_dir, dialect, problems))


def _repeatables(project_dir: Path, dialect: str, problems: list[Problem]) -> list[Repeatable]:
    """sql/repeatable/<name>.sql, a dialect variant replacing the plain file, in name order."""
    folder = project_dir / "sql" / "repeatable"
    chosen: dict[str, tuple[str | None, Path]] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.sql")):
            match = REPEATABLE_NAME.match(path.name)
            if not match:
                problems.append(Problem(ProblemKind.BAD_NAME, f"{_display(path, project_dir)}: name must be "
                                        "<name>.sql (letters, digits, _ and -, optional .sqlite or .postgres)"))
                continue
            if match["dialect"] not in (None, dialect):
                continue
            if match["name"] not in chosen or match["dialect"] == dialect:
                chosen[match["name"]] = (match["dialect"], path)
    return [Repeatable(name, read_script(path, project_dir)) for name, (_, path) in sorted(chosen.items())]


def require_project(project_dir: Path) -> None:
    """Raise ConfigError unless `project_dir` is a folder holding sql/ (an empty sql/ is a new project)."""
    where = f"the project directory {project_dir}" + ("" if str(project_dir) not in (".", "") else
                                                        f" ({Path.cwd()})")
    if not project_dir.is_dir():
        problem = "does not exist" if not project_dir.exists() else "is not a folder"
        raise ConfigError(f"{where} {problem}; --dir chooses it (default: the current directory)")
    if not (project_dir / "sql").is_dir():
        raise ConfigError(f"{where} has no sql/ folder of migrations; --dir chooses the project directory "
                          "(default: the current directory)")


def read_rollbacks(migrations: list[Migration]) -> None:
    """Read the rollback files now (discovery leaves them for later): one that is not UTF-8 stops
    the command with a clear error before anything has changed."""
    for m in migrations:
        if m.rollback is not None:
            m.rollback.load()
