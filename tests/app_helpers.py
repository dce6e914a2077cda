"""Shared AppTest plumbing: the app pointed at a real database, and a run helper.

The app reads TRACKER_DATABASE_URL on every run; each test points it at its own database
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set) and empties Streamlit's resource cache
so that no engine outlives its test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from tracker.db import make_engine, session_scope
from tracker.models import Role, utcnow
from tracker.services import organisations
from tracker.services.access import system
from tracker.ui import auth

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT = 90  # seconds; the first run imports pandas, SQLAlchemy, Alembic, statsmodels, Plotly


# One account per role in the organisation the test factories use (GM0363). They have no
# password (the tests sign in by putting the account in the session, as the sign-in page does);
# the sign-in page itself is tested with accounts that have one.
TEST_ORGANISATION = ("Amsterdam", "GM0363")
OTHER_ORGANISATION = ("Utrecht", "GM0344")


# What the sidebar menu shows each role (Dutch page titles, in order): the AppTests and the
# browser journey both check it.
ROLE_MENU = {
    "officer": ["Overzicht", "Pilot", "Nieuwe pilot", "Bibliotheek", "Indicatoren"],
    "manager": ["Overzicht", "Pilot", "Bibliotheek", "Indicatoren"],
    "analyst": ["Overzicht", "Pilot", "Bibliotheek", "Indicatoren", "Export"],
    "admin": [
        "Overzicht",
        "Pilot",
        "Nieuwe pilot",
        "Bibliotheek",
        "Indicatoren",
        "Export",
        "Gebruikers",
    ],
}


def account_email(role: str, organisation: str = TEST_ORGANISATION[1]) -> str:
    return f"{role}.{organisation.lower()}@test.example"


def make_accounts(engine: Engine) -> None:
    """The test organisation and another one, each with one account per role."""
    who = system("test-setup")
    with session_scope(engine) as session:
        for name, code in (TEST_ORGANISATION, OTHER_ORGANISATION):
            org = organisations.get_or_create_organisation(
                session, name=name, cbs_code=code, actor=who
            )
            for role in Role:
                organisations.get_or_create_user(
                    session,
                    organisation_id=org.id,
                    email=account_email(role.value, code),
                    display_name=f"Test {role.value}",
                    role=role,
                    actor=who,
                )


def _user_id(email: str) -> int:
    engine = make_engine(os.environ["TRACKER_DATABASE_URL"])
    try:
        with session_scope(engine, read_only=True) as session:
            user = organisations.get_user_by_email(session, email)
            assert user is not None and user.id is not None, f"no test account {email}"
            return user.id
    finally:
        engine.dispose()


def sign_in(at: AppTest, email: str) -> AppTest:
    """Put the account in the session, as the sign-in page does after a correct password."""
    at.session_state[auth.USER_KEY] = _user_id(email)
    at.session_state[auth.ACTIVITY_KEY] = utcnow()
    return at


def point_app_at(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TRACKER_LANGUAGE", raising=False)
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()  # disposes the app's engine before the database goes away


def open_page(page: str | None = None, *, role: str | None = "admin", **query: str) -> AppTest:
    """Run the app signed in with the test account of ``role`` (None: nobody signed in), on
    ``page`` when given, with ``query`` in the address; no exceptions."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    if role is not None:
        sign_in(at, account_email(role))
    at.query_params.update(query)
    at.run()
    if page is not None:
        at.switch_page(page)
        at.query_params.update(query)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
