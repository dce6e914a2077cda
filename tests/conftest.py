"""Shared fixtures: every storage test runs on real SQLite, and on PostgreSQL when
``TEST_DATABASE_URL`` is set (CI sets it; there a missing PostgreSQL is a failure, not a skip)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from tracker import migrate
from tracker.db import make_engine, session_scope

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


def _fresh_postgres_schema_engine() -> tuple[Engine, str]:
    """An engine whose search_path is a new, empty schema (isolated and cheap to drop)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return make_engine(url.render_as_string(hide_password=False)), schema


def _drop_postgres_schema(schema: str) -> None:
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    """A real, empty database (no tables) on each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        yield engine
        engine.dispose()
    else:
        engine, schema = _fresh_postgres_schema_engine()
        yield engine
        engine.dispose()
        _drop_postgres_schema(schema)


@pytest.fixture
def engine(empty_engine) -> Engine:
    """A real database migrated to head by Alembic (the only way the schema is made)."""
    migrate.upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def session(engine):
    """A session in one transaction, committed at the end of the test's block."""
    with session_scope(engine) as s:
        yield s


ACTOR = "test@proeftuin.example"
