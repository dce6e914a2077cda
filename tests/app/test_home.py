"""The app shell and the home page, run by Streamlit's AppTest against a real database.

The app reads TRACKER_DATABASE_URL on every run; each test points it at its own database
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set) and empties Streamlit's resource cache
so that no engine outlives its test.
"""

from __future__ import annotations

import json

import pytest
import streamlit as st
from sqlalchemy import text
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.app_helpers import APP, TIMEOUT, account_email, open_page, sign_in
from tracker.db import session_scope
from tracker.services import hypotheses

DUTCH_HEADERS = [
    "Pilot",
    "Openen",
    "Gemeente",
    "Domeinen",
    "Status",
    "Fase",
    "Eigenaar",
    "Uitslagen",
    "Te laat vastgelegd",
    "Laatste invoer",
    "Actualiteit",
]
ENGLISH_HEADERS = [
    "Pilot",
    "Open",
    "Municipality",
    "Domains",
    "Status",
    "Phase",
    "Owner",
    "Verdicts",
    "Registered late",
    "Last entry",
    "Up to date",
]


@pytest.fixture
def two_pilots(engine, app_db) -> dict[str, int]:
    """A running pilot whose two hypotheses were registered late, and a pilot in baseline."""
    with session_scope(engine) as session:
        factories.measure(session)
        noord = factories.pilot(session)
        factories.hypothesis(session, noord.id, "H1")
        factories.hypothesis(session, noord.id, "H2")
        hypotheses.register_hypotheses(
            session, noord.id, actor=factories.ACTOR, registered_late=True
        )
        armoede = factories.pilot(
            session, slug="armoedepact", title="Armoedepact Zuid", status="baseline"
        )
    return {"noord": noord.id, "armoede": armoede.id}


def run_app(role: str | None = "admin", **query: str) -> AppTest:
    return open_page(role=role, **query)


def headers(at: AppTest) -> list[str]:
    config = json.loads(at.dataframe[0].proto.columns)
    return [config[name]["label"] for name in at.dataframe[0].value.columns]


def shown_values(at: AppTest) -> list[dict[str, str]]:
    """The table's cells as the reader sees them (after number formatting)."""
    styler = at.dataframe[0].proto.arrow_data.styler
    shown = dataframe_util.convert_arrow_bytes_to_pandas_df(styler.display_values)
    return shown.astype(str).to_dict("records")


def test_home_has_dutch_title_intro_and_heading(two_pilots):
    at = run_app()
    assert [t.value for t in at.title] == ["Proeftuin: leren van beleidsexperimenten"]
    assert "verwachten → doen → meten → toetsen → leren" in at.markdown[1].value
    assert [h.value for h in at.header] == ["Alle pilots"]


def test_pilot_table_has_dutch_headers(two_pilots):
    assert headers(run_app()) == DUTCH_HEADERS


def test_pilot_table_lists_each_pilot_with_its_marks(two_pilots):
    table = run_app().dataframe[0].value
    rows = table.set_index("title")[["municipality", "status", "phase", "late", "verdicts"]]
    assert rows.to_dict("index") == {
        "Armoedepact Zuid": {
            "municipality": "Amsterdam",
            "status": "nulmeting",
            "phase": "afgerond",
            "late": "",
            "verdicts": "",
        },
        "Netwerkbijeenkomsten Noord": {
            "municipality": "Amsterdam",
            "status": "lopend",
            "phase": "afgerond",
            "late": "⚠ 2 van 2",
            "verdicts": "2 onvoldoende gegevens",
        },
    }


def test_late_registration_is_explained_in_words(two_pilots):
    captions = [c.value for c in run_app().caption]
    assert any(
        c.startswith("⚠ te laat vastgelegd: hypothesen die pas na de start") for c in captions
    )


def test_choosing_english_translates_page_table_and_address(two_pilots):
    at = run_app()
    at.selectbox(key="lang").select("en").run()
    assert [t.value for t in at.title] == ["Proeftuin: learning from policy experiments"]
    assert [h.value for h in at.header] == ["All pilots"]
    assert headers(at) == ENGLISH_HEADERS
    assert list(at.dataframe[0].value["status"]) == ["baseline", "running"]
    assert list(at.dataframe[0].value["late"]) == ["", "⚠ 2 of 2"]
    assert list(at.dataframe[0].value["open"]) == [
        "pilot?pilot=armoedepact&lang=en",
        "pilot?pilot=netwerk-noord&lang=en",
    ]
    assert at.query_params["lang"] == "en"


def test_shared_link_with_lang_en_opens_in_english(two_pilots):
    at = run_app(lang="en")
    assert at.selectbox(key="lang").value == "en"
    assert headers(at) == ENGLISH_HEADERS


def test_language_defaults_to_dutch_and_is_put_in_the_address(two_pilots):
    at = run_app()
    assert at.selectbox(key="lang").value == "nl"
    assert at.selectbox(key="lang").label == "Taal / Language"
    assert at.query_params["lang"] == "nl"


def test_unknown_lang_in_address_falls_back_to_the_setting(two_pilots, monkeypatch):
    monkeypatch.setenv("TRACKER_LANGUAGE", "en")
    at = run_app(lang="fr")
    assert at.query_params["lang"] == "en"
    assert [h.value for h in at.header] == ["All pilots"]


def test_chosen_language_stays_when_moving_to_another_page(two_pilots):
    at = run_app()
    at.selectbox(key="lang").select("en").run()
    at.query_params.clear()  # what the browser does when the reader picks another page
    at.switch_page("pages/codebook.py").run()
    assert [t.value for t in at.title] == ["Measures"]
    assert at.query_params["lang"] == "en"


@pytest.mark.parametrize(
    ("lang", "hypotheses", "measurements"),
    [("nl", "1.200", "12.345"), ("en", "1,200", "12,345")],
)
def test_numbers_are_written_in_the_readers_language(lang, hypotheses, measurements):
    def table_app(lang: str) -> None:
        from tracker.services.pilots import PilotSummary
        from tracker.ui import pilot_table

        summary = PilotSummary(1, "p", "P", "Utrecht", "closed", 1_200, 12_345, 0)
        pilot_table([summary], lang, name="pilots")

    at = AppTest.from_function(table_app, args=(lang,), default_timeout=TIMEOUT).run()
    [row] = shown_values(at)
    assert (row["hypotheses"], row["measurements"]) == (hypotheses, measurements)
    assert at.dataframe[0].value["measurements"].tolist() == [12_345]  # still a number


def test_empty_database_says_how_to_fill_it(app_db):
    at = run_app()
    assert not at.dataframe
    [info] = at.info
    assert "Er staan nog geen pilots in de database" in info.value
    assert "`tracker demo load`" in info.value


def test_empty_database_message_in_english(app_db):
    [info] = run_app(lang="en").info
    assert info.value.startswith("There are no pilots in the database yet.")


def test_database_without_tables_says_to_upgrade(bare_db):
    at = run_app(role=None)  # nobody can be signed in to a database without tables
    assert not at.dataframe
    [warning] = at.warning
    assert warning.value.startswith("De database is nog niet ingericht.")
    assert "`tracker db upgrade`" in warning.value
    assert [t.value for t in at.title] == ["Inloggen bij Proeftuin"]


def test_database_from_another_app_version_says_to_upgrade(app_db):
    with app_db.begin() as conn:  # as a newer release of the app would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    [warning] = run_app(lang="en").warning
    assert warning.value.startswith("The database has a different version (9999_future)")


def test_unreachable_database_is_explained_without_password(monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql+psycopg://app:geheim@127.0.0.1:9/x")
    st.cache_resource.clear()
    try:
        [warning] = run_app(role=None).warning
    finally:
        st.cache_resource.clear()
    assert warning.value.startswith("De database (postgresql+psycopg://app:***@127.0.0.1:9/x)")
    assert "geheim" not in warning.value


PAGES = [
    ("pages/pilot.py", "Pilot", "Pilot"),
    ("pages/new_pilot.py", "Nieuwe pilot", "New pilot"),
    ("pages/codebook.py", "Indicatoren", "Measures"),
    ("pages/export.py", "Export", "Export"),
    ("pages/library.py", "Bibliotheek", "Library"),
]


@pytest.mark.parametrize(("page", "dutch", "english"), PAGES)
def test_every_page_opens_on_an_empty_database_in_both_languages(app_db, page, dutch, english):
    for lang, title in [("nl", dutch), ("en", english)]:
        at = sign_in(AppTest.from_file(str(APP), default_timeout=TIMEOUT), account_email("admin"))
        at.query_params["lang"] = lang
        at.run().switch_page(page).run()
        assert not at.exception
        assert [t.value for t in at.title] == [title]
