"""Scratch databases: somewhere empty to apply migrations where nothing of value can be hurt.

SQLite: a file in a temporary folder. PostgreSQL: a temporary database created on the same
server as the given URL and dropped afterwards. Or the user's `--scratch-url`, which must be
empty (we refuse anything else: `check` runs rollbacks there) and is emptied again afterwards
by dropping every object in it, whatever the rollbacks did or failed to do. Either way the
clean-up runs after a failure too, and a clean-up that fails never hides the failure before it.

A prelude (`--scratch-prelude=<file>`) is SQL run on the scratch database before anything else,
for what the migrations expect to exist already: an extension, another tool's tables.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable

from .drivers import Script, Sql, Unit, open_driver
from .errors import ConfigError, ConnectionLost, MigratorError, ScriptError, StatementError
from .files import read_text
from .split import line_of
from .url import DatabaseURL, parse

# What a clean-up may fail with; anything else is a bug and keeps its traceback.
CLEANUP_ERRORS = (MigratorError, StatementError, ConnectionLost, OSError)


@dataclass(frozen=True)
class Scratch:
    url: DatabaseURL
    description: str  # for output: where the work happens


@dataclass(frozen=True)
class Prelude:
    path: str  # as the user gave it, for messages
    sql: str

    @classmethod
    def read(cls, path: str | Path | None) -> "Prelude | None":
        if path is None:
            return None
        return cls(str(path), read_text(path, f"the scratch prelude {path}"))


@contextlib.asynccontextmanager
async def scratch_database(like: DatabaseURL, explicit: str | None = None, *, prelude: str | Path | None = None,
                           lock_wait: float = 30.0) -> AsyncIterator[Scratch]:
    """An empty database of `like`'s dialect for the duration of the block (`explicit`: that one),
    with the prelude's SQL run in it first."""
    prelude_script = Prelude.read(prelude)  # read before anything is created: a wrong path changes nothing
    if explicit:
        url = parse(explicit)
        await _refuse_unless_empty(url, lock_wait)
        async with _cleaned_up(lambda: _empty_again(url, lock_wait), f"the scratch database {url.display}"):
            await _run_prelude(url, prelude_script, lock_wait)
            yield Scratch(url, f"the scratch database {url.display}")
        return
    if like.dialect == "sqlite":
        folder = tempfile.mkdtemp(prefix="runner-scratch-")
        try:
            url = parse(f"file:{os.path.join(folder, 'scratch.db')}")
            await _run_prelude(url, prelude_script, lock_wait)
            yield Scratch(url, "a temporary SQLite file")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    async with _temporary_postgres(like, lock_wait) as scratch:
        await _run_prelude(scratch.url, prelude_script, lock_wait)
        yield scratch


@contextlib.asynccontextmanager
async def _cleaned_up(clean: Callable[[], Awaitable[None]], what: str) -> AsyncIterator[None]:
    """Run `clean()` after the block, however it ended. If the block failed, that failure is what
    is raised, with the clean-up's own failure as a note on it; after a success, a failed
    clean-up is the error."""
    try:
        yield
    except BaseException as failure:
        try:
            await clean()
        except CLEANUP_ERRORS as exc:
            failure.add_note(f"note: {what} could not be cleaned up after this failure: {_reason(exc)}")
        raise
    try:
        await clean()
    except CLEANUP_ERRORS as exc:
        raise ConfigError(f"{what} could not be cleaned up: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


async def _run_prelude(url: DatabaseURL, prelude: Prelude | None, lock_wait: float) -> None:
    """The prelude's SQL in one transaction; a failure is a configuration error naming its line."""
    if prelude is None:
        return
    db = await open_driver(url, lock_wait=lock_wait)
    try:
        await db.run_unit(Unit((Script(prelude.sql),)))
        await db.flush()  # committed for the connections that come after this one
    except StatementError as exc:
        where = ScriptError(prelude.path, line_of(prelude.sql, exc.offset), exc.message, detail=exc.detail,
                            hint=exc.hint)
        raise ConfigError(f"the scratch prelude failed: {where.message}") from None
    finally:
        with contextlib.suppress(*CLEANUP_ERRORS):
            await db.close()


async def _refuse_unless_empty(url: DatabaseURL, lock_wait: float) -> None:
    from .introspect import snapshot
    from .journal import Journal

    db = await open_driver(url, lock_wait=lock_wait)
    try:
        schema = await snapshot(db)
        applied = await Journal(db, "").applied()
    finally:
        await db.close()
    held = schema.object_names()[:5]
    if applied:
        held.append(f"{len(applied)} migration(s) in its journal")
    if held:
        raise ConfigError(f"--scratch-url {url.display} is not empty ({', '.join(held)}); it must be an empty "
                          "database, because migrations are applied and rolled back there")


# Schemas the migrations (or the prelude) made; the objects of the search path's schema (kept,
# as is public: both were there when the database was found empty) are dropped with reset's list.
# Schemas that belong to an extension go with it.
_OTHER_SCHEMAS = r"""
SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', n.nspname) AS statement FROM pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\_%'
  AND n.nspname <> current_schema()
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                  AND d.objid = n.oid AND d.deptype = 'e')
"""


async def _empty_again(url: DatabaseURL, lock_wait: float) -> None:
    """Drop every object of a scratch database we found empty, the runner's journal included;
    then make sure nothing is left."""
    from .introspect import snapshot
    from .reset import drop_everything

    db = await open_driver(url, lock_wait=lock_wait)
    try:
        if db.dialect == "postgres":
            schemas = await db.fetch(_OTHER_SCHEMAS)
            if schemas:
                await db.run_unit(Unit(tuple(Sql(row["statement"]) for row in schemas)))
        await drop_everything(db, [])  # no lock: nothing else runs on a scratch database
        await db.flush()
        left = (await snapshot(db)).object_names()
    finally:
        with contextlib.suppress(*CLEANUP_ERRORS):
            await db.close()
    if left:
        raise ConfigError(f"{', '.join(left[:5])} could not be dropped")


@contextlib.asynccontextmanager
async def _temporary_postgres(like: DatabaseURL, lock_wait: float) -> AsyncIterator[Scratch]:
    admin = await _admin_connection(like, lock_wait)
    name = f"runner_scratch_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        try:
            await admin.run_script(f'CREATE DATABASE "{name}"')
        except StatementError as exc:
            raise ConfigError(f"could not create a scratch database on {like.display}: {exc.message}; "
                              "pass --scratch-url=<an empty database> instead") from None

        async def drop() -> None:
            try:
                await admin.run_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except StatementError:  # before PostgreSQL 13; our own connections are closed by now
                await admin.run_script(f'DROP DATABASE IF EXISTS "{name}"')

        host = ",".join(h for h in like.hosts if h) or "the local server"
        async with _cleaned_up(drop, f"the temporary database {name} on {host}"):
            yield Scratch(like.with_database(name), f"the temporary database {name} on {host}")
    finally:
        with contextlib.suppress(*CLEANUP_ERRORS):
            await admin.close()


async def _admin_connection(like: DatabaseURL, lock_wait: float):
    """A connection to the server of `like`: its own database, or `postgres` when that one does not exist yet."""
    try:
        return await open_driver(like, lock_wait=lock_wait)
    except ConfigError as first:
        try:
            return await open_driver(like.with_database("postgres"), lock_wait=lock_wait)
        except ConfigError:
            raise first from None
