"""DATABASE_URL from the project's .env: --url, then the environment, then .env, then file:./dev.db."""
import subprocess
import sys

from conftest import RUNNER, run_cli, runner_env

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"


def test_dot_env_supplies_the_database_url(project, backend):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    project.write(".env", f"# dev settings\nDATABASE_URL='{backend.url}'\n")
    result = run_cli("up", project=project)
    assert result.returncode == 0, result.stderr
    assert "users" in backend.tables()
    assert not (project.root / "dev.db").exists()


def test_the_environment_and_url_override_dot_env(project, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    project.write(".env", f"DATABASE_URL=file:{tmp_path / 'from-dot-env.db'}\n")

    result = run_cli("up", project=project, env=runner_env(DATABASE_URL=f"file:{tmp_path / 'from-env.db'}"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-env.db").exists() and not (tmp_path / "from-dot-env.db").exists()

    result = run_cli("up", "--url", f"file:{tmp_path / 'from-url.db'}", project=project,
                     env=runner_env(DATABASE_URL=f"file:{tmp_path / 'from-env.db'}"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "from-url.db").exists() and not (tmp_path / "from-dot-env.db").exists()


def test_dot_env_is_read_from_the_dir_option(project, tmp_path):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    project.write(".env", f"DATABASE_URL=file:{tmp_path / 'project.db'}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, str(RUNNER), "up", "--dir", str(project.root)], cwd=elsewhere,
                            env=runner_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "project.db").exists() and not (elsewhere / "dev.db").exists()


def test_a_dot_env_that_cannot_be_read_is_one_error_line(project):
    project.migration("0001_users", USERS, "DROP TABLE users;")
    (project.root / ".env").write_bytes(b"DATABASE_URL=file:caf\xe9.db\n")  # Latin-1, not UTF-8
    result = run_cli("status", project=project)
    assert result.returncode == 2
    assert result.stderr == "error: cannot read .env: not UTF-8 text\n"
