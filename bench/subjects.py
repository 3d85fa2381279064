"""Who is measured, and how each one does the same work.

- `floor`: one connection of the raw driver running each file in its own transaction, no
  bookkeeping, in-process (aiosqlite / asyncpg / psycopg, the drivers the runner uses).
- `sqlite3`: SQLite only, for reference: the same as the floor with the stdlib module on the
  calling thread, i.e. without the thread hop every asyncio SQLite driver pays.
- `runner`: the engine API in-process (`Migrator.up(to=...)` / `.down(to=...)`), as a library
  user or a test suite runs it.
- `runner-cli`: `python runner.py ...` in a subprocess, as a person or a deploy script runs it.
- `yoyo`, `dbmate`: the peers' own command lines on the same SQL.

Every operation returns the seconds it took; the preparation (fresh database, generated files)
is never timed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "runner.py"
PYTHON = sys.executable


@dataclass(frozen=True)
class Database:
    """One fresh database: a SQLite file that does not exist yet, or an empty PostgreSQL database."""

    backend: str  # sqlite | asyncpg | psycopg
    path: str | None = None  # SQLite
    dsn: str | None = None  # PostgreSQL, libpq form: postgresql://user@host:port/db

    @property
    def runner_url(self) -> str:
        if self.backend == "sqlite":
            return f"file:{self.path}"
        return self.dsn.replace("postgresql://", f"postgresql+{self.backend}://", 1)

    @property
    def yoyo_url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.path}"
        return self.dsn.replace("postgresql://", "postgresql+psycopg://", 1)

    @property
    def dbmate_url(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:{self.path}"
        return self.dsn + ("&" if "?" in self.dsn else "?") + "sslmode=disable"


# Subprocesses run as on a user's machine: with Python's bytecode cache (some sandboxes and CI
# images set PYTHONDONTWRITEBYTECODE, which makes every start recompile the runner's modules).
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "DATABASE_URL")}


def _timed_run(args: list[str], *, cwd: Path | None = None, env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


# -- measured in-process, in chunks ----------------------------------------------------------------
#
# open(db), then up(lo, hi) applies migrations lo+1..hi and down(hi, lo) rolls back hi..lo+1, each
# returning its seconds; close(). run.py alternates the floor's and the runner's chunks, so both
# see the same minute of a noisy machine.

class Floor:
    """One connection of the raw driver; each file in its own transaction; no bookkeeping."""

    name = "floor"

    def __init__(self, ups: list[str], downs: list[str]):
        self.ups, self.downs = ups, downs

    async def open(self, db: Database) -> float:
        start = time.perf_counter()
        self.backend = db.backend
        if db.backend == "sqlite":
            import aiosqlite
            self.conn = await aiosqlite.connect(db.path, isolation_level=None)
        elif db.backend == "asyncpg":
            import asyncpg
            self.conn = await asyncpg.connect(db.dsn)
        else:
            import psycopg
            self.conn = await psycopg.AsyncConnection.connect(db.dsn, autocommit=True)
        return time.perf_counter() - start

    async def up(self, lo: int, hi: int) -> float:
        return await self._each(self.ups[lo:hi])

    async def down(self, hi: int, lo: int) -> float:
        return await self._each(self.downs[lo:hi][::-1])

    async def _each(self, scripts: list[str]) -> float:
        start = time.perf_counter()
        for sql in scripts:
            if self.backend == "sqlite":
                # One hop to aiosqlite's thread per file; executescript's statements run between
                # our BEGIN and COMMIT (it only COMMITs first when a transaction is already open).
                await self.conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
            elif self.backend == "asyncpg":
                async with self.conn.transaction():
                    await self.conn.execute(sql)
            else:
                async with self.conn.transaction():
                    await self.conn.execute(sql.encode(), prepare=False)  # bytes, no parameters: simple protocol
        return time.perf_counter() - start

    async def close(self) -> float:
        start = time.perf_counter()
        await self.conn.close()
        return time.perf_counter() - start

    @staticmethod
    def startup_program(db: Database, project: Path | None = None) -> str:
        """`python -c` text: start Python, import the driver, connect, run the one query `status` needs;
        with `project`, also read and hash every file of its sql/ (what `status` compares)."""
        query = "SELECT version, checksum FROM schema_journal ORDER BY version"
        if db.backend == "sqlite":
            body = (f"import aiosqlite\nc = await aiosqlite.connect({db.path!r})\n"
                    f"await c.execute_fetchall({query!r})\nawait c.close()")
        elif db.backend == "asyncpg":
            body = f"import asyncpg\nc = await asyncpg.connect({db.dsn!r})\nawait c.fetch({query!r})\nawait c.close()"
        else:
            body = (f"import psycopg\nc = await psycopg.AsyncConnection.connect({db.dsn!r})\n"
                    f"await (await c.execute({query!r})).fetchall()\nawait c.close()")
        if project is not None:
            body += (f"\nimport hashlib, os\nfolder = {str(project / 'sql')!r}\n"
                     "for name in sorted(os.listdir(folder)):\n"
                     "    with open(os.path.join(folder, name), 'rb') as f:\n"
                     "        hashlib.sha256(f.read()).hexdigest()")
        indented = "\n".join("    " + line for line in body.splitlines())
        return f"import asyncio\nasync def main():\n{indented}\nasyncio.run(main())\n"

    def status(self, db: Database, project: Path | None = None) -> float:
        return _timed_run([PYTHON, "-c", self.startup_program(db, project)])


class SyncSqlite(Floor):
    """SQLite through the stdlib module on the calling thread: what the thread hop costs."""

    name = "sqlite3"

    async def open(self, db: Database) -> float:
        import sqlite3
        start = time.perf_counter()
        self.conn = sqlite3.connect(db.path, isolation_level=None)
        return time.perf_counter() - start

    async def _each(self, scripts: list[str]) -> float:
        start = time.perf_counter()
        for sql in scripts:
            self.conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
        return time.perf_counter() - start

    async def close(self) -> float:
        self.conn.close()
        return 0.0


class RunnerAPI:
    """The engine API in-process, as a library user or a test suite runs it: one
    `async with Migrator.connect(url, dir) as m: await m.up()` (or `m.down(everything=True)`),
    timed from connect to close, file discovery included.

    `between(k)` is awaited before the step numbered bounds[k] (counting from 0, in the order the
    runner takes them): run.py runs the other subjects' k-th chunk there, so a single run of the
    runner is interleaved with them. The time spent in `between` is not the runner's.
    """

    name = "runner"

    def __init__(self, project: Path):
        self.project = project
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))

    async def up(self, db: Database, bounds: list[int], between) -> float:
        return await self._run(db, "up", bounds, between)

    async def down(self, db: Database, bounds: list[int], between) -> float:
        return await self._run(db, "down", bounds, between)

    async def _run(self, db: Database, op: str, bounds: list[int], between) -> float:
        from migrator import Migrator

        steps, paused, due = 0, 0.0, 0

        async def pause_when_due() -> None:
            nonlocal paused, due
            while due < len(bounds) - 1 and steps >= bounds[due]:
                start = time.perf_counter()
                await between(due)
                paused += time.perf_counter() - start
                due += 1

        start = time.perf_counter()
        async with Migrator.connect(db.runner_url, self.project) as m:
            run_unit = m.db.run_unit

            async def interleaved_step(step):  # instrumentation only: the step itself runs untouched
                nonlocal steps
                await pause_when_due()
                steps += 1
                return await run_unit(step)

            m.db.run_unit = interleaved_step
            await (m.up() if op == "up" else m.down(everything=True))
        elapsed = time.perf_counter() - start - paused
        await pause_when_due()  # nothing left unless a step was skipped
        return elapsed


# -- measured as whole commands in a subprocess ------------------------------------------------------

class RunnerCLI:
    """`python runner.py ...`, as a person or a deploy script runs it."""

    name = "runner-cli"

    def __init__(self, project: Path):
        self.project = project

    def _cli(self, db: Database, *args: str) -> float:
        return _timed_run([PYTHON, str(RUNNER), *args, "--url", db.runner_url, "--dir", str(self.project)])

    async def up(self, db: Database) -> float:
        return self._cli(db, "up")

    async def down(self, db: Database) -> float:
        return self._cli(db, "down", "--all")

    def status(self, db: Database) -> float:
        return self._cli(db, "status")

    def verify(self, db: Database) -> float:
        return self._cli(db, "verify")


# -- the peers ---------------------------------------------------------------------------------------

def find_yoyo() -> str | None:
    """yoyo-migrations next to this Python (a venv), else on PATH."""
    here = Path(PYTHON).parent / "yoyo"
    return str(here) if here.exists() else shutil.which("yoyo")


def find_dbmate() -> str | None:
    """dbmate from $DBMATE, PATH, or an `npm install dbmate` under the repository or /tmp.

    npm's `.bin/dbmate` is a Node.js wrapper that spawns the Go binary (~80 ms of Node start-up
    per call); the binary itself, in `@dbmate/<platform>/bin/`, is what users of the release
    binaries run, so it is preferred.
    """
    explicit = os.environ.get("DBMATE")
    if explicit and Path(explicit).exists():
        return explicit
    modules = [ROOT / "node_modules", *sorted(Path("/tmp").glob("*/node_modules"))]
    for folder in modules:
        native = sorted(folder.glob("@dbmate/*/bin/dbmate"))
        if native:
            return str(native[0])
    found = shutil.which("dbmate")
    if found:
        return found
    for folder in modules:
        if (folder / ".bin/dbmate").exists():
            return str(folder / ".bin/dbmate")
    return None


class Yoyo:
    name = "yoyo"

    def __init__(self, exe: str, folder: Path, n: int):
        self.exe, self.folder, self.n = exe, folder, n

    def _yoyo(self, db: Database, command: str, *extra: str) -> float:
        return _timed_run([self.exe, command, "--batch", "--no-config-file", *extra,
                           "--database", db.yoyo_url, str(self.folder)])

    async def up(self, db: Database) -> float:
        return self._yoyo(db, "apply")

    async def down(self, db: Database) -> float:
        return self._yoyo(db, "rollback", "--all")

    def status(self, db: Database) -> float:
        return _timed_run([self.exe, "list", "--no-config-file", "--database", db.yoyo_url, str(self.folder)])


class Dbmate:
    name = "dbmate"

    def __init__(self, exe: str, folder: Path, n: int):
        self.exe, self.folder, self.n = exe, folder, n

    def _dbmate(self, db: Database, command: str) -> float:
        # --no-dump-schema: no pg_dump/sqlite3 schema file after every change; the other tools write none.
        return _timed_run([self.exe, "--url", db.dbmate_url, "--migrations-dir", str(self.folder),
                           "--no-dump-schema", command])

    async def up(self, db: Database) -> float:
        return self._dbmate(db, "migrate")

    async def down(self, db: Database) -> float:
        # dbmate rolls back one migration per call; rolling back all is N calls.
        return sum(self._dbmate(db, "rollback") for _ in range(self.n))

    def status(self, db: Database) -> float:
        return self._dbmate(db, "status")
