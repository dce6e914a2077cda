"""Sign-in, session expiry, single sign-on and roles in the app, run by AppTest against a real
database: the sign-in page, the navigation each role sees, pages refusing a role when opened
by address, what the pilot page offers each role, the history tab and the users page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.app_helpers import APP, TIMEOUT, account_email, open_page, sign_in
from tests.app_helpers import ROLE_MENU as NAVIGATION
from tracker.db import session_scope
from tracker.models import AuditEvent, Observation, User, utcnow
from tracker.services import accounts, demo, pilots
from tracker.services.access import system
from tracker.ui import auth

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "een-lang-genoeg-wachtwoord"
SETUP = system("test-setup")


def _app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT)


def _set_password(engine, email: str, password: str = PASSWORD) -> None:
    with session_scope(engine) as session:
        accounts.set_password(session, email, password, actor=SETUP)


def _sign_in_with_form(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="login-email").input(email)
    at.text_input(key="login-password").input(password)
    at.button[0].click()  # the form's submit button
    return at.run()


def nav_titles(at: AppTest) -> list[str]:
    """The titles of the page links in the sidebar menu."""
    return [link.proto.label for link in at.sidebar.get("page_link")]


# --- signing in ------------------------------------------------------------------------------


def test_without_an_account_every_page_shows_only_the_sign_in_form(app_db):
    at = open_page(role=None)
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]
    assert not at.dataframe  # no pilot is shown to nobody
    for page in ("pages/pilot.py", "pages/export.py", "pages/users.py"):
        at.switch_page(page).run()
        assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"], page
        assert [t.label for t in at.text_input] == ["E-mailadres", "Wachtwoord"]
        assert not at.dataframe and not at.get("download_button")


def test_signing_in_on_a_shared_link_opens_that_pilot_and_tab(app_db, engine):
    with session_scope(engine) as session:
        factories.measure(session)
        pilot = factories.pilot(session)
        factories.hypothesis(session, pilot.id, "H1")
    _set_password(engine, account_email("manager"))
    at = open_page("pages/pilot.py", role=None, pilot="netwerk-noord", tab="Logboek")
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]
    _sign_in_with_form(at, account_email("manager"), PASSWORD)
    assert [t.value for t in at.title] == ["Netwerkbijeenkomsten Noord"]
    assert at.query_params["tab"] == "Logboek"


def test_a_correct_password_signs_in_and_a_wrong_one_says_so(app_db, engine):
    _set_password(engine, account_email("manager"))
    at = open_page(role=None)
    _sign_in_with_form(at, account_email("manager"), "niet-het-goede-wachtwoord")
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Dit e-mailadres en wachtwoord passen niet")
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]

    _sign_in_with_form(at, account_email("manager"), PASSWORD)
    assert not at.exception and not at.error
    assert [t.value for t in at.title] == ["Proeftuin: leren van beleidsexperimenten"]
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "Ingelogd als **Test manager** (manager)" in sidebar
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == account_email("manager"))).one()
        assert user.last_login_at is not None and user.failed_logins == 0
        actions = session.exec(
            select(AuditEvent.action).where(
                AuditEvent.entity == "user", AuditEvent.entity_id == user.id
            )
        ).all()
    assert "sign_in_failed" in actions and "sign_in" in actions


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    app_db, engine, monkeypatch
):
    monkeypatch.setenv("TRACKER_LOGIN_LOCKOUT_AFTER", "2")
    monkeypatch.setenv("TRACKER_LOGIN_LOCKOUT_SECONDS", "600")
    _set_password(engine, account_email("officer"))
    at = open_page(role=None)
    for _ in range(2):
        _sign_in_with_form(at, account_email("officer"), "fout-fout-fout-fout")
    assert at.error[0].value.startswith("Te veel mislukte pogingen. U kunt het om ")
    _sign_in_with_form(at, account_email("officer"), PASSWORD)
    assert at.error[0].value.startswith("Te veel mislukte pogingen.")
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]


def test_sign_out_returns_to_the_sign_in_page(app_db):
    at = open_page(role="analyst")
    at.sidebar.button(key="logout").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]
    assert "U bent uitgelogd." in [i.value for i in at.info]
    assert auth.USER_KEY not in at.session_state


def test_an_idle_session_expires_and_says_why(app_db, monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "30")
    at = open_page(role="manager")
    assert [t.value for t in at.title] == ["Proeftuin: leren van beleidsexperimenten"]
    at.session_state[auth.ACTIVITY_KEY] = utcnow() - dt.timedelta(minutes=29)
    at.run()
    assert [t.value for t in at.title] == ["Proeftuin: leren van beleidsexperimenten"]
    at.session_state[auth.ACTIVITY_KEY] = utcnow() - dt.timedelta(minutes=31)
    at.run()
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]
    [warning] = at.warning
    assert "langer dan 30 minuten niet actief" in warning.value


def test_a_disabled_account_is_signed_out_at_its_next_click(app_db, engine):
    at = open_page(role="analyst")
    with session_scope(engine) as session:
        accounts.set_active(session, account_email("analyst"), False, actor=SETUP)
    at.run()
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]
    assert any("uitgeschakeld" in i.value for i in at.info)


def test_single_sign_on_matches_the_proven_address_to_a_user_row(app_db, engine):
    at = _app()
    # The identity provider's answer as st.user shows it after st.login (faked by AppTest).
    at.user = {"is_logged_in": True, "email": account_email("analyst").upper(), "name": "X"}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Proeftuin: leren van beleidsexperimenten"]
    assert "analyst" in " ".join(m.value for m in at.sidebar.markdown)
    assert "Export" in nav_titles(at)  # the role comes from the user row
    with session_scope(engine) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert event.after == {"method": "oidc"}


def test_single_sign_on_without_an_account_is_refused_with_the_address(app_db):
    at = _app()
    at.user = {"is_logged_in": True, "email": "onbekend@elders.example"}
    at.run()
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]
    [error] = at.error
    assert "onbekend@elders.example" in error.value
    assert "geen actief account" in error.value


def test_an_identity_that_is_not_logged_in_is_not_trusted(app_db):
    at = _app()
    at.user = {"email": account_email("admin")}  # no is_logged_in: not proven
    at.run()
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]


def test_demo_passwords_are_shown_only_when_the_database_holds_the_demo(app_db, engine):
    at = open_page(role=None)
    assert not at.table
    with session_scope(engine) as session:
        demo.load_demo(session, actor=SETUP, root=ROOT)
    at = open_page(role=None)
    [table] = at.table
    shown = table.value
    assert list(shown.iloc[:, 1]) == [email for email, *_ in demo.DEMO_USERS]
    assert list(shown.iloc[:, 2]) == [password for *_, password in demo.DEMO_USERS]
    # ...and they work.
    _sign_in_with_form(at, "manager@demo.proeftuin.example", "proeftuin-manager")
    assert [t.value for t in at.title] == ["Proeftuin: leren van beleidsexperimenten"]


# --- what each role sees ---------------------------------------------------------------------


@pytest.mark.parametrize("role", list(NAVIGATION))
def test_the_navigation_shows_each_role_only_its_pages(app_db, role):
    at = open_page(role=role)
    assert nav_titles(at) == NAVIGATION[role]


@pytest.mark.parametrize(
    ("page", "role"), [("pages/export.py", "officer"), ("pages/users.py", "analyst")]
)
def test_a_page_outside_the_role_opened_in_the_app_refuses_with_a_message(app_db, page, role):
    at = open_page(role=role)
    at.switch_page(page).run()  # as when its address is typed
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Deze pagina is niet beschikbaar voor uw rol")


REFUSALS = [
    ("pages/export.py", "officer"),
    ("pages/export.py", "manager"),
    ("pages/new_pilot.py", "manager"),
    ("pages/new_pilot.py", "analyst"),
    ("pages/users.py", "officer"),
    ("pages/users.py", "manager"),
    ("pages/users.py", "analyst"),
]


@pytest.mark.parametrize(("page", "role"), REFUSALS)
def test_a_page_opened_by_address_without_the_role_refuses(app_db, page, role):
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    sign_in(at, account_email(role)).run()
    assert not at.exception
    [error] = at.error
    assert error.value.startswith("Deze pagina is niet beschikbaar voor uw rol")
    assert not at.title and not at.get("download_button") and not at.text_input


@pytest.mark.parametrize(
    ("page", "role"), [("pages/export.py", "analyst"), ("pages/users.py", "admin")]
)
def test_the_same_pages_open_for_the_role_that_may(app_db, page, role):
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    sign_in(at, account_email(role)).run()
    assert not at.exception and not at.error
    assert at.title


def test_every_page_opened_on_its_own_asks_to_sign_in(app_db):
    for page in ("pages/home.py", "pages/pilot.py", "pages/codebook.py", "pages/library.py"):
        at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT).run()
        assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"], page
        assert not at.dataframe and not at.selectbox, page


@pytest.fixture
def two_organisations(engine, app_db) -> dict[str, int]:
    """A pilot in the test organisation (GM0363) and one in another organisation (GM0344)."""
    with session_scope(engine) as session:
        factories.measure(session)
        ours = factories.pilot(session)
        factories.hypothesis(session, ours.id, "H1")
        other_org = session.exec(
            select(User.organisation_id).where(User.email == account_email("admin", "GM0344"))
        ).one()
        theirs = pilots.create_pilot(
            session,
            {
                "slug": "elders",
                "title": "Pilot van een andere organisatie",
                "municipality": "Utrecht",
                "municipality_code": "GM0344",
                "domains": ["jeugd"],
                "baseline_start": dt.date(2020, 1, 1),
                "intervention_start": dt.date(2021, 1, 1),
                "evaluation_end": dt.date(2022, 12, 31),
            },
            organisation_id=other_org,
            actor=SETUP,
        )
    return {"ours": ours.id, "theirs": theirs.id}


@pytest.mark.parametrize("role", ["officer", "manager", "analyst", "admin"])
def test_nobody_sees_another_organisations_pilot(two_organisations, role):
    at = open_page(role=role)
    titles = list(at.dataframe[0].value.iloc[:, 0])
    assert titles == ["Netwerkbijeenkomsten Noord"]
    at = open_page("pages/pilot.py", role=role, pilot="elders")
    assert "Pilot van een andere organisatie" not in [t.value for t in at.title]
    assert at.selectbox(key="pilot-choice").options == ["Netwerkbijeenkomsten Noord"]


def test_a_manager_reads_and_comments_but_cannot_edit(two_organisations, engine):
    at = open_page("pages/pilot.py", role="manager", pilot="netwerk-noord", tab="Opzet")
    assert "register" not in _button_keys(at)
    at = open_page("pages/pilot.py", role="manager", pilot="netwerk-noord", tab="Logboek")
    [kind] = [s for s in at.selectbox if s.label == "Soort notitie"]
    assert kind.options == ["opmerking"]
    at.text_area[0].input("Graag ook de wachttijden meenemen.")
    at.button[0].click().run()
    assert not at.exception and not at.error
    with session_scope(engine) as session:
        [note] = session.exec(select(Observation)).all()
    assert (note.kind, note.author) == ("comment", account_email("manager"))
    at = open_page("pages/pilot.py", role="manager", pilot="netwerk-noord", tab="Metingen")
    assert not at.get("file_uploader")  # reading, not entering


def _button_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button]


def test_an_officer_outside_the_team_reads_and_a_team_member_edits(two_organisations, engine):
    at = open_page("pages/pilot.py", role="officer", pilot="netwerk-noord", tab="Opzet")
    assert "register" not in _button_keys(at)
    with session_scope(engine) as session:
        pilots.add_member(session, two_organisations["ours"], account_email("officer"), actor=SETUP)
    at = open_page("pages/pilot.py", role="officer", pilot="netwerk-noord", tab="Opzet")
    at.button(key="register").click().run()
    assert not at.exception and not at.error
    assert "Test officer" in " ".join(m.value for m in at.markdown)  # the team list


def test_an_analyst_runs_the_analysis_again(two_organisations, engine):
    at = open_page("pages/pilot.py", role="analyst", pilot="netwerk-noord", tab="Analyse")
    at.button(key="a-rerun").click().run()
    assert not at.exception and not at.error
    with session_scope(engine) as session:
        [event] = session.exec(
            select(AuditEvent).where(AuditEvent.action == "rerun_analysis")
        ).all()
    assert event.actor == account_email("analyst")
    at = open_page("pages/pilot.py", role="manager", pilot="netwerk-noord", tab="Analyse")
    assert "a-rerun" not in _button_keys(at)


def test_the_history_tab_shows_who_changed_what(two_organisations, engine):
    at = open_page("pages/pilot.py", role="admin", pilot="netwerk-noord", tab="Opzet")
    at.button(key="register").click().run()
    at = open_page("pages/pilot.py", role="manager", pilot="netwerk-noord", tab="Geschiedenis")
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame.columns) == ["Wanneer (UTC)", "Wie", "Actie", "Onderdeel", "Wijzigingen"]
    first = frame.iloc[0]  # newest first
    assert (first["Wie"], first["Actie"], first["Onderdeel"]) == (
        account_email("admin"),
        "vastgelegd",
        "hypothese 1",
    )
    assert "registered_at: None → " in first["Wijzigingen"]
    assert (frame.iloc[-1]["Actie"], frame.iloc[-1]["Onderdeel"]) == ("aangemaakt", "pilot 1")


def test_an_admin_adds_an_account_and_changes_a_role(app_db, engine):
    at = open_page("pages/users.py", role="admin")
    emails = list(at.dataframe[0].value.iloc[:, 0])
    assert emails == sorted(account_email(r) for r in NAVIGATION)  # only their organisation
    at.text_input(key="users-add-email").input("nieuw@gemeente.example")
    at.text_input(key="users-add-name").input("Nieuwe Collega")
    at.selectbox(key="users-add-role").select("analyst")
    at.text_input(key="users-add-password").input("kort")
    at.button[0].click().run()
    assert "minstens 12 tekens" in at.error[0].value
    at.text_input(key="users-add-password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception and not at.error
    at.selectbox(key="users-who").select("nieuw@gemeente.example").run()
    at.selectbox(key=f"users-role-{_id(engine, 'nieuw@gemeente.example')}").select("manager")
    at.button(key="users-set-role").click().run()
    assert not at.error
    with session_scope(engine) as session:
        user = session.exec(select(User).where(User.email == "nieuw@gemeente.example")).one()
        assert (user.role, user.password_hash.startswith("$argon2id$")) == ("manager", True)


def _id(engine, email: str) -> int:
    with session_scope(engine) as session:
        return session.exec(select(User.id).where(User.email == email)).one()
