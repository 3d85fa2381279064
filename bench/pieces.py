"""What each piece of the runner's per-migration work costs, measured on the raw driver.

The runner's step is the floor's work (BEGIN, the file, COMMIT) plus bookkeeping: the transaction
lock and the journal re-read, the savepoint, the journal row and the event, asynchronous commit
(PostgreSQL) or the foreign-key check (SQLite). This adds one piece at a time to the floor and
times N migrations of bench/workload.py for each variant, in alternating order, fresh database
each time, so NOTES.md can say which piece costs what rather than guess. The statements are the
runner's own (journal/<dialect>.sql), and the databases come and go as in bench/run.py.

Usage:
  pieces.py [--n=<count>] [--runs=<k>] [--backend=<name>] [--pg-url=<url>]
  pieces.py -h | --help

Options:
  --n=<count>       Migrations per variant [default: 300].
  --runs=<k>        Runs of each variant; the median is shown [default: 3].
  --backend=<name>  sqlite (the sqlite3 module) or postgres (asyncpg) [default: postgres].
  --pg-url=<url>    Where to create the databases (else $BENCH_PG_URL, else $TEST_DATABASE_URL,
                    else postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workload  # noqa: E402
from migrator.drivers.pg_text import inline  # noqa: E402
from migrator.journal import queries  # noqa: E402
from migrator.split import split_sqlite  # noqa: E402
from run import DEFAULT_PG, Databases  # noqa: E402

# The runner's own journal statements (journal/<dialect>.sql), with the values of migration i.


def journal_values(i: int) -> dict:
    checksum = "c" * 64
    return dict(version=i, name=f"create_t{i}", checksum=checksum, rollback_checksum=checksum,
                rollback_sql=workload.down_sql(i), actor="me@host", duration_ms=3, runner_version="0.1.0",
                failed=False, action="up", success=True, message=f"sql/{workload.stem(i)}.sql",
                applied_sql=workload.up_sql(i), out_of_order=False)


def journal_writes(dialect: str, i: int) -> list[tuple[str, dict]]:
    q, values = queries(dialect), journal_values(i)
    return [(sql, values) for sql in q["record"] + q["event"]]


# -- PostgreSQL: three messages per migration, as the runner sends them ------------------------------

def pg_first(i: int, *, lock: bool = False, asynchronous: bool = False) -> str:
    q = queries("postgres")
    parts = ["BEGIN"]
    if lock:  # the transaction lock between the two lock_timeouts, and the journal re-read
        parts += ["SET LOCAL lock_timeout = '30000ms'", q["lock"][0], "SET LOCAL lock_timeout = '0'",
                  inline(q["up_done"][0], {"version": i})]
    if asynchronous:
        parts.insert(1, "SET LOCAL synchronous_commit = off")
    return ";\n".join(parts)


def pg_last(i: int, *, journal: bool = False) -> str:
    writes = [inline(sql, values) for sql, values in journal_writes("postgres", i)] if journal else []
    return ";\n".join([*writes, "COMMIT"])


SAVEPOINT = "SAVEPOINT runner_script;\n"
PG_VARIANTS = {  # name: (first message, before the file, last message)
    "floor": (lambda i: pg_first(i), "", lambda i: pg_last(i)),
    "+ asynchronous commit": (lambda i: pg_first(i, asynchronous=True), "", lambda i: pg_last(i)),
    "+ savepoint": (lambda i: pg_first(i), SAVEPOINT, lambda i: pg_last(i)),
    "+ lock and re-read": (lambda i: pg_first(i, lock=True), "", lambda i: pg_last(i)),
    "+ journal row and event": (lambda i: pg_first(i), "", lambda i: pg_last(i, journal=True)),
    "runner (all of it)": (lambda i: pg_first(i, lock=True, asynchronous=True), SAVEPOINT,
                           lambda i: pg_last(i, journal=True)),
}


async def pg_variant(dsn: str, name: str, ups: list[str]) -> float:
    import asyncpg
    first, before, last = PG_VARIANTS[name]
    conn = await asyncpg.connect(dsn)
    await conn.execute(";\n".join(queries("postgres")["create"]))
    start = time.perf_counter()
    for i, sql in enumerate(ups, 1):
        await conn.execute(first(i))
        await conn.execute(before + sql)
        await conn.execute(last(i))
    if name.startswith(("+ asynchronous", "runner")):  # the run's one synchronous commit
        await conn.execute("BEGIN; SELECT pg_logical_emit_message(true, 'bench', 'durable'); COMMIT")
    elapsed = time.perf_counter() - start
    await conn.close()
    return elapsed


# -- SQLite: one statement at a time on the connection's thread, as the runner's step does ------------

SQLITE_VARIANTS = ("floor", "+ one statement at a time", "+ lock and re-read", "+ journal row and event",
                   "+ foreign_key_check", "runner (all of it)")


def sqlite_variant(path: str, name: str, ups: list[str]) -> float:
    every = name.startswith("runner")
    q = queries("sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    for sql in q["create"]:
        conn.execute(sql)
    start = time.perf_counter()
    for i, sql in enumerate(ups, 1):
        if name == "floor":
            conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
            continue
        conn.execute("BEGIN IMMEDIATE")
        if every or name == "+ lock and re-read":
            conn.execute(q["up_done"][0], {"version": i}).fetchone()
        for statement in split_sqlite(sql):
            conn.execute(statement.sql)
        if every or name == "+ journal row and event":
            for statement, values in journal_writes("sqlite", i):
                conn.execute(statement, values)
        if every or name == "+ foreign_key_check":
            conn.execute("PRAGMA foreign_key_check").fetchall()
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


async def main() -> int:
    import os

    from docopt import docopt

    opts = docopt(__doc__)
    n, runs, backend = int(opts["--n"]), int(opts["--runs"]), opts["--backend"]
    if backend not in ("sqlite", "postgres"):
        sys.exit(f"error: --backend must be sqlite or postgres, not {backend!r}")
    ups = [workload.up_sql(i) for i in range(1, n + 1)]
    names = list(PG_VARIANTS) if backend == "postgres" else list(SQLITE_VARIANTS)
    times: dict[str, list[float]] = {name: [] for name in names}
    admin = (opts["--pg-url"] or os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL")
             or DEFAULT_PG)
    dbs = Databases(admin, Path(tempfile.mkdtemp(prefix="runner-pieces-")))
    for run in range(runs):
        for name in names if run % 2 == 0 else names[::-1]:
            async with dbs.fresh("sqlite" if backend == "sqlite" else "asyncpg") as db:
                times[name].append(sqlite_variant(db.path, name, ups) if backend == "sqlite"
                                   else await pg_variant(db.dsn, name, ups))
    floor = statistics.median(times["floor"])
    print(f"{backend}, N = {n}, median of {runs} runs (min-max), alternating order")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:26s} {median / n * 1000:6.2f} ms/migration  {median / floor:5.2f}x the floor  "
              f"({min(values) / n * 1000:.2f}-{max(values) / n * 1000:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
