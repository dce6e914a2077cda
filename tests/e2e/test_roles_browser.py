"""Journey: someone signs in with each demo account, as the sign-in page offers them, and sees
only what that role may see.

The database holds the seven demo pilots (``tracker demo load``) of the demo organisation and,
beside them, a pilot of another organisation that no demo account may see. For every role the
journey reads the demo account off the sign-in page, signs in, checks the navigation, the
portfolio and what the pilot page offers, opens a page the role may not use by its address,
and signs out. Screenshots: artifacts/e2e/roles-<role>-*.png.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.app_helpers import ROLE_MENU as NAVIGATION
from tests.e2e.browser import (
    PROJECT_ROOT,
    grid_cell,
    main_area,
    open_and_wait,
    running_app,
    settle,
    shoot,
    sign_in_with_form,
)
from tracker.services import demo, organisations, pilots
from tracker.services.access import system

pytestmark = pytest.mark.e2e

OTHER_TITLE = "Geheime pilot van een andere gemeente"
DEMO_TITLES = [
    "Informele hulp en thuiszorg verbonden in Gieten",
    "Generalist voor de burger, specialist in het team",
    "Informele mentoren voor jongeren naast jeugdhulp",
    "Sociale netwerkbijeenkomsten Overvecht",
    "Pedagogisch collectief in de buurt",
    "Netwerkbijeenkomsten met een vaste gespreksleider in Zuidwest",
    "Netwerkbijeenkomsten in Buikslotermeer",
]

# A page each role may not use, opened by its address.
FORBIDDEN = {"officer": "/export", "manager": "/gebruikers", "analyst": "/nieuwe-pilot"}
ROLE_LABEL = {
    "officer": "beleidsmedewerker",
    "manager": "manager",
    "analyst": "analist",
    "admin": "beheerder",
}


def _seed(session, _folder) -> None:
    who = system("e2e-setup")
    demo.load_demo(session, actor=who, root=PROJECT_ROOT)
    other = organisations.get_or_create_organisation(
        session, name="Zwolle", cbs_code="GM0193", actor=who
    )
    pilots.create_pilot(
        session,
        {
            "slug": "andere-organisatie",
            "title": OTHER_TITLE,
            "municipality": "Zwolle",
            "municipality_code": "GM0193",
            "domains": ["wmo"],
            "baseline_start": dt.date(2022, 1, 1),
            "intervention_start": dt.date(2023, 1, 1),
            "evaluation_end": dt.date(2024, 12, 31),
        },
        organisation_id=other.id,
        actor=who,
    )


@pytest.fixture(scope="module")
def app_url(chromium, tmp_path_factory) -> Iterator[str]:
    with running_app(chromium, tmp_path_factory.mktemp("roles"), _seed) as base:
        yield base


def _demo_account(page, role: str) -> tuple[str, str]:
    """The address and password of the role's demo account, read off the sign-in page."""
    row = main_area(page).locator("table tr").filter(has_text=ROLE_LABEL[role]).first
    cells = row.locator("td").all_inner_texts()
    email, password = cells[-2].strip(), cells[-1].strip()
    assert email.startswith(f"{role}@demo."), cells
    return email, password


@pytest.mark.parametrize("role", list(NAVIGATION))
def test_each_demo_role_signs_in_and_sees_only_what_it_may(page, app_url, role):
    main = main_area(page)
    sidebar = page.get_by_test_id("stSidebar")
    open_and_wait(page, app_url, role=None)
    expect(main.get_by_role("heading", name="Inloggen bij Proeftuin")).to_be_visible()
    expect(main.get_by_text("Demonstratieaccounts.")).to_be_visible()
    shoot(page, f"roles-{role}-1-sign-in")
    email, password = _demo_account(page, role)
    sign_in_with_form(page, email, password)

    # The navigation holds the role's pages, and only those.
    expect(sidebar.get_by_text(f"({ROLE_LABEL[role]})")).to_be_visible()
    links = sidebar.get_by_test_id("stPageLink")
    expect(links).to_have_count(len(NAVIGATION[role]))
    # Each link's text is its icon's name (a font ligature) and then its title.
    assert [t.split("\n")[-1].strip() for t in links.all_inner_texts()] == NAVIGATION[role]

    # The portfolio: the demo pilots, never the other organisation's.
    for title in DEMO_TITLES:
        expect(grid_cell(main, title)).to_have_count(1)
    expect(grid_cell(main, OTHER_TITLE)).to_have_count(0)
    shoot(page, f"roles-{role}-2-overview")

    # The pilot page: a manager may comment but not register or enter data; an analyst may
    # run the analysis again; the officer owns the demo pilots and may edit them.
    sidebar.get_by_role("link", name="Pilot", exact=True).click()
    settle(page)
    expect(main.get_by_role("combobox", name="Kies een pilot")).to_be_visible()
    main.get_by_role("tab", name="Analyse", exact=True).click()
    settle(page)
    rerun = main.get_by_role("button", name="Analyse opnieuw uitvoeren")
    expect(rerun).to_have_count(1 if role in ("analyst", "admin") else 0)
    main.get_by_role("tab", name="Metingen", exact=True).click()
    settle(page)
    uploads = main.get_by_test_id("stFileUploader")  # a tidy file and a CBS StatLine file
    expect(uploads).to_have_count(2 if role in ("officer", "admin") else 0)
    shoot(page, f"roles-{role}-3-pilot")

    # A page outside the role, opened by its address, refuses (after signing in again: a new
    # address is a new session).
    if role in FORBIDDEN:
        page.goto(app_url + FORBIDDEN[role])
        settle(page)
        sign_in_with_form(page, email, password)
        expect(main.get_by_text("Deze pagina is niet beschikbaar voor uw rol")).to_be_visible()
        shoot(page, f"roles-{role}-4-refused")

    sidebar.get_by_role("button", name="Uitloggen").click()
    settle(page)
    expect(main.get_by_text("U bent uitgelogd.")).to_be_visible()
