"""`up` through PgBouncer (transaction pooling) against `up` straight to the server, as a ratio in one run.

Usage:
  pooler.py [--n=<n>] [--runs=<k>] [--pg-url=<url>] [--out=<file>]

Options:
  --n=<n>         Migrations per run (each creates a table and an index, inserts 10 rows) [default: 500]
  --runs=<k>      Runs per subject; the median is reported [default: 5]
  --pg-url=<url>  The server (a database it may create others from); else $BENCH_PG_URL, else
                  127.0.0.1:5432.
  --out=<file>    Write the table there too (`-`: only print) [default: bench/RESULTS-pooler.md]

Starts Debian's pgbouncer (pool_mode=transaction, 3 server connections) in front of the server,
as tests/pgbouncer.py does. Each run gets a fresh database; the direct and the pooled run of the
same round alternate, so a slow minute of the machine hits both alike. Both drivers.
"""
from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from docopt import docopt

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(Path(__file__).resolve().parent)]

import psycopg  # noqa: E402
import workload  # noqa: E402
from pgbouncer import PgBouncer  # noqa: E402

from migrator import Migrator  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


async def timed_up(url: str, project: Path) -> float:
    start = time.perf_counter()
    async with Migrator.connect(url, project) as m:
        await m.up()
    return time.perf_counter() - start


def main() -> int:
    args = docopt(__doc__)
    n, runs = int(args["--n"]), int(args["--runs"])
    server = args["--pg-url"] or os.environ.get("BENCH_PG_URL") or DEFAULT_PG
    project = workload.write_runner(Path(tempfile.mkdtemp(prefix="bench-pooler-")) / "project", n)
    bouncer = PgBouncer(server)
    rows = []
    try:
        for driver, scheme in (("asyncpg", "postgresql"), ("psycopg", "postgresql+psycopg")):
            seconds: dict[str, list[float]] = {"direct": [], "PgBouncer": []}
            for _ in range(runs):
                for how in seconds:
                    name = f"bench_pooler_{uuid.uuid4().hex[:8]}"
                    with psycopg.connect(server, autocommit=True) as admin:
                        admin.execute(f'CREATE DATABASE "{name}"')
                    try:
                        direct = server.rsplit("/", 1)[0] + f"/{name}"
                        url = direct if how == "direct" else bouncer.url(name)
                        seconds[how].append(asyncio.run(timed_up(url.replace("postgresql://", f"{scheme}://", 1),
                                                                 project)))
                    finally:
                        with psycopg.connect(server, autocommit=True) as admin:
                            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            direct, pooled = statistics.median(seconds["direct"]), statistics.median(seconds["PgBouncer"])
            rows.append(f"| {driver} | {n} | {direct:.2f} s | {pooled:.2f} s | {pooled / direct:.2f}x |")
    finally:
        bouncer.stop()
    table = "\n".join(["| driver | migrations | direct | through PgBouncer | ratio |", "|---|---|---|---|---|", *rows])
    load = os.getloadavg()
    text = (f"# `up` through PgBouncer against direct\n\n{table}\n\nMedians of {runs} runs each, in one run of "
            f"`python bench/pooler.py --n={n} --runs={runs}`; load average at the end: "
            f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.\n")
    print(text)
    if args["--out"] != "-":
        Path(args["--out"]).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
