"""Backups and restores: pg_dump / pg_restore for PostgreSQL, SQLite's online backup API.

A client of the drivers like the engine is: it connects through them (same errors, same
run lock) and never prints. A backup is written under a temporary name and renamed once
complete, so a file with the final name is always a whole backup; files are created readable
by their owner only (0600), folders the same (0700), because a backup holds every row.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from . import pgtools
from .drivers import open_driver
from .journal import queries
from .errors import BackupFailed, ConfigError
from .url import DatabaseURL, redact

BACKUP_DIR = "backups"
SUFFIX = {"postgres": ".dump", "sqlite": ".db"}
SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


async def backup(url: DatabaseURL, project_dir: str | Path = ".", out: str | Path | None = None, *,
                 lock_wait: float = 30.0) -> Path:
    """Write a consistent copy of the database and return its path.

    Default path: `<project_dir>/backups/<dbname>-<UTC timestamp>.<dump|db>`; `out` may name a
    file (never overwritten) or an existing folder. Other sessions may keep writing meanwhile:
    pg_dump reads one snapshot, SQLite's backup API copies under one read transaction.
    """
    if url.dialect == "postgres":
        # Connecting first gives the same errors (and exit status) as every other command.
        db = await open_driver(url, lock_wait=lock_wait, create=False)
        try:
            pg_dump = (await _tools(await _server_version(db), ("pg_dump",), "backup"))["pg_dump"]
        finally:
            await db.close()
    else:
        _check_sqlite_source(Path(url.target))
    path = _reserve(url, Path(project_dir), out)
    partial = path.with_name(path.name + ".partial")
    try:
        _create_private(partial, exclusive=False)
        if url.dialect == "postgres":
            dsn, env = url.libpq_dsn_and_environment()
            await _run_tool(url, [pg_dump, "--format=custom", "--no-password", f"--file={partial}",
                                  f"--dbname={dsn}"], env)
        else:
            await asyncio.to_thread(_sqlite_copy, Path(url.target), partial, lock_wait)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise
    return path


async def restore(url: DatabaseURL, path: str | Path, *, lock_wait: float = 30.0) -> Path:
    """Replace the database's contents with a backup made by `backup`; returns the backup's path.

    PostgreSQL: everything happens in one transaction that holds the runner's lock (so no
    migration runs in between) and empties the schemas, then loads the archive, so a failed
    restore changes nothing. SQLite: the backup API copies into the live file, so open connections see either
    the old or the restored database, never a mix.
    """
    path = Path(path)
    kind = _kind_of(path)
    if url.dialect == "postgres":
        if kind == "sqlite":
            raise ConfigError(f"{path} is a SQLite database, not a PostgreSQL backup; restore it onto a SQLite URL")
    else:
        if kind == "pg_dump":
            raise ConfigError(f"{path} is a pg_dump archive (PostgreSQL), not a SQLite database; "
                              "refusing to restore it")
        if kind != "sqlite":
            raise ConfigError(f"{path} is not a SQLite database; refusing to restore from it")
        _check_sqlite_backup(path)
        live = Path(url.target)
        if live.exists() and live.samefile(path):
            raise ConfigError(f"{path} is the database itself; name a backup file")
    db = await open_driver(url, lock_wait=lock_wait, create=True)  # the same errors as every command
    try:
        if url.dialect == "postgres":
            server = await _server_version(db)
            tools = await _tools(server, ("pg_restore", "psql"), "restore")
            await _check_archive(url, tools["pg_restore"], path)  # before anything is dropped
            await _pg_restore(url, tools["pg_restore"], tools["psql"], path, lock_wait, server)
        else:
            await asyncio.to_thread(_sqlite_copy, path, Path(url.target), lock_wait)
    finally:
        with contextlib.suppress(Exception):
            await db.close()
    return path


# -- where backups go ----------------------------------------------------------------------------

def _reserve(url: DatabaseURL, project_dir: Path, out: str | Path | None) -> Path:
    """Claim the backup's file name (created empty, 0600) so two backups never share one."""
    # Path() drops a trailing slash: `--out=newdir/` must not become a file named newdir.
    if out is not None and os.path.basename(os.fspath(out)) in ("", ".", "..") and not Path(out).is_dir():
        raise ConfigError(f"{out} names a folder that does not exist; create it first, or give --out a file name")
    out = None if out is None else Path(out)
    if out is not None and not out.is_dir():
        _make_private_dir(out.parent)
        try:
            _create_private(out, exclusive=True)
        except FileExistsError:
            raise ConfigError(f"{out} already exists; a backup never overwrites a file "
                              "(choose another --out)") from None
        return out
    folder = out if out is not None else project_dir / BACKUP_DIR
    _make_private_dir(folder)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stem = f"{_database_name(url)}-{stamp}"
    for n in range(1, 1000):
        candidate = folder / f"{stem}{'' if n == 1 else f'-{n}'}{SUFFIX[url.dialect]}"
        try:
            _create_private(candidate, exclusive=True)
            return candidate
        except FileExistsError:
            continue
    raise ConfigError(f"too many backups named {stem}* in {folder}")


def _database_name(url: DatabaseURL) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", url.database_name) or "database"


def _make_private_dir(folder: Path) -> None:
    if folder.is_dir():
        return
    try:
        folder.mkdir(mode=0o700, parents=True)
        os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise ConfigError(f"cannot create folder {folder}: {exc.strerror}") from None


def _create_private(path: Path, *, exclusive: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
    os.fchmod(fd, 0o600)  # os.open's mode is masked by the umask; an existing file keeps its own
    os.close(fd)


def _kind_of(path: Path) -> str | None:
    """'sqlite', 'pg_dump' or None, from the file's first bytes."""
    if not path.is_file():
        raise ConfigError(f"no backup file at {path}")
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if head == SQLITE_HEADER:
        return "sqlite"
    if head.startswith(PG_DUMP_HEADER):
        return "pg_dump"
    return None


# -- SQLite ----------------------------------------------------------------------------------------

def _read_only(path: Path, timeout: float) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def _check_sqlite_source(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"no SQLite database at {path} to back up")
    if _kind_of(path) != "sqlite" and path.stat().st_size > 0:
        raise ConfigError(f"{path} is not a SQLite database")


def _check_sqlite_backup(path: Path) -> None:
    try:
        conn = _read_only(path, 5)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise ConfigError(f"{path} is not a readable SQLite database: {exc}") from None
    if result != "ok":
        raise ConfigError(f"{path} is damaged ({result}); refusing to restore from it")


def _sqlite_copy(source: Path, target: Path, timeout: float) -> None:
    """SQLite's online backup API, all pages in one step: a consistent copy under one read lock,
    written into the target through SQLite's own locking (never a file copy under a live database)."""
    try:
        src = _read_only(source, timeout)
        try:
            # Take the read lock with SQLite's busy handler (which retries every few ms, up to
            # `timeout`) rather than in backup()'s 250 ms retry loop, which a busy writer starves.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            dst = sqlite3.connect(target, timeout=timeout)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite backup from {source} to {target} failed: {exc}") from None


# -- PostgreSQL ------------------------------------------------------------------------------------

async def _server_version(db) -> tuple[int, int]:
    rows = await db.fetch("SELECT current_setting('server_version_num') AS number")
    return pgtools.parse_server_version(rows[0]["number"])


async def _tools(server: tuple[int, int], names: tuple[str, ...], purpose: str) -> dict[str, str]:
    """The programs to run against this server: of its major version or newer (see pgtools)."""
    return await asyncio.to_thread(pgtools.pick, names, server, purpose=purpose)


async def _run_tool(url: DatabaseURL, command: list[str], env: dict[str, str]) -> None:
    proc = await asyncio.create_subprocess_exec(*command, stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE, env=env)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupFailed(_tool_message(url, Path(command[0]).name, err))


def _tool_message(url: DatabaseURL, tool: str, stderr: bytes, suffix: str = "", *, label: str | None = None) -> str:
    """The tool's own message as our `error:` line (its prefixes dropped), password redacted."""
    lines = [re.sub(rf"^(?:{tool}:(?:<stdin>:\d+:)?\s*)?(?:error:\s*|ERROR:\s*)?", "", line)
             for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    lines = lines or ["(no message)"]
    lines[0] = f"{label or tool + ' failed'}: {lines[0]}{suffix}"
    return redact("\n".join(lines), url.password)


async def _check_archive(url: DatabaseURL, pg_restore: str, path: Path) -> None:
    """pg_restore must be able to read the archive's table of contents before anything is dropped."""
    proc = await asyncio.create_subprocess_exec(pg_restore, "--list", str(path), stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        reason = _tool_message(url, "pg_restore", err).removeprefix("pg_restore failed: ")
        raise ConfigError(f"{path} is not a backup pg_restore can read: {reason}")


# Runs first, in the restore's transaction: pg_restore --clean only drops what the archive
# holds, so objects created after the backup (a table a bad migration added, with a foreign key
# to a restored table) would survive it, or block its DROPs. Every schema pg_dump dumps is
# dropped instead; `public`, which archives assume exists, is recreated with its owner,
# privileges and comment. PostgreSQL 15+ lets the database owner do this.
_EMPTY_DATABASE = r"""
SET client_min_messages = warning;
SET lock_timeout = '{lock_timeout_ms}ms';
{runner_lock};
DO $runner_restore$
DECLARE
    doomed name;
    owner_name text;
    privileges aclitem[];
    note text;
    granted record;
BEGIN
    FOR doomed IN
        SELECT n.nspname FROM pg_namespace n
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                          AND d.objid = n.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', doomed);
    END LOOP;
    SELECT nspowner::regrole::text, nspacl, obj_description(oid, 'pg_namespace')
      INTO owner_name, privileges, note FROM pg_namespace WHERE nspname = 'public';
    IF FOUND THEN
        DROP SCHEMA public CASCADE;
        EXECUTE format('CREATE SCHEMA public AUTHORIZATION %s', owner_name);
        FOR granted IN SELECT * FROM aclexplode(privileges) LOOP
            EXECUTE format('GRANT %s ON SCHEMA public TO %s%s', granted.privilege_type,
                           CASE WHEN granted.grantee = 0 THEN 'PUBLIC' ELSE granted.grantee::regrole::text END,
                           CASE WHEN granted.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
        IF note IS NOT NULL THEN
            EXECUTE format('COMMENT ON SCHEMA public IS %L', note);
        END IF;
    ELSE
        CREATE SCHEMA public;
    END IF;
END
$runner_restore$;
SET lock_timeout = 0;
"""


# pg_restore 17+ writes `SET transaction_timeout = 0;` into the block of settings that opens its
# SQL, whatever server the SQL is for, and older servers reject that setting. It is the one line
# of that block they do not know, so for them it is left out (pgtools may pick tools newer than
# the server). Only that opening block is touched, never the archive's contents.
_OPENING_BLOCK = b"\nSET statement_timeout = 0;\n"
_NEWER_SETTINGS = {17: b"SET transaction_timeout = 0;\n"}  # since which major the server knows it
_HEADER_BYTES = 8192  # the opening block comes first, well within this


def _fit_header(head: bytes, server_major: int) -> bytes:
    start = head.find(_OPENING_BLOCK)
    end = head.find(b"\n\n", start + 1)
    if start < 0 or end < 0:
        return head
    block = head[start:end + 1]
    for since, line in _NEWER_SETTINGS.items():
        if server_major < since:
            block = block.replace(b"\n" + line, b"\n")
    return head[:start] + block + head[end + 1:]


async def _pg_restore(url: DatabaseURL, pg_restore: str, psql: str, path: Path, lock_wait: float,
                      server: tuple[int, int]) -> None:
    """pg_restore --clean --if-exists renders the archive as SQL; psql runs it after
    _EMPTY_DATABASE in one transaction that commits only if pg_restore finished cleanly and
    psql met no error (ON_ERROR_STOP): a failed restore leaves the database as it was."""
    dsn, env = url.libpq_dsn_and_environment()
    runner = await asyncio.create_subprocess_exec(
        psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1", f"--dbname={dsn}", "--file=-",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE, env=env)
    render = await asyncio.create_subprocess_exec(
        pg_restore, "--clean", "--if-exists", "--file=-", str(path),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert runner.stdin is not None and render.stdout is not None

    async def feed() -> None:
        try:
            runner.stdin.write(b"BEGIN;\n" + _EMPTY_DATABASE.format(
                lock_timeout_ms=max(1, int(lock_wait * 1000)), runner_lock=queries("postgres")["lock"][0]).encode())
            head = b""
            while len(head) < _HEADER_BYTES and (chunk := await render.stdout.read(1 << 16)):
                head += chunk
            runner.stdin.write(_fit_header(head, server[0]))
            while chunk := await render.stdout.read(1 << 16):
                runner.stdin.write(chunk)
                await runner.stdin.drain()
            ok = await render.wait() == 0
            runner.stdin.write(b"COMMIT;\n" if ok else b"ROLLBACK;\n")
            await runner.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # psql stopped at an error and rolled back; its stderr says why
        finally:
            if render.returncode is None:  # psql gave up first: pg_restore's output has no reader
                render.kill()
                stopped.append(True)
            runner.stdin.close()

    stopped: list[bool] = []
    _, runner_err, render_err = await asyncio.gather(feed(), runner.stderr.read(), render.stderr.read())
    await asyncio.gather(runner.wait(), render.wait())
    nothing_changed = "; the database was not changed"
    if render.returncode != 0 and not stopped:
        raise BackupFailed(_tool_message(url, "pg_restore", render_err, nothing_changed))
    if runner.returncode != 0:
        raise BackupFailed(_tool_message(url, "psql", runner_err, nothing_changed, label="restore failed"))
