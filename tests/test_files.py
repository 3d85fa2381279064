"""Discovery of sql/, rollbacks/ and seeds/: names, variants, checksums, directives."""
import hashlib

from migrator.files import discover, normalise
from migrator.model import ProblemKind, directives


def kinds(project_dir, dialect="sqlite"):
    return sorted(p.kind.value for p in discover(project_dir, dialect).problems)


def test_versions_are_integers_in_order(project):
    project.migration("0010_ten", "SELECT 10;", "SELECT 0;")
    project.migration("2_two", "SELECT 2;", "SELECT 0;")
    project.migration("20251016120000_stamp", "SELECT 3;", "SELECT 0;")
    found = discover(project.root, "sqlite")
    assert [(m.version, m.name) for m in found.migrations] == [(2, "two"), (10, "ten"), (20251016120000, "stamp")]
    assert found.problems == []


def test_checksum_ignores_bom_and_line_endings(project):
    project.write("sql/0001_lf.sql", "CREATE TABLE a (x INT);\nSELECT 1;\n")
    project.write("sql/0002_crlf.sql", "CREATE TABLE a (x INT);\nSELECT 1;\n", newline="\r\n")
    (project.root / "sql/0003_bom.sql").write_bytes(b"\xef\xbb\xbfCREATE TABLE a (x INT);\rSELECT 1;\r")
    sums = {m.name: m.up.checksum for m in discover(project.root, "sqlite").migrations}
    expected = hashlib.sha256(b"CREATE TABLE a (x INT);\nSELECT 1;\n").hexdigest()
    assert sums == {"lf": expected, "crlf": expected, "bom": expected}


def test_normalise_turns_every_line_ending_into_lf():
    assert normalise(b"\xef\xbb\xbfa\r\nb\rc\n") == "a\nb\nc\n"


def test_dialect_variant_replaces_the_plain_file(project):
    project.migration("0001_x", "SELECT 'plain';", "SELECT 'plain down';")
    project.write("sql/0001_x.postgres.sql", "SELECT 'pg';")
    project.write("rollbacks/0001_x.postgres.sql", "SELECT 'pg down';")
    project.write("sql/0002_only_pg.postgres.sql", "SELECT 2;")
    project.write("rollbacks/0002_only_pg.postgres.sql", "SELECT 2;")
    sqlite = discover(project.root, "sqlite")
    pg = discover(project.root, "postgres")
    assert [(m.version, m.up.sql) for m in sqlite.migrations] == [(1, "SELECT 'plain';")]
    assert [(m.version, m.up.sql, m.rollback.sql) for m in pg.migrations] == [
        (1, "SELECT 'pg';", "SELECT 'pg down';"), (2, "SELECT 2;", "SELECT 2;")]
    assert sqlite.problems == [] and pg.problems == []


def test_duplicate_versions_bad_names_and_orphan_rollbacks_are_problems(project):
    project.migration("0001_a", "SELECT 1;", "SELECT 1;")
    project.migration("0001_b", "SELECT 1;", "SELECT 1;")
    project.write("sql/create users.sql", "SELECT 1;")
    project.write("rollbacks/0007_nothing.sql", "SELECT 1;")
    assert kinds(project.root) == ["bad-name", "duplicate", "duplicate", "orphan-rollback"]


def test_files_that_are_not_sql_are_ignored(project):
    project.write("sql/README.md", "notes")
    project.write("sql/repeatable/kpi.sql", "SELECT 1;")
    assert kinds(project.root) == []


def test_seeds_are_discovered_with_variants(project):
    project.write("seeds/0001_demo.sql", "SELECT 1;")
    project.write("seeds/0002_volume.sqlite.sql", "SELECT 2;")
    project.write("seeds/0002_volume.postgres.sql", "SELECT 3;")
    assert [(s.label, s.script.sql) for s in discover(project.root, "postgres").seeds] == [
        ("0001_demo", "SELECT 1;"), ("0002_volume", "SELECT 3;")]


def test_directives_are_read_from_leading_comments_only():
    assert directives("-- runner: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);") == {"no-transaction"}
    assert directives("-- about this file\n\n--   Runner:  No-Transaction \nSELECT 1;") == {"no-transaction"}
    assert directives("SELECT 1;\n-- runner: no-transaction") == set()


def test_missing_rollback_is_not_a_discovery_problem(project):
    project.migration("0001_a", "SELECT 1;")
    found = discover(project.root, "sqlite")
    assert found.problems == [] and found.migrations[0].rollback is None
    assert ProblemKind.MISSING_ROLLBACK.value == "missing-rollback"
