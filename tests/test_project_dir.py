"""A deploy started in the wrong folder fails before connecting; it never goes green having done nothing."""
from __future__ import annotations

import pytest

from conftest import error_of, run_cli
from migrator import ConfigError, Migrator

COMMANDS = [["up"], ["down"], ["redo"], ["status"], ["verify", "--strict"], ["seed"], ["baseline", "1"],
            ["repair"], ["check"], ["drift"], ["schema"], ["lint"], ["reset", "--no-seed"], ["new", "x"],
            ["up", "--dry-run"], ["fleet", "status", "--targets=targets.txt"], ["fleet", "up", "--targets=targets.txt"]]


@pytest.fixture(params=["missing", "a file", "no sql folder"])
def wrong_dir(request, tmp_path):
    place = tmp_path / "work"
    place.mkdir()
    (place / "targets.txt").write_text(f"one file:{place / 'one.db'}\n")
    if request.param == "missing":
        return place, place / "nowhere"
    if request.param == "a file":
        (place / "notes.txt").write_text("not a project\n")
        return place, place / "notes.txt"
    (place / "rollbacks").mkdir()
    return place, place


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_command_in_a_folder_that_is_no_project_exits_2_before_connecting(command, wrong_dir):
    cwd, project_dir = wrong_dir
    result = run_cli(*command, "--dir", str(project_dir), cwd=cwd)
    assert result.returncode == 2, result.stdout + result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert str(project_dir) in line and "--dir" in line
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in cwd.iterdir()) == sorted(["targets.txt"] + (["notes.txt"] if
                                                            project_dir.name == "notes.txt" else []) +
                                                           (["rollbacks"] if project_dir == cwd else []))


def test_the_default_project_directory_is_named_too(tmp_path):
    result = run_cli("up", cwd=tmp_path)
    assert result.returncode == 2
    assert error_of(result).startswith(f"error: the project directory . ({tmp_path}) has no sql/ folder")
    assert not (tmp_path / "dev.db").exists()


def test_an_empty_sql_folder_is_a_new_project(tmp_path):
    (tmp_path / "sql").mkdir()
    result = run_cli("up", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nothing to apply" in result.stdout


async def test_the_api_refuses_a_missing_project_directory(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        async with Migrator.connect(f"file:{tmp_path / 'x.db'}", tmp_path / "nowhere"):
            pass
    assert not (tmp_path / "x.db").exists()
