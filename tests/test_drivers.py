"""The driver conformance suite: what every driver must do, on a real database each.

A driver runs a Unit (one transaction of ops, in order) in as few trips as it can, runs a query,
runs SQL outside any transaction and makes units durable. Every driver (sqlite, asyncpg,
psycopg) passes every test here; the engine relies on nothing else.
"""
from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest

from conftest import wait_until
from migrator.drivers import ELAPSED_MS, Check, Guard, Integrity, Lock, Script, Sql, Unit, open_driver
from migrator.errors import CheckFailed, LockTimeout, StatementError
from migrator.journal import queries
from migrator import split
from migrator.split import line_of
from migrator.url import parse


@pytest.fixture
async def driver(backend):
    db = await open_driver(parse(backend.url), lock_wait=0.3)
    yield db
    await db.close()


def lock(backend) -> list[Sql]:
    return [Lock(sql) for sql in queries(backend.dialect).get("lock", [])]


async def test_a_unit_runs_its_ops_in_order_and_commits(driver, backend):
    outcome = await driver.run_unit(Unit((
        *lock(backend),
        Script("CREATE TABLE t (id integer, note text);\nINSERT INTO t VALUES (1, 'a; b');\n"),
        Sql("INSERT INTO t VALUES (:id, :note)", {"id": 2, "note": "it's \\ E'x'"}),
        Integrity(),
    )))
    await driver.flush()
    assert not outcome.skipped
    assert backend.query("SELECT id, note FROM t ORDER BY id") == [(1, "a; b"), (2, "it's \\ E'x'")]


async def test_a_failing_statement_names_its_op_and_offset_and_leaves_nothing(driver, backend):
    script = "CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1);\nINSERT INTO nowhere VALUES (1);\n"
    with pytest.raises(StatementError) as caught:
        await driver.run_unit(Unit((*lock(backend), Sql("SELECT 1"), Script(script))))
    assert caught.value.op == len(lock(backend)) + 1
    assert line_of(script, caught.value.offset) == 3
    assert "nowhere" in caught.value.message
    await driver.flush()
    assert "t" not in backend.tables()


async def test_a_failure_without_a_position_is_located_in_the_script(driver, backend):
    """`DROP TABLE missing` carries no position on PostgreSQL: the driver finds the statement."""
    script = "".join(f"CREATE TABLE t{i} (id integer);\n" for i in range(40)) + "DROP TABLE missing;\nSELECT 1;\n"
    with pytest.raises(StatementError) as caught:
        await driver.run_unit(Unit((*lock(backend), Script(script))))
    assert script[caught.value.offset:].startswith("DROP TABLE missing")
    await driver.flush()
    assert not {f"t{i}" for i in range(40)} & backend.tables()


@pytest.mark.parametrize("failing", [0, 37, 199])
async def test_a_long_script_is_located_piece_by_piece_running_each_earlier_statement_once(
        driver, backend, monkeypatch, failing):
    """A file of many pieces (the parser's unit of work) failing without a position, in its first,
    a middle or its last statement: the failing statement is named, and no earlier statement ran
    twice (an INSERT run twice would be reported as a duplicate key instead)."""
    monkeypatch.setattr(split, "PIECE_CHARS", 300)
    statements = [f"INSERT INTO t VALUES ({i});" for i in range(200)]
    statements[failing] = "DROP TABLE missing;"
    script = "CREATE TABLE t (id integer PRIMARY KEY);\n" + "\n".join(statements) + "\n"
    with pytest.raises(StatementError) as caught:
        await driver.run_unit(Unit((*lock(backend), Script(script), Integrity())))
    assert "missing" in caught.value.message
    assert caught.value.op == len(lock(backend))
    assert line_of(script, caught.value.offset) == failing + 2
    await driver.flush()
    assert "t" not in backend.tables()


async def test_a_function_body_across_a_piece_cut_is_located_as_one_statement(driver, backend, monkeypatch):
    if backend.dialect == "sqlite":
        pytest.skip("BEGIN ATOMIC bodies are PostgreSQL's")
    monkeypatch.setattr(split, "PIECE_CHARS", 60)
    script = ("CREATE TABLE t (id integer);\n"
              "CREATE FUNCTION f() RETURNS integer LANGUAGE sql\nBEGIN ATOMIC\n"
              + "".join(f"SELECT {i};\n" for i in range(30)) + "END;\nSELECT f();\nDROP TABLE missing;\n")
    with pytest.raises(StatementError) as caught:
        await driver.run_unit(Unit((*lock(backend), Script(script))))
    assert script[caught.value.offset:].startswith("DROP TABLE missing")


async def test_a_lock_timeout_in_a_script_is_located_without_waiting_the_timeout_again(backend):
    """Running the file again with the same lock_timeout would wait for it once per halving step."""
    if backend.dialect == "sqlite":
        pytest.skip("SQLite has no table locks")
    backend.query("CREATE TABLE t (id integer)")
    db = await open_driver(parse(backend.url), lock_wait=30, lock_timeout=0.5)
    sent = []
    simple = db._simple

    async def counting(text):
        sent.append(text)
        return await simple(text)

    db._simple = counting
    other = psycopg.connect(backend.plain_url)
    other.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
    try:
        with pytest.raises(StatementError) as caught:
            await db.run_unit(Unit((*lock(backend), Script("SELECT 1;\nALTER TABLE t ADD COLUMN x integer;\n"))))
    finally:
        other.rollback()
        other.close()
        await db.close()
    assert caught.value.lock_timeout  # ALTER TABLE waits without an error position
    assert line_of("SELECT 1;\nALTER TABLE t ADD COLUMN x integer;\n", caught.value.offset) == 2
    replays = [text for text in sent[1:] if "ALTER TABLE t" in text]
    assert replays and all(text.startswith("SET LOCAL lock_timeout = '20ms'") for text in replays)


async def test_a_guard_that_finds_a_row_skips_the_unit(driver, backend):
    backend.query("CREATE TABLE done (v integer)")
    backend.query("INSERT INTO done VALUES (7)")
    outcome = await driver.run_unit(Unit((*lock(backend), Guard("SELECT 1 FROM done WHERE v = :v", {"v": 7}),
                                          Script("CREATE TABLE t (id integer);"))))
    assert outcome.skipped
    outcome = await driver.run_unit(Unit((*lock(backend), Guard("SELECT 1 FROM done WHERE v = :v", {"v": 8}),
                                          Script("CREATE TABLE t (id integer);"))))
    await driver.flush()
    assert not outcome.skipped and "t" in backend.tables()


async def test_a_check_that_returns_rows_fails_the_unit_with_them(driver, backend):
    with pytest.raises(CheckFailed) as caught:
        await driver.run_unit(Unit((*lock(backend), Script("CREATE TABLE t (id integer);\nINSERT INTO t VALUES (1), (2);"),
                                    Check("SELECT id FROM t WHERE id > :floor ORDER BY id", {"floor": 0}))))
    assert caught.value.rows == [(1,), (2,)] and caught.value.op == len(lock(backend)) + 1
    await driver.flush()
    assert "t" not in backend.tables()


async def test_a_unit_not_kept_is_rolled_back(driver, backend):
    await driver.run_unit(Unit((*lock(backend), Script("CREATE TABLE t (id integer);")), keep=False))
    await driver.flush()
    assert "t" not in backend.tables()


async def test_elapsed_ms_is_the_units_own_duration(driver, backend):
    """A slow unit records its time; the quick unit after it (on SQLite, in the same group
    transaction) records its own, not the group's."""
    backend.query("CREATE TABLE took (n integer, ms integer)")
    slow = ("SELECT pg_sleep(0.1);" if backend.dialect == "postgres" else  # SQLite: a million-row count
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) SELECT count(*) FROM n;")
    for n, script in ((1, slow), (2, "SELECT 1;")):
        await driver.run_unit(Unit((*lock(backend), Script(script),
                                    Sql("INSERT INTO took VALUES (:n, :ms)", {"n": n, "ms": ELAPSED_MS}))))
    await driver.flush()
    [(_, slow_ms), (_, quick_ms)] = backend.query("SELECT n, ms FROM took ORDER BY n")
    assert slow_ms >= (100 if backend.dialect == "postgres" else 1)
    assert 0 <= quick_ms < slow_ms


async def test_what_the_database_refuses_at_commit_is_raised_by_integrity(driver, backend):
    if backend.dialect == "sqlite":
        script = ("CREATE TABLE parent (id integer PRIMARY KEY);\n"
                  "CREATE TABLE child (id integer, parent_id integer REFERENCES parent (id));\n"
                  "INSERT INTO child VALUES (1, 42);\n")
    else:
        script = ("CREATE TABLE parent (id integer PRIMARY KEY);\n"
                  "CREATE TABLE child (id integer, parent_id integer REFERENCES parent (id) "
                  "DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO child VALUES (1, 42);\n")
    with pytest.raises(StatementError) as caught:
        await driver.run_unit(Unit((*lock(backend), Script(script), Integrity())))
    assert caught.value.op != len(lock(backend))  # not a statement of the script
    assert caught.value.offset is None
    await driver.flush()
    assert "child" not in backend.tables()


async def test_the_lock_wait_is_bounded(driver, backend):
    if backend.dialect == "sqlite":
        other = sqlite3.connect(backend.sqlite_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = psycopg.connect(backend.plain_url)
        other.execute(lock(backend)[0].text)  # inside other's transaction, until its rollback
    try:
        with pytest.raises(LockTimeout):
            await driver.run_unit(Unit((*lock(backend), Script("CREATE TABLE t (id integer);"))))
    finally:
        other.rollback()
        other.close()
    assert "t" not in backend.tables()


async def test_a_unit_waits_for_a_held_lock_then_sees_what_its_holder_committed(backend):
    # The holder commits a row the guard looks for, then frees the lock: the waiting unit must
    # read the journal after the lock is its own, so it finds that row and changes nothing.
    setup = sqlite3.connect(backend.sqlite_path) if backend.dialect == "sqlite" else psycopg.connect(backend.plain_url)
    setup.execute("CREATE TABLE done (v integer)")
    setup.commit()
    setup.close()
    if backend.dialect == "sqlite":
        other = sqlite3.connect(backend.sqlite_path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
    else:
        other = psycopg.connect(backend.plain_url)
        other.execute(lock(backend)[0].text)
    other.execute("INSERT INTO done VALUES (1)")
    db = await open_driver(parse(backend.url), lock_wait=30)
    began = threading.Event()
    if backend.dialect == "sqlite":
        # SQLite's busy wait cannot be seen from another connection, but the unit's own connection
        # reports each statement as it starts: BEGIN IMMEDIATE then tries for the lock at once
        await db.conn.set_trace_callback(lambda sql: began.set() if sql.startswith("BEGIN") else None)

    def commit_once_waited_for():
        if backend.dialect == "postgres":
            wait_until(lambda: backend.query("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                             "AND NOT granted")[0][0] > 0, what="the unit to wait for the lock")
        else:
            assert began.wait(30), "the unit never began its transaction"
        other.execute("COMMIT") if backend.dialect == "sqlite" else other.commit()

    holder = threading.Thread(target=commit_once_waited_for)
    holder.start()
    try:
        outcome = await db.run_unit(Unit((*lock(backend), Guard("SELECT 1 FROM done"),
                                          Script("CREATE TABLE t (id integer);"))))
    finally:
        holder.join()
        other.close()
        await db.close()
    assert outcome.skipped
    assert "t" not in backend.tables()


async def test_fetch_binds_named_parameters_and_returns_dicts(driver):
    rows = await driver.fetch("SELECT CAST(:a AS integer) AS a, CAST(:b AS text) AS b, 'x:y' AS c",
                              {"a": 1, "b": "two"})
    assert rows == [{"a": 1, "b": "two", "c": "x:y"}]


async def test_units_are_visible_to_others_once_flushed(driver, backend):
    await driver.run_unit(Unit((*lock(backend), Script("CREATE TABLE t (id integer);"))))
    await driver.flush()
    assert "t" in backend.tables()
    await driver.run_script("CREATE TABLE u (id integer)")  # outside any transaction
    assert "u" in backend.tables()


async def test_nothing_outlives_a_unit(driver, backend):
    """No session state is left behind (it would strand with a transaction pooler): no lock, no setting."""
    await driver.run_unit(Unit((*lock(backend), Script("CREATE TABLE t (id integer);"), Integrity())))
    await driver.flush()
    if backend.dialect == "sqlite":
        other = sqlite3.connect(backend.sqlite_path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock is free
        other.execute("ROLLBACK")
        other.close()
        return
    rows = await driver.fetch("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                              "AND pid = pg_backend_pid()")
    assert rows == [{"n": 0}]
    changed = await driver.fetch("SELECT name FROM pg_settings WHERE source = 'session'")
    assert changed == []


async def test_a_read_only_connection_refuses_writes(backend):
    backend.query("CREATE TABLE t (id integer)")
    db = await open_driver(parse(backend.url), read_only=True)
    try:
        assert await db.fetch("SELECT count(*) AS n FROM t") == [{"n": 0}]
        with pytest.raises(StatementError) as caught:
            await db.run_script("INSERT INTO t VALUES (1)")
        assert "read-only" in caught.value.message or "readonly" in caught.value.message
    finally:
        await db.close()
    assert backend.query("SELECT count(*) FROM t") == [(0,)]
