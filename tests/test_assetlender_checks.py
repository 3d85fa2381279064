"""The repository's own AssetLender migrations pass `check` on every backend, and `lint`."""
import json

from conftest import ROOT, run_cli

# Reported to the migrations' author; each needs a decision in the SQL file, not in the linter:
# 0011 (PostgreSQL) adds a CHECK constraint without NOT VALID, scanning loan_applications under an
# ACCESS EXCLUSIVE lock; 0013 drops first_name / last_name without a `-- backup:` note saying that
# users.full_name keeps them. Empty this set when they are resolved.
KNOWN_ERRORS = {
    ("sql/0011_add_withdrawn_status.postgres.sql", "constraint-missing-not-valid"),
    ("rollbacks/0011_add_withdrawn_status.postgres.sql", "constraint-missing-not-valid"),
    ("sql/0013_drop_users_name_parts.sql", "drop-without-backup"),
}


def test_every_assetlender_rollback_restores_the_exact_schema(backend):
    done = run_cli("check", "--dir", str(ROOT), backend=backend)
    assert done.returncode == 0, done.stdout + done.stderr
    versions = sorted({p.name[:4] for p in (ROOT / "sql").glob("*.sql")})
    lines = done.stdout.splitlines()
    assert [line[8:12] for line in lines[:len(versions)]] == versions
    assert all(line.startswith("ok      ") for line in lines)
    if list((ROOT / "sql" / "repeatable").glob("*.sql")):
        assert lines[-1].startswith("ok      sql/repeatable/")


def test_assetlender_migrations_have_no_lint_errors_beyond_the_reported_ones():
    done = run_cli("lint", "--json", "--dir", str(ROOT))
    report = json.loads(done.stdout)
    assert report["squawk"] is not None
    errors = {(f["file"], f["rule"]) for f in report["findings"] if f["severity"] == "error"}
    assert errors == KNOWN_ERRORS
