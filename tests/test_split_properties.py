"""Properties of statement splitting, on generated scripts, against each database's own tokenizer.

SQLite: the splitter must agree exactly with asking `sqlite3.complete_statement` at every `;` of
the growing statement (the old, quadratic way, kept here as the oracle). PostgreSQL: with
pglast's statements. On scripts built from known statements (strings, quoted names, comments,
dollar quotes and trigger bodies full of `;`), the pieces are exactly those statements.
"""
from __future__ import annotations

import re
import sqlite3
import time

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from pglast import parser

from migrator.errors import StatementError
from migrator.split import Statement, code_start, split_postgres, split_sqlite


def complete_statement_oracle(script: str) -> list[Statement]:
    """Where sqlite3.complete_statement says each statement ends (quadratic; small inputs only)."""
    statements, start = [], 0

    def add(end: int) -> None:
        first = code_start(script, start, end)
        if first is not None and script[first:end].strip() != ";":
            statements.append(Statement(first, script[first:end]))

    for end in (i + 1 for i, ch in enumerate(script) if ch == ";"):
        if sqlite3.complete_statement(script[start:end]):
            add(end)
            start = end
    add(len(script))
    return statements


def assert_pieces_of(script: str, pieces: list[Statement]) -> list[str]:
    """Each piece is the script's text at its offset, in order, never overlapping; returns the gaps."""
    gaps, at = [], 0
    for piece in pieces:
        assert piece.sql and script[piece.offset:piece.offset + len(piece.sql)] == piece.sql
        assert piece.offset >= at
        gaps.append(script[at:piece.offset])
        at = piece.offset + len(piece.sql)
    gaps.append(script[at:])
    rebuilt = "".join(g + p.sql for g, p in zip(gaps, pieces)) + gaps[-1]
    assert rebuilt == script
    return gaps


# -- generated text -------------------------------------------------------------------------------

# Fragments that matter to a SQL lexer, so that random scripts are full of near misses.
FRAGMENTS = [";", "'", "''", '"', "`", "[", "]", "-", "--", "/", "/*", "*/", "*", "\n", " ", "\t", "$", "$$",
             "$a$", "E'", "\\", "a", "1", "é", "END", "end", "BEGIN", "CREATE", "TRIGGER", "TEMP", "EXPLAIN",
             "CASE", "SELECT", " tr AFTER INSERT ON t "]
not_nul = st.characters(codec="utf-8", exclude_characters="\x00")  # split refuses a NUL or a lone surrogate
no_nul = st.text(not_nul)
soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(not_nul, max_size=3)), max_size=60).map("".join)


def free_text(forbidden: str, *, min_size: int = 0):
    """Text rich in `;`, quotes and comment markers, without the characters in `forbidden`."""
    pieces = st.one_of(st.sampled_from([";", "'", '"', "`", "--", "/*", "*/", "\n", "END;", "$$", " ", "é"]),
                       st.text(max_size=4))
    return (st.lists(pieces, max_size=12).map("".join)
            .map(lambda s: "".join(ch for ch in s if ch not in forbidden + "\x00"))
            .filter(lambda s: len(s) >= min_size))


# -- SQLite ---------------------------------------------------------------------------------------

@given(soup)
@example("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END; SELECT 2;")
@example("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END /* x */ ; SELECT 2;")
@example("CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT CASE WHEN 1 THEN 2 END; END; SELECT 3;")
@example("SELECT 'unterminated; SELECT 2;")
@example("SELECT 1 /* open; SELECT 2;")
def test_sqlite_split_agrees_with_complete_statement(script):
    assert split_sqlite(script) == complete_statement_oracle(script)


@given(no_nul)
def test_sqlite_split_of_any_text_is_pieces_of_it(script):
    pieces = split_sqlite(script)
    assert pieces == complete_statement_oracle(script)
    for gap in assert_pieces_of(script, pieces):
        assert complete_statement_oracle(gap) == []  # between pieces: only whitespace, comments, `;`


sqlite_literal = st.one_of(
    free_text("'").map(lambda s: f"'{s}'"),
    free_text('"').map(lambda s: f'"{s}"'),
    free_text("`").map(lambda s: f"`{s}`"),
    free_text("]").map(lambda s: f"[{s}]"),
    st.just("'it''s; fine'"),
)
comment = st.one_of(free_text("\n").map(lambda s: f"--{s}\n"), free_text("*").map(lambda s: f"/*{s}*/"))


def select_of(parts: list[str]) -> str:
    """SELECT of the literals, each comment before a 1: the statement never ends in a comment."""
    return "SELECT " + " || ".join(f"{p} 1" if p.startswith(("--", "/*")) else p for p in parts)


sqlite_simple = st.lists(st.one_of(sqlite_literal, comment), min_size=1, max_size=4).map(lambda p: select_of(p) + ";")
sqlite_trigger = st.lists(sqlite_simple, min_size=1, max_size=4).map(
    lambda body: "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  " + "\n  ".join(body) + "\nEND;")
separator = st.lists(st.one_of(st.sampled_from([" ", "\n", "\t", ";", "\n;\n"]), comment), max_size=3).map("".join)


@given(st.lists(st.tuples(separator, st.one_of(sqlite_simple, sqlite_trigger)), max_size=6), separator)
def test_sqlite_split_returns_exactly_the_statements_a_script_was_built_from(parts, tail):
    script, expected = "", []
    for sep, statement in parts:
        script += sep
        expected.append(Statement(len(script), statement))
        script += statement
    script += tail
    assert split_sqlite(script) == expected
    for statement in expected:
        assert sqlite3.complete_statement(statement.sql)


# -- PostgreSQL -----------------------------------------------------------------------------------

def pglast_pieces(script: str) -> list[Statement]:
    return [Statement(s.start, script[s.start:s.stop])
            for s in parser.split(script, with_parser=True, only_slices=True)]


@given(st.one_of(soup, st.text()))
@example("END--\x1f")
def test_postgres_split_is_pglast_or_a_statement_error(script):
    unreadable = re.search(r"[\x00\ud800-\udfff]", script)
    if unreadable:  # pglast would stop reading at a NUL, and cannot encode a lone surrogate
        with pytest.raises(StatementError) as refused:
            split_postgres(script)
        assert refused.value.offset == unreadable.start()
        return
    try:
        pieces = split_postgres(script)
    except StatementError as exc:
        assert exc.offset is None or 0 <= exc.offset <= len(script)
        with pytest.raises(parser.ParseError):
            pglast_pieces(script)
        return
    assert pieces == pglast_pieces(script)
    for gap in assert_pieces_of(script, pieces):
        # between pieces: only whitespace, comments, `;` (pglast trims what Python calls whitespace,
        # such as \x1f, which PostgreSQL's lexer does not skip: such a gap is left to the server)
        assert not gap.strip() or parser.split(gap) == ()


def dollar_quoted(body: str, tag: str) -> str:
    return f"${tag}${body}${tag}$"


pg_tag = st.sampled_from(["", "x", "body", "_1"])
pg_literal = st.one_of(
    free_text("'\\").map(lambda s: f"'{s}'"),
    free_text('"', min_size=1).map(lambda s: f'"{s}"'),
    st.tuples(free_text("$"), pg_tag).map(lambda bt: dollar_quoted(*bt)),
    st.just("'it''s; fine'"),
)
pg_comment = st.one_of(free_text("\n\r").map(lambda s: f"--{s}\n"),
                       free_text("*/").map(lambda s: f"/*{s}*/"))
pg_simple = st.lists(st.one_of(pg_literal, pg_comment), min_size=1, max_size=4).map(select_of)
pg_function = st.tuples(st.lists(pg_simple, min_size=1, max_size=3)).map(
    lambda bt: "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS "
               + dollar_quoted(" BEGIN " + " ".join(f"PERFORM {s[len('SELECT '):]};" for s in bt[0]) + " END ", "fn"))
pg_separator = st.lists(st.one_of(st.sampled_from([" ", "\n", ";", "\n;\n"]), pg_comment), max_size=3).map("".join)


@given(st.lists(st.tuples(pg_separator, st.one_of(pg_simple, pg_function)), max_size=6), pg_separator)
def test_postgres_split_returns_exactly_the_statements_a_script_was_built_from(parts, tail):
    script, expected = "", []
    for sep, statement in parts:
        script += ";\n" + sep if script else sep
        expected.append(Statement(len(script), statement))
        script += statement
    script += ";" + tail
    assert split_postgres(script) == expected


PIECE_EXAMPLES = [
    "SELECT 1 -- x;\nSELECT 2;\nSELECT 3;\n",  # a cut in a line comment would make two good pieces of a bad script
    "SELECT 'a;\nb;\nc';\nSELECT 2;\n",
    "SELECT 1 /* a;\n b; */;\nSELECT 2;\n",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\nSELECT 1;\nSELECT 2;\nEND;\nSELECT 3;\n",
    "CREATE RULE r AS ON INSERT TO t DO ALSO (\nINSERT INTO u VALUES (1);\nDELETE FROM v;\n);\nSELECT 1;\n",
    "DO $$BEGIN\nPERFORM 1;\nEND$$;\nSELECT \"a;\nb\";\nSELECT 2;\n",
    "SELECT 1;\n-- only a comment;\nSELECT 2;\n",
]


@given(st.one_of(soup, st.text(not_nul), st.sampled_from(PIECE_EXAMPLES)), st.integers(min_value=1, max_value=30))
def test_a_script_parsed_in_pieces_splits_as_when_parsed_whole(script, piece_chars):
    from migrator.split import postgres_pieces
    if re.search(r"[\ud800-\udfff]", script):
        return  # refused before parsing (tested above)
    try:
        whole = pglast_pieces(script)
    except parser.ParseError:
        with pytest.raises(StatementError):
            list(postgres_pieces(script, piece_chars))
        return
    assert [s for piece in postgres_pieces(script, piece_chars) for s in piece] == whole


# -- linear time ----------------------------------------------------------------------------------
# Not speed measurements (bench/ has those): the bound is far above the split's time (~0.02 s), so a
# busy machine does not fail it, and far below the quadratic split's (48 s), so its return does.
HANG = 5.0


@pytest.mark.parametrize("split", [split_sqlite, split_postgres], ids=["sqlite", "postgres"])
def test_800_kb_of_semicolons_in_a_string_split_in_linear_time(split):
    script = "CREATE TABLE t (a text);\nINSERT INTO t VALUES ('" + "a;" * 400_000 + "');\nSELECT 1;\n"
    started = time.perf_counter()
    pieces = split(script)
    assert time.perf_counter() - started < HANG  # took 48 s on SQLite when it was quadratic; 0.02 s now
    assert len(pieces) == 3 and len(pieces[1].sql) > 800_000


def test_a_trigger_with_thousands_of_statements_splits_in_linear_time():
    script = "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n" + "UPDATE t SET a = ';';\n" * 20_000 + "END;\nSELECT 1;"
    started = time.perf_counter()
    pieces = split_sqlite(script)
    assert time.perf_counter() - started < HANG
    assert [p.sql[:14] for p in pieces] == ["CREATE TRIGGER", "SELECT 1;"]


@pytest.mark.parametrize("split", [split_sqlite, split_postgres], ids=["sqlite", "postgres"])
@pytest.mark.parametrize("character", ["\x00", "\udcff"], ids=["NUL", "lone surrogate"])
def test_text_the_database_cannot_read_is_a_statement_error_at_its_place(split, character):
    with pytest.raises(StatementError) as info:
        split(f"SELECT 1;\nSELECT '{character}';")
    assert info.value.offset == 18
