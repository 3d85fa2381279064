"""Backups and restores: pg_dump / pg_restore + psql for PostgreSQL, SQLite's online backup API.

A client of the drivers like the engine is: it connects through them (same errors, same
run lock) and never prints. Where a backup goes and how it appears there, whole or not at all,
is backupfile's job; SQLite's copy is sqlitebackup's. SIGINT and SIGTERM stop a backup or
restore cleanly (see interrupt): the programs it started are stopped, a partial file is
removed, a restore is rolled back. Every program it starts writes into a pipe the runner
reads, so a runner killed outright (SIGKILL) takes them down at their next write.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import signal
from pathlib import Path
from typing import Callable

from . import backupfile, pgtools, sqlitebackup
from .drivers import open_driver
from .errors import BackupFailed, ConfigError, LockTimeout
from .interrupt import stopped_by_signals
from .journal import queries
from .url import DatabaseURL, redact

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
GRACE = 5.0  # seconds a program we stop gets to exit by itself (pg_dump first cancels its query)


async def backup(url: DatabaseURL, project_dir: str | Path = ".", out: str | Path | None = None, *,
                 lock_wait: float = 30.0) -> Path:
    """Write a consistent copy of the database and return its path.

    Default path: `<project_dir>/backups/<dbname>-<UTC timestamp>.<dump|db>`; `out` may name a
    file (never overwritten) or an existing folder. Other sessions may keep writing meanwhile:
    pg_dump reads one snapshot, SQLite's backup API copies under one read transaction. A SQLite
    copy must pass `PRAGMA quick_check`: a damaged database is an error, not a backup.
    """
    where = backupfile.destination(url, Path(project_dir), out)
    async with stopped_by_signals("backup", "no backup was written") as stop:
        if url.dialect == "postgres":
            # Connecting first gives the same errors (and exit status) as every other command.
            db = await open_driver(url, lock_wait=lock_wait, create=False)
            try:
                pg_dump = (await _tools(await _server_version(db), ("pg_dump",), "backup"))["pg_dump"]
            finally:
                await db.close()
        else:
            source = Path(url.target)
            _check_sqlite_source(source)
        with backupfile.temporary_file(where) as partial:
            if url.dialect == "postgres":
                await _pg_dump(url, pg_dump, partial, lock_wait)
            else:
                await sqlitebackup.in_thread(sqlitebackup.backup, source, partial, lock_wait)
            path = backupfile.publish(partial, where)
        stop.finished = f"the backup is complete: {path}"
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
        sqlitebackup.check_backup(path)
        live = Path(url.target)
        if live.exists() and live.samefile(path):
            raise ConfigError(f"{path} is the database itself; name a backup file")
    db = await open_driver(url, lock_wait=lock_wait, create=True)  # the same errors as every command
    try:
        async with stopped_by_signals("restore", "the database was not changed") as stop:
            if url.dialect == "postgres":
                server = await _server_version(db)
                tools = await _tools(server, ("pg_restore", "psql"), "restore")
                await _check_archive(url, tools["pg_restore"], path)  # before anything is dropped
                await _pg_restore(url, tools["pg_restore"], tools["psql"], path, lock_wait, server,
                                  stop.point_of_no_return)
            else:
                await sqlitebackup.in_thread(sqlitebackup.copy_into, path, Path(url.target), lock_wait)
            stop.finished = f"the database was restored from {path}"
    finally:
        with contextlib.suppress(Exception):
            await db.close()
    return path


def _kind_of(path: Path) -> str | None:
    """'sqlite', 'pg_dump' or None, from the file's first bytes."""
    try:
        if not path.is_file():
            raise ConfigError(f"no backup file at {path}")
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:  # a name too long for the file system, a file we may not read
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if head == SQLITE_HEADER:
        return "sqlite"
    if head.startswith(PG_DUMP_HEADER):
        return "pg_dump"
    return None


# -- SQLite ----------------------------------------------------------------------------------------

def _check_sqlite_source(path: Path) -> None:
    try:
        if not path.is_file():
            raise ConfigError(f"no SQLite database at {path} to back up")
        kind, empty = _kind_of(path), path.stat().st_size == 0
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if kind != "sqlite" and not empty:
        raise ConfigError(f"{path} is not a SQLite database")


# -- PostgreSQL ------------------------------------------------------------------------------------

async def _server_version(db) -> tuple[int, int]:
    rows = await db.fetch("SELECT current_setting('server_version_num') AS number")
    return pgtools.parse_server_version(rows[0]["number"])


async def _tools(server: tuple[int, int], names: tuple[str, ...], purpose: str) -> dict[str, str]:
    """The programs to run against this server: of its major version or newer (see pgtools)."""
    return await asyncio.to_thread(pgtools.pick, names, server, purpose=purpose)


async def _pg_dump(url: DatabaseURL, pg_dump: str, partial: Path, lock_wait: float) -> None:
    """pg_dump writes into a pipe and the runner into the file: a runner that is gone, even by
    SIGKILL, takes pg_dump down at its next write (SIGPIPE) instead of leaving it dumping for
    nobody. Its one silent wait, for table locks, is bounded by --lock-wait."""
    dsn, env = url.libpq_dsn_and_environment()
    proc = await asyncio.create_subprocess_exec(
        pg_dump, "--format=custom", "--no-password", f"--lock-wait-timeout={_milliseconds(lock_wait)}",
        f"--dbname={dsn}", stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        with open(partial, "wb") as file:
            _, err = await asyncio.gather(_copy(proc.stdout, file, partial), proc.stderr.read())
        await proc.wait()
    except BaseException:
        await _stop(proc)
        raise
    if proc.returncode != 0:
        raise _pg_dump_error(url, err, lock_wait)


async def _copy(stream: asyncio.StreamReader, file, path: Path) -> None:
    try:
        while chunk := await stream.read(1 << 20):
            file.write(chunk)
        file.flush()
    except OSError as exc:  # a full disk, say
        raise BackupFailed(f"cannot write the backup {path}: {exc.strerror}") from None


def _pg_dump_error(url: DatabaseURL, stderr: bytes, lock_wait: float) -> BackupFailed | LockTimeout:
    text = stderr.decode("utf-8", "replace")
    locked = re.search(r"Query was: LOCK TABLE (\S+)", text)
    if locked and "timeout" in text:
        return LockTimeout(f"pg_dump waited more than --lock-wait ({lock_wait:g}s) to lock table {locked[1]}: "
                           "another session holds a conflicting lock (a migration, say); no backup was written")
    return BackupFailed(_tool_message(url, "pg_dump", stderr))


def _milliseconds(seconds: float) -> int:
    return max(1, int(seconds * 1000))


async def _stop(proc: asyncio.subprocess.Process, signum: int = signal.SIGTERM) -> None:
    """Ask a program to stop (pg_dump and pg_restore cancel their queries on SIGTERM, psql on
    SIGINT), then kill it if it has not within GRACE; return once it is gone."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)
        try:
            await asyncio.wait_for(proc.wait(), GRACE)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


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
    try:
        _, err = await proc.communicate()
    except BaseException:
        await _stop(proc)
        raise
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


async def _printed(stream: asyncio.StreamReader, line: bytes) -> bool:
    """Whether the program prints `line` before its output ends."""
    while output := await stream.readline():
        if output.rstrip(b"\n") == line:
            return True
    return False


async def _pg_restore(url: DatabaseURL, pg_restore: str, psql: str, path: Path, lock_wait: float,
                      server: tuple[int, int], committing: Callable[[], None]) -> None:
    """pg_restore --clean --if-exists renders the archive as SQL; psql runs it after
    _EMPTY_DATABASE in one transaction that commits only if pg_restore finished cleanly and
    psql met no error (ON_ERROR_STOP): a failed restore leaves the database as it was.

    COMMIT is sent only once psql has run everything before it (it prints a marker then), and
    `committing()` is called just before. Stopped before that, both programs are stopped and the
    transaction dies with psql's connection; a runner gone (SIGKILL) closes psql's input before
    any COMMIT, which ends the same way."""
    dsn, env = url.libpq_dsn_and_environment()
    runner = await asyncio.create_subprocess_exec(
        psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1", f"--dbname={dsn}", "--file=-",
        f"--output={os.devnull}",  # query results; stdout carries only our marker
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    try:
        render = await asyncio.create_subprocess_exec(
            pg_restore, "--clean", "--if-exists", "--file=-", str(path),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    except BaseException:
        await _stop(runner, signal.SIGINT)
        raise
    assert runner.stdin is not None and runner.stdout is not None and render.stdout is not None
    ready = f"runner: ready to commit {secrets.token_hex(8)}".encode()

    async def feed() -> None:
        try:
            runner.stdin.write(b"BEGIN;\n" + _EMPTY_DATABASE.format(
                lock_timeout_ms=_milliseconds(lock_wait), runner_lock=queries("postgres")["lock"][0]).encode())
            head = b""
            while len(head) < _HEADER_BYTES and (chunk := await render.stdout.read(1 << 16)):
                head += chunk
            runner.stdin.write(_fit_header(head, server[0]))
            while chunk := await render.stdout.read(1 << 16):
                runner.stdin.write(chunk)
                await runner.stdin.drain()
            if await render.wait() != 0:
                runner.stdin.write(b"ROLLBACK;\n")
                await runner.stdin.drain()
                return
            runner.stdin.write(b"\\echo " + ready + b"\n")
            await runner.stdin.drain()
            if await _printed(runner.stdout, ready):  # else psql stopped at an error: no COMMIT
                committing()
                runner.stdin.write(b"COMMIT;\n")
                await runner.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # psql stopped at an error and rolled back; its stderr says why
        finally:
            if render.returncode is None:  # psql gave up first: pg_restore's output has no reader
                render.kill()
                stopped.append(True)
            runner.stdin.close()

    stopped: list[bool] = []
    try:
        _, runner_err, render_err = await asyncio.gather(feed(), runner.stderr.read(), render.stderr.read())
        await asyncio.gather(runner.wait(), render.wait())
    except BaseException:
        # psql: SIGINT cancels the statement in progress; without a COMMIT, its transaction rolls back
        await asyncio.gather(_stop(render), _stop(runner, signal.SIGINT))
        raise
    nothing_changed = "; the database was not changed"
    if render.returncode != 0 and not stopped:
        raise BackupFailed(_tool_message(url, "pg_restore", render_err, nothing_changed))
    if runner.returncode != 0:
        raise BackupFailed(_tool_message(url, "psql", runner_err, nothing_changed, label="restore failed"))
