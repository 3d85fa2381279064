"""A real browser on the studio of the migrated and seeded AssetLender database (headless Debian chromium)."""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys

import pytest

from conftest import RUNNER, ROOT, Backend, run_cli, runner_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# What Chromium needs to run headless in a container without reaching the internet.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_a_browser_sees_the_migrations_follows_a_link_to_a_table_and_reads_its_rows(tmp_path):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "dev.db"
    backend = Backend("sqlite", f"file:{db}", sqlite_path=db)
    for command in ("up", "seed"):
        assert run_cli(command, "--dir", str(ROOT), backend=backend).returncode == 0
    server = subprocess.Popen([sys.executable, str(RUNNER), "studio", "--port=0", "--dir", str(ROOT), "--url", backend.url],
                              env=runner_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = server.stdout.readline().strip()
        assert address.startswith("http://127.0.0.1:"), server.stderr.read() if not address else address
        with sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(
                str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 900})
            try:
                page = browser.new_page()
                page.goto(address)
                rows = page.locator("table.migrations tbody tr[id]")
                assert rows.count() == len(list((ROOT / "sql").glob("*.sql"))) - 1  # 0011 has a .postgres twin
                assert rows.first.inner_text().split("\t")[:3] == ["0000", "initial", "applied"]
                assert page.locator("table.migrations .badge.pending").count() == 0
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "studio-migrations.png"), full_page=False)

                page.click("header nav >> text=Schema")
                page.click("section#table-users h2 a")  # the users table's data page
                page.wait_for_url("**/tables/users")
                assert page.locator("h1").inner_text() == "table users"
                headers = page.locator("table.data thead th").all_inner_texts()
                assert headers[:2] == ["id", "email"]
                emails = page.locator("table.data tbody tr td:nth-child(2)").all_inner_texts()
                assert "admin@demo.com" in emails
                page.screenshot(path=str(ARTIFACTS / "studio-users.png"))
            finally:
                browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0
