"""`backup`, `restore` and `up --backup`: real pg_dump / pg_restore / psql and SQLite's backup API."""
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import psycopg
import pytest

from conftest import Backend, error_of, run_cli, runner_env
from migrator import pgtools

pytestmark = pytest.mark.all_pg_versions  # pg_dump/pg_restore/psql must fit the server: see tests/pg_servers.py

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);\n"
LOANS = ("CREATE TABLE loans (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id),\n"
         "                    amount NUMERIC(12, 2) NOT NULL);\nCREATE INDEX loans_user ON loans (user_id);\n")
# Made after the backup: a new table with a foreign key to a backed-up one (pg_restore --clean alone
# could neither drop users under it nor know to drop it), and a new column on a backed-up table.
AUDIT = ("CREATE TABLE audit (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n"
         "ALTER TABLE users ADD COLUMN nickname TEXT;\n")


def two_migrations(project):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    project.migration("0002_loans", LOANS, "DROP TABLE loans;")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def snapshot(backend: Backend) -> tuple:
    """The database's schema, as its catalog describes it, and every row of every table."""
    if backend.dialect == "sqlite":
        schema = backend.query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
    else:
        schema = (
            backend.query("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1"),
            backend.query("SELECT table_name, column_name, data_type, is_nullable, column_default "
                          "FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"),
            backend.query("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                          "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"),
            backend.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"),
        )
    data = {table: backend.query(f"SELECT * FROM {table} ORDER BY 1") for table in sorted(backend.tables())}
    return schema, data


def test_restore_gives_back_the_data_and_schema_of_the_backup(project, backend, cli):
    two_migrations(project)
    assert cli("up").returncode == 0
    backend.query("INSERT INTO users (id, email) VALUES (1, 'ada@example.com'), (2, 'bob@example.com')")
    backend.query("INSERT INTO loans (id, user_id, amount) VALUES (10, 1, 2500.50), (11, 2, 99.99)")
    before = snapshot(backend)

    made = cli("backup")
    assert made.returncode == 0, made.stderr
    path = project.root / made.stdout.strip()
    assert path.parent == project.root / "backups"
    assert path.suffix == (".db" if backend.dialect == "sqlite" else ".dump")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700

    backend.query("UPDATE users SET email = 'changed@example.com' WHERE id = 1")
    backend.query("DELETE FROM loans WHERE id = 11")
    backend.query("INSERT INTO users (id, email) VALUES (3, 'eve@example.com')")
    project.migration("0003_audit", AUDIT, "DROP TABLE audit;")
    assert cli("up").returncode == 0
    backend.query("INSERT INTO audit (id, user_id) VALUES (1, 1)")
    assert snapshot(backend) != before

    restored = cli("restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert "database at version 0002" in restored.stdout
    assert snapshot(backend) == before
    again = cli("up")  # the journal came back with the data: 0003 is pending again and applies
    assert again.returncode == 0, again.stderr
    assert "audit" in backend.tables()


def test_sqlite_backup_while_another_process_writes_is_a_consistent_prefix(project, sqlite_backend, tmp_path):
    live = sqlite_backend.sqlite_path
    with sqlite3.connect(live) as conn:  # ~10 MB, so the copy is more than a few pages
        conn.execute("CREATE TABLE ticks (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        conn.executemany("INSERT INTO ticks VALUES (?, randomblob(2000))", [(i,) for i in range(1, 5001)])
    writer_code = textwrap.dedent("""
        import sqlite3, sys
        conn = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
        n = conn.execute("SELECT max(id) FROM ticks").fetchone()[0]
        while True:  # one small transaction per row, ids in commit order
            n += 1
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO ticks VALUES (?, randomblob(2000))", (n,))
            conn.execute("COMMIT")
            if n == 5100:
                print("committed 5100", flush=True)
        """)
    writer = subprocess.Popen([sys.executable, "-c", writer_code, str(live)], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "committed 5100\n"
        made = run_cli("backup", "--out", str(tmp_path / "copy.db"), backend=sqlite_backend, project=project)
        assert writer.poll() is None, "the writer kept writing throughout the backup"
    finally:
        writer.kill()
        writer.wait()
    assert made.returncode == 0, made.stderr
    committed = sqlite_backend.query("SELECT count(*) FROM ticks")[0][0]
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        ids = [row[0] for row in copy.execute("SELECT id FROM ticks ORDER BY id")]
    finally:
        copy.close()
    assert ids == list(range(1, len(ids) + 1))  # a prefix of the writer's commits, no gaps
    assert 5100 <= len(ids) <= committed


def test_sqlite_restore_is_seen_by_a_connection_left_open(project, sqlite_backend, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    cli = lambda *a: run_cli(*a, backend=sqlite_backend, project=project)  # noqa: E731
    assert cli("up").returncode == 0
    sqlite_backend.query("INSERT INTO users VALUES (1, 'ada@example.com')")
    assert cli("backup", "--out", str(tmp_path / "users.db")).returncode == 0
    app = sqlite3.connect(sqlite_backend.sqlite_path)  # an application's connection, open throughout
    try:
        app.execute("INSERT INTO users VALUES (2, 'bob@example.com')")
        app.commit()
        assert app.execute("SELECT count(*) FROM users").fetchone() == (2,)
        restored = cli("restore", str(tmp_path / "users.db"))
        assert restored.returncode == 0, restored.stderr
        assert app.execute("SELECT id FROM users").fetchall() == [(1,)]
    finally:
        app.close()


def test_up_backup_takes_a_backup_before_applying(project, backend, cli):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    assert cli("up").returncode == 0
    backend.query("INSERT INTO users (id, email) VALUES (1, 'ada@example.com')")
    project.migration("0002_loans", LOANS, "DROP TABLE loans;")

    result = cli("up", "--backup")
    assert result.returncode == 0, result.stderr
    assert "loans" in backend.tables()
    backups = list((project.root / "backups").iterdir())
    assert len(backups) == 1 and mode(backups[0]) == 0o600
    assert f"backed up the database to backups/{backups[0].name} before applying 1 migration(s)" in result.stderr

    nothing = cli("up", "--backup")  # nothing pending: no backup
    assert nothing.returncode == 0 and len(list((project.root / "backups").iterdir())) == 1

    restored = cli("restore", str(backups[0]))  # the backup is the database before 0002
    assert restored.returncode == 0, restored.stderr
    assert "database at version 0001" in restored.stdout
    assert "loans" not in backend.tables()
    assert backend.query("SELECT email FROM users") == [("ada@example.com",)]


def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(project, backend, cli):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    assert cli("up").returncode == 0
    backend.query("INSERT INTO users (id, email) VALUES (1, 'ada@example.com')")
    notes = project.write("notes.txt", "not a backup\n")
    for bad in (notes, project.root / "no-such-file.db"):
        result = cli("restore", str(bad))
        assert result.returncode == 2
        assert error_of(result).count("error:") == 1 and "Traceback" not in result.stderr
    assert "not" in error_of(cli("restore", str(notes)))
    assert backend.query("SELECT email FROM users") == [("ada@example.com",)]
    assert [v for v, _, _ in backend.journal()] == [1]


def test_backup_never_overwrites_a_file(project, sqlite_backend):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    assert run_cli("up", backend=sqlite_backend, project=project).returncode == 0
    existing = project.write("keep.db", "precious\n")
    result = run_cli("backup", "--out", str(existing), backend=sqlite_backend, project=project)
    assert result.returncode == 2 and "already exists" in error_of(result)
    assert existing.read_text() == "precious\n"


def test_missing_postgres_tools_are_a_configuration_error(project, pg_backend, pg_cli, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    made = pg_cli("backup", "--out", str(tmp_path / "db.dump"))
    assert made.returncode == 0, made.stderr
    project.migration("0002_loans", LOANS, "DROP TABLE loans;")
    (tmp_path / "empty-bin").mkdir()
    no_tools = runner_env(RUNNER_PG_BIN=str(tmp_path / "empty-bin"))

    backup = pg_cli("backup", env=no_tools)
    assert backup.returncode == 2 and "Traceback" not in backup.stderr
    assert error_of(backup).startswith(f"error: pg_dump was not found in $RUNNER_PG_BIN ({tmp_path / 'empty-bin'}); "
                                       f"install the PostgreSQL {server_major(pg_backend)} client tools")
    assert len(error_of(backup).splitlines()) == 1
    assert not (project.root / "backups").exists()

    up = pg_cli("up", "--backup", env=no_tools)  # no backup, no migration
    assert up.returncode == 2 and error_of(up).startswith("error: pg_dump was not found")
    assert pg_backend.journal() == []

    restore = pg_cli("restore", str(tmp_path / "db.dump"), env=no_tools)
    assert restore.returncode == 2 and error_of(restore).startswith("error: pg_restore and psql were not found")


# -- which pg_dump / pg_restore / psql: at least the server's major version ---------------------------

def server_major(backend: Backend) -> int:
    return int(backend.query("SHOW server_version_num")[0][0]) // 10000


def installed_tool_dirs() -> dict[int, Path]:
    """Every folder of PostgreSQL programs on this machine (Debian's, the wheels'), by major version."""
    found = {}
    for folder in pgtools.debian_bin_dirs() + pgtools.wheel_bin_dirs():
        version = pgtools.version_of(folder / "pg_dump")
        if version and (folder / "pg_restore").exists() and (folder / "psql").exists():
            found.setdefault(version[0], folder)
    return found


def backup_change_restore(project, backend, cli, env) -> None:
    """backup, change a row, restore: the row is back."""
    project.migration("0001_users", USERS, "DROP TABLE users;")
    assert cli("up").returncode == 0
    backend.query("INSERT INTO users (id, email) VALUES (1, 'ada@example.com')")
    made = cli("backup", env=env)
    assert made.returncode == 0, made.stderr
    backend.query("UPDATE users SET email = 'changed@example.com'")
    restored = cli("restore", str(project.root / made.stdout.strip()), env=env)
    assert restored.returncode == 0, restored.stderr
    assert backend.query("SELECT id, email FROM users") == [(1, "ada@example.com")]


def test_tools_older_than_the_server_first_on_path_are_passed_over(project, pg_backend, pg_cli):
    major = server_major(pg_backend)
    older = [folder for version, folder in installed_tool_dirs().items() if version < major]
    if not older:
        pytest.skip(f"no PostgreSQL programs older than {major} on this machine")
    # e.g. an 18 server with Debian's 15 first on PATH: pg_dump 15 would refuse it (server version mismatch)
    env = runner_env(PATH=os.pathsep.join([str(older[0]), os.environ.get("PATH", "")]))
    backup_change_restore(project, pg_backend, pg_cli, env)


def test_tools_newer_than_the_server_back_up_and_restore_it(project, pg_backend, pg_cli):
    major = server_major(pg_backend)
    newer = [folder for version, folder in sorted(installed_tool_dirs().items()) if version > major]
    if not newer:
        pytest.skip(f"no PostgreSQL programs newer than {major} on this machine")
    # e.g. the pgtools extra's 18 against a 15 server: pg_restore 18 writes settings 15 does not know
    backup_change_restore(project, pg_backend, pg_cli, runner_env(RUNNER_PG_BIN=str(newer[-1])))


def test_only_older_tools_is_one_error_line_naming_the_versions(project, pg_backend, pg_cli, tmp_path):
    major = server_major(pg_backend)
    older = {version: folder for version, folder in installed_tool_dirs().items() if version < major}
    if not older:
        pytest.skip(f"no PostgreSQL programs older than {major} on this machine")
    version, folder = min(older.items())
    project.migration("0001_users", USERS, "DROP TABLE users;")
    assert pg_cli("up").returncode == 0
    found = ".".join(map(str, pgtools.version_of(folder / "pg_dump")))
    server = pg_backend.query("SHOW server_version")[0][0].split()[0]

    backup = pg_cli("backup", env=runner_env(RUNNER_PG_BIN=str(folder)))
    assert backup.returncode == 2 and "Traceback" not in backup.stderr
    assert error_of(backup) == (
        f"error: backup needs pg_dump of PostgreSQL {major} or newer (the server is {server}); found only older "
        f"ones: {found} ({folder / 'pg_dump'}); install the PostgreSQL {major} client tools (Debian/Ubuntu: "
        f"apt-get install postgresql-client-{major}) or pip install 'sql-migration-runner[pgtools]', "
        "or set RUNNER_PG_BIN to a folder holding them\n")
    assert not (project.root / "backups").exists()


def test_failed_postgres_restore_changes_nothing(project, pg_database, tmp_path):
    # a backup whose table belongs to a role that no longer exists when it is restored
    role = f"gone_{uuid.uuid4().hex[:8]}"
    url = pg_database
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role}")
        conn.execute("CREATE TABLE t (id integer)")
        conn.execute(f"ALTER TABLE t OWNER TO {role}")
    assert run_cli("backup", "--url", url, "--out", str(tmp_path / "t.dump"), project=project).returncode == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE t")
        conn.execute(f"DROP ROLE {role}")
        conn.execute("CREATE TABLE kept (id integer); INSERT INTO kept VALUES (42)")

    result = run_cli("restore", str(tmp_path / "t.dump"), "--url", url, project=project)
    assert result.returncode == 1
    assert error_of(result).startswith(f'error: restore failed: role "{role}" does not exist; '
                                       "the database was not changed")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT id FROM kept").fetchall() == [(42,)]


def test_pg_tools_get_the_password_in_the_environment_and_asyncpg_settings_as_options():
    from migrator.url import parse

    url = parse("postgresql://app:p%40ss@db.example:5433/shop?sslmode=require&search_path=sales")
    dsn, env = url.libpq_dsn_and_environment()
    assert dsn == "postgresql://app@/shop?host=db.example&port=5433&sslmode=require"
    assert env["PGPASSWORD"] == "p@ss"
    assert env["PGOPTIONS"].endswith("-c search_path=sales")


def test_backup_into_a_folder_that_does_not_exist_is_a_configuration_error(project, sqlite_backend, tmp_path):
    two_migrations(project)
    assert run_cli("up", backend=sqlite_backend, project=project).returncode == 0
    for out in (f"{tmp_path}/newdir/", f"{tmp_path}/newdir/."):
        result = run_cli("backup", f"--out={out}", backend=sqlite_backend, project=project)
        assert result.returncode == 2
        assert error_of(result) == f"error: {out} names a folder that does not exist; create it first, " \
                                   "or give --out a file name\n"
    assert not (tmp_path / "newdir").exists()  # it used to be written as a file named newdir
    (tmp_path / "newdir").mkdir()
    made = run_cli("backup", f"--out={tmp_path}/newdir/", backend=sqlite_backend, project=project)
    assert made.returncode == 0 and [p.suffix for p in (tmp_path / "newdir").iterdir()] == [".db"]
