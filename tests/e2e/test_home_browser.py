"""Journey: a reader opens the home page in Chromium, sees the pilot, and switches to English.

Runs `streamlit run` on localhost against a migrated SQLite database with one pilot, and drives
Debian's Chromium (/usr/bin/chromium) through Playwright (plumbing in tests/e2e/browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.browser import (
    UI_TIMEOUT_MS,
    column_header,
    grid_cell,
    open_and_wait,
    seed_accounts,
    seeded_sqlite,
    shoot,
    streamlit_server,
)

pytestmark = pytest.mark.e2e

PILOT_TITLE = "Netwerkbijeenkomsten Noord"


def _one_pilot(session, _folder) -> None:
    seed_accounts(session)
    factories.measure(session)
    pilot = factories.pilot(session)
    factories.hypothesis(session, pilot.id)


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on 127.0.0.1 with a one-pilot database; stopped after."""
    folder = tmp_path_factory.mktemp("home")
    url = seeded_sqlite(folder / "e2e.db", _one_pilot)
    with streamlit_server(url, folder / "streamlit.log") as base:
        yield base


def test_home_shows_the_pilot_and_switches_to_english(page, app_url):
    open_and_wait(page, app_url)
    expect(
        page.get_by_role("heading", name="Proeftuin: leren van beleidsexperimenten")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Alle pilots")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect(grid_cell(page, PILOT_TITLE)).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(grid_cell(page, "lopend")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    shoot(page, "home")

    open_and_wait(page, f"{app_url}/?lang=en")
    expect(page.get_by_role("heading", name="All pilots")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Proeftuin: learning from policy experiments")
    ).to_be_visible()
    expect(grid_cell(page, "running")).to_have_count(1, timeout=UI_TIMEOUT_MS)
    expect(column_header(page, "Municipality")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "home_en")
