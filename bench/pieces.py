"""What each piece of the runner's per-migration work costs, measured on the raw driver.

The runner's step is the floor's work (BEGIN, the file, COMMIT) plus bookkeeping: the transaction
lock and the journal re-read, the savepoint, the journal row and the event, asynchronous commit
(PostgreSQL) or the foreign-key check (SQLite). This adds one piece at a time to the floor and
times N migrations of bench/workload.py for each variant, in alternating order, fresh database
each time, so NOTES.md can say which piece costs what rather than guess.

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
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import workload  # noqa: E402

JOURNAL = Path(__file__).resolve().parent.parent / "journal"
CHECKSUM = "c" * 64
ROLLBACK = "DROP INDEX t_label;\nDROP TABLE t;\n"


def journal_ddl(dialect: str) -> str:
    text = (JOURNAL / f"{dialect}.sql").read_text(encoding="utf-8")
    return text.split("-- name: create", 1)[1].split("-- name:", 1)[0]


# -- PostgreSQL: three messages per migration, as the runner sends them ------------------------------

PG_LOCK = ("SET LOCAL lock_timeout = '30000ms'; SELECT pg_advisory_xact_lock(hashtextextended("
           "current_database() || '.' || current_schema() || '.schema_journal', 0)); SET LOCAL lock_timeout = '0'")


def pg_journal(i: int) -> str:
    return (f"INSERT INTO schema_journal (version, name, checksum, rollback_checksum, rollback_sql, applied_by, "
            f"duration_ms, runner_version, failed) VALUES ({i}, 'create_t{i}', '{CHECKSUM}', '{CHECKSUM}', "
            f"E'{ROLLBACK}', 'me@host', 3, '0.1.0', false); "
            f"INSERT INTO schema_journal_events (action, version, name, checksum, duration_ms, success, actor, "
            f"runner_version, message) VALUES ('up', {i}, 'create_t{i}', '{CHECKSUM}', 3, true, 'me@host', "
            f"'0.1.0', 'sql/x.sql')")


PG_VARIANTS = {  # name: (first message, before the file, last message)
    "floor": (lambda i: "BEGIN", "", lambda i: "COMMIT"),
    "+ asynchronous commit": (lambda i: "BEGIN; SET LOCAL synchronous_commit = off", "", lambda i: "COMMIT"),
    "+ savepoint": (lambda i: "BEGIN", "SAVEPOINT runner_script;\n", lambda i: "COMMIT"),
    "+ lock and re-read": (lambda i: f"BEGIN; {PG_LOCK}; SELECT 1 FROM schema_journal WHERE version = {i}", "",
                           lambda i: "COMMIT"),
    "+ journal row and event": (lambda i: "BEGIN", "", lambda i: pg_journal(i) + "; COMMIT"),
    "runner (all of it)": (
        lambda i: f"BEGIN; {PG_LOCK}; SET LOCAL synchronous_commit = off; "
                  f"SELECT 1 FROM schema_journal WHERE version = {i}",
        "SAVEPOINT runner_script;\n", lambda i: pg_journal(i) + "; COMMIT"),
}


async def pg_variant(dsn: str, name: str, ups: list[str]) -> float:
    import asyncpg
    first, before, last = PG_VARIANTS[name]
    conn = await asyncpg.connect(dsn)
    await conn.execute(journal_ddl("postgres"))
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
    from migrator.split import split_sqlite
    every = name.startswith("runner")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executescript(journal_ddl("sqlite"))
    start = time.perf_counter()
    for i, sql in enumerate(ups, 1):
        if name == "floor":
            conn.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
            continue
        conn.execute("BEGIN IMMEDIATE")
        if every or name == "+ lock and re-read":
            conn.execute("SELECT 1 FROM schema_journal WHERE version = ?", (i,)).fetchone()
        for statement in split_sqlite(sql):
            conn.execute(statement.sql)
        if every or name == "+ journal row and event":
            conn.execute("INSERT INTO schema_journal (version, name, checksum, rollback_checksum, rollback_sql, "
                         "applied_at, applied_by, duration_ms, runner_version, failed) "
                         "VALUES (?, ?, ?, ?, ?, '2026-01-01T00:00:00Z', 'me@host', 3, '0.1.0', 0)",
                         (i, f"create_t{i}", CHECKSUM, CHECKSUM, ROLLBACK))
            conn.execute("INSERT INTO schema_journal_events (occurred_at, action, version, name, checksum, "
                         "duration_ms, success, actor, runner_version, message) "
                         "VALUES ('2026-01-01T00:00:00Z', 'up', ?, ?, ?, 3, 1, 'me@host', '0.1.0', 'sql/x.sql')",
                         (i, f"create_t{i}", CHECKSUM))
        if every or name == "+ foreign_key_check":
            conn.execute("PRAGMA foreign_key_check").fetchall()
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


async def main() -> int:
    from docopt import docopt

    opts = docopt(__doc__)
    n, runs, backend = int(opts["--n"]), int(opts["--runs"]), opts["--backend"]
    if backend not in ("sqlite", "postgres"):
        sys.exit(f"error: --backend must be sqlite or postgres, not {backend!r}")
    ups = [workload.up_sql(i) for i in range(1, n + 1)]
    names = list(PG_VARIANTS) if backend == "postgres" else list(SQLITE_VARIANTS)
    times: dict[str, list[float]] = {name: [] for name in names}
    admin = (opts["--pg-url"] or os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL")
             or "postgresql://postgres@127.0.0.1:5432/postgres")
    folder = Path(tempfile.mkdtemp(prefix="runner-pieces-"))
    for run in range(runs):
        for name in names if run % 2 == 0 else names[::-1]:
            if backend == "sqlite":
                path = folder / "pieces.db"
                times[name].append(sqlite_variant(str(path), name, ups))
                for leftover in folder.glob("pieces.db*"):
                    leftover.unlink()
                continue
            import psycopg
            database = f"bench_pieces_{os.getpid()}"
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {database}")
            try:
                from urllib.parse import urlsplit, urlunsplit
                dsn = urlunsplit(urlsplit(admin)._replace(path=f"/{database}"))
                times[name].append(await pg_variant(dsn, name, ups))
            finally:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    floor = statistics.median(times["floor"])
    print(f"{backend}, N = {n}, median of {runs} runs (min-max), alternating order")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:26s} {median / n * 1000:6.2f} ms/migration  {median / floor:5.2f}x the floor  "
              f"({min(values) / n * 1000:.2f}-{max(values) / n * 1000:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
