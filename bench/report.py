"""The table, the verdicts on the issue's targets, and bench/RESULTS.md with the machine and versions."""
from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shlex
import sqlite3
import statistics
import subprocess
from pathlib import Path

import subjects

OPERATIONS = ("up", "down", "status", "verify", "seed", "--help")
SUBJECTS = ("floor", "floor + files", "sqlite3", "runner", "runner-cli", "runner-cli / (floor + files)", "yoyo", "dbmate")
BACKEND_NAMES = {"sqlite": "SQLite", "asyncpg": "PostgreSQL/asyncpg", "psycopg": "PostgreSQL/psycopg", "-": "-"}

# Issue 17's targets: the runner's time as a ratio to the floor's, by backend and operation.
TARGETS = {("sqlite", "up"): 1.0, ("sqlite", "down"): 1.0, ("asyncpg", "up"): 1.05, ("asyncpg", "down"): 1.10}
STATUS_TARGET = 1.3  # status: of "start Python, import the driver, connect, one query"
PSYCOPG_SLACK = 1.10  # psycopg within 10% of asyncpg
LINEAR_SLACK = 1.10  # the largest N's cost per migration within 10% of the smallest N's


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _ratio_cell(series) -> str:
    if not series.floor or series.subject == "floor":
        return "1.00x" if series.subject == "floor" else "-"
    r = series.ratios
    return f"{statistics.median(r):.2f}x ({min(r):.2f}-{max(r):.2f})"


def _size(series) -> str:
    if series.n is None:
        return "-"
    return f"scale {series.n:,}" if series.operation == "seed" else f"{series.n:,}"


def table(results) -> str:
    rows = [("backend", "N", "operation", "subject", "median", "min-max", "x floor, median (min-max)", "per migration or rows")]
    order = {name: i for i, name in enumerate(SUBJECTS)}
    backends = {b: i for i, b in enumerate(("-", "sqlite", "asyncpg", "psycopg"))}
    ops = {op: i for i, op in enumerate(OPERATIONS)}
    for s in sorted(results.series.values(), key=lambda s: (backends[s.backend], ops[s.operation], s.n or 0,
                                                            order.get(s.subject, 99))):
        extra = ""
        if s.operation == "seed":
            added = results.seed_rows.get((s.backend, s.n))
            extra = f"{added:,} rows, {added / s.median:,.0f} rows/s" if added else ""
        elif s.operation in ("up", "down") and s.n:
            extra = f"{s.median / s.n * 1000:.2f} ms/migration"
        rows.append((BACKEND_NAMES[s.backend], _size(s), s.operation, s.subject, _seconds(s.median),
                     f"{_seconds(min(s.seconds))}-{_seconds(max(s.seconds))}", _ratio_cell(s), extra))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) + " |" for r in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _median_ratio(series) -> float | None:
    return statistics.median(series.ratios) if series and series.floor else None


def targets(results, args) -> list[str]:
    """One line per target of the issue, at every N measured: the figure, the limit, met or MISSED."""
    out = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    sizes = sorted(args.sizes)
    for backend in args.backends:
        name = BACKEND_NAMES[backend]
        for op in ("up", "down"):
            for n in sizes:
                r = _median_ratio(results.get(backend, n, op, "runner"))
                if r is None:
                    continue
                if backend == "psycopg":
                    other = _median_ratio(results.get("asyncpg", n, op, "runner"))
                    if other is not None:
                        out.append(f"- {name} {op} at N={n}: {r:.2f}x the floor, {r / other:.2f}x asyncpg's ratio "
                                   f"(target <= {PSYCOPG_SLACK:.2f}x asyncpg's): {verdict(r <= other * PSYCOPG_SLACK)}")
                    continue
                limit = TARGETS[(backend, op)]
                out.append(f"- {name} {op} at N={n}: {r:.2f}x the floor (target <= {limit:.2f}x): {verdict(r <= limit)}")
            small, big = results.get(backend, sizes[0], op, "runner"), results.get(backend, sizes[-1], op, "runner")
            if small and big and len(sizes) > 1:
                grows = (big.median / sizes[-1]) / (small.median / sizes[0])
                floor_small = results.get(backend, sizes[0], op, "floor")
                floor_big = results.get(backend, sizes[-1], op, "floor")
                ref = (f"; the floor's {(floor_big.median / sizes[-1]) / (floor_small.median / sizes[0]):.2f}x"
                       if floor_small and floor_big else "")
                out.append(f"- {name} {op}: cost per migration at N={sizes[-1]} is {grows:.2f}x N={sizes[0]}'s "
                           f"(linear: <= {LINEAR_SLACK:.2f}x{ref}): {verdict(grows <= LINEAR_SLACK)}")
        for n in sizes:
            r = _median_ratio(results.get(backend, n, "status", "runner-cli"))
            if r is not None:
                out.append(f"- {name} status with {n} applied: {r:.2f}x starting Python, importing the driver, "
                           f"connecting and running one query (target <= {STATUS_TARGET}x): {verdict(r <= STATUS_TARGET)}")
            with_files = _median_ratio(results.get(backend, n, "status", "runner-cli / (floor + files)"))
            if with_files is not None:
                out.append(f"  (against the same floor that also reads and hashes the {n} files: {with_files:.2f}x)")
    return out


# -- the environment ----------------------------------------------------------------------------------

def _first_line(args: list[str]) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except Exception as exc:
        return f"unknown ({type(exc).__name__})"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown"


async def environment(args) -> dict[str, str]:
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{_cpu()}, {os.cpu_count()} CPUs, {_memory()} RAM, {platform.system()} {platform.release()}",
        "commit": _first_line(["git", "-C", str(subjects.ROOT), "describe", "--always", "--dirty"]),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "aiosqlite": _version("aiosqlite"),
        "asyncpg": _version("asyncpg"),
        "psycopg": _version("psycopg"),
        "yoyo-migrations": _version("yoyo-migrations"),
    }
    dbmate = subjects.find_dbmate()
    info["dbmate"] = _first_line([dbmate, "--version"]) if dbmate else "not installed"
    if any(b != "sqlite" for b in args.backends):
        try:
            import psycopg
            with psycopg.connect(args.pg_url, autocommit=True) as conn:
                settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                            for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method")}
            info["PostgreSQL"] = (f"{settings['server_version']} (fsync={settings['fsync']}, synchronous_commit="
                                  f"{settings['synchronous_commit']}, wal_sync_method={settings['wal_sync_method']})")
        except Exception as exc:
            info["PostgreSQL"] = f"unknown ({exc})"
    return info


def markdown(results, table_text: str, verdicts: list[str], info: dict, args, argv: list[str],
             elapsed: float) -> str:
    command = " ".join(["python", "bench/run.py", *map(shlex.quote, argv)])
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` ({elapsed / 60:.0f} min). Regenerate with `python bench/run.py` "
        "(full: N = 500 and 5000, 5 runs) or `--quick`.",
        "",
        "## Machine and versions",
        "",
        *[f"- {key}: {value}" for key, value in info.items()],
        "",
        "## What ran",
        "",
        f"- Sizes N = {', '.join(map(str, args.sizes))}; {args.runs} runs of every figure; backends "
        f"{', '.join(args.backends)}; peers up to N = {args.peers_max_n}"
        + (" (peers off)" if args.no_peers else "") + "; seed scales "
        + (", ".join(f"{s:,}" for s in args.seed_scales) or "none") + ".",
        "- Workload: migration i creates a table and an index and inserts ten rows; its rollback drops the index "
        "and the table. The same SQL on both dialects and for every tool (`bench/workload.py`).",
        "- `floor`: one connection of the raw driver, in-process, each file in its own transaction, no bookkeeping: "
        "aiosqlite `executescript(\"BEGIN; <file> COMMIT;\")` (one hop to its thread per file), asyncpg and psycopg "
        "`async with conn.transaction(): await conn.execute(file)`. `sqlite3`: the same with the stdlib module on "
        "the calling thread, for reference (what any asyncio SQLite driver's thread hop costs).",
        "- `runner`: the engine API in-process, as a library user runs it: `async with Migrator.connect(url, dir) "
        "as m: await m.up()` (`m.down(everything=True)`), one run, timed from connect to close, file discovery "
        "included. The floor (and `sqlite3`) run the same migrations in chunks between the runner's steps "
        f"(`--chunks`, {args.chunks} per operation; the bench waits on the runner's driver call, it does not touch "
        "the step), so every figure of a run sees the same minutes of the machine; their time between steps is "
        "not counted as the runner's. A ratio is taken within a run; the table shows the median over the runs "
        "and the min-max.",
        "- `runner-cli`: `python runner.py up|down --all|status|verify --url URL --dir DIR` in a subprocess "
        "(what a deploy script runs; includes starting Python, with the bytecode cache as on a user's machine: "
        "the bench removes PYTHONDONTWRITEBYTECODE and warms up once). The status floor is `python -c` that imports the "
        "driver, connects and runs `SELECT version, checksum FROM schema_journal` (the one query status needs); "
        "`floor + files` also reads and hashes every file of `sql/`, which `status` must do to compare checksums "
        "(an informative second floor, not the issue's).",
        "- `yoyo`: `yoyo apply|rollback --all|list --batch --no-config-file` (PostgreSQL through "
        "`postgresql+psycopg://`). `dbmate`: `dbmate --no-dump-schema migrate|status`, and `rollback` N times "
        "(it rolls back one migration per call). Each peer gets the same SQL in its own file layout.",
        "- Every figure starts from a fresh database (PostgreSQL: CREATE DATABASE, dropped after; SQLite: a new "
        "file). The command-line subjects run one after another in an order that rotates between runs; their "
        "ratio is against the floor of the same run. `status`, `verify` and `--help` are measured "
        f"{args.status_reps} times per run, interleaved with their floor.",
        "- Seeding: the repository's migrations are applied (not timed), then `Migrator.seed([\"volume\"], "
        "scale=N)` against the floor running the same seed file raw in one transaction with its `runner_seed` "
        "table; rows are what the seed added to the database (the volume seed adds N users and N loan "
        "applications).",
        "",
        "## Results",
        "",
        table_text,
        "",
        "## Targets",
        "",
        *verdicts,
    ]
    if results.skipped:
        lines += ["", "## Skipped", "", *[f"- {s}" for s in results.skipped]]
    fleet = Path(__file__).with_name("RESULTS-fleet.md")
    if fleet.exists():
        lines += ["", "## Fleet", "", "`runner.py fleet up` over 1,000 SQLite files and 100 PostgreSQL databases is "
                  "measured by `python bench/fleet.py`; its latest figures are in "
                  "[RESULTS-fleet.md](RESULTS-fleet.md)."]
    notes = Path(__file__).with_name("NOTES.md")
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    return "\n".join(lines) + "\n"
