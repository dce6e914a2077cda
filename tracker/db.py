"""Engine and session factory. SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from tracker.config import Settings, load_settings

# Execution option that marks a connection's transactions as read-only (see session_scope).
READ_ONLY_OPTION = "tracker_read_only"


def make_engine(url: str | None = None, *, settings: Settings | None = None) -> Engine:
    """Create an engine for ``url`` (default: the configured database)."""
    settings = settings or load_settings()
    url = url or settings.database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": settings.busy_timeout_ms / 1000})
        _configure_sqlite(engine, settings.busy_timeout_ms)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        # pysqlite's own transaction handling would delay BEGIN; we issue it ourselves (below)
        # so that writers take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        # IMMEDIATE: a transaction takes the write lock when it starts, so a second writer
        # waits (busy timeout) and then reads what the first committed. With a deferred BEGIN
        # both would read the same version and the later writer would fail with "database is
        # locked" (SQLITE_BUSY_SNAPSHOT), which no busy timeout can cure.
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            conn.exec_driver_sql("BEGIN DEFERRED")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error.

    Every SQLite transaction takes the write lock when it begins, so that concurrent saves
    queue up instead of failing. ``read_only=True`` is for scopes that only read (rendering a
    page): on SQLite they read a snapshot without waiting for a writer (a long import, say).
    Do not write in such a scope.
    """
    bind = engine.execution_options(**{READ_ONLY_OPTION: True}) if read_only else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
