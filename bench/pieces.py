"""What each piece of the runner's PostgreSQL unit costs, measured on the raw driver.

The runner sends a migration (or a rollback) as one simple-query message: BEGIN, its SET LOCAL
settings, the lock tried with the guard in one DO block, a savepoint, the file, the journal's
writes, COMMIT (migrator/drivers/postgres.py). The floor sends BEGIN, the file and COMMIT. This
adds one piece at a time to the floor's message and times N migrations (or N rollbacks) of
bench/workload.py for each variant, in alternating order, a fresh database each time, so
NOTES.md can say which piece costs what rather than guess. The statements are the runner's own
(journal/postgres.sql, the driver's text), with the values of migration i.

SQLite is not here: it commits a group of units at once (drivers/sqlite.py), so a migration's
bookkeeping no longer pays for a commit of its own and the runner is at the floor's speed.

Usage:
  pieces.py [--n=<count>] [--runs=<k>] [--operation=<op>] [--pg-url=<url>]
  pieces.py -h | --help

Options:
  --n=<count>         Migrations per variant [default: 300].
  --runs=<k>          Runs of each variant; the median is shown [default: 3].
  --operation=<op>    up (apply N) or down (roll back N applied ones) [default: down].
  --pg-url=<url>      Where to create the databases (else $BENCH_PG_URL, else $TEST_DATABASE_URL,
                      else postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workload  # noqa: E402
from migrator.drivers import Guard  # noqa: E402
from migrator.drivers.pg_text import inline  # noqa: E402
from migrator.drivers.postgres import _try_lock  # noqa: E402
from migrator.journal import queries  # noqa: E402
from run import DEFAULT_PG, Databases  # noqa: E402

Q = queries("postgres")
SETTINGS = ["SET LOCAL lock_timeout = '5000ms'", "SET LOCAL client_connection_check_interval = 1000",
            "SET LOCAL synchronous_commit = off"]


def lock_and_guard(i: int, operation: str) -> str:
    guard = Q["up_done" if operation == "up" else "down_done"][0]
    return _try_lock(Q["lock"][0], Guard(guard, {"version": i}))


def journal_writes(i: int, operation: str) -> list[str]:
    checksum = "c" * 64
    values = dict(version=i, name=f"create_t{i}", checksum=checksum, rollback_checksum=checksum,
                  rollback_sql=workload.down_sql(i), actor="me@host", duration_ms=3, runner_version="0.1.0",
                  failed=False, action=operation, success=True, message=f"sql/{workload.stem(i)}.sql",
                  applied_sql=workload.up_sql(i), out_of_order=False)
    writes = Q["record"] if operation == "up" else Q["remove"]
    return [inline(sql, values) for sql in [*writes, *Q["event"]]]


def message(i: int, sql: str, operation: str, pieces: set[str]) -> str:
    parts = ["BEGIN"]
    if "settings" in pieces:
        parts += SETTINGS
    if "lock" in pieces:
        parts.append(lock_and_guard(i, operation))
    if "savepoint" in pieces:
        parts.append(f"SAVEPOINT runner_{i}")
    parts.append(sql)
    if "journal" in pieces:
        parts += [*journal_writes(i, operation), "SET CONSTRAINTS ALL IMMEDIATE"]
    return ";\n".join([*parts, "COMMIT"])


EVERYTHING = {"settings", "lock", "savepoint", "journal"}
VARIANTS = {  # name: the pieces added to the floor's message
    "floor": set(),
    "+ settings (SET LOCAL x3)": {"settings"},
    "+ lock and guard (one DO)": {"lock"},
    "+ savepoint": {"savepoint"},
    "+ journal writes and event": {"journal"},
    "runner (all of it)": EVERYTHING,
}


async def variant(dsn: str, name: str, n: int, operation: str) -> float:
    import asyncpg
    conn = await asyncpg.connect(dsn)
    await conn.execute(";\n".join(Q["create"]))
    if operation == "down":  # applied, with their journal rows, before the clock starts
        for i in range(1, n + 1):
            await conn.execute(message(i, workload.up_sql(i), "up", {"journal"}))
        await conn.execute("CHECKPOINT")
    order = range(1, n + 1) if operation == "up" else range(n, 0, -1)
    script = workload.up_sql if operation == "up" else workload.down_sql
    start = time.perf_counter()
    for i in order:
        await conn.execute(message(i, script(i), operation, VARIANTS[name]))
    if "settings" in VARIANTS[name]:  # asynchronous commits: the run's one synchronous commit
        await conn.execute("BEGIN; SELECT pg_logical_emit_message(true, 'bench', 'durable'); COMMIT")
    elapsed = time.perf_counter() - start
    await conn.close()
    return elapsed


async def main() -> int:
    from docopt import docopt

    opts = docopt(__doc__)
    n, runs, operation = int(opts["--n"]), int(opts["--runs"]), opts["--operation"]
    if operation not in ("up", "down"):
        sys.exit(f"error: --operation must be up or down, not {operation!r}")
    names = list(VARIANTS)
    times: dict[str, list[float]] = {name: [] for name in names}
    admin = (opts["--pg-url"] or os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL")
             or DEFAULT_PG)
    dbs = Databases(admin, Path(tempfile.mkdtemp(prefix="runner-pieces-")))
    for run in range(runs):
        for name in names if run % 2 == 0 else names[::-1]:
            async with dbs.fresh("asyncpg") as db:
                times[name].append(await variant(db.dsn, name, n, operation))
    floor = statistics.median(times["floor"])
    print(f"PostgreSQL (asyncpg), {operation}, N = {n}, median of {runs} runs (min-max), alternating order")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:28s} {median / n * 1000:6.3f} ms/migration  {median / floor:5.2f}x the floor  "
              f"({min(values) / n * 1000:.3f}-{max(values) / n * 1000:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
