"""SQLite files a user's environment really produces: not a database, damaged, read-only. Each gets one
`error:` line and a documented exit status, never a traceback, and the file is left as it was."""
from __future__ import annotations

import hashlib
import importlib
import io
import os
import sqlite3
import sys
import tempfile
import traceback
from pathlib import Path

import pytest

from conftest import ROOT, error_of, run_cli

NOBODY = 65534


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", [["status"], ["up"], ["verify"], ["down"]], ids=" ".join)
def test_a_file_that_is_not_a_database_is_a_configuration_error(command, project, tmp_path):
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    junk = tmp_path / "x.db"
    junk.write_bytes(os.urandom(65536))
    before = digest(junk)
    result = run_cli(*command, "--url", f"file:{junk}", project=project)
    assert result.returncode == 2
    assert error_of(result) == f"error: {junk} is not a SQLite database (file is not a database)\n"
    assert "Traceback" not in result.stderr and digest(junk) == before


@pytest.mark.parametrize("command", [["status"], ["up"], ["verify"], ["down", "--all"]], ids=" ".join)
def test_a_damaged_database_names_the_damage_and_changes_nothing(command, tmp_path):
    db = tmp_path / "lending.db"
    assert run_cli("up", "--dir", str(ROOT), "--url", f"file:{db}").returncode == 0
    with open(db, "r+b") as f:  # damaged pages in the middle of the file, its header intact
        f.seek(4096 * 3)
        f.write(os.urandom(4096 * 20))
    before = digest(db)
    result = run_cli(*command, "--dir", str(ROOT), "--url", f"file:{db}")
    assert result.returncode == 1, result.stderr
    assert error_of(result).startswith(f"error: {db} is damaged (database disk image is malformed); nothing was "
                                       "changed: restore it from a backup")
    assert "Traceback" not in result.stderr and digest(db) == before


# -- as a user who may not write ------------------------------------------------------------------

def as_nobody(argv: list[str], cwd: Path) -> tuple[int, str]:
    """`runner ARGV` in a child process that runs as `nobody` (root may write anything); (status, stderr).

    The child cannot read this machine's Python installation under /root once it is `nobody`, so
    what the command will import is imported here first and inherited through fork().
    """
    for module in ("asyncio", "json", "getpass", "socket", "uuid", "difflib", "concurrent.futures.thread",
                   "aiosqlite", "dotenv", "migrator.cli", "migrator.cli.commands", "migrator.cli.output",
                   "migrator.cli.parse", "migrator.engine", "migrator.drivers.sqlite", "migrator.runlog",
                   "migrator.settings", "migrator.datachecks"):
        importlib.import_module(module)
    from migrator import cli

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 99
        try:
            os.dup2(write, 2)
            sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
            os.chdir(cwd)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            status = cli.main(argv)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as err:
        stderr = err.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), stderr


@pytest.fixture
def shared_folder():
    """A folder `nobody` may enter (pytest's own tmp folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="runner-nobody-"))
    os.chmod(folder, 0o755)
    (folder / "sql").mkdir()
    (folder / "sql" / "0001_a.sql").write_text("CREATE TABLE a (id integer);\n")
    (folder / "rollbacks").mkdir()
    (folder / "rollbacks" / "0001_a.sql").write_text("DROP TABLE a;\n")
    for path in folder.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    yield folder
    import shutil
    shutil.rmtree(folder, ignore_errors=True)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switching to `nobody` needs root; as a user the "
                                                           "read-only cases are what the suite's own user meets")


@needs_root
def test_a_read_only_database_file_is_refused_before_any_write(shared_folder):
    db = shared_folder / "app.db"
    sqlite3.connect(db).close()
    os.chmod(db, 0o644)  # root's file: read-only for nobody
    before = digest(db)
    status, stderr = as_nobody(["up", "--url", f"file:{db}"], shared_folder)
    assert status == 2, stderr
    assert stderr == f"error: cannot write SQLite database {db}: the file is read-only for this user\n"
    assert digest(db) == before
    status, stderr = as_nobody(["status", "--url", f"file:{db}"], shared_folder)  # reading is fine
    assert status == 0, stderr


@needs_root
def test_a_new_database_in_a_read_only_folder_is_one_error_line(shared_folder):
    folder = shared_folder / "locked"
    folder.mkdir(mode=0o755)  # root's folder: nobody may not create files in it
    status, stderr = as_nobody(["up", "--url", f"file:{folder / 'app.db'}"], shared_folder)
    assert status == 2
    assert stderr.startswith(f"error: cannot write SQLite database {folder / 'app.db'}: folder {folder} is "
                             "read-only for this user")
    assert "Traceback" not in stderr and "Event loop is closed" not in stderr
    assert list(folder.iterdir()) == []


@needs_root
def test_a_migration_file_the_user_cannot_read_is_one_error_line_naming_it(shared_folder):
    secret = shared_folder / "sql" / "0002_secret.sql"
    secret.write_text("CREATE TABLE secret (id integer);\n")
    os.chmod(secret, 0o600)  # root's alone (tests/test_files.py has this case for a non-root user)
    status, stderr = as_nobody(["status", "--url", f"file:{shared_folder / 'app.db'}"], shared_folder)
    assert status == 2
    assert stderr == "error: sql/0002_secret.sql: cannot read it: Permission denied\n"
