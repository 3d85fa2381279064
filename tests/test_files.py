"""Discovery of sql/, rollbacks/ and seeds/: names, variants, checksums, directives."""
import hashlib
import os

import pytest

from migrator.errors import ConfigError
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


def problems_of(project_dir, dialect="sqlite"):
    return [p.message for p in discover(project_dir, dialect).problems]


def test_a_version_too_large_for_the_journal_is_a_bad_name_found_at_discovery(project):
    project.migration("0001_first", "SELECT 1;", "SELECT 1;")
    project.migration("1234567890123456789012345_huge", "SELECT 2;", "SELECT 2;")
    project.migration("9223372036854775807_largest", "SELECT 3;", "SELECT 3;")  # 2**63 - 1 still fits
    found = discover(project.root, "sqlite")
    assert [m.version for m in found.migrations] == [1, 9223372036854775807]
    assert [p.kind.value for p in found.problems] == ["bad-name", "bad-name"]  # sql/ and rollbacks/
    assert found.problems[0].message.startswith(
        "sql/1234567890123456789012345_huge.sql: version 1234567890123456789012345 is too large: "
        "a version must fit a signed 64-bit integer")
    assert found.problems[1].message.startswith("rollbacks/1234567890123456789012345_huge.sql: ")


def test_duplicate_versions_name_the_files(project):
    project.migration("0002_alpha", "SELECT 1;", "SELECT 1;")
    project.migration("2_beta", "SELECT 1;", "SELECT 1;")
    assert "version 2 is used by more than one name: sql/0002_alpha.sql, sql/2_beta.sql" in problems_of(project.root)


def test_the_same_version_and_name_twice_names_the_files(project):
    project.write("sql/0003_x.sql", "SELECT 1;")
    project.write("sql/00003_x.sql", "SELECT 1;")
    assert problems_of(project.root) == ["version 3 has several files: sql/00003_x.sql, sql/0003_x.sql"]


def test_a_symbolic_link_that_leads_nowhere_is_reported(project):
    (project.root / "sql/0001_gone.sql").symlink_to("../shared/0001_gone.sql")
    (project.root / "sql/repeatable").mkdir()
    (project.root / "sql/repeatable/view.sql").symlink_to("missing.sql")
    assert problems_of(project.root) == [
        "sql/0001_gone.sql: a symbolic link to ../shared/0001_gone.sql, which does not exist",
        "sql/repeatable/view.sql: a symbolic link to missing.sql, which does not exist"]


def test_a_loop_of_symbolic_links_is_reported(project):
    (project.root / "sql/0001_loop.sql").symlink_to("0001_loop.sql")
    assert problems_of(project.root) == ["sql/0001_loop.sql: cannot be read (Too many levels of symbolic links)"]


def test_a_file_name_that_is_not_utf8_or_has_a_newline_is_reported_on_one_printable_line(project):
    open(bytes(project.root / "sql") + b"/0001_caf\xe9.sql", "w").close()
    project.write("sql/0002_two\nlines.sql", "SELECT 1;")
    assert sorted(problems_of(project.root)) == [
        "sql/0001_caf\\xe9.sql: name must be <version>_<name>.sql "
        "(digits, underscore, letters/digits/_/-, optional .sqlite or .postgres)",
        "sql/0002_two\\nlines.sql: name must be <version>_<name>.sql "
        "(digits, underscore, letters/digits/_/-, optional .sqlite or .postgres)"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_a_configuration_error_naming_it(project):
    path = project.write("sql/0001_secret.sql", "SELECT 1;")
    path.chmod(0)
    with pytest.raises(ConfigError, match=r"^sql/0001_secret.sql: cannot read it: Permission denied$"):
        discover(project.root, "sqlite")


def test_up_refuses_a_version_too_large_before_applying_anything(cli, project, backend):
    # It used to apply 0001 and then fail: SQLite OverflowError, PostgreSQL "bigint out of range".
    project.migration("0001_first", "CREATE TABLE first (id INT);", "DROP TABLE first;")
    project.migration("1234567890123456789012345_huge", "CREATE TABLE huge (id INT);", "DROP TABLE huge;")
    result = cli("up")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "sql/1234567890123456789012345_huge.sql: version 1234567890123456789012345 is too large" in result.stderr
    assert backend.journal() == [] and "first" not in backend.tables()


def test_a_file_with_a_nul_character_is_a_configuration_error_naming_its_line(project):
    (project.root / "sql/0001_binary.sql").write_bytes(b"SELECT 1;\nSELECT 2;\x00\n")
    with pytest.raises(ConfigError, match=r"^sql/0001_binary.sql:2: a NUL character; is it a binary file\?$"):
        discover(project.root, "sqlite")
