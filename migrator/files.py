"""Discovery of sql/, rollbacks/, checks/ and seeds/ under the project directory.

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
MAX_VERSION = 2**63 - 1  # the journal's version column: BIGINT on PostgreSQL, INTEGER on SQLite
READ_CHUNK = 1 << 16
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


def read_text(path: str | Path, display_path: str) -> str:
    """A SQL file's text as every file of a project is read (UTF-8, BOM and CR dropped, no NUL);
    ConfigError naming `display_path` when it cannot be."""
    return _read_text(Path(path), display_path)[0]


def _read_bytes(path: str | Path) -> bytes:
    # os.read rather than open(): a buffered file object per file was a third of reading
    # thousands of small files (status reads every migration)
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, READ_CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_text(path: Path, display_path: str) -> tuple[str, str]:
    try:
        raw = _read_bytes(path)
        text = normalise(raw)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display_path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:  # unreadable (permissions), or gone since discovery
        raise ConfigError(f"{display_path}: cannot read it: {exc.strerror or exc}") from None
    nul = text.find("\x00")
    if nul != -1:  # neither database can take it (PostgreSQL's asyncpg would drop the connection)
        raise ConfigError(f"{display_path}:{text.count(chr(10), 0, nul) + 1}: a NUL character; is it a binary file?")
    if b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf"):  # already normal: the bytes are the text's
        return text, hashlib.sha256(raw).hexdigest()
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
    path: str  # a string, not a Path: a Path per file was a tenth of `status`
    display_path: str


def read_name(file_name: str) -> tuple[int, str, str | None] | str:
    """(version, name, dialect) of a migration, rollback or seed file name, or why it is not one."""
    match = FILE_NAME.match(file_name)
    if not match:
        return ("name must be <version>_<name>.sql "
                "(digits, underscore, letters/digits/_/-, optional .sqlite or .postgres)")
    digits = match["version"].lstrip("0")
    if len(digits) > len(str(MAX_VERSION)) or int(digits or "0") > MAX_VERSION:
        return (f"version {match['version']} is too large: a version must fit a signed 64-bit integer "
                f"(at most {MAX_VERSION}), as the journal stores it")
    return int(digits or "0"), match["name"], match["dialect"]


def _scan(folder: Path, project_dir: Path, problems: list[Problem]) -> list[_Entry]:
    entries: list[_Entry] = []
    if not folder.is_dir():
        return entries
    prefix, where = _display(folder, project_dir), str(folder)
    # sub-folders (sql/repeatable/) and notes are not numbered migrations
    for file_name in _sql_files(folder, prefix, problems):
        read = read_name(file_name)
        if isinstance(read, str):
            problems.append(Problem(ProblemKind.BAD_NAME, f"{prefix}/{printable(file_name)}: {read}"))
            continue
        entries.append(_Entry(*read, f"{where}/{file_name}", f"{prefix}/{file_name}"))
    return entries


def _sql_files(folder: Path, prefix: str, problems: list[Problem]) -> list[str]:
    """Names of the folder's *.sql files, sorted; a *.sql symbolic link that leads nowhere is a problem."""
    # scandir and plain-string sorting: pathlib's per-file comparisons and stat calls were most
    # of the cost of discovering thousands of files.
    files = []
    with os.scandir(folder) as found:
        for entry in found:
            if not entry.name.endswith(".sql"):
                continue
            try:
                if entry.is_file():
                    files.append(entry.name)
                elif entry.is_symlink() and not os.path.exists(entry.path):
                    problems.append(Problem(ProblemKind.BAD_NAME, f"{prefix}/{printable(entry.name)}: a symbolic "
                                            f"link to {printable(os.readlink(entry.path))}, which does not exist"))
            except OSError as exc:  # a loop of symbolic links
                problems.append(Problem(ProblemKind.BAD_NAME,
                                        f"{prefix}/{printable(entry.name)}: cannot be read ({exc.strerror})"))
    return sorted(files)


def printable(name: str) -> str:
    """A file name as it can be printed on one line: bytes that are not UTF-8 and control characters escaped."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text if text.isprintable() else "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _select(entries: list[_Entry], dialect: str, problems: list[Problem]) -> dict[int, _Entry]:
    """One entry per version for `dialect`: its variant if there is one, else the plain file."""
    by_version: dict[int, list[_Entry]] = {}  # grouped in one pass: discovery stays linear in the file count
    for e in entries:
        by_version.setdefault(e.version, []).append(e)
    chosen: dict[int, _Entry] = {}
    for version, candidates in by_version.items():
        if len(candidates) == 1:  # the usual case, decided without the checks below
            if candidates[0].dialect in (None, dialect):
                chosen[version] = candidates[0]
            continue
        found = {e.name for e in candidates}
        if len(found) > 1:
            problems.append(Problem(
                ProblemKind.DUPLICATE,
                f"version {version} is used by more than one name: "
                f"{', '.join(sorted(e.display_path for e in candidates))}",
                version,
            ))
            continue
        variant = [e for e in candidates if e.dialect == dialect]
        plain = [e for e in candidates if e.dialect is None]
        pick = variant or plain
        if len(pick) > 1:  # 0003_x.sql and 00003_x.sql: same version, same name
            problems.append(Problem(
                ProblemKind.DUPLICATE,
                f"version {version} has several files: {', '.join(sorted(p.display_path for p in pick))}",
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
    check_entries = _scan(project_dir / "checks", project_dir, problems)
    seed_entries = _scan(project_dir / "seeds", project_dir, problems)

    up_by_version = _select(ups, dialect, problems)
    down_by_version = _select(downs, dialect, problems)
    checks_by_version = _select(check_entries, dialect, problems)
    up_names = {(e.version, e.name) for e in ups}
    for entries, kind, what in ((downs, ProblemKind.ORPHAN_ROLLBACK, "rollback"),
                                (check_entries, ProblemKind.ORPHAN_CHECKS, "checks file")):
        for e in entries:
            if (e.version, e.name) not in up_names:
                problems.append(Problem(kind, f"{e.display_path}: {what} has no up file "
                                              f"sql/{os.path.basename(e.path)}", e.version))

    migrations = []
    for version in sorted(up_by_version):
        up = up_by_version[version]
        down, checks = down_by_version.get(version), checks_by_version.get(version)
        rollback = lazy_script(down.path, down.display_path) if down and down.name == up.name else None
        checks = lazy_script(checks.path, checks.display_path) if checks and checks.name == up.name else None
        migrations.append(Migration(version, up.name, read_script(up.path, project_dir, up.display_path), rollback,
                                    checks))

    seeds = [
        Seed(e.version, e.name, read_script(e.path, project_dir, e.display_path))
        for _, e in sorted(_select(seed_entries, dialect, problems).items())
    ]
    return Project(migrations=migrations, seeds=seeds, problems=problems,
                   repeatables=_repeatables(project_dir, dialect, problems))


def _repeatables(project_dir: Path, dialect: str, problems: list[Problem]) -> list[Repeatable]:
    """sql/repeatable/<name>.sql, a dialect variant replacing the plain file, in name order."""
    folder = project_dir / "sql" / "repeatable"
    chosen: dict[str, tuple[str | None, Path]] = {}
    if folder.is_dir():
        prefix = _display(folder, project_dir)
        for path in (folder / name for name in _sql_files(folder, prefix, problems)):
            match = REPEATABLE_NAME.match(path.name)
            if not match:
                problems.append(Problem(ProblemKind.BAD_NAME, f"{prefix}/{printable(path.name)}: name must be "
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
    try:
        if not project_dir.is_dir():
            problem = "does not exist" if not project_dir.exists() else "is not a folder"
            raise ConfigError(f"{where} {problem}; --dir chooses it (default: the current directory)")
        has_sql = (project_dir / "sql").is_dir()
    except OSError as exc:  # a name too long for the file system, a folder we may not enter
        raise ConfigError(f"{where} cannot be read ({exc.strerror}); --dir chooses it "
                          "(default: the current directory)") from None
    if not has_sql:
        raise ConfigError(f"{where} has no sql/ folder of migrations; --dir chooses the project directory "
                          "(default: the current directory)")


def read_rollbacks(migrations: list[Migration]) -> None:
    """Read the rollback and checks files now (discovery leaves them for later): one that is not
    UTF-8 stops the command with a clear error before anything has changed."""
    for m in migrations:
        for script in (m.rollback, m.checks):
            if script is not None:
                script.load()
