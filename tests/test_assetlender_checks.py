"""The repository's own AssetLender migrations pass `check` on every backend, and `lint`."""
import json

import pytest

from conftest import ROOT, run_cli

pytestmark = pytest.mark.all_pg_versions  # check on a real schema: see tests/pg_servers.py


def test_every_assetlender_rollback_restores_the_exact_schema(backend):
    done = run_cli("check", "--dir", str(ROOT), backend=backend)
    assert done.returncode == 0, done.stdout + done.stderr
    versions = sorted({p.name[:4] for p in (ROOT / "sql").glob("*.sql")})
    lines = done.stdout.splitlines()
    assert [line[8:12] for line in lines[:len(versions)]] == versions
    assert all(line.startswith("ok      ") for line in lines)
    if list((ROOT / "sql" / "repeatable").glob("*.sql")):
        assert lines[-1].startswith("ok      sql/repeatable/")


def test_assetlender_migrations_have_no_lint_errors():
    done = run_cli("lint", "--json", "--dir", str(ROOT))
    report = json.loads(done.stdout)
    assert report["squawk"] is not None
    errors = {(f["file"], f["rule"]) for f in report["findings"] if f["severity"] == "error"}
    assert errors == set()


def test_the_contract_step_refuses_to_drop_a_name_the_dual_write_got_wrong(backend):
    """checks/0013_drop_users_name_parts.sql: the guide's pre-migration check, inside the migration."""
    assert run_cli("up", "--to", "12", "--dir", str(ROOT), backend=backend).returncode == 0
    backend.query("INSERT INTO users (id, email, first_name, last_name, full_name, role, password_hash, created_at, "
                  "updated_at) VALUES ('u-x', 'x@example.com', 'Ada', 'Byron', 'Ada Lovelace', 'borrower', 'h', "
                  "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")
    result = run_cli("up", "--dir", str(ROOT), backend=backend)
    assert result.returncode == 1
    assert "checks/0013_drop_users_name_parts.sql:7: before-check failed: 1 row(s), e.g. ('u-x', 'Ada', " \
           "'Byron', 'Ada Lovelace')" in result.stderr
    assert "first_name" in {c for (c,) in backend.query(
        "SELECT name FROM pragma_table_info('users')" if backend.dialect == "sqlite" else
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'")}
