"""The learning library in a real browser, on the demonstration data (issue 9's journey).

The server's SQLite database holds what `make run` loads: the seven demo pilots (three of
them network meetings in Utrecht and Amsterdam that share two measures) and the four demo
lessons, with the demo accounts. A manager signs in with the demo manager's published
password, searches the library, opens the contested lesson, and sees the pilots that support
and contradict it and the forest plot of the three pilots pooled. axe-core checks the lesson
page (charts and tables included) with the rules and allowances of
test_accessibility_browser.py. Screenshots: artifacts/e2e/journey-library-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlmodel import Session

from tests.e2e.browser import (
    SIGN_IN_EMAIL,
    UI_TIMEOUT_MS,
    fit_viewport_to_content,
    grid_cell,
    main_area,
    running_app,
    set_text,
    settle,
    shoot,
    sign_in_with_form,
    wait_idle,
)
from tests.e2e.test_accessibility_browser import BLOCKING, WCAG_TAGS, _findings

pytestmark = pytest.mark.e2e

CONTESTED = "Netwerkbijeenkomsten verminderen de uren professionele ondersteuning per cliënt"
EMERGING = (
    "Een generalist met de specialisten in het eigen wijkteam verkort de tijd tot de start van "
    "de ondersteuning"
)
MANAGER = ("manager@demo.proeftuin.example", "proeftuin-manager")


def _seed_demo(session: Session, folder: Path) -> None:
    from tracker.services.access import system
    from tracker.services.demo import load_demo

    report = load_demo(session, actor=system("e2e-demo"))
    assert report.loaded == 7 and report.lessons_loaded == 4, report.summary("en")


@pytest.fixture(scope="module")
def demo_url(chromium, tmp_path_factory) -> Iterator[str]:
    with running_app(chromium, tmp_path_factory.mktemp("library"), _seed_demo) as base:
        yield base


def _pilot_titles(slugs: list[str]) -> dict[str, str]:
    import tomllib

    from tracker.config import PROJECT_ROOT

    return {
        slug: tomllib.loads((PROJECT_ROOT / "experiments" / f"{slug}.toml").read_text())["title"]
        for slug in slugs
    }


def test_manager_searches_the_library_opens_a_lesson_and_sees_its_evidence_and_forest_plot(
    page, demo_url
):
    titles = _pilot_titles(
        [
            "netwerkbijeenkomsten-utrecht",
            "netwerkbijeenkomsten-utrecht-zuidwest",
            "netwerkbijeenkomsten-amsterdam-noord",
        ]
    )
    main = main_area(page)
    page.goto(f"{demo_url}/bibliotheek")
    wait_idle(page)
    page.locator(SIGN_IN_EMAIL).wait_for(timeout=UI_TIMEOUT_MS)
    sign_in_with_form(page, *MANAGER)
    expect(main.get_by_role("heading", name="Bibliotheek", level=1)).to_be_visible()
    expect(main.get_by_role("heading", name=CONTESTED)).to_be_visible()
    expect(main.get_by_role("heading", name=EMERGING)).to_be_visible()
    shoot(page, "journey-library-1-all-lessons")

    # A word from the explanation, inflected: "gespreksleiders" finds "gespreksleider".
    set_text(page, "Zoeken in de lessen", "gespreksleiders", scope=main)
    settle(page)
    expect(page).to_have_url(re.compile(r"[?&]q=gespreksleiders(&|$)"))
    expect(main.get_by_role("heading", name=CONTESTED)).to_be_visible()
    expect(main.get_by_role("heading", name=EMERGING)).to_have_count(0)
    expect(main.get_by_text(re.compile(r"Status: omstreden"))).to_have_count(1)
    shoot(page, "journey-library-2-search")

    # The other network-meeting lesson mentions the leaders too; open the contested one.
    cards = main.locator('[data-testid="stVerticalBlock"]').filter(
        has=page.get_by_role("heading", name=CONTESTED)
    )
    cards.last.get_by_role("link", name="Les openen").click()
    settle(page)
    expect(page).to_have_url(re.compile(r"[?&]lesson=\d+"))
    expect(main.get_by_role("heading", name=CONTESTED, level=1)).to_be_visible()
    expect(main.get_by_text(re.compile(r"Status: omstreden"))).to_be_visible()
    expect(main.get_by_role("heading", name="Ondersteund door")).to_be_visible()
    expect(main.get_by_role("heading", name="Weersproken door")).to_be_visible()
    for slug in ("netwerkbijeenkomsten-utrecht", "netwerkbijeenkomsten-utrecht-zuidwest"):
        expect(grid_cell(main, titles[slug]).first).to_be_attached()
    expect(grid_cell(main, titles["netwerkbijeenkomsten-amsterdam-noord"]).first).to_be_attached()
    expect(grid_cell(main, "geen betekenisvol effect").first).to_be_attached()

    # The pooled view: three pilots, a forest plot, and the numbers in words.
    expect(main.get_by_role("heading", name="Wat zeggen alle pilots samen?")).to_be_visible()
    plot = main.locator(".js-plotly-plot").first
    expect(plot).to_be_visible()
    expect(plot.locator("text", has_text="Gepoold effect").first).to_be_attached()
    expect(main.get_by_text(re.compile(r"Samen laten 3 pilots een effect zien"))).to_be_visible()
    expect(main.get_by_text(re.compile(r"In een volgende pilot verwachten we"))).to_be_visible()
    fit_viewport_to_content(page)
    shoot(page, "journey-library-3-lesson")

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    found = _findings(page, "bibliotheek-les-demo", results.response["violations"])
    blocking = [f for f in found if f.impact in BLOCKING and f.allowed_by is None]
    assert not blocking, "\n".join(f.line() for f in blocking)
