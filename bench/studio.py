"""How long the studio takes to answer a data page of a large table, first page against a page near
the end, on each backend.

The database is AssetLender's, migrated and seeded as a user would (`runner.py up`, `seed`, then
`seed volume --scale=N`: N more users and N more loan applications). The studio app runs in this
process (Starlette's test client, no network) and every request opens its own read-only
connection, as the studio does. Each figure is the median of --runs requests, and its ratio to
the first page of users (unfiltered, HTML) is what the studio promises to keep near 1.

Usage:
  studio.py [--scale=<n>] [--runs=<k>] [--backend=<name>]... [--pg-url=<url>] [--export] [--out=<file>]
  studio.py -h | --help

Options:
  --scale=<n>       Rows the volume seed adds to users and loan_applications [default: 1000000].
  --runs=<k>        Requests per figure; the median is shown [default: 5].
  --backend=<name>  sqlite, asyncpg or psycopg; repeat for several (none given: all three).
  --pg-url=<url>    Where to create the PostgreSQL database (else $BENCH_PG_URL, else
                    $TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres).
  --export          Also time a CSV export of every row of users (one run).
  --out=<file>      Also write the table (markdown) to this file.
"""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docopt import docopt  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from migrator.studio import create_app  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOAD_AT_START = os.getloadavg()[0]  # other work on the machine shows in every figure


def runner(*args: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "runner.py"), *args, "--dir", str(ROOT)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"runner.py {' '.join(args[:2])} failed:\n{done.stderr}")


def prepare(url: str, scale: int) -> float:
    """Migrate and seed; the seconds the volume seed took."""
    runner("up", "--url", url)
    runner("seed", "--url", url)
    started = time.perf_counter()
    runner("seed", "volume", f"--scale={scale}", "--url", url)
    return time.perf_counter() - started


def timed(c: TestClient, url: str, runs: int) -> tuple[float, object]:
    """Median seconds of `runs` GETs of url, and the last response (JSON when it is JSON)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = c.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.text[:300])
    body = response.json() if response.headers["content-type"].startswith("application/json") else response.text
    return statistics.median(times), body


def measure(url: str, scale: int, runs: int, export: bool) -> list[tuple[str, str, float, str]]:
    """(what, request, seconds, note) for one backend."""
    c = TestClient(create_app(url, ROOT), base_url="http://127.0.0.1")
    c.get("/tables/users")  # warm: imports, the OS's file cache
    out = []

    def add(what: str, request: str, note: str = "") -> object:
        seconds, body = timed(c, request, runs)
        out.append((what, request, seconds, note))
        return body

    add("users, first page (HTML, with the sidebar's counts)", "/tables/users")
    first = add("users, first page (JSON)", "/api/tables/users")
    total, estimated, pages = first["total"], first["estimated"], first["pages"]
    count = f"{'about ' if estimated else ''}{total:,} rows, {pages:,} pages"
    last = add("users, page=last", "/api/tables/users?page=last", count)
    before_last = add("users, the last page's previous link (by key)", last["links"]["previous"])
    add("users, that page's next link (by key)", before_last["links"]["next"])
    add(f"users, page={pages - 1} by number", f"/api/tables/users?page={pages - 1}",
        "counted exactly, then read backwards from the end" if estimated else "read backwards from the end")
    add(f"users, page={pages // 2} by number (the middle)", f"/api/tables/users?page={pages // 2}", "OFFSET")
    add("users, page near the end (HTML, by key)", before_last["links"]["next"].replace("/api", "", 1))
    by_email = add("users sorted by email (indexed), first page", "/api/tables/users?sort=email")
    last_email = add("users sorted by email, page=last", "/api/tables/users?sort=email&page=last")
    add("users sorted by email, previous link of the last", last_email["links"]["previous"])
    del by_email
    by_date = add("users sorted by created_at (no index), first page", "/api/tables/users?sort=created_at")
    add("users sorted by created_at, its next link", by_date["links"]["next"], "every page sorts the whole table")
    add("loan_applications where status=funded (indexed), first page", "/api/tables/loan_applications?status=funded")
    add("users, q=borrower.12345 (search, no index)", "/api/tables/users?q=borrower.12345")
    add("a row page: one volume user and what references it", f"/api/tables/users/vol-user-{scale // 2}")
    if export:
        started = time.perf_counter()
        with c.stream("GET", "/tables/users?format=csv") as response:
            lines = sum(chunk.count("\n") for chunk in response.iter_text())
        seconds = time.perf_counter() - started
        out.append(("CSV export of every user (one run)", "/tables/users?format=csv", seconds,
                    f"{lines - 1:,} rows, {(lines - 1) / seconds:,.0f} rows/s"))
    return out


def table(results: dict[str, list], scale: int, runs: int, seeded: dict[str, float]) -> str:
    lines = [f"Studio data pages at --scale={scale:,} (users and loan_applications each hold about "
             f"{scale:,} rows); median of {runs} requests; ratio to the first page of users (HTML).",
             f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
             f"{time.strftime('%Y-%m-%d')}; load average {LOAD_AT_START:.1f} at the start, "
             f"{os.getloadavg()[0]:.1f} at the end.", ""]
    for backend, rows in results.items():
        base = rows[0][2]
        lines += [f"### {backend} (volume seed: {seeded[backend]:.1f} s)", "",
                  "| page | request | ms | ratio | note |", "|---|---|---:|---:|---|"]
        for what, request, seconds, note in rows:
            shown = request if len(request) <= 60 else request[:57] + "…"
            lines.append(f"| {what} | `{shown}` | {seconds * 1000:.1f} | {seconds / base:.2f} | {note} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    opts = docopt(__doc__)
    scale, runs = int(opts["--scale"]), int(opts["--runs"])
    backends = opts["--backend"] or ["sqlite", "asyncpg", "psycopg"]
    if set(backends) - {"sqlite", "asyncpg", "psycopg"}:
        sys.exit(f"error: unknown backend in {backends}")
    pg_admin = opts["--pg-url"] or os.environ.get("BENCH_PG_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    results: dict[str, list] = {}
    seeded: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="studio-bench-") as scratch:
        pg_dsn = None
        try:
            if "sqlite" in backends:
                url = f"file:{scratch}/assetlender.db"
                seeded["sqlite"] = prepare(url, scale)
                results["sqlite"] = measure(url, scale, runs, opts["--export"])
            if {"asyncpg", "psycopg"} & set(backends):
                import psycopg
                name = f"studio_bench_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(pg_admin, autocommit=True) as admin:
                    admin.execute(f"CREATE DATABASE {name}")
                base, _, _ = pg_admin.partition("?")[0].rpartition("/")
                pg_dsn = f"{base}/{name}"
                seconds = prepare(pg_dsn, scale)
                with psycopg.connect(pg_dsn, autocommit=True) as conn:
                    conn.execute("ANALYZE")  # what autovacuum does within a minute of the seed
                for backend in ("asyncpg", "psycopg"):
                    if backend in backends:
                        seeded[backend] = seconds
                        scheme = "postgresql" if backend == "asyncpg" else "postgresql+psycopg"
                        results[backend] = measure(pg_dsn.replace("postgresql", scheme, 1), scale, runs,
                                                   opts["--export"])
        finally:
            if pg_dsn:
                import psycopg
                with psycopg.connect(pg_admin, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {pg_dsn.rpartition('/')[2]} WITH (FORCE)")
    text = table(results, scale, runs, seeded)
    print(text)
    if opts["--out"]:
        Path(opts["--out"]).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
