"""The repository's own AssetLender migrations, rollbacks and seeds, on every backend."""
from decimal import Decimal

import pytest

from conftest import JOURNAL_TABLES, ROOT, run_cli

KPIS = {
    "total_applications": 12, "approved_applications": 6, "approval_rate": Decimal("0.75"),
    "funded_applications": 4, "funded_volume": 1000000, "payments_due": 16, "late_payments": 4,
    "delinquency_rate": Decimal("0.25"), "overdue_amount": 10000,
}


def cli(backend, *args):
    result = run_cli(*args, "--dir", str(ROOT), backend=backend)
    assert result.returncode == 0, result.stderr
    return result


def schema(backend) -> list[tuple]:
    """Every schema object with its definition, from the database's own catalog."""
    if backend.dialect == "sqlite":
        return backend.query("SELECT type, name, tbl_name, sql FROM sqlite_master "
                             "WHERE name NOT LIKE 'schema_journal%' AND name NOT LIKE 'sqlite_%' ORDER BY 1, 2")
    return (
        backend.query("SELECT table_name, column_name, data_type, column_default, is_nullable "
                      "FROM information_schema.columns WHERE table_schema = 'public' "
                      "AND table_name NOT LIKE 'schema_journal%' ORDER BY 1, ordinal_position")
        + backend.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                        "AND tablename NOT LIKE 'schema_journal%' ORDER BY 1")
        + backend.query("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text "
                        "NOT LIKE 'schema_journal%' ORDER BY 1, 2")
        + backend.query("SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1")
    )


def kpis(backend) -> dict:
    columns = list(KPIS)
    row = backend.query(f"SELECT {', '.join(columns)} FROM kpi_summary")[0]
    return dict(zip(columns, row))


def test_up_seed_gives_the_documented_kpis_and_seeding_again_changes_nothing(backend):
    cli(backend, "up")
    cli(backend, "seed")
    assert kpis(backend) == KPIS
    users = backend.query("SELECT count(*) FROM users")
    cli(backend, "seed")
    assert kpis(backend) == KPIS and backend.query("SELECT count(*) FROM users") == users
    lender = backend.query("SELECT full_name, company_name, role, password_hash FROM users "
                           "WHERE email = 'lender@demo.com'")
    assert lender[0][:3] == ("Demo Lender", "Capital Lending Group", "lender")
    assert lender[0][3].startswith("$2b$10$")


def test_every_rollback_is_a_true_inverse_and_down_all_leaves_nothing(backend):
    versions = sorted(int(p.name[:4]) for p in (ROOT / "sql").glob("*.sql"))
    before = {}
    for version in sorted(set(versions)):
        before[version] = schema(backend)
        cli(backend, "up", "--to", str(version))
    for version in sorted(set(versions), reverse=True):
        cli(backend, "down")
        assert schema(backend) == before[version], f"rollback of {version:04d} is not an inverse"
    assert backend.tables() == JOURNAL_TABLES
    cli(backend, "up")
    assert backend.journal()[-1][0] == max(versions)


def test_table_recreation_keeps_child_rows_of_cascading_foreign_keys(backend):
    cli(backend, "up")
    cli(backend, "seed")
    children = ("application_invites", "loan_payment_schedules", "collateral_assets", "notifications")
    counts = {t: backend.query(f"SELECT count(*) FROM {t}")[0][0] for t in children}
    assert all(counts.values()), counts
    cli(backend, "down", "--to", "10")   # undo 0011 (the recreation) and everything after it
    cli(backend, "up")
    assert {t: backend.query(f"SELECT count(*) FROM {t}")[0][0] for t in children} == counts
    if backend.dialect == "sqlite":
        assert backend.query("PRAGMA foreign_key_check") == []


@pytest.mark.parametrize("scale", [2500])
def test_volume_seed_runs_only_when_named_and_scales(backend, scale):
    cli(backend, "up")
    cli(backend, "seed")
    before = backend.query("SELECT count(*) FROM loan_applications")[0][0]
    cli(backend, "seed", "volume", "--scale", str(scale))
    assert backend.query("SELECT count(*) FROM loan_applications")[0][0] == before + scale
    cli(backend, "seed", "volume", "--scale", str(scale))
    assert backend.query("SELECT count(*) FROM loan_applications")[0][0] == before + scale


def test_readme_main_command_prints_the_kpis(tmp_path):
    import subprocess
    import sys
    db = tmp_path / "dev.db"
    for args in (["up"], ["seed"]):
        assert run_cli(*args, "--dir", str(ROOT), "--url", f"file:{db}").returncode == 0
    out = subprocess.run([sys.executable, str(ROOT / "scripts/kpis.py"), f"--url=file:{db}"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "applications: 12" in out.stdout and "approval rate: 75.0%" in out.stdout
