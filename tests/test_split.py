"""Statement splitting by each database's own rules, with the line each statement starts on."""
import pytest

from migrator.errors import StatementError
from migrator.split import line_of, split_postgres, split_sqlite


def test_sqlite_split_keeps_trigger_bodies_strings_and_comments_whole():
    script = (
        "CREATE TABLE t (a TEXT DEFAULT 'x;y'); -- trailing; comment\n"
        "/* block; comment */\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
        "  UPDATE t SET a = 'p;q';\n"
        "  DELETE FROM t WHERE a = ';';\n"
        "END;\n"
        "INSERT INTO t VALUES ('it''s; fine')"
    )
    statements = split_sqlite(script)
    assert [s.sql.split()[0] for s in statements] == ["CREATE", "CREATE", "INSERT"]
    assert statements[1].sql.endswith("END;")
    assert [line_of(script, s.offset) for s in statements] == [1, 3, 7]


def test_sqlite_split_two_statements_on_one_line():
    assert [s.sql for s in split_sqlite("SELECT 1; SELECT 2;")] == ["SELECT 1;", "SELECT 2;"]


def test_sqlite_split_ignores_comment_only_files():
    assert split_sqlite("-- nothing here;\n/* nor ; here */\n") == []


def test_postgres_split_uses_the_parser_for_dollar_quotes():
    script = (
        "CREATE INDEX CONCURRENTLY i ON t (a);\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n"
        "-- a comment; with a semicolon\n"
        "DROP INDEX CONCURRENTLY i;"
    )
    statements = split_postgres(script)
    assert len(statements) == 3
    assert [line_of(script, s.offset) for s in statements] == [1, 2, 4]


def test_postgres_split_reports_a_syntax_error_with_its_place():
    with pytest.raises(StatementError) as info:
        split_postgres("SELECT 1;\nSELEC 2;")
    assert info.value.offset == 10
