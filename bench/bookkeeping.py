"""What the runner's PostgreSQL bookkeeping costs on the server, a rollback's without the rollback.

Each variant is a `BEGIN; <bookkeeping>; ROLLBACK` message sent over asyncpg, over a journal of
N rows (rolled back, so every step finds the same journal); the variants are interleaved and the
median of each is shown above an empty transaction. The statements are the runner's own
(journal/postgres.sql, the driver's DO block), with the values of migration i, plus alternatives
the runner does not use, so NOTES.md can say what each design would save:

  sql lock+guard   the lock and the guard as two plain SELECTs that fail a cast to integer to
                   raise (what a DO block does with RAISE)
  cte writes       the journal DELETE and the event INSERT as one statement
  functions        lock and guard, then the journal writes, as two PL/pgSQL functions, whose
                   plans the server keeps for the session (created in the scratch database here)

Usage:
  bookkeeping.py [--n=<count>] [--reps=<k>] [--pg-url=<url>]
  bookkeeping.py -h | --help

Options:
  --n=<count>     Journal rows; every fifth is a step of the measurement [default: 500].
  --reps=<k>      Passes over those steps [default: 40].
  --pg-url=<url>  Where to create the scratch database (else $BENCH_PG_URL, else $TEST_DATABASE_URL,
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

from pieces import SETTINGS, Q, journal_writes, lock_and_guard  # noqa: E402
from run import DEFAULT_PG, Databases  # noqa: E402

KEY = "hashtextextended(current_database() || '.' || current_schema() || '.schema_journal', 0)"
FUNCTIONS = f"""
CREATE FUNCTION bench_guard_down(v bigint) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  IF NOT pg_try_advisory_xact_lock({KEY}) THEN RAISE EXCEPTION USING ERRCODE = 'RNBSY', MESSAGE = 'busy'; END IF;
  IF NOT EXISTS (SELECT 1 FROM schema_journal WHERE version = v) THEN
    RAISE EXCEPTION USING ERRCODE = 'RNSKP', MESSAGE = 'done';
  END IF;
END $f$;
CREATE FUNCTION bench_record_down(v bigint, n text, c text, d integer, a text, rv text, m text)
RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
  DELETE FROM schema_journal WHERE version = v;
  INSERT INTO schema_journal_events (action, version, name, checksum, duration_ms, success, actor, runner_version,
                                     message)
  VALUES ('down', v, n, c, d, true, a, rv, m);
END $f$;
"""
ELAPSED = "(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer"


def variants(i: int) -> dict[str, list[str]]:
    lock_guard, (delete, event) = lock_and_guard(i, "down"), journal_writes(i, "down")
    cte = (f"WITH gone AS ({delete} RETURNING version) "
           + event.replace("VALUES (", "SELECT ", 1).rstrip().removesuffix(")") + " FROM gone")
    return {
        "empty transaction": [],
        "lock alone": [f"SELECT pg_try_advisory_xact_lock({KEY})"],
        "empty DO block": ["DO $r$BEGIN END$r$"],
        "lock+guard DO (runner)": [lock_guard],
        "sql lock+guard": [f"SELECT (CASE WHEN pg_try_advisory_xact_lock({KEY}) THEN NULL ELSE 'RNBSY' END)::integer",
                           f"SELECT (CASE WHEN NOT EXISTS (SELECT 1 FROM schema_journal WHERE version = {i}) "
                           "THEN 'RNSKP' END)::integer"],
        "journal delete": [delete],
        "event insert": [event],
        "delete + insert (runner)": [delete, event],
        "cte writes": [cte],
        "everything (runner)": [*SETTINGS, lock_guard, f"SAVEPOINT runner_{i}", delete, event,
                                "SET CONSTRAINTS ALL IMMEDIATE"],
        "everything, functions": [*SETTINGS, f"SELECT bench_guard_down({i})", f"SAVEPOINT runner_{i}",
                                  f"SELECT bench_record_down({i}, 'create_t{i}', '{'c' * 64}', {ELAPSED}, "
                                  "'me@host', '0.1.0', 'sql/x.sql')", "SET CONSTRAINTS ALL IMMEDIATE"],
    }


async def measure(dsn: str, n: int, reps: int) -> dict[str, list[float]]:
    import asyncpg
    conn = await asyncpg.connect(dsn)
    await conn.execute(";\n".join(Q["create"]))
    await conn.execute(FUNCTIONS)
    for i in range(1, n + 1):
        await conn.execute(";\n".join(["BEGIN", *journal_writes(i, "up"), "COMMIT"]))
    times: dict[str, list[float]] = {name: [] for name in variants(1)}
    for rep in range(reps):
        for i in range(1, n + 1, 5):
            for name, statements in variants(i).items():
                text = ";\n".join(["BEGIN", *statements, "ROLLBACK"])
                start = time.perf_counter()
                await conn.execute(text)
                times[name].append(time.perf_counter() - start)
    await conn.close()
    return times


async def main() -> int:
    from docopt import docopt

    opts = docopt(__doc__)
    n, reps = int(opts["--n"]), int(opts["--reps"])
    admin = (opts["--pg-url"] or os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL")
             or DEFAULT_PG)
    dbs = Databases(admin, Path(tempfile.mkdtemp(prefix="runner-bookkeeping-")))
    async with dbs.fresh("asyncpg") as db:
        times = await measure(db.dsn, n, reps)
    empty = statistics.median(times["empty transaction"])
    count = len(times["empty transaction"])
    print(f"PostgreSQL (asyncpg): bookkeeping of a rollback, median of {count} transactions each, "
          f"journal of {n} rows; ms above an empty transaction ({empty * 1000:.3f} ms)")
    for name, values in times.items():
        print(f"  {name:26s} {(statistics.median(values) - empty) * 1000:+7.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
