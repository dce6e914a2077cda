"""`tracker db …`: schema migrations, backup and restore."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from tracker import migrate
from tracker.backup import BackupError, backup_sqlite, restore_sqlite
from tracker.cli.common import console, engine, fail, language
from tracker.config import load_settings
from tracker.i18n import register, t

app = typer.Typer(
    help="Database: schema migrations (Alembic), backup and restore.", no_args_is_help=True
)

register(
    {
        "cli.backup.not_sqlite": {
            "nl": "tracker db backup/restore werkt met SQLite; gebruik voor PostgreSQL pg_dump "
            "en pg_restore (zie de README, 'Backup and restore')",
            "en": "tracker db backup/restore works with SQLite; for PostgreSQL use pg_dump and "
            "pg_restore (see the README, 'Backup and restore')",
        },
        "cli.backup.missing": {
            "nl": "het bestand bestaat niet: {path}",
            "en": "the file does not exist: {path}",
        },
        "cli.backup.exists": {
            "nl": "{path} bestaat al; kies een nieuwe naam (een backup overschrijft niets)",
            "en": "{path} exists already; choose a new name (a backup overwrites nothing)",
        },
        "cli.backup.not_a_backup": {
            "nl": "{path} is geen bruikbare Proeftuin-backup (beschadigd of geen database van "
            "Proeftuin); er is niets overschreven",
            "en": "{path} is not a usable Proeftuin backup (damaged or not a Proeftuin "
            "database); nothing was overwritten",
        },
        "cli.backup.done": {
            "nl": "Backup geschreven: {path} ({size:,} bytes)",
            "en": "Backup written: {path} ({size:,} bytes)",
        },
        "cli.restore.done": {
            "nl": "Teruggezet uit {path}. Voer `tracker db upgrade` uit als de backup van een "
            "oudere versie is.",
            "en": "Restored from {path}. Run `tracker db upgrade` if the backup is from an "
            "older version.",
        },
    }
)


def _fail_backup(exc: BackupError, path: Path) -> None:
    fail(t(f"cli.backup.{exc}", language(), path=path))


@app.command("backup")
def backup(out: Path = typer.Option(..., "--out", help="File to write (must not exist).")) -> None:
    """Copy the SQLite database to a file, online (the app may keep running)."""
    url = load_settings().database_url
    try:
        size = backup_sqlite(url, out)
    except BackupError as exc:
        # "exists" is about the backup file; "missing" about the database it should copy.
        _fail_backup(exc, out if str(exc) == "exists" else Path(make_url(url).database or ""))
    console.print(t("cli.backup.done", language(), path=out, size=size))


@app.command("restore")
def restore(
    backup_file: Path = typer.Option(..., "--from", help="A file made by `tracker db backup`."),
) -> None:
    """Replace the SQLite database with a backup (checked before anything is overwritten)."""
    try:
        restore_sqlite(backup_file, load_settings().database_url)
    except BackupError as exc:
        _fail_backup(exc, backup_file)
    console.print(t("cli.restore.done", language(), path=backup_file))


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the database to the newest schema (or REVISION)."""
    eng = engine()
    try:
        migrate.upgrade(eng, revision)
        console.print(f"Database op revisie {migrate.current_revision(eng)}.")
    finally:
        eng.dispose()


@app.command("current")
def current() -> None:
    """Show the database's schema revision and the newest one available."""
    eng = engine()
    try:
        rev = migrate.current_revision(eng)
        head = migrate.head_revision()
        console.print(f"huidig: {rev or '(leeg)'}  nieuwste: {head}")
        if rev != head:
            console.print("Voer `tracker db upgrade` uit om bij te werken.")
    finally:
        eng.dispose()
