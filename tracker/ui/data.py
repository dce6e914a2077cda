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
from tracker.errors import TrackerError, ValidationError
from tracker.i18n import t
from tracker.models import Pilot
from tracker.services.access import Action, Actor, may
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


def _unreachable(engine: Engine, exc: DBAPIError, lang: str) -> str:
    detail = str(exc.orig or exc).splitlines()[0]
    if "database is locked" in detail:  # SQLite: another save held the lock past the timeout
        return t("ui.db.busy", lang)
    url = engine.url.render_as_string(hide_password=True)
    return t("ui.db.unreachable", lang, url=url, detail=detail)


def _schema_problem(engine: Engine, lang: str) -> str | None:
    """What is wrong with the database, in the reader's words (None: nothing after all)."""
    try:
        current = migrate.current_revision(engine)
    except DBAPIError as exc:
        return _unreachable(engine, exc, lang)
    if current is None:
        return t("ui.db.not_migrated", lang)
    head = migrate.head_revision()
    if current != head:
        return t("ui.db.outdated", lang, current=current, head=head)
    return None


def _schema_check(session: Session, engine: Engine, lang: str) -> str | None:
    """The check every read and write makes as its transaction begins: None when the database
    holds the newest migration, else what is wrong, in the reader's words.

    One small statement in the session's own transaction (a page makes several reads, and an
    Alembic reflection per read cost more than the page's queries). When the transaction cannot
    even begin, that error is the answer: trying again would wait as long again (a busy SQLite
    database, a server that does not answer). When the check fails, the transaction is rolled
    back (PostgreSQL aborts it) and ``_schema_problem`` says why; if it finds nothing (migrated
    in between), the session begins afresh on its next statement.
    """
    try:
        connection = session.connection()
    except DBAPIError as exc:
        session.rollback()
        return _unreachable(engine, exc, lang)
    if migrate.at_head(connection):
        return None
    session.rollback()
    return _schema_problem(engine, lang)


def read(query: Callable[[Session], T]) -> T:
    """Run ``query`` (a service function taking a session) in one transaction.

    When the database cannot serve it, show what to do and stop the page.
    """
    engine = get_engine()
    lang = current_language()
    with session_scope(engine, read_only=True) as session:
        problem = _schema_check(session, engine, lang)
        if problem is None:
            return query(session)
    st.warning(problem, icon=":material/database:")
    st.stop()


def actor() -> Actor:
    """Who is acting: the signed-in account (its role and organisation are checked by every
    service). A page reached without one stops with a sign-in message."""
    from tracker.ui.auth import ACTOR_KEY, require_page  # auth reads/writes through this module

    # The page's guard put this run's actor here; a view used on its own checks again.
    return st.session_state.get(ACTOR_KEY) or require_page()


def write(action: Callable[[Session], T]) -> T | None:
    """Run ``action`` in one write transaction; an expected problem is shown, not raised.

    A refused save (validation, a concurrent edit, a locked hypothesis, something missing)
    rolls back entirely and shows the reason in the reader's language; the page goes on, so the
    reader's input stays in the form to correct it. Returns None when nothing was saved.
    """
    lang = current_language()
    engine = get_engine()
    try:
        with session_scope(engine) as session:
            problem = _schema_check(session, engine, lang)
            if problem is None:
                return action(session)
        st.warning(problem, icon=":material/database:")
        return None
    except ValidationError as exc:
        st.error(
            t("ui.write.invalid", lang)
            + "\n\n"
            + "\n".join(f"- **{e.field}**: {e.message(lang)}" for e in exc.errors),
            icon=":material/error:",
        )
    except TrackerError as exc:  # a concurrent edit, a locked hypothesis, something missing
        message = getattr(exc, "message", None)
        st.error(message(lang) if callable(message) else str(exc), icon=":material/error:")
    return None


def may_on(pilot: Pilot, action: Action) -> bool:
    """Whether the signed-in person may take ``action`` on ``pilot``: pages hide what they may
    not do (the services refuse it regardless)."""
    who = actor()
    return read(lambda s: may(s, who, action, pilot))
