"""Database helpers the storage tests share: fresh databases and what is in them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel, func, select

import tracker.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tracker import migrate
from tracker.db import make_engine, session_scope

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def _in_admin_transaction(statement: str) -> None:
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(statement))
    admin.dispose()


@contextmanager
def empty_database(backend: str, sqlite_file: Path) -> Iterator[Engine]:
    """A real, empty database (no tables): the SQLite file ``sqlite_file`` for "sqlite", else
    a new schema in ``TEST_DATABASE_URL`` (isolated and cheap to drop), dropped afterwards."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{sqlite_file}")
        try:
            yield engine
        finally:
            engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _in_admin_transaction(f'CREATE SCHEMA "{schema}"')
    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        _in_admin_transaction(f'DROP SCHEMA "{schema}" CASCADE')


def migrated_sqlite_url(path: Path) -> str:
    """The URL of a SQLite file at ``path`` migrated to head (no engine is left open)."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table (the audit trail included), read in a fresh transaction."""
    with session_scope(engine) as session:
        return {
            table.name: session.exec(select(func.count()).select_from(table)).one()
            for table in SQLModel.metadata.sorted_tables
        }
