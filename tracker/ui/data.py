"""Database access for pages: one cached engine per URL, and reads that explain a database
that is missing, unreachable or not migrated instead of showing a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from tracker import migrate
from tracker.config import load_settings
from tracker.db import make_engine, session_scope
from tracker.i18n import t
from tracker.ui.language import current_language

T = TypeVar("T")


def _dispose(engine: Engine) -> None:
    engine.dispose()


@st.cache_resource(show_spinner=False, on_release=_dispose)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    """The engine for TRACKER_DATABASE_URL, shared by all sessions (read on every run, so a
    changed setting takes effect without clearing the cache)."""
    return _engine_for(load_settings().database_url)


def _schema_problem(engine: Engine, lang: str) -> str | None:
    try:
        current = migrate.current_revision(engine)
    except DBAPIError as exc:
        url = engine.url.render_as_string(hide_password=True)
        detail = str(exc.orig or exc).splitlines()[0]
        return t("ui.db.unreachable", lang, url=url, detail=detail)
    if current is None:
        return t("ui.db.not_migrated", lang)
    head = migrate.head_revision()
    if current != head:
        return t("ui.db.outdated", lang, current=current, head=head)
    return None


def read(query: Callable[[Session], T]) -> T:
    """Run ``query`` (a service function taking a session) in one transaction.

    When the database cannot serve it, show what to do and stop the page.
    """
    engine = get_engine()
    problem = _schema_problem(engine, current_language())
    if problem is not None:
        st.warning(problem, icon=":material/database:")
        st.stop()
    with session_scope(engine, read_only=True) as session:
        return query(session)
