"""The check every page read and write makes as its transaction begins (``tracker.ui.data``).

It must answer in the reader's words, and it must not try twice: a second attempt behind a
held SQLite lock would wait the whole busy timeout again. Real SQLite files; no mocks of our
storage (only Streamlit's ``st.warning`` is captured, to read the message).
"""

from __future__ import annotations

import sqlite3

import pytest
import streamlit as st
from sqlalchemy import event, text

from tracker import migrate
from tracker.i18n import t
from tracker.models import Organisation
from tracker.ui import data


@pytest.fixture
def app_file(tmp_path, monkeypatch):
    """The app's engine on a fresh SQLite file with a short busy timeout; warnings captured."""
    path = tmp_path / "pagina.db"
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("TRACKER_SQLITE_BUSY_TIMEOUT_MS", "200")
    monkeypatch.delenv("TRACKER_LANGUAGE", raising=False)
    st.cache_resource.clear()
    shown: list[str] = []
    monkeypatch.setattr(data.st, "warning", lambda body, **_: shown.append(body))
    yield path, data.get_engine(), shown
    st.cache_resource.clear()


def organisations(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM organisation")).scalar_one()


def test_a_save_behind_a_held_lock_says_busy_once_and_saves_nothing(app_file):
    path, engine, shown = app_file
    migrate.upgrade(engine)
    begins: list[str] = []

    def count(conn, cursor, statement, *_):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a long import holds the write lock
    try:
        saved = data.write(lambda s: s.add(Organisation(name="Nieuw", cbs_code="GM0001")))
    finally:
        holder.rollback()
        holder.close()
    assert saved is None
    assert shown == [t("ui.db.busy", "nl")]
    assert begins == ["BEGIN IMMEDIATE"]  # waited out the busy timeout once, not twice
    assert organisations(engine) == 0


def test_a_save_on_a_current_database_is_stored(app_file):
    _, engine, shown = app_file
    migrate.upgrade(engine)
    saved = data.write(lambda s: s.add(Organisation(name="Nieuw", cbs_code="GM0001")) or "ok")
    assert (saved, shown, organisations(engine)) == ("ok", [], 1)


def test_a_save_on_an_unmigrated_database_says_so_and_runs_nothing(app_file):
    _, _, shown = app_file
    ran: list[int] = []
    assert data.write(lambda s: ran.append(1)) is None
    assert (shown, ran) == ([t("ui.db.not_migrated", "nl")], [])


def test_a_save_on_an_older_database_names_both_versions(app_file):
    _, engine, shown = app_file
    migrate.upgrade(engine, "0005")
    ran: list[int] = []
    assert data.write(lambda s: ran.append(1)) is None
    assert (
        shown == [t("ui.db.outdated", "nl", current="0005", head=migrate.head_revision())]
        and ran == []
    )
