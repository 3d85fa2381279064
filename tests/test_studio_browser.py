"""A real browser on the studio of the migrated and seeded AssetLender database (headless Debian chromium).

It takes a screenshot of every page it visits, into test-artifacts/; `STUDIO_SCREENSHOTS=docs`
writes them into docs/ instead, where the README shows them.
"""
from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal

import pytest

from conftest import RUNNER, ROOT, Backend, run_cli, runner_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# What Chromium needs to run headless in a container without reaching the internet.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / os.environ.get("STUDIO_SCREENSHOTS", "test-artifacts")


@pytest.fixture
def studio(tmp_path):
    """The studio serving a fresh AssetLender database (migrated, demo seed); yields (address, db path)."""
    db = tmp_path / "dev.db"
    backend = Backend("sqlite", f"file:{db}", sqlite_path=db)
    for command in ("up", "seed"):
        assert run_cli(command, "--dir", str(ROOT), backend=backend).returncode == 0
    # in the database's folder, so that the pages (and the screenshots) name it as a user would: ./dev.db
    server = subprocess.Popen([sys.executable, str(RUNNER), "studio", "--port=0", "--dir", str(ROOT),
                               "--url", "file:./dev.db"], cwd=tmp_path, env=runner_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = server.stdout.readline().strip()
        assert address.startswith("http://127.0.0.1:"), server.stderr.read() if not address else address
        yield address, db
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    assert server.returncode == 0


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800}, accept_downloads=True)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def column(page, name: str) -> list[str]:
    """The texts of one column of the data table on the page, by its header."""
    headers = page.locator("table.data thead tr:first-child th").all_inner_texts()
    index = [h.split()[0] for h in headers].index(name) + 1
    return page.locator(f"table.data tbody td:nth-child({index})").all_inner_texts()


pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")


def test_a_browser_sees_the_migrations_and_follows_an_event_to_its_seed(studio, page):
    address, _ = studio
    page.goto(address)
    rows = page.locator("table.migrations tbody tr[id]")
    assert rows.count() == len(list((ROOT / "sql").glob("*.sql"))) - 1  # 0011 has a .postgres twin
    assert rows.first.inner_text().split("\t")[:3] == ["0000", "initial", "applied"]
    assert page.locator("table.migrations .badge.pending").count() == 0
    shot(page, "studio")

    page.click("header nav >> text=Events")
    shot(page, "studio-events")
    seeded = page.locator("table.events tbody tr", has_text="demo")
    assert seeded.locator("td:nth-child(3)").inner_text() == "seed"
    seeded.locator("a").first.click()
    page.wait_for_url("**/#seed-1")  # the seed 0001_demo, not migration 0001
    assert page.locator("#seed-1").inner_text().split("\t")[:2] == ["0001", "demo"]

    page.click("header nav >> text=Schema")
    assert page.locator("section#table-users h2").inner_text().startswith("table users")
    shot(page, "studio-schema")


def test_a_browser_sorts_filters_downloads_and_follows_a_foreign_key(studio, page, tmp_path):
    address, db = studio
    page.goto(address)
    page.click("header nav >> text=Tables")  # every table and view, with its row count
    listed = dict(zip(page.locator("table.relations-index tbody td:nth-child(1)").all_inner_texts(),
                      page.locator("table.relations-index tbody td:nth-child(3)").all_inner_texts()))
    with sqlite3.connect(db) as conn:
        assert listed["loan_applications"] == str(conn.execute("SELECT count(*) FROM loan_applications").fetchone()[0])
        funded = [r[0] for r in conn.execute(
            "SELECT id FROM loan_applications WHERE status = 'funded' ORDER BY loan_amount DESC, id")]
    assert listed["kpi_summary"] == "1"
    shot(page, "studio-tables")

    page.click("table.relations-index >> text=loan_applications")
    page.wait_for_url("**/tables/loan_applications")
    page.click("table.data thead th >> text=loan_amount")  # a click on the header sorts by it
    page.wait_for_url("**sort=loan_amount")
    ascending = [Decimal(a) for a in column(page, "loan_amount")]
    assert ascending == sorted(ascending) and ascending[0] < ascending[-1]
    page.click("table.data thead th >> text=loan_amount")  # again: the other way
    page.wait_for_url("**desc=1")
    assert [Decimal(a) for a in column(page, "loan_amount")] == sorted(ascending, reverse=True)

    page.fill('tr.filter-row input[name="status"]', "funded")  # the filter row, then Enter
    page.press('tr.filter-row input[name="status"]', "Enter")
    page.wait_for_url("**status=funded**")
    assert set(column(page, "status")) == {"funded"}
    assert column(page, "id") == funded  # still sorted by loan_amount, descending
    assert page.locator(".summary .total").inner_text() == f"{len(funded)} rows match"
    shot(page, "studio-table")

    with page.expect_download() as download:
        page.click("a.export >> text=CSV")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "loan_applications.csv"
    with saved.open(newline="") as f:
        exported = list(csv.DictReader(f))
    assert [r["id"] for r in exported] == funded and {r["status"] for r in exported} == {"funded"}

    borrower = column(page, "borrower_id")[0]
    page.click("table.data tbody tr:first-child a >> text=" + borrower)  # a foreign key's value
    page.wait_for_url(f"**/tables/users/{borrower}")
    assert page.locator("h1").inner_text() == f"users {borrower}"
    referencing = page.locator("section.referencing h3 a").all_inner_texts()
    assert "loan_applications" in referencing
    assert funded[0] in page.locator("section.referencing", has_text="loan_applications").inner_text()
    shot(page, "studio-row")
