"""`tracker db …`: schema migrations."""

from __future__ import annotations

import typer

from tracker import migrate
from tracker.cli.common import console, engine

app = typer.Typer(help="Database: schema migrations (Alembic).", no_args_is_help=True)


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
