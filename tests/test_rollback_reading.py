"""Rollback files are read when first needed, so `status` stays cheap, yet a bad one still stops
`up` before the database changes."""
from __future__ import annotations


def with_bad_rollback(project) -> None:
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    project.migration("0002_b", "CREATE TABLE b (id integer);\n")
    (project.root / "rollbacks" / "0002_b.sql").write_bytes(b"DROP TABLE b; -- caf\xe9 in Latin-1\n")


def test_up_refuses_a_rollback_file_that_is_not_utf8_before_changing_anything(cli, backend, project):
    with_bad_rollback(project)
    done = cli("up")
    assert done.returncode == 2
    assert "error: rollbacks/0002_b.sql: not UTF-8 text" in done.stderr
    assert "Traceback" not in done.stderr
    assert not {"a", "b"} & backend.tables()


def test_status_does_not_read_rollback_files_but_verify_does(cli, backend, project):
    with_bad_rollback(project)
    status = cli("status")
    assert status.returncode == 0
    assert "0002" in status.stdout
    verify = cli("verify")
    assert verify.returncode == 2
    assert "rollbacks/0002_b.sql: not UTF-8 text" in verify.stderr
