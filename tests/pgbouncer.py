"""A real PgBouncer in transaction pooling mode, in front of the test PostgreSQL server.

Debian's `pgbouncer` package (`.ci/run` installs it when missing). Started on a free port with a
configuration of its own in a temporary folder; every database of the server is reachable
through it under its own name. Few server connections (`pool_size`), so runners share them as
they do behind a production pooler.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg


def find_pgbouncer() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.path.exists(p)), None)


class PgBouncer:
    def __init__(self, server_url: str, *, pool_size: int = 3):
        binary = find_pgbouncer()
        if binary is None:
            raise RuntimeError("pgbouncer is not installed (Debian: apt-get install pgbouncer)")
        server = urlsplit(server_url)
        self.user = unquote(server.username or "postgres")
        password = unquote(server.password or "")
        self.dir = Path(tempfile.mkdtemp(prefix="runner-pgbouncer-"))
        self.port = _free_port()
        (self.dir / "users.txt").write_text(f'"{self.user}" "{password}"\n')
        (self.dir / "pgbouncer.ini").write_text(f"""\
[databases]
* = host={server.hostname or '127.0.0.1'} port={server.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = {'trust' if not password else 'plain'}
auth_file = {self.dir / 'users.txt'}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {self.dir / 'pgbouncer.log'}
pidfile = {self.dir / 'pgbouncer.pid'}
""")
        command = [binary, str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            shutil.chown(self.dir, "nobody")
            for f in self.dir.iterdir():
                shutil.chown(f, "nobody")
            command = ["runuser", "-u", "nobody", "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_it_answers()

    def url(self, database: str, scheme: str = "postgresql") -> str:
        return f"{scheme}://{self.user}@127.0.0.1:{self.port}/{database}"

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + 15
        while True:
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2, prepare_threshold=None):
                    return
            except psycopg.Error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.dir / "pgbouncer.log")
                    raise RuntimeError("pgbouncer did not start: " + (log.read_text() if log.exists() else
                                       self.process.stderr.read().decode()))
                time.sleep(0.05)

    def stop(self) -> None:
        pidfile = self.dir / "pgbouncer.pid"
        if self.process.poll() is None and pidfile.exists():
            os.kill(int(pidfile.read_text()), signal.SIGINT)  # immediate shutdown (runuser is in between)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
