"""Fixtures of the browser tests: one Chromium for the whole run, a fresh page per test.

The servers are per module (each module seeds the data its journeys need); see
``tests/e2e/browser.py`` for the plumbing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from tests.e2e.browser import (
    ARTIFACTS,
    AXE_SUMMARY,
    CHROMIUM,
    CHROMIUM_ARGS,
    UI_TIMEOUT_MS,
    VIEWPORT,
    require_chromium,
)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Every axe-core violation the accessibility tests saw, allowed or not, in short."""
    summary = config.stash.get(AXE_SUMMARY, None)
    if summary is not None:
        terminalreporter.write_sep("-", "axe-core: WCAG 2.1 AA violations seen")
        terminalreporter.write_line(summary)


@pytest.fixture
def page(chromium, request) -> Iterator[object]:
    """A page in its own browser context: a new Streamlit session with empty state. When the
    test fails, the page as it was is saved as artifacts/e2e/FAILED-<test>.png."""
    context = chromium.new_context(viewport=VIEWPORT, locale="nl-NL")
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        shot = ARTIFACTS / f"FAILED-{re.sub(r'[^A-Za-z0-9_.-]+', '-', request.node.name)}.png"
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot))
        else:
            shot.unlink(missing_ok=True)  # from an earlier failing run
        context.close()


@pytest.fixture
def fresh_page(chromium) -> Iterator[Callable[[], object]]:
    """Opens more pages, each in a browser context of its own (another reader, another
    session: nothing shared with ``page`` but the address). Closed after the test."""
    contexts = []

    def open_page():
        context = chromium.new_context(viewport=VIEWPORT, locale="nl-NL")
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
