"""Fixtures for the AppTest suites: the app pointed at a real, per-test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.app_helpers import make_accounts, point_app_at


@pytest.fixture
def app_db(engine, monkeypatch) -> Iterator[Engine]:
    """A migrated database that the app uses, with one test account per role."""
    make_accounts(engine)
    yield from point_app_at(engine, monkeypatch)


@pytest.fixture
def bare_db(empty_engine, monkeypatch) -> Iterator[Engine]:
    """A database without any tables that the app uses."""
    yield from point_app_at(empty_engine, monkeypatch)
