"""WCAG 2.1 AA, checked with axe-core in Chromium on every page of the app (in Dutch).

Each page (and each tab of the pilot page) is opened in a fresh session, its expanders are
opened so that the forms inside are checked too, the window is made as tall as the content
(axe-core checks the contrast of on-screen text only) and axe-core runs with the tags wcag2a,
wcag2aa, wcag21a and wcag21aa. Any element with a violation of impact "serious" or
"critical" fails the test, unless it lies inside a part of the page that Streamlit draws
itself and that our code cannot change: those parts are listed in ALLOWED below, per rule,
each with the reason.

Every violation seen (any impact, allowed or not) is written to artifacts/e2e/axe-report.txt
and artifacts/e2e/axe-report.json (for the README) and summed up at the end of the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.browser import (
    ARTIFACTS,
    AXE_SUMMARY,
    NOORD,
    ZUID,
    fit_viewport_to_content,
    main_area,
    open_and_wait,
    open_expanders,
    running_app,
    seed_two_pilots,
    settle,
    shoot,
)

pytestmark = pytest.mark.e2e

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

# (axe rule id, CSS selector of the Streamlit-drawn container) → why it is not ours to fix.
# A node is allowed when the element axe names lies inside that container; anything else fails.
ALLOWED: dict[tuple[str, str], str] = {
    ("list", '[data-testid="stSidebarNav"]'): (
        "Streamlit's page navigation (st.navigation with sections) wraps each section's items "
        "in a <div> placed directly in its <ul data-testid='stSidebarNavItems'>; the markup is "
        "Streamlit's, our code only passes the page list."
    ),
    ("listitem", '[data-testid="stSidebarNav"]'): (
        "The same navigation: its <li> items sit in those section <div>s, not directly in a "
        "<ul>; Streamlit's markup."
    ),
}

PILOT = f"/pilot?pilot={NOORD}"
# (name in reports and screenshots, address, tab to click or None)
PAGES = [
    ("overzicht", "/", None),
    ("pilot-opzet", PILOT, "Opzet"),
    ("pilot-metingen", PILOT, "Metingen"),
    ("pilot-interventies", PILOT, "Interventies"),
    ("pilot-logboek", PILOT, "Logboek"),
    ("pilot-analyse", PILOT, "Analyse"),
    ("pilot-lessen", PILOT, "Lessen"),
    ("pilot-geschiedenis", PILOT, "Geschiedenis"),
    ("pilot-opzet-niet-vastgelegd", f"/pilot?pilot={ZUID}", "Opzet"),
    ("nieuwe-pilot-stap-1", "/nieuwe-pilot", None),
    ("indicatoren", "/indicatoren", None),
    ("export", "/export", None),
    ("export-gemaakt", f"/export?pilot={NOORD}", "@Export maken"),  # "@": a button to click
    ("bibliotheek", "/bibliotheek", None),
    ("gebruikers", "/gebruikers", None),
    ("inloggen", "/?afgemeld", None),  # signed out: the sign-in form
]


@dataclass(frozen=True)
class Finding:
    page: str
    rule: str
    impact: str
    help: str
    target: str
    html: str
    allowed_by: str | None  # the ALLOWED container it lies in, or None

    def line(self) -> str:
        status = f"allowed ({self.allowed_by})" if self.allowed_by else "NOT ALLOWED"
        return (
            f"{self.page}: {self.rule} [{self.impact}] {status}\n"
            f"    {self.help}\n    target: {self.target}\n    html: {self.html}"
        )


FINDINGS: list[Finding] = []


@pytest.fixture(scope="module")
def app_url(chromium, tmp_path_factory, request) -> Iterator[str]:
    with running_app(chromium, tmp_path_factory.mktemp("a11y"), seed_two_pilots) as base:
        yield base
    request.config.stash[AXE_SUMMARY] = _write_report()


def _write_report() -> str:
    """All findings of the module, in full to artifacts/e2e/axe-report.{txt,json} (for the
    README's accessibility section); returns the short summary for the end of the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    text = "\n".join(f.line() for f in FINDINGS) or "no axe-core violations"
    (ARTIFACTS / "axe-report.txt").write_text(text + "\n")
    (ARTIFACTS / "axe-report.json").write_text(
        json.dumps([asdict(f) for f in FINDINGS], indent=2, ensure_ascii=False) + "\n"
    )
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in FINDINGS:
        status = f"allowed: inside {f.allowed_by}" if f.allowed_by else "NOT ALLOWED"
        groups.setdefault((f.rule, f.impact, status), []).append(f)
    lines = [
        f"{rule} [{impact}] {status}: {len(found)} node(s) on "
        + ", ".join(dict.fromkeys(f.page for f in found))
        for (rule, impact, status), found in sorted(groups.items())
    ]
    pages = len({f.page for f in FINDINGS})
    return "\n".join(
        [*lines, f"({pages} page(s) with findings; in full: {ARTIFACTS / 'axe-report.txt'})"]
    )


# For each node: the containers of ALLOWED (for its rule) that hold the element axe names.
_CONTAINERS_JS = """([targets, containers]) => targets.map((target) => {
    if (target.length !== 1) return [];  // inside an iframe or shadow root: not ours to judge
    const element = document.querySelector(target[0]);
    return element ? containers.filter((c) => element.closest(c)) : [];
})"""


def _findings(page, name: str, violations: list[dict]) -> list[Finding]:
    out = []
    for violation in violations:
        containers = [c for (rule, c) in ALLOWED if rule == violation["id"]]
        targets = [node["target"] for node in violation["nodes"]]
        inside = page.evaluate(_CONTAINERS_JS, [targets, containers])
        for node, holders in zip(violation["nodes"], inside, strict=True):
            out.append(
                Finding(
                    page=name,
                    rule=violation["id"],
                    impact=violation["impact"] or "",
                    help=violation["help"],
                    target=" >>> ".join(node["target"]),
                    html=node["html"][:300],
                    allowed_by=holders[0] if holders else None,
                )
            )
    return out


@pytest.mark.parametrize(("name", "path", "tab"), PAGES, ids=[p[0] for p in PAGES])
def test_page_has_no_serious_wcag_violations(page, app_url, name, path, tab):
    open_and_wait(page, app_url + path, role=None if name == "inloggen" else "admin")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    if tab is not None and tab.startswith("@"):
        main_area(page).get_by_role("button", name=tab[1:], exact=True).click()
        settle(page)
    elif tab is not None:
        main_area(page).get_by_role("tab", name=tab, exact=True).click()
        settle(page)
        expect(page.locator('[role="tab"][aria-selected="true"]')).to_have_text(tab)
    open_expanders(page)
    fit_viewport_to_content(page)

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    found = _findings(page, name, results.response["violations"])
    FINDINGS.extend(found)
    shoot(page, f"a11y-{name}")
    for finding in found:
        print(finding.line())

    blocking = [f for f in found if f.impact in BLOCKING and f.allowed_by is None]
    assert not blocking, (
        f"{len(blocking)} serious/critical WCAG 2.1 AA violation(s) on {name} outside "
        "Streamlit's own chrome:\n" + "\n".join(f.line() for f in blocking)
    )
