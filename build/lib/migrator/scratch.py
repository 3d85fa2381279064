"""Scratch databases: somewhere empty to apply migrations where nothing of value can be hurt.

SQLite: a file in a temporary folder. PostgreSQL: a temporary database created on the same
server as the given URL and dropped afterwards. Or the user's `--scratch-url`, which must be
empty (we refuse anything else: `check` runs rollbacks there).
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from typing import AsyncIterator

from .drivers import open_driver
from .errors import ConfigError, StatementError
from .url import DatabaseURL, parse


@dataclass(frozen=True)
class Scratch:
    url: DatabaseURL
    description: str  # for output: where the work happens
    temporary: bool  # False: the user's --scratch-url, to be left as empty as we found it


@contextlib.asynccontextmanager
async def scratch_database(like: DatabaseURL, explicit: str | None = None, *,
                           lock_wait: float = 30.0) -> AsyncIterator[Scratch]:
    """An empty database of `like`'s dialect for the duration of the block (`explicit`: that one)."""
    if explicit:
        url = parse(explicit)
        await _refuse_unless_empty(url, lock_wait)
        yield Scratch(url, f"the scratch database {url.display}", temporary=False)
        return
    if like.dialect == "sqlite":
        folder = tempfile.mkdtemp(prefix="runner-scratch-")
        try:
            yield Scratch(parse(f"file:{os.path.join(folder, 'scratch.db')}"), "a temporary SQLite file",
                          temporary=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    async with _temporary_postgres(like, lock_wait) as scratch:
        yield scratch


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
        try:
            host = ",".join(h for h in like.hosts if h) or "the local server"
            yield Scratch(like.with_database(name), f"the temporary database {name} on {host}", temporary=True)
        finally:
            try:
                await admin.run_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except StatementError:  # before PostgreSQL 13; our own connections are closed by now
                await admin.run_script(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
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
