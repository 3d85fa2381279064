"""The package as users install it: a wheel built from the repository, in a fresh virtual environment
outside the checkout, run as the `runner` command in a project folder of the user's."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, runner_env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out),
                    str(ROOT)], check=True, capture_output=True, text=True)
    [found] = out.glob("*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The `runner` command of a fresh venv with the wheel and its dependencies installed."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    result = subprocess.run([str(home / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return home / "bin" / "runner"


def test_the_wheel_holds_only_the_package_and_its_own_files(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"migrator"}
    assert {"migrator/journal/sqlite.sql", "migrator/journal/postgres.sql",
            "migrator/studio/templates/base.html", "migrator/cli/usage.py"} <= set(names)


@pytest.fixture
def user_project(tmp_path) -> Path:
    """The AssetLender project copied to a folder of the user's, far from the checkout."""
    folder = tmp_path / "lending"
    for part in ("sql", "rollbacks", "seeds"):
        shutil.copytree(ROOT / part, folder / part)
    return folder


def run(runner: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = runner_env()
    env.pop("PYTHONPATH", None)
    result = subprocess.run([str(runner), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_the_installed_runner_migrates_seeds_lints_and_rolls_back(installed, user_project):
    up = run(installed, "up", cwd=user_project)
    assert up.returncode == 0, up.stderr
    assert "database at version 0014" in up.stdout
    assert (user_project / "dev.db").exists()
    assert run(installed, "seed", cwd=user_project).returncode == 0
    status = run(installed, "status", cwd=user_project)
    assert status.returncode == 0 and "current version: 0014 (15 applied)" in status.stdout
    lint = run(installed, "lint", cwd=user_project)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    down = run(installed, "down", "--all", cwd=user_project)
    assert down.returncode == 0 and "database at version none" in down.stdout
    assert run(installed, "--help", cwd=user_project).stdout.startswith("SQL migration runner")


def test_the_installed_studio_serves_its_pages(installed, user_project):
    assert run(installed, "up", cwd=user_project).returncode == 0
    studio = subprocess.Popen([str(installed), "studio", "--port", "0"], cwd=user_project, env=runner_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = studio.stdout.readline().strip()
        assert address.startswith("http://127.0.0.1:"), studio.stderr.read()
        with urllib.request.urlopen(address, timeout=30) as page:
            html = page.read().decode()
        assert page.status == 200 and "0014_move_kpi_summary_to_repeatable" in html
        with urllib.request.urlopen(address.rstrip("/") + "/static/studio.css", timeout=30) as css:
            assert css.status == 200
    finally:
        os.kill(studio.pid, signal.SIGINT)
        studio.wait(timeout=30)
