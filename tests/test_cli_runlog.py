"""--log-file / $RUNNER_LOG_FILE: one JSON object per line per event of a run, never a password."""
import json

from conftest import run_cli, runner_env

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
LOANS = "CREATE TABLE loans (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));\n"
PASSWORD = "s3cret-Pw_77"


def url_with_password(backend) -> str:
    """The PostgreSQL servers under test trust local connections, so the password is ignored."""
    if backend.dialect == "sqlite":
        return backend.url
    return backend.url.replace("://postgres@", f"://postgres:{PASSWORD}@", 1)


def read_log(path) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_log_has_a_json_line_per_event_and_no_password(project, backend, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    project.migration("0002_loans", LOANS, "DROP TABLE loans;")
    project.migration("0003_broken", "INSERT INTO no_such_table VALUES (1);\n", "SELECT 1;")
    log, url = tmp_path / "logs" / "runner.jsonl", url_with_password(backend)
    (tmp_path / "logs").mkdir()

    failed = run_cli("up", "--url", url, "--log-file", str(log), project=project)
    assert failed.returncode == 1
    assert PASSWORD not in failed.stdout + failed.stderr
    events = read_log(log)
    assert [e["event"] for e in events] == ["start", "applied", "applied", "error", "end"]
    start = events[0]
    assert start["command"] == "up" and start["dialect"] == backend.dialect
    assert start["database"] == url.replace(PASSWORD, "***")
    assert start["os_user"] and start["runner_version"] and start["pid"]
    assert [(e["version"], e["name"], e["file"]) for e in events[1:3]] == [
        (1, "users", "sql/0001_users.sql"), (2, "loans", "sql/0002_loans.sql")]
    assert all(isinstance(e["duration_ms"], int) for e in events[1:3])
    assert events[3]["exit_status"] == 1 and events[3]["message"].startswith("sql/0003_broken.sql:1: ")
    assert events[4]["exit_status"] == 1 and events[4]["duration_ms"] >= 0
    assert len({e["run"] for e in events}) == 1

    project.write("sql/0003_broken.sql", "SELECT 1;\n")
    assert run_cli("repair", "--url", url, "--log-file", str(log), project=project).returncode == 0
    assert run_cli("down", "--url", url, "--log-file", str(log), project=project).returncode == 0
    events = read_log(log)  # appended, one run after another
    runs = [e for e in events if e["event"] == "start"]
    assert [r["command"] for r in runs] == ["up", "repair", "down"]
    assert len({r["run"] for r in runs}) == 3
    assert [e["event"] for e in events[5:]] == ["start", "end", "start", "rolled_back", "end"]
    assert events[-2]["version"] == 2 and events[-1]["exit_status"] == 0


def test_log_records_the_backup_taken_by_up(project, backend, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    log, url = tmp_path / "runner.jsonl", url_with_password(backend)
    result = run_cli("up", "--backup", "--url", url, "--log-file", str(log), project=project)
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    events = read_log(log)
    assert [e["event"] for e in events] == ["start", "backup", "applied", "end"]
    assert (project.root / events[1]["path"]).is_file() and events[1]["bytes"] > 0


def test_log_file_comes_from_the_environment_or_dot_env(project, sqlite_backend, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    from_env = tmp_path / "from-env.jsonl"
    result = run_cli("status", backend=sqlite_backend, project=project, env=runner_env(RUNNER_LOG_FILE=str(from_env)))
    assert result.returncode == 0
    assert [e["event"] for e in read_log(from_env)] == ["start", "end"]

    from_file = tmp_path / "from-dot-env.jsonl"
    project.write(".env", f"RUNNER_LOG_FILE={from_file}\n")
    assert run_cli("up", backend=sqlite_backend, project=project).returncode == 0
    assert [e["event"] for e in read_log(from_file)] == ["start", "applied", "end"]


def test_a_log_file_that_cannot_be_written_is_a_configuration_error(project, sqlite_backend, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    result = run_cli("up", "--log-file", str(tmp_path / "missing-folder" / "log.jsonl"), backend=sqlite_backend,
                     project=project)
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot open the log file ") and "Traceback" not in result.stderr
    assert sqlite_backend.tables() == set()


def test_a_log_file_that_cannot_be_written_stops_the_run_before_the_database_is_touched(project, backend):
    project.migration("0001_a", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    result = run_cli("up", "--log-file", "/dev/full", backend=backend, project=project)  # every write: ENOSPC
    assert result.returncode == 2
    assert result.stderr == "error: cannot write the log file /dev/full: No space left on device\n"
    assert backend.journal() == []


def test_a_run_failing_before_it_starts_reports_its_own_error_when_the_log_cannot_be_written(project):
    project.migration("0001_a", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    result = run_cli("status", "--log-file", "/dev/full", "--url", "bogus://x", project=project)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "bogus" in result.stderr.splitlines()[0]
    assert "Traceback" not in result.stderr


def test_a_log_file_that_fills_up_mid_run_is_a_warning_and_the_run_goes_on(project, pg_backend, tmp_path):
    """The start line was written, a later one cannot be (here: a file-size limit, EFBIG; on
    PostgreSQL, whose files the limit does not reach)."""
    import resource
    project.migration("0001_a", "CREATE TABLE a (id integer);", "DROP TABLE a;")
    project.migration("0002_b", "CREATE TABLE b (id integer);", "DROP TABLE b;")
    measured = run_cli("up", "--log-file", str(tmp_path / "one.jsonl"), backend=pg_backend, project=project)
    assert measured.returncode == 0, measured.stderr
    assert run_cli("down", "--all", backend=pg_backend, project=project).returncode == 0
    start_line = (tmp_path / "one.jsonl").read_bytes().split(b"\n")[0]
    limit = len(start_line) + 40  # room for the start line (its pid may be longer), not for the next one

    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    log = tmp_path / "two.jsonl"
    result = run_cli("up", "--log-file", str(log), backend=pg_backend, project=project, preexec_fn=limited)
    assert result.returncode == 0, result.stderr
    assert f"warning: cannot write the log file {log}: File too large; the rest of this run is not logged" \
        in result.stderr.splitlines()
    lines = log.read_text().split("\n")  # the start line, then what fitted of the next one
    assert json.loads(lines[0])["event"] == "start" and len(lines) == 2 and not lines[1].endswith("}")
    assert [version for version, _, _ in pg_backend.journal()] == [1, 2]
