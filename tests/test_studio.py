"""The studio's pages and JSON, on every backend: what a visitor sees, and that nothing can write."""
from __future__ import annotations

import asyncio
import hashlib
import html
import json
import re
import signal
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx  # what Starlette's TestClient uses too
import pytest
from starlette.testclient import TestClient

from conftest import ROOT, run_cli, runner_env, start_cli
from migrator import Migrator
from migrator.studio import create_app

XSS = "<script>alert(1)</script>"
XSS_VALUE = "<img src=x onerror=alert(1)>"
# Runs on both dialects: 120 users, a table whose name and column are HTML, and a row of HTML.
USERS = f"""
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120)
INSERT INTO users (id, name) SELECT i, 'user ' || i FROM n;
CREATE TABLE "{XSS}" (id INTEGER PRIMARY KEY, "<b>col</b>" TEXT);
INSERT INTO "{XSS}" VALUES (1, '{XSS_VALUE}');
"""
ITEMS = """
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    label TEXT DEFAULT 'spare' CHECK (length(label) > 0)
);
CREATE INDEX items_label_idx ON items (label);
"""
BROKEN = "CREATE TABLE users (id INTEGER);  -- pending, and fails: users exists\n"


@pytest.fixture
def studied(project, backend, cli):
    """Applied (0001, its rollback file gone: the stored copy), modified (0002), pending and failed (0003)."""
    project.migration("0001_users", USERS, f'DROP TABLE "{XSS}";\nDROP TABLE users;\n')
    project.migration("0002_items", ITEMS, "DROP TABLE items;\n")
    project.migration("0003_broken", BROKEN, "SELECT 1;\n")
    assert cli("up").returncode == 1  # 0001 and 0002 applied, 0003 failed and left pending
    project.write("sql/0002_items.sql", ITEMS + "-- edited after it was applied\n")
    (project.root / "rollbacks/0001_users.sql").unlink()
    return backend


def client(backend, project, **options) -> TestClient:
    return TestClient(create_app(backend.url, project.root, **options), base_url="http://127.0.0.1")


def test_status_has_the_facts_of_status_json_and_the_sql_of_up_and_down(studied, project, cli):
    doc = client(studied, project).get("/api/status").json()
    from_cli = json.loads(cli("status", "--json").stdout)
    assert [{k: m[k] for k in from_cli["migrations"][0]} for m in doc["migrations"]] == from_cli["migrations"]
    assert doc["current"] == from_cli["current"] == 2
    users, items, broken = doc["migrations"]
    assert (users["state"], items["state"], broken["state"]) == ("applied", "modified", "pending")
    assert users["applied_by"] and users["rollback"] == {
        "source": "journal", "path": None, "sql": f'DROP TABLE "{XSS}";\nDROP TABLE users;\n'}
    assert items["rollback"] == {"source": "file", "path": "rollbacks/0002_items.sql", "sql": "DROP TABLE items;\n"}
    assert broken["up"] == {"path": "sql/0003_broken.sql", "sql": BROKEN} and broken["rollback"] is None
    assert doc["would_apply"] == ["0003_broken"]
    assert [p["kind"] for p in doc["problems"]] == ["modified", "missing-rollback"]

    page = client(studied, project).get("/").text
    assert re.search(r'<tr id="v2" class="state-modified">.*?<span class="badge modified">modified</span>',
                     page, re.S)
    assert "the copy stored in the journal" in page and "rollbacks/0002_items.sql" in page
    assert "SQL that <code>up</code> would run (sql/0003_broken.sql)" in page
    assert html.escape(BROKEN, quote=False).strip() in page


def test_events_newest_first_filtered_by_action_and_failure(studied, project):
    c = client(studied, project)
    events = c.get("/api/events").json()["events"]
    assert [e["id"] for e in events] == sorted((e["id"] for e in events), reverse=True)
    assert [(e["action"], e["version"], e["success"]) for e in events][:3] == [
        ("up", 3, False), ("up", 2, True), ("up", 1, True)]
    failed = c.get("/api/events", params={"failed": "1"}).json()
    assert [(e["version"], e["success"]) for e in failed["events"]] == [(3, False)]
    assert "users" in failed["events"][0]["message"]  # the database's own message
    ups = c.get("/api/events", params={"action": "up"}).json()
    assert ups["events"] and all(e["action"] == "up" for e in ups["events"]) and "up" in ups["actions"]
    page = c.get("/events", params={"failed": "1"}).text
    assert '<span class="badge failed">failed</span>' in page and "0003" in page
    assert '<span class="badge ok">' not in page


def test_events_link_to_their_migration_seed_or_repeatable(project, backend, cli):
    project.migration("0001_users", USERS, f'DROP TABLE "{XSS}";\nDROP TABLE users;\n')
    project.migration("0002_items", ITEMS, "DROP TABLE items;\n")
    project.write("seeds/0002_more.sql", "INSERT INTO users (id, name) VALUES (500, 'seeded');\n")
    project.write("sql/repeatable/names.sql", "DROP VIEW IF EXISTS names;\nCREATE VIEW names AS SELECT name FROM users;\n")
    assert cli("up").returncode == 0 and cli("seed").returncode == 0
    c = client(backend, project)
    links = {(e["action"], e["version"], e["name"]): e["link"] for e in c.get("/api/events").json()["events"]}
    assert links[("seed", 2, "more")] == "/#seed-2"  # not migration 0002
    assert links[("up", 2, "items")] == "/#v2"
    assert links[("repeatable", None, "names")] == "/#repeatable-names"
    page = c.get("/").text
    assert all(f'id="{anchor}"' in page for anchor in ("v2", "seed-2", "repeatable-names"))
    seeds = c.get("/api/status").json()["seeds"]
    assert [(s["version"], s["name"], s["last_run"]["success"]) for s in seeds] == [(2, "more", True)]
    assert '<a href="/#seed-2">0002</a>' in c.get("/events").text


@pytest.mark.all_pg_versions  # the catalog's tables and keys
def test_schema_comes_from_the_catalog_with_row_counts(studied, project):
    doc = client(studied, project).get("/api/schema").json()
    tables = {t["name"]: t for t in doc["tables"]}
    assert set(tables) == {"users", "items", XSS}  # the journal tables have pages of their own
    users, items = tables["users"], tables["items"]
    assert users["rows"] == 120 and items["rows"] == 0 and tables[XSS]["rows"] == 1
    assert users["primary_key"] == ["id"]
    name = next(c for c in users["columns"] if c["name"] == "name")
    assert name["nullable"] is False and name["type"].lower() == "text"
    label = next(c for c in items["columns"] if c["name"] == "label")
    assert label["nullable"] is True and "spare" in label["default"]
    assert [(fk["columns"], fk["references"]) for fk in items["foreign_keys"]] == [(["user_id"], "users")]
    assert any(c["kind"] == "check" and "length" in c["definition"] for c in items["constraints"])
    assert any(i["name"] == "items_label_idx" for i in items["indexes"])
    page = client(studied, project).get("/schema").text
    assert '<a href="/tables/users">users</a>' in page and "120 rows" in page


@pytest.mark.all_pg_versions  # the catalog's tables and keys
def test_data_pages_fifty_rows_in_key_order_with_next_and_previous(studied, project):
    c = client(studied, project)
    first = c.get("/api/tables/users").json()
    assert [r[0] for r in first["rows"]] == list(range(1, 51))
    assert (first["previous"], first["next"], first["pages"], first["total"]) == (None, 2, 3, 120)
    following = urlsplit(first["links"]["next"])
    assert following.path == "/api/tables/users" and parse_qs(following.query)["page"] == ["2"]
    assert json.loads(parse_qs(following.query)["after"][0]) in ([50], ["50"])  # after the last row's key
    last = c.get("/api/tables/users", params={"page": 3}).json()
    assert [r[0] for r in last["rows"]] == list(range(101, 121)) and last["next"] is None and last["previous"] == 2
    page = c.get("/tables/users", params={"page": 2}).text
    assert 'rel="prev" href="/tables/users"' in page
    assert re.search(r'rel="next" href="/tables/users\?page=3&amp;after=%5B(100|%22100%22)%5D"', page)
    assert '<td class="num"><a href="/tables/users/51">51</a></td>' in page  # the key links to the row's page
    assert "user 100" in page and "user 101" not in page


@pytest.mark.all_pg_versions  # the catalog's tables and keys
def test_unknown_table_is_404_and_a_bad_page_400(studied, project):
    c = client(studied, project)
    assert c.get("/tables/nope").status_code == 404
    assert c.get("/api/tables/nope").json() == {"error": "no table or view named 'nope'"}
    assert c.get("/api/tables/schema_journal").status_code == 404  # not a table of the schema
    for page in ("x", "0", "-1", "99999999999999999999", "4"):  # users has 3 pages
        response = c.get("/api/tables/users", params={"page": page})
        assert response.status_code == 400 and "page" in response.json()["error"], page
    assert c.post("/api/status").status_code == 405


def test_html_in_names_and_values_is_shown_as_text(studied, project):
    c = client(studied, project)
    escaped = html.escape(XSS)
    schema = c.get("/schema").text
    assert XSS not in schema and escaped in schema
    data = c.get(f"/tables/{XSS}")
    assert data.status_code == 200
    assert XSS not in data.text and XSS_VALUE not in data.text and "<b>col</b>" not in data.text
    assert html.escape(XSS_VALUE) in data.text and html.escape("<b>col</b>") in data.text
    assert c.get(f"/api/tables/{XSS}").json()["rows"] == [[1, XSS_VALUE]]
    assert "script-src" not in data.headers["content-security-policy"]  # default-src 'none': no script runs


def test_a_token_is_required_on_every_request_when_set(sqlite_backend, project, cli):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    c = client(sqlite_backend, project, token="s3cret")
    for path in ("/", "/api/status", "/static/studio.css", "/tables/users"):
        assert c.get(path).status_code == 401
    assert c.get("/", params={"token": "wrong"}).status_code == 401
    assert c.get("/api/status", headers={"authorization": "Bearer s3cret"}).status_code == 200
    assert c.get("/", params={"token": "s3cret"}).status_code == 200
    assert c.get("/schema").status_code == 200  # the cookie the first visit set
    loopback_only = client(sqlite_backend, project)
    assert loopback_only.get("/", headers={"host": "attacker.example"}).status_code == 400  # DNS rebinding


def _crawl(c: TestClient) -> set[str]:
    """Every page reachable from the three entry pages (every table's every data page), and their JSON."""
    seen: set[str] = set()
    todo = ["/", "/events", "/schema", "/events?failed=1", "/api/status", "/api/events", "/api/schema"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = c.get(path)
        assert response.status_code == 200, path
        if path.startswith("/tables/"):
            todo.append("/api" + path)
        for href in re.findall(r'href="([^"#]+)', response.text):
            href = html.unescape(href)
            if href.startswith("/") and not href.startswith("/static/"):
                todo.append(href)
    return seen


def test_a_full_crawl_changes_nothing(studied, project):
    before_file = hashlib.sha256(studied.sqlite_path.read_bytes()).digest() if studied.sqlite_path else None
    before = (studied.journal(), studied.events(), studied.query("SELECT count(*), sum(id) FROM users"))
    seen = _crawl(client(studied, project))
    assert {"/events?failed=1", "/tables/users?page=last", "/tables/users/120", "/tables/items?format=csv",
            "/api/tables/users?sort=name&desc=1"} <= seen
    assert any(path.startswith("/tables/users?page=3&after=") for path in seen)
    assert (studied.journal(), studied.events(), studied.query("SELECT count(*), sum(id) FROM users")) == before
    if studied.sqlite_path:
        assert hashlib.sha256(studied.sqlite_path.read_bytes()).digest() == before_file


def test_the_studio_connection_refuses_writes(studied, project):
    async def try_write() -> str:
        async with Migrator.connect(studied.url, project.root, read_only=True) as m:
            try:
                await m.db.run_script("INSERT INTO users (id, name) VALUES (999, 'intruder')")
            except Exception as exc:  # sqlite3.OperationalError / StatementError
                return str(getattr(exc, "message", exc))
            return "written"
    message = asyncio.run(try_write())
    assert "readonly" in message or "read-only" in message
    assert studied.query("SELECT count(*) FROM users") == [(120,)]


def test_the_password_never_appears(pg_backend, project):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    assert run_cli("up", backend=pg_backend, project=project).returncode == 0
    # the test server trusts local connections, so any password gets in; it must still never be shown
    url = pg_backend.url.replace("://postgres@", "://postgres:hunter2pw@", 1)
    assert "hunter2pw" in url
    c = TestClient(create_app(url, project.root), base_url="http://127.0.0.1")
    for path in ("/", "/events", "/schema", "/tables/users", "/api/status", "/api/schema", "/tables/nope"):
        assert "hunter2pw" not in c.get(path).text


def test_a_page_gives_up_at_the_statement_timeout(pg_backend, project, pg_cli):
    project.migration("0001_slow", "CREATE VIEW slow AS SELECT pg_sleep(5)::text AS s;\n", "DROP VIEW slow;\n")
    assert pg_cli("up").returncode == 0
    c = TestClient(create_app(pg_backend.url, project.root, statement_timeout=0.2), base_url="http://127.0.0.1")
    response = c.get("/api/tables/slow")  # its count and its rows each run the view: 5 s
    assert response.status_code == 503 and "statement timeout" in response.json()["error"]


def test_cli_serves_prints_the_address_and_stops_on_ctrl_c(sqlite_backend, project):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    assert run_cli("up", backend=sqlite_backend, project=project).returncode == 0
    proc = start_cli("studio", "--port=0", backend=sqlite_backend, project=project)
    try:
        address = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", address), address
        assert "users" in httpx.get(address + "api/schema").text
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "studio stopped" in err and "Traceback" not in err


def test_cli_beyond_loopback_generates_a_token_and_refuses_requests_without_it(sqlite_backend, project):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    proc = start_cli("studio", "--host=0.0.0.0", "--port=0", backend=sqlite_backend, project=project)
    try:
        address = proc.stdout.readline().strip()
        parts = urlsplit(address)
        assert parts.query.startswith("token=") and len(parts.query) > 30, address
        local = f"http://127.0.0.1:{parts.port}"
        assert httpx.get(local + "/api/status").status_code == 401
        assert httpx.get(f"{local}/api/status?{parts.query}").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_cli_bad_url_and_busy_port_are_one_error_line(sqlite_backend, project):
    bad = run_cli("studio", "--url", "mysql://x", project=project)
    assert bad.returncode == 2 and bad.stderr.startswith("error: unsupported database URL scheme")
    proc = start_cli("studio", "--port=0", backend=sqlite_backend, project=project)
    try:
        port = urlsplit(proc.stdout.readline().strip()).port
        busy = run_cli("studio", f"--port={port}", backend=sqlite_backend, project=project)
        assert busy.returncode == 2 and busy.stderr.strip().endswith(f"{port}: Address already in use")
        assert "Traceback" not in busy.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


def test_the_studio_bench_runs_end_to_end(pg_admin_url):
    """bench/studio.py is not a test (no timing is asserted); this only keeps it from rotting."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "studio.py"), "--scale=120", "--runs=1", "--export",
                           "--backend=sqlite", "--backend=psycopg", "--pg-url", pg_admin_url],
                          cwd=ROOT, env=runner_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "### sqlite" in done.stdout and "### psycopg" in done.stdout and "### asyncpg" not in done.stdout
    assert "| users, page=last |" in done.stdout and "| 128 rows, 3 pages |" in done.stdout  # and the demo's 8


def test_the_migrations_page_shows_what_changed_in_an_edited_file_and_its_data_checks(studied, project):
    project.write("checks/0001_users.sql", "-- runner: after\nSELECT id FROM users WHERE id < 0;\n")
    app = client(studied, project)
    items = app.get("/api/status").json()["migrations"][1]
    assert items["state"] == "modified"
    assert "+-- edited after it was applied" in items["changes"]
    page = app.get("/").text
    assert "What changed in the file since it was applied" in page
    assert "+-- edited after it was applied" in page
    assert "Data checks (checks/0001_users.sql)" in page and "SELECT id FROM users WHERE id &lt; 0;" in page
