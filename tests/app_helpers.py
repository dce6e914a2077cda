"""Shared AppTest plumbing: the app pointed at a real database, and a run helper.

The app reads TRACKER_DATABASE_URL on every run; each test points it at its own database
(SQLite, and PostgreSQL when TEST_DATABASE_URL is set) and empties Streamlit's resource cache
so that no engine outlives its test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT = 90  # seconds; the first run imports pandas, SQLAlchemy, Alembic, statsmodels, Plotly


def point_app_at(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TRACKER_LANGUAGE", raising=False)
    st.cache_resource.clear()
    yield engine
    st.cache_resource.clear()  # disposes the app's engine before the database goes away


def open_page(page: str | None = None, **query: str) -> AppTest:
    """Run the app (on ``page`` when given) with ``query`` in the address; no exceptions."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page is not None:
        at.switch_page(page)
        at.query_params.update(query)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
