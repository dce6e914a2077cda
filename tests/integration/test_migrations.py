"""The schema comes from Alembic alone, matches the models exactly, and SQLite is set up safely.

Runs on real SQLite always and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import SQLModel, func, select

import tracker.models  # noqa: F401  (registers every table on SQLModel.metadata)
from tests.conftest import PROJECT_ROOT
from tracker import migrate
from tracker.config import Settings
from tracker.db import make_engine, session_scope
from tracker.models import Intervention, Organisation, Pilot
from tracker.services import organisations
from tracker.services.access import system

ALL_TABLES = {table.name for table in SQLModel.metadata.sorted_tables}


def schema_differences(engine) -> list:
    """What Alembic autogenerate would put into a new migration (empty when models = schema)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, SQLModel.metadata)


def table_names(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


# --------------------------------------------------------------------------- migrations = models
def test_migrated_schema_equals_the_models(empty_engine):
    migrate.upgrade(empty_engine)
    assert schema_differences(empty_engine) == []


def test_upgrade_creates_every_model_table(empty_engine):
    migrate.upgrade(empty_engine)
    assert table_names(empty_engine) == ALL_TABLES | {"alembic_version"}


def test_upgrade_leaves_the_database_at_the_head_revision(empty_engine):
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_an_empty_database_has_no_revision(empty_engine):
    assert migrate.current_revision(empty_engine) is None


def test_at_head_is_the_pages_quick_schema_check(empty_engine):
    """``at_head`` (every page read runs it in its own transaction) agrees with Alembic: false
    on an empty database, on an older revision and on an unknown one, true at the head; and a
    failed check leaves a transaction that can still be rolled back (PostgreSQL aborts it)."""
    from sqlalchemy import text

    def check() -> bool:
        with empty_engine.connect() as conn:
            result = migrate.at_head(conn)
            conn.rollback()
            return result

    assert check() is False  # no version table
    migrate.upgrade(empty_engine, "0005")
    assert check() is False
    migrate.upgrade(empty_engine)
    assert check() is True
    with empty_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    assert check() is False


def test_downgrade_to_base_removes_every_table(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert table_names(empty_engine) - {"alembic_version"} == set()
    assert migrate.current_revision(empty_engine) is None


def test_upgrade_after_downgrade_restores_the_same_schema(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    migrate.upgrade(empty_engine)
    assert schema_differences(empty_engine) == []
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


def test_upgrade_twice_is_harmless(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


CREATE_ALL = re.compile(r"\bcreate_all\b")
SCANNED = ["tracker", "pages", "scripts", "benchmarks", "tests", "streamlit_app.py"]


def test_schema_is_created_only_by_migrations():
    """No code calls ``metadata.create_all``: Alembic is the only way the schema is made."""
    this_file = __file__
    offenders = []
    for entry in SCANNED:
        base = PROJECT_ROOT / entry
        files = [base] if base.is_file() else sorted(base.rglob("*.py")) if base.is_dir() else []
        for path in files:
            if str(path) == this_file:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CREATE_ALL.search(line):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "schema made outside Alembic:\n" + "\n".join(offenders)


# --------------------------------------------------------------------------- foreign keys (both)
def test_a_row_pointing_to_a_missing_parent_is_refused(engine):
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(Intervention(pilot_id=999, date=dt.date(2021, 1, 1), kind="x", title="abc"))
        session.flush()
    with session_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Intervention)).one() == 0


# --------------------------------------------------------------------------- SQLite engine settings
def sqlite_pragma(engine, name: str):
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


@pytest.fixture
def sqlite_file(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'settings.db'}"


def test_sqlite_connections_enforce_foreign_keys(sqlite_file):
    engine = make_engine(sqlite_file)
    assert sqlite_pragma(engine, "foreign_keys") == 1
    engine.dispose()


def test_sqlite_connections_use_write_ahead_logging(sqlite_file):
    engine = make_engine(sqlite_file)
    assert sqlite_pragma(engine, "journal_mode") == "wal"
    engine.dispose()


@pytest.mark.parametrize("timeout_ms", [250, 5000, 12000])
def test_sqlite_connections_wait_the_configured_busy_timeout(sqlite_file, timeout_ms):
    settings = Settings(sqlite_busy_timeout_ms=str(timeout_ms))
    engine = make_engine(sqlite_file, settings=settings)
    assert sqlite_pragma(engine, "busy_timeout") == timeout_ms
    engine.dispose()


def test_sqlite_busy_timeout_defaults_to_thirty_seconds(sqlite_file, monkeypatch):
    # Long enough for a save to wait out a million-row import (about 7 s holding the lock).
    monkeypatch.delenv("TRACKER_SQLITE_BUSY_TIMEOUT_MS", raising=False)
    engine = make_engine(sqlite_file)
    assert sqlite_pragma(engine, "busy_timeout") == 30000
    engine.dispose()


def test_sqlite_file_refuses_a_missing_parent_row(sqlite_file):
    engine = make_engine(sqlite_file)
    migrate.upgrade(engine)
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), session_scope(engine) as session:
        session.add(Intervention(pilot_id=42, date=dt.date(2021, 1, 1), kind="x", title="abc"))
        session.flush()
    engine.dispose()


def test_sqlite_database_directory_is_created(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nieuw' / 'map' / 'db.sqlite'}")
    migrate.upgrade(engine)
    assert (tmp_path / "nieuw" / "map" / "db.sqlite").exists()
    engine.dispose()


def test_sqlite_transactions_take_the_write_lock_when_they_begin(sqlite_file):
    """BEGIN IMMEDIATE: a second transaction queues (here: gives up after 100 ms) instead of
    reading a version that will be stale by the time it writes."""
    engine = make_engine(sqlite_file, settings=Settings(sqlite_busy_timeout_ms="100"))
    migrate.upgrade(engine)
    with session_scope(engine) as first:
        first.exec(select(Intervention)).all()
        with pytest.raises(OperationalError, match="locked"), session_scope(engine) as second:
            second.exec(select(Intervention)).all()
    engine.dispose()


def test_a_read_only_scope_reads_while_a_writer_holds_the_lock(sqlite_file):
    engine = make_engine(sqlite_file, settings=Settings(sqlite_busy_timeout_ms="100"))
    migrate.upgrade(engine)
    with session_scope(engine) as writer:
        organisations.get_or_create_organisation(
            writer, name="Amsterdam", cbs_code="GM0363", actor=system("test")
        )
        with session_scope(engine, read_only=True) as reader:
            assert reader.exec(select(func.count()).select_from(Organisation)).one() == 0
    with session_scope(engine, read_only=True) as reader:
        assert reader.exec(select(func.count()).select_from(Organisation)).one() == 1
    engine.dispose()


def test_a_read_only_scope_reads_on_every_backend(engine):
    with session_scope(engine) as session:
        organisations.get_or_create_organisation(
            session, name="Amsterdam", cbs_code="GM0363", actor=system("test")
        )
    with session_scope(engine, read_only=True) as reader:
        assert [o.cbs_code for o in reader.exec(select(Organisation))] == ["GM0363"]


def test_checking_the_schema_version_does_not_wait_for_a_writer(tmp_path):
    # The app checks the revision on every page; during a long import (which holds SQLite's
    # write lock) that check must read, not queue behind the writer until the busy timeout.
    from tests.db_helpers import migrated_sqlite_url

    url = migrated_sqlite_url(tmp_path / "busy.db")
    engine = make_engine(url, settings=Settings(database_url=url, sqlite_busy_timeout_ms=200))
    try:
        with engine.connect() as writer:  # BEGIN IMMEDIATE: holds the write lock
            writer.exec_driver_sql(
                "INSERT INTO organisation (name, cbs_code, created_at) "
                "VALUES ('X', 'GM0001', '2026-01-01')"
            )
            assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_0005_keeps_accounts_that_pilots_point_to(empty_engine):
    # 0005 rebuilds app_user on SQLite (batch mode). Pilots point to their owner; with foreign
    # keys on, dropping the old table failed on every database that had a pilot with an owner.
    migrate.upgrade(empty_engine, "0004")
    with empty_engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO organisation (id, name, cbs_code, created_at) "
            "VALUES (1, 'Amsterdam', 'GM0363', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO app_user (id, organisation_id, email, display_name, role, is_active, "
            "created_at) VALUES (7, 1, 'eva@gemeente.example', 'Eva', 'officer', true, "
            "'2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO pilot (id, slug, title, aim, municipality, municipality_code, domains, "
            "areas, partners, strategy, baseline_start, intervention_start, evaluation_end, "
            "status, organisation_id, owner_id, version, created_at, updated_at) VALUES "
            "(3, 'p', 'P', '', 'Amsterdam', 'GM0363', '[\"wmo\"]', '[]', '[]', '', "
            "'2020-01-01', '2021-01-01', '2022-01-01', 'running', 1, 7, 1, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
    migrate.upgrade(empty_engine)
    with session_scope(empty_engine) as session:
        user = organisations.get_user_by_email(session, "eva@gemeente.example")
        assert (user.id, user.failed_logins, user.locked_until, user.version) == (7, 0, None, 1)
        assert user.updated_at is not None
        assert session.get(Pilot, 3).owner_id == 7
    migrate.downgrade(empty_engine, "0004")  # and back, with the data
    with empty_engine.connect() as conn:
        owner = conn.exec_driver_sql("SELECT owner_id FROM pilot WHERE id = 3").scalar_one()
    assert owner == 7
    if empty_engine.dialect.name == "sqlite":  # foreign keys are on again afterwards
        with empty_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
