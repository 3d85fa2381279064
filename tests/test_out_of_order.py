"""Two branches merged: a pending version below the newest applied one is refused, unless asked for."""
from __future__ import annotations

import json

from conftest import error_of


def merged_branches(project, cli) -> None:
    project.migration("0001_a", "CREATE TABLE a (id integer);\n", "DROP TABLE a;\n")
    project.migration("0003_c", "CREATE TABLE c (id integer);\n", "DROP TABLE c;\n")
    assert cli("up").returncode == 0
    project.migration("0002_b", "CREATE TABLE b (id integer);\n", "DROP TABLE b;\n")  # from the other branch


def test_up_and_verify_refuse_an_out_of_order_migration_by_default(project, backend, cli):
    merged_branches(project, cli)
    refused = cli("up")
    assert refused.returncode == 3
    assert "out-of-order: 0002_b is pending but older than the newest applied version 0003 " \
           "(`up --allow-out-of-order` applies it)" in refused.stderr
    assert cli("verify").returncode == 3
    assert "b" not in backend.tables()


def test_allow_out_of_order_applies_it_records_it_and_verify_accepts_it(project, backend, cli):
    merged_branches(project, cli)
    result = cli("up", "--allow-out-of-order")
    assert result.returncode == 0, result.stderr
    assert "b" in backend.tables()
    assert backend.query("SELECT version, out_of_order FROM schema_journal ORDER BY version") in (
        [(1, 0), (2, 1), (3, 0)], [(1, False), (2, True), (3, False)])
    assert any("out of order" in (m or "") for (m,) in backend.query(
        "SELECT message FROM schema_journal_events WHERE version = 2"))
    status = json.loads(cli("status", "--json").stdout)
    assert [(m["version"], m["out_of_order"]) for m in status["migrations"]] == [(1, False), (2, True), (3, False)]
    assert "applied (out of order)" in cli("status").stdout
    assert cli("verify", "--strict").returncode == 0
    assert cli("up").returncode == 0


def test_other_problems_still_block_with_allow_out_of_order(project, backend, cli):
    merged_branches(project, cli)
    project.write("sql/0001_a.sql", "CREATE TABLE a (id bigint);\n")
    result = cli("up", "--allow-out-of-order")
    assert result.returncode == 3 and "modified: 0001_a" in error_of(result)
    assert "b" not in backend.tables()
