"""`seed`, `baseline` and `repair`."""


def users_project(project):
    project.migration("0001_users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
                      "DROP TABLE users;")
    project.write("seeds/0001_demo.sql",
                  "INSERT INTO users (id, email) VALUES (1, 'a@demo.com') ON CONFLICT DO NOTHING;")
    project.write("seeds/0002_volume.sql", """
        INSERT INTO users (id, email)
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < (SELECT scale FROM runner_seed))
        SELECT 1000 + i, 'v' || i || '@demo.com' FROM n WHERE true  -- WHERE: SQLite's upsert parsing
        ON CONFLICT DO NOTHING;
        """)


def test_seed_refuses_while_migrations_are_pending(project, backend, cli):
    users_project(project)
    result = cli("seed")
    assert result.returncode == 3 and "run `up` before seeding" in result.stderr


def test_seed_runs_every_seed_and_is_repeatable(project, backend, cli):
    users_project(project)
    cli("up")
    result = cli("seed", "--scale", "50")
    assert result.returncode == 0, result.stderr
    assert backend.query("SELECT count(*) FROM users") == [(51,)]
    assert cli("seed", "--scale", "50").returncode == 0
    assert backend.query("SELECT count(*) FROM users") == [(51,)]
    assert [e for e in backend.events() if e[0] == "seed"] == [("seed", 1, True), ("seed", 2, True)] * 2


def test_seed_by_name_or_stem(project, backend, cli):
    users_project(project)
    cli("up")
    assert cli("seed", "demo").returncode == 0
    assert backend.query("SELECT count(*) FROM users") == [(1,)]
    assert cli("seed", "0002_volume", "--scale", "3").returncode == 0
    assert backend.query("SELECT count(*) FROM users") == [(4,)]
    unknown = cli("seed", "nope")
    assert unknown.returncode == 2 and "no seed named 'nope'" in unknown.stderr


def test_failing_seed_is_rolled_back(project, backend, cli):
    users_project(project)
    project.write("seeds/0003_bad.sql", "INSERT INTO users (id) VALUES (99);\nINSERT INTO nowhere VALUES (1);")
    cli("up")
    result = cli("seed", "bad")
    assert result.returncode == 1 and "error: seeds/0003_bad.sql:2:" in result.stderr
    assert backend.query("SELECT count(*) FROM users") == [(0,)]


def test_a_failing_seed_keeps_the_seeds_before_it(project, backend, cli):
    users_project(project)
    project.write("seeds/0003_bad.sql", "INSERT INTO users (id) VALUES (99);\nINSERT INTO nowhere VALUES (1);")
    cli("up")
    result = cli("seed")
    assert result.returncode == 1 and "error: seeds/0003_bad.sql:2:" in result.stderr
    assert "seeded 0001_demo" in result.stderr
    assert backend.query("SELECT id FROM users WHERE id = 99") == []
    assert backend.query("SELECT count(*) FROM users WHERE id <> 99")[0][0] > 0


def test_baseline_records_without_running(project, backend, cli):
    users_project(project)
    project.migration("0002_more", "CREATE TABLE more (id INTEGER);", "DROP TABLE more;")
    backend.query("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")  # the existing database
    result = cli("baseline", "1")
    assert result.returncode == 0, result.stderr
    assert backend.journal() == [(1, "users", False)]
    assert cli("up").returncode == 0
    assert "more" in backend.tables()
    again = cli("baseline", "1")
    assert again.returncode == 3 and "baseline refuses" in again.stderr  # refusing, as up refuses


def test_repair_accepts_todays_checksums(project, backend, cli):
    users_project(project)
    cli("up")
    project.write("sql/0001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); -- reformatted")
    assert cli("verify").returncode == 3
    result = cli("repair")
    assert result.returncode == 0
    assert result.stdout.startswith("0001_users: recorded the checksum of today's files")
    assert cli("verify").returncode == 0
    assert backend.events()[-1] == ("repair", 1, True)
    assert cli("repair").stdout.strip() == "nothing to repair"
