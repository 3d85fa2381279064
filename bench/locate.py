"""Locating the failing statement of a large PostgreSQL file: a failed `up` against a successful one.

Usage:
  locate.py [--statements=<n>] [--runs=<k>] [--pg-url=<url>] [--out=<file>]

Options:
  --statements=<n>  Statements in the file (small INSERTs) [default: 100000]
  --runs=<k>        Runs per subject; the median is reported [default: 3]
  --pg-url=<url>    The server (a database it may create others from); else $BENCH_PG_URL, else
                    127.0.0.1:5432.
  --out=<file>      Write the table there too (`-`: only print) [default: bench/RESULTS-locate.md]

The file's last statement fails without an error position (`DROP TABLE` of a table that does not
exist), so the runner must find which statement failed; the successful file ends with `SELECT 1`
instead. Both run as `python runner.py up` in a subprocess: wall time and peak memory (max RSS) of
that process, both drivers. The target: a failure costs at most twice a success, and names the
right line.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from docopt import docopt

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


def project(folder: Path, statements: int, last: str) -> Path:
    (folder / "sql").mkdir(parents=True)
    (folder / "rollbacks").mkdir()
    body = "".join(f"INSERT INTO big (id, note) VALUES ({i}, 'row {i}; with a semicolon');\n"
                   for i in range(statements))
    (folder / "sql" / "0001_big.sql").write_text(
        f"CREATE TABLE big (id integer PRIMARY KEY, note text);\n{body}{last}\n", encoding="utf-8")
    (folder / "rollbacks" / "0001_big.sql").write_text("DROP TABLE big;\n", encoding="utf-8")
    return folder


def run_up(url: str, folder: Path) -> tuple[float, int, int, str]:
    """(seconds, peak RSS in MiB, exit status, stderr) of one `runner.py up`."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, str(ROOT / "runner.py"), "up", "--url", url], cwd=folder,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss // 1024, child.returncode, stderr


def main() -> int:
    args = docopt(__doc__)
    n, runs = int(args["--statements"]), int(args["--runs"])
    server = args["--pg-url"] or os.environ.get("BENCH_PG_URL") or DEFAULT_PG
    import psycopg

    base = Path(tempfile.mkdtemp(prefix="bench-locate-"))
    files = {"succeeds": project(base / "ok", n, "SELECT 1;"),
             "fails": project(base / "bad", n, "DROP TABLE missing_table;")}
    failing_line = n + 2
    rows = []
    for driver, scheme in (("asyncpg", "postgresql"), ("psycopg", "postgresql+psycopg")):
        seconds: dict[str, list[float]] = {"succeeds": [], "fails": []}
        memory: dict[str, list[int]] = {"succeeds": [], "fails": []}
        for _ in range(runs):
            for how, folder in files.items():
                name = f"bench_locate_{uuid.uuid4().hex[:8]}"
                with psycopg.connect(server, autocommit=True) as admin:
                    admin.execute(f'CREATE DATABASE "{name}"')
                try:
                    url = (server.rsplit("/", 1)[0] + f"/{name}").replace("postgresql://", f"{scheme}://", 1)
                    took, peak, status, stderr = run_up(url, folder)
                finally:
                    with psycopg.connect(server, autocommit=True) as admin:
                        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                expected = (0, "") if how == "succeeds" else (1, f"error: sql/0001_big.sql:{failing_line}:")
                if status != expected[0] or expected[1] not in stderr:
                    raise SystemExit(f"{driver} {how}: exit {status}, {stderr[:300]!r}")
                seconds[how].append(took)
                memory[how].append(peak)
        ok, bad = statistics.median(seconds["succeeds"]), statistics.median(seconds["fails"])
        ok_mb, bad_mb = statistics.median(memory["succeeds"]), statistics.median(memory["fails"])
        rows.append(f"| {driver} | {ok:.2f} s, {ok_mb} MiB | {bad:.2f} s, {bad_mb} MiB | {bad / ok:.2f}x | "
                    f"{bad_mb / ok_mb:.2f}x |")
    size = (files["fails"] / "sql" / "0001_big.sql").stat().st_size / 1e6
    table = "\n".join(["| driver | file succeeds | last statement fails (line found) | time | memory |",
                       "|---|---|---|---|---|", *rows])
    load = os.getloadavg()
    text = (f"# Locating a failed statement in a {size:.1f} MB file of {n} statements\n\n{table}\n\n"
            f"Medians of {runs} runs, `python bench/locate.py --statements={n} --runs={runs}`; load average at "
            f"the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.\n")
    print(text)
    if args["--out"] != "-":
        Path(args["--out"]).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
