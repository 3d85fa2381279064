"""Real databases for every test: a SQLite file, and a fresh PostgreSQL database per test.

PostgreSQL: the servers of tests/pg_servers.py ($TEST_DATABASE_URL, else the local server on
127.0.0.1:5432, else a throwaway cluster of initdb/pg_ctl, else one of a PostgreSQL wheel from
PyPI; plus each installed wheel of another major version). Every PostgreSQL test id names its
server's major version (`test_x[asyncpg-pg18]`), so a failure says which version it is on.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

import pg_servers
from pg_servers import ThrowawayCluster  # noqa: F401  (tests start clusters of their own with it)

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "runner.py"
BACKENDS = ["sqlite", "asyncpg", "psycopg"]
PG_DRIVERS = BACKENDS[1:]


# -- PostgreSQL servers ----------------------------------------------------------------------------

def pytest_configure(config):
    # Tests press Ctrl-C on the runner as a terminal would (SIGINT). A shell starts a background
    # command (`bash .ci/run &`) with SIGINT ignored, which every runner would inherit and keep:
    # the runners get the disposition a terminal gives them instead.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        config.pg_servers = pg_servers.choose()
        pg_servers.require(config.pg_servers, os.environ.get("TEST_PG_REQUIRE", ""))
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config):
    return "PostgreSQL: " + ", ".join(
        f"{s.id} = {s.source.describe() if s.source else 'none found'}{' (primary)' if s.primary else ''}"
        for s in config.pg_servers)


def pytest_generate_tests(metafunc):
    """Parametrize the PostgreSQL fixtures over the servers: the primary for every test, every
    server for the tests marked all_pg_versions (PgBouncer fronts the primary only)."""
    servers = metafunc.config.pg_servers
    if not metafunc.definition.get_closest_marker("all_pg_versions") or "pooled_backend" in metafunc.fixturenames:
        servers = servers[:1]
    drivers = [pytest.param(driver, server, id=f"{driver}-{server.id}") for server in servers for driver in PG_DRIVERS]
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize(("backend", "pg_server"), [pytest.param("sqlite", None, id="sqlite"), *drivers],
                             indirect=True)
    elif "pooled_backend" in metafunc.fixturenames:
        metafunc.parametrize(("pooled_backend", "pg_server"), drivers, indirect=True)
    elif "pg_backend" in metafunc.fixturenames:
        metafunc.parametrize(("pg_backend", "pg_server"), drivers, indirect=True)
    elif "pg_server" in metafunc.fixturenames:
        metafunc.parametrize("pg_server", [pytest.param(s, id=s.id) for s in servers], indirect=True)


@pytest.fixture(scope="session")
def pg_pool():
    """The session's servers: started on first use, stopped when the session ends."""
    pool = pg_servers.Pool()
    yield pool
    pool.stop_all()


@pytest.fixture
def pg_server(request) -> pg_servers.Server | None:
    """The PostgreSQL server of this test (None for a SQLite `backend`)."""
    return request.param


@pytest.fixture
def pg_admin_url(pg_server, pg_pool) -> str:
    """A URL of a PostgreSQL database of this test's server we may create and drop databases from."""
    try:
        return pg_pool.admin_url(pg_server)
    except RuntimeError as exc:
        pytest.fail(str(exc))


def _with_database(admin_url: str, name: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    query = ""
    if "?" in admin_url:
        query = "?" + admin_url.split("?", 1)[1]
    return f"{base}/{name}{query}"


@contextlib.contextmanager
def fresh_pg_database(admin_url: str, prefix: str = "runner_test"):
    """A new, empty database on the server of `admin_url`, dropped afterwards; its plain postgresql:// URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_database(pg_admin_url):
    """A fresh, empty PostgreSQL database for one test; yields its plain postgresql:// URL."""
    with fresh_pg_database(pg_admin_url) as url:
        yield url


# -- the backend fixture ---------------------------------------------------------------------------

# The runner's own tables (migrator/journal/<dialect>.sql): what a database holds with every migration rolled back.
JOURNAL_TABLES = frozenset({"schema_journal", "schema_journal_events", "schema_journal_repeatable", "schema_journal_meta"})


@dataclass
class Backend:
    """One database under test: its runner URL and a plain way to look inside it."""

    name: str  # sqlite | asyncpg | psycopg
    url: str
    sqlite_path: Path | None = None
    plain_url: str | None = None  # libpq URL for the PostgreSQL backends

    @property
    def dialect(self) -> str:
        return "sqlite" if self.name == "sqlite" else "postgres"

    def query(self, sql: str, *params) -> list[tuple]:
        """Run one statement in autocommit and return its rows (an empty list if it returns none)."""
        if self.sqlite_path is not None:
            conn = sqlite3.connect(self.sqlite_path)
            try:
                cursor = conn.execute(sql, params)
                rows = cursor.fetchall()
                conn.commit()
                return rows
            finally:
                conn.close()
        with psycopg.connect(self.plain_url, autocommit=True) as conn:
            cursor = conn.execute(sql.replace("?", "%s"), params) if params else conn.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def an_extension(self) -> str:
        """An extension this PostgreSQL server can create (the PostgreSQL wheels ship fewer than
        Debian's server); the test is skipped on a server with none of them."""
        name = self.query("SELECT min(name) FROM pg_available_extensions WHERE name IN ('pgcrypto', 'citext', 'vector')")
        if name[0][0] is None:
            pytest.skip("this PostgreSQL server offers none of pgcrypto, citext and vector")
        return name[0][0]

    def tables(self) -> set[str]:
        if self.sqlite_path is not None:
            if not self.sqlite_path.exists():
                return set()
            return {r[0] for r in self.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
        return {r[0] for r in self.query(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}

    def journal(self) -> list[tuple]:
        """(version, name, failed) of every journal row."""
        if "schema_journal" not in self.tables():
            return []
        return [(v, n, bool(f)) for v, n, f in self.query(
            "SELECT version, name, failed FROM schema_journal ORDER BY version")]

    def events(self) -> list[tuple]:
        """(action, version, success) of every event, oldest first."""
        if "schema_journal_events" not in self.tables():
            return []
        return [(a, v, bool(s)) for a, v, s in self.query(
            "SELECT action, version, success FROM schema_journal_events ORDER BY id")]


SCHEMES = {"asyncpg": "postgresql", "psycopg": "postgresql+psycopg"}  # the URL scheme that picks each driver


def pg_backend_at(driver: str, plain_url: str) -> Backend:
    """The PostgreSQL database at `plain_url` (libpq's postgresql://), reached by the runner through `driver`."""
    return Backend(driver, plain_url.replace("postgresql://", f"{SCHEMES[driver]}://", 1), plain_url=plain_url)


@pytest.fixture
def backend(request, tmp_path, pg_server) -> Backend:
    """sqlite, or asyncpg / psycopg on a fresh database of this test's PostgreSQL server."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        return Backend("sqlite", f"file:{path}", sqlite_path=path)
    return pg_backend_at(request.param, request.getfixturevalue("pg_database"))


@pytest.fixture(scope="session")
def pgbouncer(request, pg_pool):
    """A PgBouncer in transaction pooling mode in front of the primary test server (tests/pgbouncer.py)."""
    from pgbouncer import PgBouncer, find_pgbouncer

    if find_pgbouncer() is None:
        pytest.fail("PgBouncer is needed for these tests: install it (Debian: apt-get install pgbouncer); "
                    ".ci/run does so when it is missing")
    try:
        admin_url = pg_pool.admin_url(request.config.pg_servers[0])
    except RuntimeError as exc:
        pytest.fail(str(exc))
    bouncer = PgBouncer(admin_url)
    yield bouncer
    bouncer.stop()


@pytest.fixture
def pooled_backend(request, pg_database, pgbouncer) -> Backend:
    """A fresh PostgreSQL database reached through PgBouncer (transaction mode); `plain_url` is direct."""
    name = pg_database.rsplit("/", 1)[1].split("?")[0]
    return Backend(request.param, pgbouncer.url(name, SCHEMES[request.param]), plain_url=pg_database)


@pytest.fixture
def sqlite_backend(tmp_path) -> Backend:
    path = tmp_path / "test.db"
    return Backend("sqlite", f"file:{path}", sqlite_path=path)


@pytest.fixture
def pg_backend(request, pg_database) -> Backend:
    """asyncpg or psycopg on a fresh database of this test's PostgreSQL server."""
    return pg_backend_at(request.param, pg_database)


# -- projects and the command line -----------------------------------------------------------------

class Project:
    """A project directory with sql/, rollbacks/ and seeds/, written by the test."""

    def __init__(self, root: Path):
        self.root = root
        for folder in ("sql", "rollbacks", "seeds"):
            (root / folder).mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str, *, newline: str = "\n") -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(textwrap.dedent(text).lstrip("\n").replace("\n", newline).encode("utf-8"))
        return path

    def migration(self, stem: str, up: str, down: str | None = None) -> None:
        self.write(f"sql/{stem}.sql", up)
        if down is not None:
            self.write(f"rollbacks/{stem}.sql", down)


@pytest.fixture
def project(tmp_path) -> Project:
    return Project(tmp_path / "project")


def runner_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RUNNER_LOG_FILE")}
    env.update(extra)
    return env


def _cli(args: tuple[str, ...], backend: Backend | None, project: Project | None, env: dict | None,
         cwd: Path | None) -> dict:
    """subprocess's arguments for `python runner.py ARGS` (with the backend's --url), in the project
    directory (or `cwd`), as a user runs it."""
    command = [sys.executable, str(RUNNER), *args] + (["--url", backend.url] if backend is not None else [])
    return dict(args=command, cwd=cwd or (project.root if project else None), env=env or runner_env(), text=True)


def run_cli(*args: str, backend: Backend | None = None, project: Project | None = None,
            env: dict | None = None, timeout: float = 120, cwd: Path | None = None,
            preexec_fn=None) -> subprocess.CompletedProcess:
    """Run `python runner.py ARGS` the way a user would, in the project directory (or `cwd`);
    `preexec_fn` runs in the child first (a resource limit, say)."""
    return subprocess.run(**_cli(args, backend, project, env, cwd), capture_output=True, timeout=timeout,
                          preexec_fn=preexec_fn)


def start_cli(*args: str, backend: Backend | None = None, project: Project | None = None, env: dict | None = None,
              cwd: Path | None = None) -> subprocess.Popen:
    """`python runner.py ARGS` started as run_cli() runs it, for a test that acts while it runs."""
    return subprocess.Popen(**_cli(args, backend, project, env, cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_until(condition, *, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll `condition` until it is true; an event to wait for, not a timing assertion."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def cli(project, backend):
    """`cli("up")` runs the runner against this test's backend and project."""
    def call(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return run_cli(*args, backend=backend, project=project, **kwargs)
    return call


@pytest.fixture
def pg_cli(project, pg_backend):
    """`cli` for PostgreSQL-only tests (asyncpg and psycopg)."""
    def call(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return run_cli(*args, backend=pg_backend, project=project, **kwargs)
    return call


def error_of(result: subprocess.CompletedProcess) -> str:
    """stderr from the `error:` line on (progress lines for earlier steps come before it)."""
    text = result.stderr
    at = text.find("error:")
    return text[at:] if at >= 0 else ""


# -- Hypothesis: one profile, and how many inputs each property ran --------------------------------

from hypothesis import is_hypothesis_test, settings  # noqa: E402
from hypothesis.statistics import collector  # noqa: E402

# No per-example deadline: the machine is shared, a slow example is not a failure.
# HYPOTHESIS_PROFILE=thorough runs 25x as many inputs (before a release, or after touching a parser).
settings.register_profile("runner", max_examples=200, deadline=None)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "runner"))

_INPUTS_RUN: dict[str, int] = {}  # property test's node id -> inputs that ran its body
_INPUT_NOTES: list[str] = []  # what a test module says of the inputs it generated by itself


def report_inputs(line: str) -> None:
    """Add a line to the summary of generated inputs (for inputs a test generates without Hypothesis)."""
    _INPUT_NOTES.append(line)


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """Count the inputs a property ran from the statistics Hypothesis reports when it finishes
    (the same numbers `--hypothesis-show-statistics` prints at length)."""
    if not is_hypothesis_test(pyfuncitem.obj):
        yield
        return
    outer = collector.value  # Hypothesis' own pytest plugin listens here too

    def note(stats) -> None:
        _INPUTS_RUN[pyfuncitem.nodeid] = sum(
            1 for phase in ("explicit", "reuse", "generate")
            for case in stats.get(f"{phase}-phase", {}).get("test-cases", [])
            if case["status"] in ("valid", "interesting"))
        if outer is not None:
            outer(stats)

    with collector.with_value(note):
        yield


def pytest_terminal_summary(terminalreporter):
    if _INPUT_NOTES:
        terminalreporter.write_sep("-", "generated inputs")
        for line in _INPUT_NOTES:
            terminalreporter.write_line(line)
    if not _INPUTS_RUN:
        return
    terminalreporter.write_sep("-", "Hypothesis: generated inputs run per property")
    for nodeid, count in sorted(_INPUTS_RUN.items()):
        terminalreporter.write_line(f"{count:>7,}  {nodeid}")
    terminalreporter.write_line(f"{sum(_INPUTS_RUN.values()):>7,}  in all, over {len(_INPUTS_RUN)} "
                                f"propert{'y' if len(_INPUTS_RUN) == 1 else 'ies'} "
                                f"(profile {settings.get_current_profile_name()})")
