"""Backup and restore of a SQLite database, online (the app may keep running).

SQLite's own backup API copies a consistent snapshot page by page, also while other
connections write (WAL), so a backup never holds half a transaction. Restoring copies a
backup back over the live database the same way, in one step for its readers. For
PostgreSQL use ``pg_dump``/``pg_restore`` (README, "Backup and restore").
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["BackupError", "backup_sqlite", "restore_sqlite", "sqlite_path"]


class BackupError(RuntimeError):
    """What cannot be backed up or restored, in words for the reader (English; the CLI
    translates the known cases)."""


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        raise BackupError("not_sqlite")
    return Path(parsed.database)


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    source.backup(target, pages=1024)  # in steps: writers are not held up for the whole copy


def backup_sqlite(url: str, out: Path) -> int:
    """Copy the database at ``url`` to the file ``out`` (refused if it exists); returns bytes."""
    path = sqlite_path(url)
    if not path.exists():
        raise BackupError("missing")
    if out.exists():
        raise BackupError("exists")
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        contextlib.closing(sqlite3.connect(path)) as source,
        contextlib.closing(sqlite3.connect(out)) as target,
    ):
        _copy(source, target)
        # The copy is a plain single file: no WAL beside it to forget when it is moved.
        target.execute("PRAGMA journal_mode=DELETE")
    return out.stat().st_size


def restore_sqlite(backup: Path, url: str) -> None:
    """Replace the database at ``url`` with the backup file ``backup``.

    The backup is checked first (SQLite ``integrity_check`` and an Alembic revision), so a
    damaged or foreign file is refused before anything is overwritten.
    """
    if not backup.exists():
        raise BackupError("missing")
    with contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source:
        try:
            ok = source.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            revision = source.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            ok, revision = False, None
        if not ok or revision is None:
            raise BackupError("not_a_backup")
        path = sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as target:
            _copy(source, target)
