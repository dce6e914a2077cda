"""Alembic, configured in code: `tracker db upgrade` and the tests use these functions."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from tracker.db import READ_ONLY_OPTION

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        # configparser treats % as interpolation: escape it (URLs carry %-encoded options).
        url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction for migrating; on SQLite with foreign keys off.

    SQLite changes a table by copying it and dropping the original (Alembic's batch mode);
    with foreign keys on, dropping a table that other rows point to fails (``app_user`` in
    0005: pilots point to their owner). SQLite's own procedure: foreign keys off outside the
    transaction, change the tables, ``PRAGMA foreign_key_check`` before committing (a broken
    reference rolls everything back), and on again afterwards.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection  # no transaction has begun yet
        assert raw is not None
        if sqlite:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                yield conn
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema of ``engine``'s database to ``revision``."""
    cfg = alembic_config(engine)
    with _migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config(engine)
    with _migration_connection(engine) as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    # Read-only: on SQLite a plain connection begins with BEGIN IMMEDIATE (tracker.db), which
    # would wait for, and time out behind, a long import that holds the write lock.
    with engine.execution_options(**{READ_ONLY_OPTION: True}).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def at_head(conn: Connection) -> bool:
    """Whether the database behind ``conn`` (in a transaction) holds the newest migration.

    The check every page read makes: one small statement in the read's own transaction,
    instead of :func:`current_revision`'s table reflection on a connection of its own. False
    also when the version table is missing or the statement fails; then the caller asks
    :func:`current_revision` what exactly is wrong (and rolls back this transaction first: on
    PostgreSQL a failed statement aborts it).
    """
    try:
        versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    except DBAPIError:
        return False
    return [v for (v,) in versions] == [head_revision()]


@functools.cache
def head_revision() -> str | None:
    """The newest migration shipped with this code (read from the files once per process)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
