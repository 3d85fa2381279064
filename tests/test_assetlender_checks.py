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
