"""Benchmark of `runner.py fleet up`: 1,000 SQLite files and 100 PostgreSQL databases, 20 migrations each.

For each fleet it times, on fresh databases every time:
  - the sum of single runs: `runner.py up --url …` once per database, one after the other (the
    shell loop a fleet replaces);
  - `runner.py fleet up --parallel=N` for N = 1, 4, 8, 16;
and records the peak resident memory of every fleet process. The figures go to stdout and to
bench/RESULTS-fleet.md.

    python bench/fleet.py            # the issue's sizes (takes a while: the single runs dominate)
    python bench/fleet.py --quick    # 100 SQLite files, 20 PostgreSQL databases

PostgreSQL: --pg-url (else $TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres) must
allow CREATE DATABASE; the benchmark creates and drops databases named runner_bench_fleet_*.
"""
from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "runner.py"
RESULTS = ROOT / "bench" / "RESULTS-fleet.md"
PARALLEL = (1, 4, 8, 16)


def write_project(folder: Path, count: int) -> None:
    """`count` small migrations of the usual kinds: new tables, new columns, indexes, reference rows."""
    (folder / "sql").mkdir(parents=True)
    (folder / "rollbacks").mkdir()
    for i in range(1, count + 1):
        table = f"t{(i - 1) // 4 * 4 + 1:02d}"
        up, down = {
            1: (f"CREATE TABLE {table} (id integer PRIMARY KEY, name text NOT NULL, created_at text);",
                f"DROP TABLE {table};"),
            2: (f"ALTER TABLE {table} ADD COLUMN note text;", f"ALTER TABLE {table} DROP COLUMN note;"),
            3: (f"CREATE INDEX {table}_name ON {table} (name);", f"DROP INDEX {table}_name;"),
            0: (f"INSERT INTO {table} (id, name) VALUES " + ", ".join(f"({n}, 'row {n}')" for n in range(1, 21))
                + ";", f"DELETE FROM {table};"),
        }[i % 4]
        stem = f"{i:04d}_step_{i}"
        (folder / "sql" / f"{stem}.sql").write_text(up + "\n")
        (folder / "rollbacks" / f"{stem}.sql").write_text(down + "\n")


@dataclass
class Run:
    seconds: float
    peak_mb: float | None = None
    cpu_busy: float | None = None  # share of the machine's CPU time that was busy meanwhile (all processes)


def _cpu_times() -> tuple[int, int] | None:
    """(busy, idle) jiffies of the whole machine, from /proc/stat (Linux); None elsewhere."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle, idle


def timed(command: list[str], cwd: Path) -> Run:
    """Run a command to completion; its wall time and peak resident memory (Linux: ru_maxrss in KiB)."""
    cpu_before = _cpu_times()
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"failed ({child.returncode}): {' '.join(command)}\n{output.decode()[-2000:]}")
    peak = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 1024 / 1024
    cpu_after = _cpu_times()
    busy = None
    if cpu_before and cpu_after:
        busy_jiffies, idle_jiffies = (a - b for a, b in zip(cpu_after, cpu_before))
        busy = busy_jiffies / max(1, busy_jiffies + idle_jiffies)
    return Run(seconds, peak, busy)


class SqliteFleet:
    label = "SQLite files"

    def __init__(self, workdir: Path, count: int):
        self.folder, self.count = workdir / "sqlite", count

    def reset(self) -> list[str]:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        return [f"file:{self.folder / f'tenant_{i:04d}.db'}" for i in range(self.count)]

    def drop(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresFleet:
    label = "PostgreSQL databases"

    def __init__(self, admin_url: str, count: int, driver: str):
        self.admin_url, self.count, self.driver = admin_url, count, driver
        self.names = [f"runner_bench_fleet_{i:04d}" for i in range(count)]

    def _url(self, name: str) -> str:
        base, _, rest = self.admin_url.rpartition("/")
        query = "?" + rest.split("?", 1)[1] if "?" in rest else ""
        scheme = "postgresql+psycopg" if self.driver == "psycopg" else "postgresql"
        return f"{base}/{name}{query}".replace("postgresql://", f"{scheme}://", 1)

    def reset(self) -> list[str]:
        self.drop()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'CREATE DATABASE "{name}"')
        return [self._url(name) for name in self.names]

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench(fleet, project: Path, migrations: int) -> dict:
    print(f"\n{fleet.count} {fleet.label}, {migrations} migrations each", flush=True)
    figures: dict = {"databases": fleet.count, "label": fleet.label, "fleet": {}}

    urls = fleet.reset()
    single = 0.0
    for url in urls:
        single += timed([sys.executable, str(RUNNER), "up", "--url", url], project).seconds
    figures["single"] = single
    print(f"  sum of {len(urls)} single runs: {single:8.1f} s", flush=True)

    for parallel in PARALLEL:
        urls = fleet.reset()
        targets = project / "targets.txt"
        targets.write_text("".join(f"tenant_{i:04d} {url}\n" for i, url in enumerate(urls)))
        run = timed([sys.executable, str(RUNNER), "fleet", "up", f"--targets={targets}", f"--parallel={parallel}",
                     "--json"], project)
        figures["fleet"][parallel] = run
        print(f"  fleet up --parallel={parallel:<2}: {run.seconds:8.1f} s  ({single / run.seconds:4.1f}x the single "
              f"runs)  peak {run.peak_mb:.0f} MB  CPU {_percent(run.cpu_busy)} busy", flush=True)
    fleet.drop()
    return figures


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share * 100:.0f}%"


def markdown(all_figures: list[dict], migrations: int, quick: bool, pg_driver: str, pg_version: str) -> str:
    lines = [
        "## Fleet: `runner.py fleet up` on many databases (bench/fleet.py)",
        "",
        f"{datetime.date.today().isoformat()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s), {platform.system()} {platform.release()}; PostgreSQL {pg_version} on the same "
        f"machine through {pg_driver}. {migrations} migrations per database (tables, columns, indexes, rows), "
        f"fresh databases for every run{'; `--quick` sizes' if quick else ''}.",
        "",
        "\"Single runs\" is `runner.py up --url …` once per database, one after the other (the shell loop);"
        " \"peak memory\" is the fleet process's maximum resident set size; \"machine CPU busy\" is the share of"
        " all CPUs' time that was busy during the run (the runner, the database server and anything else"
        " running on the machine).",
        "",
    ]
    for f in all_figures:
        lines += [f"### {f['databases']} {f['label']}", "",
                  "| run | time | vs single runs | vs --parallel 1 | peak memory | machine CPU busy |",
                  "|---|---:|---:|---:|---:|---:|",
                  f"| sum of single runs | {f['single']:.1f} s | 1.0x | | | |"]
        one = f["fleet"][1].seconds
        for parallel, run in f["fleet"].items():
            lines.append(f"| `fleet up --parallel={parallel}` | {run.seconds:.1f} s | {f['single'] / run.seconds:.1f}x "
                         f"| {one / run.seconds:.1f}x | {run.peak_mb:.0f} MB | {_percent(run.cpu_busy)} |")
        lines.append("")
    return "\n".join(lines)


USAGE = """Usage:
  fleet.py [--quick] [--sqlite=COUNT] [--postgres=COUNT] [--migrations=COUNT] [--pg-url=URL]
           [--pg-driver=DRIVER] [--no-write]
  fleet.py -h | --help

Options:
  --quick              100 SQLite files and 20 PostgreSQL databases.
  --sqlite=COUNT       Number of SQLite files (default 1000, --quick 100).
  --postgres=COUNT     Number of PostgreSQL databases (default 100, --quick 20).
  --migrations=COUNT   Migrations per database [default: 20].
  --pg-url=URL         Where to create the databases (else $TEST_DATABASE_URL, else 127.0.0.1:5432).
  --pg-driver=DRIVER   asyncpg or psycopg [default: asyncpg].
  --no-write           Print only; do not write bench/RESULTS-fleet.md.
"""


def main() -> None:
    from docopt import docopt

    opts = docopt(__doc__.splitlines()[0] + "\n\n" + USAGE)
    if opts["--pg-driver"] not in ("asyncpg", "psycopg"):
        sys.exit(f"error: --pg-driver must be asyncpg or psycopg, not {opts['--pg-driver']}")
    try:
        sqlite_count = int(opts["--sqlite"]) if opts["--sqlite"] else (100 if opts["--quick"] else 1000)
        pg_count = int(opts["--postgres"]) if opts["--postgres"] else (20 if opts["--quick"] else 100)
        migrations = int(opts["--migrations"])
    except ValueError as exc:
        sys.exit(f"error: not a number: {exc}")
    pg_url = opts["--pg-url"] or os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    pg_driver, quick = opts["--pg-driver"], opts["--quick"]

    with psycopg.connect(pg_url, autocommit=True) as conn:
        pg_version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    workdir = Path(tempfile.mkdtemp(prefix="runner-bench-fleet-"))
    try:
        project = workdir / "project"
        write_project(project, migrations)
        figures = []
        if pg_count:
            figures.append(bench(PostgresFleet(pg_url, pg_count, pg_driver), project, migrations))
        if sqlite_count:
            figures.append(bench(SqliteFleet(workdir, sqlite_count), project, migrations))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    text = markdown(figures, migrations, quick, pg_driver, pg_version)
    print("\n" + text)
    if not opts["--no-write"]:
        RESULTS.write_text(text + "\n")
        print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
