"""Benchmark: the runner against the raw driver (the floor) and against its peers.

    python bench/run.py                  full run: N = 500 and 5000 (the issue's sizes); 5 runs; seeds at 100k and 1M rows
    python bench/run.py --quick          N = 100 and 500, 3 runs, seeds at 100k rows
    python bench/run.py --smoke          N = 5, 1 run, no peers, no seeds: does the bench itself work?

Prints the table and (unless --smoke or --out=-) writes it, with the machine, the versions and the
commands, to bench/RESULTS.md. PostgreSQL comes from --pg-url, else $BENCH_PG_URL, else
$TEST_DATABASE_URL, else 127.0.0.1:5432; every measurement gets a fresh database (created and
dropped here) or a fresh SQLite file.

Every runner figure is a ratio to the floor measured in the same run. The runner runs once per
operation, as users run it, and the floor runs the same migrations in chunks between the
runner's steps, so a slow minute of a noisy machine hits both alike. The table shows the median
over the runs and the min-max.
"""
from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import report  # noqa: E402
import subjects  # noqa: E402
import workload  # noqa: E402
from subjects import Database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "asyncpg", "psycopg")


# -- results -----------------------------------------------------------------------------------------

@dataclass
class Series:
    """One figure measured once per run: seconds, and the floor's seconds of the same run."""

    backend: str
    n: int | None
    operation: str
    subject: str
    seconds: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def ratios(self) -> list[float]:
        return [s / f for s, f in zip(self.seconds, self.floor)]


class Results:
    def __init__(self):
        self.series: dict[tuple, Series] = {}
        self.skipped: list[str] = []
        self.broken: set[tuple[str, str]] = set()  # (peer, backend) that failed once: not retried
        self.seed_rows: dict[tuple[str, int], int] = {}  # (backend, scale) -> rows the seed added

    def add(self, backend: str, n: int | None, operation: str, subject: str, seconds: float,
            floor: float | None) -> None:
        key = (backend, n, operation, subject)
        s = self.series.setdefault(key, Series(backend, n, operation, subject))
        s.seconds.append(seconds)
        if floor is not None:
            s.floor.append(floor)

    def get(self, backend: str, n: int | None, operation: str, subject: str) -> Series | None:
        return self.series.get((backend, n, operation, subject))

    def skip(self, text: str) -> None:
        if text not in self.skipped:
            self.skipped.append(text)
            print(f"  skipped: {text}", file=sys.stderr)


# -- databases ---------------------------------------------------------------------------------------

class Databases:
    """Fresh databases: a new SQLite file in a temp folder, or CREATE DATABASE / DROP DATABASE."""

    def __init__(self, pg_admin: str, scratch: Path):
        self.pg_admin, self.scratch = pg_admin, scratch
        self.counter = itertools.count(1)

    @contextlib.asynccontextmanager
    async def fresh(self, backend: str):
        number = next(self.counter)
        if backend == "sqlite":
            path = self.scratch / f"bench_{number}.db"
            try:
                yield Database("sqlite", path=str(path))
            finally:
                for leftover in self.scratch.glob(f"bench_{number}.db*"):
                    leftover.unlink()
            return
        import psycopg
        name = f"bench_{os.getpid()}_{number}"
        with psycopg.connect(self.pg_admin, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        try:
            yield Database(backend, dsn=_with_database(self.pg_admin, name))
        finally:
            with psycopg.connect(self.pg_admin, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def settle(self, backend: str) -> None:
        """PostgreSQL: a checkpoint, so a run does not pay for writing out what the one before it
        left dirty (at N=5000 a run writes thousands of tables, and which subject met the
        checkpoint that followed was luck)."""
        if backend == "sqlite":
            return
        import psycopg
        with psycopg.connect(self.pg_admin, autocommit=True) as admin:
            admin.execute("CHECKPOINT")


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


# -- the measurements -------------------------------------------------------------------------------

async def measure_migrations(backend: str, n: int, runs: int, dbs: Databases, results: Results,
                             work: Path, peers: bool, status_reps: int, chunks: int) -> None:
    """up from a fresh database, status and verify with N applied, down --all; floor and runner interleaved."""
    folder = work / f"{backend}_{n}"
    project = workload.write_runner(folder / "runner", n)
    ups = [workload.up_sql(i) for i in range(1, n + 1)]
    downs = [workload.down_sql(i) for i in range(1, n + 1)]
    floor = subjects.Floor(ups, downs)
    runner, cli = subjects.RunnerAPI(project), subjects.RunnerCLI(project)
    in_process: list = [floor, runner] + ([subjects.SyncSqlite(ups, downs)] if backend == "sqlite" else [])
    commands: list = [cli]
    if peers:
        yoyo, dbmate = subjects.find_yoyo(), subjects.find_dbmate()
        if yoyo:
            commands.append(subjects.Yoyo(yoyo, workload.write_yoyo(folder / "yoyo", n), n))
        else:
            results.skip("yoyo: not installed (pip install yoyo-migrations)")
        if dbmate:
            commands.append(subjects.Dbmate(dbmate, workload.write_dbmate(folder / "dbmate", n), n))
        else:
            results.skip("dbmate: not installed (npm install dbmate; or set $DBMATE)")
    bounds = [round(n * k / chunks) for k in range(chunks + 1)]  # 0 = b0 < b1 < ... < b_chunks = n

    async with dbs.fresh(backend) as db:  # warm-up, not timed: bytecode cache, driver imports, page cache
        cli.status(db)
    for run in range(runs):
        times: dict[str, dict[str, float]] = {}
        # 1. In-process: one run of the runner; the floor (and plain sqlite3) run the same range of
        #    migrations in chunks between the runner's steps, so all see the same minute of a noisy machine.
        others = [s for s in in_process if s is not runner]
        dbs.settle(backend)
        async with contextlib.AsyncExitStack() as stack:
            rdb = await stack.enter_async_context(dbs.fresh(backend))
            for subject in others:
                odb = await stack.enter_async_context(dbs.fresh(backend))
                times[subject.name] = {"up": await subject.open(odb)}

            async def up_chunk(k: int) -> None:
                for subject in _rotated(others, run + k):
                    times[subject.name]["up"] += await subject.up(bounds[k], bounds[k + 1])

            async def down_chunk(k: int) -> None:  # the runner rolls back newest first
                for subject in _rotated(others, run + k):
                    times[subject.name]["down"] += await subject.down(n - bounds[k], n - bounds[k + 1])

            gc.collect()
            rt = times["runner"] = {"up": await runner.up(rdb, bounds, up_chunk)}
            # status and verify with N applied, against "start Python, import the driver, connect,
            # run one query", on the runner's database, several times: each is a fraction of a second.
            checks = [("status floor", lambda: floor.status(rdb)), ("status", lambda: cli.status(rdb)),
                      ("status floor + files", lambda: floor.status(rdb, project)),
                      ("verify", lambda: cli.verify(rdb))]
            for rep in range(status_reps):
                for label, fn in _rotated(checks, run + rep):
                    rt.setdefault(label, []).append(fn())
            for subject in others:
                times[subject.name]["down"] = 0.0
            gc.collect()
            rt["down"] = await runner.down(rdb, bounds, down_chunk)
            for subject in others:
                times[subject.name]["down"] += await subject.close()
        # 2. Whole commands in a subprocess: the runner's command line and the peers.
        for subject in _rotated(commands, run):
            if (subject.name, backend) in results.broken:
                continue
            gc.collect()
            dbs.settle(backend)
            try:
                async with dbs.fresh(backend) as db:
                    t = times[subject.name] = {"up": await subject.up(db)}
                    if subject is not cli:
                        t["status"] = subject.status(db)
                    t["down"] = await subject.down(db)
            except Exception as exc:  # a peer that cannot run here is reported, not fatal
                if subject is cli:
                    raise
                results.broken.add((subject.name, backend))
                results.skip(f"{subject.name} on {backend}: {str(exc).strip().splitlines()[-1][:200]}")
                times.pop(subject.name, None)
        base = times["floor"]
        for name, t in times.items():
            for op in ("up", "down"):
                results.add(backend, n, op, name, t[op], base[op])
        for floor_s, files_s, status_s in zip(rt["status floor"], rt["status floor + files"], rt["status"]):
            # informative: the floor that also reads and hashes the N files, which status must compare
            results.add(backend, n, "status", "floor + files", files_s, floor_s)
            results.add(backend, n, "status", "runner-cli / (floor + files)", status_s, files_s)
        for floor_s, status_s, verify_s in zip(rt["status floor"], rt["status"], rt["verify"]):
            results.add(backend, n, "status", "floor", floor_s, floor_s)
            results.add(backend, n, "status", "runner-cli", status_s, floor_s)
            results.add(backend, n, "verify", "runner-cli", verify_s, floor_s)
        for name in ("yoyo", "dbmate"):
            if name in times and "status" in times[name]:
                results.add(backend, n, "status", name, times[name]["status"], statistics.median(rt["status floor"]))
        line = ", ".join(f"{name} {t['up']:.2f}s/{t['down']:.2f}s" for name, t in times.items())
        print(f"  {backend} N={n} run {run + 1}/{runs} (up/down): {line}; load {os.getloadavg()[0]:.1f}",
              file=sys.stderr)


def _rotated(items: list, k: int) -> list:
    k %= len(items)
    return items[k:] + items[:k]


async def measure_help(runs: int, results: Results) -> None:
    """Start-up: `runner.py --help` against a bare `python -c pass`."""
    subjects._timed_run([subjects.PYTHON, str(subjects.RUNNER), "--help"])  # warm-up: writes the bytecode cache
    for run in range(runs):
        pair = [("floor", [subjects.PYTHON, "-c", "pass"]),
                ("runner-cli", [subjects.PYTHON, str(subjects.RUNNER), "--help"])]
        t = {}
        for name, args in (pair if run % 2 == 0 else pair[::-1]):
            t[name] = subjects._timed_run(args)
        for name in t:
            results.add("-", None, "--help", name, t[name], t["floor"])


def find_volume_seed() -> list[Path]:
    return sorted((ROOT / "seeds").glob("*_volume*.sql"))


async def measure_seeds(backend: str, scales: list[int], runs: int, dbs: Databases, results: Results) -> None:
    """The volume seed at each scale: `Migrator.seed(["volume"], scale=N)` against the same SQL run raw."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from migrator import Migrator
    from migrator.files import discover

    dialect = "sqlite" if backend == "sqlite" else "postgres"
    seeds = [s for s in discover(ROOT, dialect).seeds if s.name == "volume"]
    if not seeds:
        results.skip("seeding: no volume seed (seeds/NNNN_volume*.sql)")
        return
    seed_sql = seeds[0].script.sql
    for scale in scales:
        for run in range(runs):
            t = {}
            for name in (("floor", "runner") if run % 2 == 0 else ("runner", "floor")):
                gc.collect()
                async with dbs.fresh(backend) as db:
                    async with Migrator.connect(db.runner_url, ROOT) as m:
                        await m.up()  # the repository's schema, not timed
                        before = await _row_count(m.db)
                    t[name] = await (_seed_floor(db, seed_sql, scale) if name == "floor"
                                     else _seed_runner(db, scale))
                    async with Migrator.connect(db.runner_url, ROOT, read_only=True) as m:
                        results.seed_rows[(backend, scale)] = await _row_count(m.db) - before
            for name in t:
                results.add(backend, scale, "seed", name, t[name], t["floor"])
            print(f"  {backend} seed volume scale={scale} run {run + 1}/{runs}: floor {t['floor']:.2f}s, "
                  f"runner {t['runner']:.2f}s", file=sys.stderr)


async def _row_count(db) -> int:
    """Rows in every table but the runner's own: what a seed added is the difference."""
    if db.dialect == "sqlite":
        tables = [r["name"] for r in await db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")]
    else:
        tables = [r["name"] for r in await db.fetch(
            "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = current_schema()")]
    total = 0
    for table in tables:
        if not table.startswith("schema_journal"):
            total += (await db.fetch(f"SELECT count(*) AS n FROM {table}"))[0]["n"]
    return total


async def _seed_runner(db: Database, scale: int) -> float:
    from migrator import Migrator
    start = time.perf_counter()
    async with Migrator.connect(db.runner_url, ROOT) as m:
        await m.seed(["volume"], scale=scale)
    return time.perf_counter() - start


async def _seed_floor(db: Database, sql: str, scale: int) -> float:
    """The raw driver: the seed's SQL in one transaction, with the runner_seed table it reads."""
    start = time.perf_counter()
    if db.backend == "sqlite":
        import aiosqlite
        conn = await aiosqlite.connect(db.path, isolation_level=None)
        await conn.executescript(f"BEGIN;\nCREATE TEMP TABLE runner_seed (scale INTEGER NOT NULL);\n"
                                 f"INSERT INTO runner_seed VALUES ({int(scale)});\n{sql}\n;\n"
                                 f"DROP TABLE temp.runner_seed;\nCOMMIT;")
        await conn.close()
    elif db.backend == "asyncpg":
        import asyncpg
        conn = await asyncpg.connect(db.dsn)
        async with conn.transaction():
            await conn.execute(f"CREATE TEMP TABLE runner_seed (scale integer NOT NULL) ON COMMIT DROP; "
                               f"INSERT INTO runner_seed VALUES ({int(scale)})")
            await conn.execute(sql)
        await conn.close()
    else:
        import psycopg
        conn = await psycopg.AsyncConnection.connect(db.dsn, autocommit=True)
        async with conn.transaction():
            await conn.execute(f"CREATE TEMP TABLE runner_seed (scale integer NOT NULL) ON COMMIT DROP; "
                               f"INSERT INTO runner_seed VALUES ({int(scale)})".encode(), prepare=False)
            await conn.execute(sql.encode(), prepare=False)
        await conn.close()
    return time.perf_counter() - start


# -- main --------------------------------------------------------------------------------------------

USAGE = """Usage:
  run.py [--quick | --smoke] [options]
  run.py -h | --help

Options:
  --quick               N = 100 and 500, 3 runs, seeds at 100k rows.
  --smoke               N = 5, 1 run, no peers or seeds; writes nothing.
  --sizes=LIST          Comma-separated N [default: 500,5000].
  --runs=K              Runs per figure [default: 5].
  --chunks=K            The floor runs in this many chunks between the runner's steps [default: 20].
  --status-reps=K       status/verify/--help measurements per run; each is a fraction of a second
                        [default: 3].
  --backends=LIST       Comma-separated, of sqlite,asyncpg,psycopg [default: sqlite,asyncpg,psycopg].
  --pg-url=URL          A PostgreSQL database to create and drop databases from
                        (else $BENCH_PG_URL, else $TEST_DATABASE_URL, else 127.0.0.1:5432).
  --no-peers            Skip yoyo and dbmate.
  --peers-max-n=N       Measure peers up to this N; dbmate's N rollback calls are slow [default: 500].
  --seed-scales=LIST    Comma-separated row counts, 0 = none [default: 100000,1000000].
  --out=PATH            Where to write the report, '-' = nowhere [default: bench/RESULTS.md].
"""


@dataclass
class Settings:
    """What the command line asked for, with --quick and --smoke applied."""

    sizes: list[int]
    runs: int
    chunks: int
    status_reps: int
    backends: list[str]
    pg_url: str
    no_peers: bool
    peers_max_n: int
    seed_scales: list[int]
    out: Path | None


def parse_args(argv: list[str]) -> Settings:
    from docopt import docopt

    opts = docopt(__doc__.split("\n\n")[0] + "\n\n" + USAGE, argv=argv)
    given = {arg.split("=")[0] for arg in argv}  # what --quick/--smoke may override: the defaults only
    sizes, runs, scales, out = opts["--sizes"], opts["--runs"], opts["--seed-scales"], opts["--out"]
    no_peers, status_reps = opts["--no-peers"], opts["--status-reps"]
    if opts["--smoke"]:
        sizes = sizes if "--sizes" in given else "5"
        runs = runs if "--runs" in given else "1"
        scales = scales if "--seed-scales" in given else "0"
        out = out if "--out" in given else "-"
        no_peers, status_reps = True, "1"
    elif opts["--quick"]:
        sizes = sizes if "--sizes" in given else "100,500"
        runs = runs if "--runs" in given else "3"
        scales = scales if "--seed-scales" in given else "100000"
    try:
        settings = Settings(
            sizes=[int(x) for x in sizes.split(",")],
            runs=int(runs),
            chunks=int(opts["--chunks"]),
            status_reps=int(status_reps),
            backends=[b.strip() for b in opts["--backends"].split(",") if b.strip()],
            pg_url=(opts["--pg-url"] or os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL")
                    or DEFAULT_PG),
            no_peers=no_peers,
            peers_max_n=int(opts["--peers-max-n"]),
            seed_scales=[int(x) for x in scales.split(",") if int(x) > 0],
            out=None if out == "-" else (ROOT / out if out == "bench/RESULTS.md" else Path(out)),
        )
    except ValueError as exc:
        sys.exit(f"error: not a number: {exc}")
    unknown = set(settings.backends) - set(BACKENDS)
    if unknown:
        sys.exit(f"error: unknown backend(s): {', '.join(sorted(unknown))}")
    return settings


async def main_async(args: Settings, argv: list[str]) -> int:
    results = Results()
    started = time.time()
    load = [os.getloadavg()[0]]
    work = Path(tempfile.mkdtemp(prefix="runner-bench-"))
    dbs = Databases(args.pg_url, work)
    # Peers run on SQLite and on one PostgreSQL backend (their drivers are their own: yoyo uses
    # psycopg, dbmate lib/pq), so their PostgreSQL figures appear under that backend only.
    pg = [b for b in ("psycopg", "asyncpg") if b in args.backends]
    peer_backends = {"sqlite", *pg[:1]}
    try:
        await measure_help(args.runs * args.status_reps, results)
        for backend in args.backends:
            for n in args.sizes:
                peers = not args.no_peers and backend in peer_backends and n <= args.peers_max_n
                await measure_migrations(backend, n, args.runs, dbs, results, work, peers, args.status_reps,
                                         min(args.chunks, n))
            if args.seed_scales:
                await measure_seeds(backend, args.seed_scales, args.runs, dbs, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.time() - started
    load.append(os.getloadavg()[0])
    table = report.table(results)
    verdicts = report.targets(results, args)
    print(table)
    print()
    print("\n".join(verdicts))
    if args.out:
        info = await report.environment(args)
        info["load average (1 min) at start, end"] = f"{load[0]:.1f}, {load[1]:.1f} on {os.cpu_count()} CPUs"
        args.out.write_text(report.markdown(results, table, verdicts, info, args, argv, elapsed), encoding="utf-8")
        print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    return asyncio.run(main_async(args, argv))


if __name__ == "__main__":
    sys.exit(main())
