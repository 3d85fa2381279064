"""The benchmark itself is not a test (no timings are asserted anywhere); this only checks that
`python bench/run.py --smoke`, `bench/pieces.py` and `bench/bookkeeping.py` still run end to end, so the bench does not rot."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, runner_env


def test_bench_smoke_run_prints_the_table(pg_admin_url):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--pg-url", pg_admin_url],
                          cwd=ROOT, env=runner_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| backend" in done.stdout
    for backend in ("SQLite", "PostgreSQL/asyncpg", "PostgreSQL/psycopg"):
        assert f"| {backend}" in done.stdout


def test_bench_bookkeeping_runs(pg_admin_url):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bookkeeping.py"), "--n=10", "--reps=1",
                           "--pg-url", pg_admin_url], cwd=ROOT, env=runner_env(), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "everything (runner)" in done.stdout and "everything, functions" in done.stdout


def test_bench_pieces_runs_both_ways(pg_admin_url):
    for operation in ("up", "down"):
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "pieces.py"), "--n=3", "--runs=1",
                               f"--operation={operation}", "--pg-url", pg_admin_url],
                              cwd=ROOT, env=runner_env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "runner (all of it)" in done.stdout and "x the floor" in done.stdout
