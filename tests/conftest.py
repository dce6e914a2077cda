"""Shared fixtures: every storage test runs on real SQLite, and on PostgreSQL when
``TEST_DATABASE_URL`` is set (CI sets it; there a missing PostgreSQL is a failure, not a skip)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from tests.db_helpers import TEST_DATABASE_URL, empty_database
from tracker import migrate
from tracker.db import session_scope
from tracker.services.access import system

PROJECT_ROOT = Path(__file__).resolve().parent.parent

BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


@pytest.fixture(params=BACKENDS)
def empty_engine(request, tmp_path) -> Iterator[Engine]:
    """A real, empty database (no tables) on each backend."""
    with empty_database(request.param, tmp_path / "test.db") as engine:
        yield engine


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


ACTOR = system("test@proeftuin.example")
