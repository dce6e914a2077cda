"""Browser-test plumbing: a seeded SQLite database, `streamlit run` on a free localhost port,
Debian's Chromium through Playwright, and waiting for Streamlit to finish a run.

No browser is downloaded: without /usr/bin/chromium the browser tests fail and say how to
install it. The browser fixtures live in ``tests/e2e/conftest.py``; each test module starts
its own server (module scope) on the data it needs, with ``running_app``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlmodel import Session

from tracker import migrate
from tracker.db import make_engine, session_scope

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
VIEWPORT = {"width": 1400, "height": 900}
# Streamlit marks its root element with the script state; "notRunning" means the page is done.
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
APP_RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
START_TIMEOUT = 60  # seconds for `streamlit run` to answer
UI_TIMEOUT_MS = 30_000  # any one wait in the browser (the first run imports pandas, Plotly, …)
# The accessibility module's summary, printed at the end of the run by conftest.py.
AXE_SUMMARY = pytest.StashKey[str]()


# ------------------------------------------------------------------------------------ shared data
NOORD = "netwerk-noord"  # Amsterdam, running, registered late, 36 months with a clear drop
ZUID = "mentoren-zuid"  # Utrecht, baseline, one hypothesis not yet registered, no data
ROLES = ("officer", "manager", "analyst", "admin")


def e2e_email(role: str) -> str:
    return f"{role}@e2e.example"


def e2e_password(role: str) -> str:
    return f"e2e-{role}-wachtwoord"


def seed_accounts(session: Session) -> None:
    """One account per role, with a password, in the organisation the factories use."""
    from tests import factories
    from tracker.services import accounts

    org = factories.organisation(session)
    for role in ROLES:
        accounts.add_user(
            session,
            email=e2e_email(role),
            display_name=f"E2E {role}",
            role=role,
            organisation_id=org.id,
            password=e2e_password(role),
            actor=factories.ACTOR,
        )


def monthly_csv(
    first: dt.date, months: int, *, level: float, jump: float, start: dt.date, seed: int = 3
) -> str:
    """A tidy ``period,value`` file: ``months`` monthly values from ``first``, around
    ``level`` and ``jump`` higher from ``start`` on (a small fixed wobble, no randomness)."""
    lines = ["period,value"]
    for m in range(months):
        period = dt.date(
            first.year + (first.month - 1 + m) // 12, (first.month - 1 + m) % 12 + 1, 1
        )
        wobble = ((m * 7 + seed) % 5 - 2) * 0.6  # −1.2 … 1.2, repeating
        value = level + (jump if period >= start else 0.0) + wobble
        lines.append(f"{period.isoformat()},{value:.1f}")
    return "\n".join(lines) + "\n"


def seeded_sqlite(path: Path, seed: Callable[[Session, Path], None]) -> str:
    """A migrated SQLite database at ``path`` filled by ``seed(session, folder)`` (through the
    services, in one transaction); returns its URL. ``folder`` is for files the seed writes."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with session_scope(engine) as session:
            seed(session, path.parent)
    finally:
        engine.dispose()
    return url


def seed_two_pilots(session: Session, folder: Path) -> None:
    """Two pilots in two municipalities, through the services: Noord (Amsterdam) with a
    registered hypothesis, 36 months of data, an intervention and journal notes, so every tab
    has content and a verdict exists; Zuid (Utrecht) with one unregistered hypothesis."""
    from tests import factories
    from tracker.services import hypotheses, journal
    from tracker.services.measurements import import_measurements
    from tracker.services.verdicts import refresh_verdicts

    seed_accounts(session)
    factories.measure(session)
    # The officer owns Noord (so may edit it and publish its lessons); Zuid has no owner.
    noord = factories.pilot(session, slug=NOORD, owner_email=e2e_email("officer"))
    factories.hypothesis(session, noord.id, "H1")
    hypotheses.register_hypotheses(session, noord.id, actor=factories.ACTOR, registered_late=True)
    journal.add_intervention(
        session,
        noord.id,
        {"date": dt.date(2021, 1, 15), "kind": "training", "title": "Training gespreksleiders"},
        actor=factories.ACTOR,
    )
    journal.add_observation(
        session,
        noord.id,
        {
            "date": dt.date(2021, 6, 1),
            "kind": "unforeseen_effect",
            "text": "Buren melden zich ook voor andere gezinnen aan.",
            "hypothesis_code": "H1",
        },
        actor=factories.ACTOR,
    )
    zuid = factories.pilot(
        session,
        slug=ZUID,
        title="Mentoren Zuid",
        municipality="Utrecht",
        municipality_code="GM0344",
        domains=["jeugd"],
        strategy="mentoring",
        status="baseline",
    )
    factories.hypothesis(session, zuid.id, "H1")
    data = folder / "noord.csv"
    data.write_text(
        monthly_csv(dt.date(2020, 1, 1), 36, level=50, jump=-8, start=dt.date(2021, 1, 1))
    )
    report = import_measurements(
        session, noord.id, data, measure_code="contacten", actor=factories.ACTOR
    )
    assert report.ok, report.errors
    refresh_verdicts(session, zuid.id)


# ------------------------------------------------------------------------------------- the server
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


@contextmanager
def streamlit_server(database_url: str, log: Path) -> Iterator[str]:
    """`streamlit run streamlit_app.py` on 127.0.0.1 against ``database_url`` (Dutch by
    default); yields the base address and stops the server afterwards."""
    port = _free_port()
    env = os.environ | {"TRACKER_DATABASE_URL": database_url, "TRACKER_LANGUAGE": "nl"}
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


@contextmanager
def running_app(chromium, folder: Path, seed: Callable[[Session, Path], None]) -> Iterator[str]:
    """The app on a database in ``folder`` seeded by ``seed``, warmed up; yields its address.

    Warm-up: one browser session opens the main page first, and nothing else. Until a session has
    opened the main page, Streamlit 1.67 answers a deep link such as ``/nieuwe-pilot`` with a
    spurious "Page not found" dialog on top of the right page (a two-page ``st.navigation`` app
    of a few lines does the same, so the quirk is Streamlit's, not ours). The journeys are
    about our pages, so they start after that first run.
    """
    url = seeded_sqlite(folder / "e2e.db", seed)
    with streamlit_server(url, folder / "streamlit.log") as base:
        context = chromium.new_context(viewport=VIEWPORT)
        try:
            open_and_wait(context.new_page(), base + "/", role=None)
        finally:
            context.close()
        yield base


def require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(sudo apt-get install chromium). Do not run `playwright install`."
        )


# -------------------------------------------------------------------------- waiting for Streamlit
_DOM_QUIET_JS = """([quietMs, maxMs]) => new Promise((resolve) => {
    const main = document.body;
    let timer;
    const done = () => { observer.disconnect(); clearTimeout(limit); resolve(true); };
    const observer = new MutationObserver(() => {
        clearTimeout(timer);
        timer = setTimeout(done, quietMs);
    });
    const limit = setTimeout(done, maxMs);
    observer.observe(main, { subtree: true, childList: true, characterData: true });
    timer = setTimeout(done, quietMs);
})"""


def wait_idle(page, *, quiet_ms: int = 400) -> None:
    """Wait until Streamlit has finished the current run, then until the page stops changing
    for ``quiet_ms``: Streamlit loads many widgets (text inputs, grids, charts) lazily, after
    the script run is already reported done."""
    page.wait_for_selector(APP_IDLE, timeout=UI_TIMEOUT_MS)
    wait_quiet(page, quiet_ms=quiet_ms)


def wait_quiet(page, *, quiet_ms: int = 400) -> None:
    """Wait until the page's DOM has not changed for ``quiet_ms`` (at most 10 seconds)."""
    page.evaluate(_DOM_QUIET_JS, [quiet_ms, UI_TIMEOUT_MS // 3])


def settle(page, *, start_ms: int = 1_500) -> None:
    """After an action that makes Streamlit rerun: give the run up to ``start_ms`` to begin,
    then wait until it is done. (Right after a click the app may still say "notRunning" for
    a moment, because the rerun request has not reached the server yet.)"""
    with contextlib.suppress(Exception):  # the run was quicker than the poll, or none came
        page.wait_for_selector(APP_RUNNING, timeout=start_ms)
    wait_idle(page)


def open_and_wait(page, url: str, *, role: str | None = "admin") -> None:
    """Open ``url``; when it asks to sign in, sign in with the e2e account of ``role`` (None:
    stay signed out). A new address in the browser is a new Streamlit session, so every
    opened link signs in again, and then shows the address it was given."""
    page.goto(url)
    wait_idle(page)
    if role is not None:
        # A new address is a new session: the form always comes (its inputs render lazily).
        page.locator(SIGN_IN_EMAIL).wait_for(timeout=UI_TIMEOUT_MS)
        sign_in_with_form(page, e2e_email(role), e2e_password(role))
    dialogs = page.get_by_role("dialog")
    assert dialogs.count() == 0, f"a dialog covers {url}: {dialogs.all_inner_texts()}"


# The sign-in form's fields, found by their autocomplete purpose (the same in every language).
SIGN_IN_EMAIL = 'input[autocomplete="username"]'
SIGN_IN_PASSWORD = 'input[autocomplete="current-password"]'


def sign_in_with_form(page, email: str, password: str) -> None:
    """Type the address and password into the sign-in form and submit it, as a person does."""
    page.locator(SIGN_IN_EMAIL).fill(email)
    page.locator(SIGN_IN_PASSWORD).fill(password)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    settle(page)
    # Signing in ends with a second run (st.rerun); the form is gone once that one started.
    page.locator(SIGN_IN_EMAIL).wait_for(state="detached", timeout=UI_TIMEOUT_MS)
    wait_idle(page)


# ---------------------------------------------------------------------- finding and using widgets
def main_area(page):
    """The app's own content (not the sidebar, the header or Streamlit's toolbar)."""
    return page.locator('[data-testid="stMain"]')


def grid_cell(where, text: str):
    """A cell of an ``st.dataframe`` in ``where`` (a page or locator). The table is drawn on
    a canvas; its cells also live in a hidden grid for screen readers."""
    return where.get_by_role("gridcell", name=text, exact=True, include_hidden=True)


def column_header(where, text: str):
    """A column header of an ``st.dataframe`` (from the same hidden grid)."""
    return where.get_by_role("columnheader", name=text, exact=True, include_hidden=True)


def _pick(page, box, option: str) -> None:
    """Open the list of ``box`` (a combobox) and click ``option``. A rerun that lands just
    after the click can close the list again, so the opening is retried a few times."""
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        box.click()
        try:
            choice.wait_for(state="visible", timeout=3_000)
        except Exception:  # the list closed again (a late rerun): open it once more
            continue
        choice.click()
        return
    shown = page.get_by_role("option").all_inner_texts()
    raise AssertionError(f"option {option!r} did not appear in {box}; options shown: {shown}")


def choose_in_selectbox(page, label: str, option: str, *, scope=None) -> None:
    """Open the selectbox labelled ``label`` and pick ``option``."""
    _pick(page, (scope or page).get_by_role("combobox", name=label, exact=True), option)


def choose_in_multiselect(page, label: str, option: str, *, scope=None) -> None:
    """Open the multiselect labelled ``label``, pick ``option`` and close the list again."""
    _pick(page, (scope or page).get_by_role("combobox", name=label, exact=True), option)
    page.keyboard.press("Escape")


def set_text(page, label: str, value: str, *, scope=None) -> None:
    """Fill the text box labelled ``label`` (``exact``) and leave it, so Streamlit takes it."""
    box = (scope or page).get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def open_expanders(page) -> None:
    """Open every closed expander in view, as a reader who wants to see everything does
    (client-side only: no rerun), so that the forms inside are checked too."""
    closed = main_area(page).locator('[data-testid="stExpander"] details:not([open]) > summary')
    # One at a time from the top: the locator is live, so after opening one the positions of the
    # others shift (a list taken up front would skip every second expander).
    for _ in range(100):
        visible = [summary for summary in closed.all() if summary.is_visible()]
        if not visible:
            break
        visible[0].click()
    wait_quiet(page)


def set_date(page, label: str, day: dt.date, *, scope=None) -> None:
    """Type ``day`` into the date field labelled ``label``, segment by segment (day, month,
    year are separate spin buttons named "day, <label>" etc. in Streamlit's date input)."""
    where = scope or page
    for part, text in (
        ("day", f"{day.day:02d}"),
        ("month", f"{day.month:02d}"),
        ("year", str(day.year)),
    ):
        segment = where.get_by_role("spinbutton", name=f"{part}, {label}", exact=True)
        segment.click()
        page.keyboard.type(text)


# ------------------------------------------------------------------------- checks and screenshots
MESSAGE_KEY = re.compile(r"\bui\.[a-z_]+(?:\.[a-z_]+)+\b")


def assert_no_message_keys(page) -> None:
    """No raw catalogue key (``ui.design.auto``) on screen, in text or in a widget's shown
    value: every text a page uses must be registered before it is shown, whichever page the
    server happened to run first."""
    shown = page.locator("body").evaluate(
        """(body) => [body.innerText,
            ...[...body.querySelectorAll("input, textarea")].map((e) => e.value)].join("\\n")"""
    )
    keys = sorted(set(MESSAGE_KEY.findall(shown)))
    assert not keys, f"untranslated message keys on {page.url}: {keys}"


def squash(text: str) -> str:
    """Whitespace collapsed, for comparing visible text."""
    return re.sub(r"\s+", " ", text).strip()


def fit_viewport_to_content(page, *, limit: int = 8_000) -> None:
    """Make the window as tall as the app's content (up to ``limit`` pixels). Streamlit scrolls
    inside its main container, so a "full page" screenshot would show only the first screen,
    and axe-core checks the colour contrast of on-screen text only."""
    height = page.evaluate(
        """() => Math.max(
            ...[...document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]')]
                .map((e) => e.scrollHeight), 0)"""
    )
    wanted = max(VIEWPORT["height"], min(limit, height + 40))
    if wanted != page.viewport_size["height"]:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": wanted})
        wait_quiet(page, quiet_ms=300)


def shoot(page, name: str) -> Path:
    """Save a screenshot of the whole app as artifacts/e2e/<name>.png (a test artifact)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    fit_viewport_to_content(page)
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    return path
