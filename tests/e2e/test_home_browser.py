"""Journey: a reader opens the home page in Chromium, sees the pilot, and switches to English.

Runs `streamlit run` on localhost against a migrated SQLite database with one pilot, and drives
Debian's Chromium (/usr/bin/chromium) through Playwright. No browser is downloaded: without
Chromium this test fails and says how to install it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import factories
from tracker import migrate
from tracker.db import make_engine, session_scope

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PILOT_TITLE = "Netwerkbijeenkomsten Noord"
# Streamlit marks its root element with the script state; "notRunning" means the page is done.
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
START_TIMEOUT = 60  # seconds for `streamlit run` to answer
UI_TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_healthy(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit stopped (exit {server.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"streamlit did not answer {url} within {START_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture
def app_url(tmp_path) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on 127.0.0.1 with a one-pilot database; stopped after."""
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        factories.measure(session)
        pilot = factories.pilot(session)
        factories.hypothesis(session, pilot.id)
    engine.dispose()

    port = _free_port()
    log = tmp_path / "streamlit.log"
    env = os.environ | {"TRACKER_DATABASE_URL": url, "TRACKER_LANGUAGE": "nl"}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "streamlit_app.py",
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    with log.open("w") as out:
        server = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_healthy(f"{base}/_stcore/health", server, log)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def page():
    """A Chromium page from Debian's browser (never a downloaded one)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(sudo apt-get install chromium). Do not run `playwright install`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def open_and_wait(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(APP_IDLE, timeout=UI_TIMEOUT_MS)


def grid_cell(page, text: str):
    # The table is drawn on a canvas; its cells also live in a hidden grid for screen readers.
    return page.get_by_role("gridcell", name=text, include_hidden=True)


def test_home_shows_the_pilot_and_switches_to_english(page, app_url):
    from playwright.sync_api import expect

    open_and_wait(page, app_url)
    expect(
        page.get_by_role("heading", name="Proeftuin: leren van beleidsexperimenten")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Alle pilots")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect(grid_cell(page, PILOT_TITLE)).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(grid_cell(page, "lopend")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

    open_and_wait(page, f"{app_url}/?lang=en")
    expect(page.get_by_role("heading", name="All pilots")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Proeftuin: learning from policy experiments")
    ).to_be_visible()
    expect(grid_cell(page, "running")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(
        page.get_by_role("columnheader", name="Municipality", include_hidden=True)
    ).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.screenshot(path=str(ARTIFACTS / "home_en.png"), full_page=True)
