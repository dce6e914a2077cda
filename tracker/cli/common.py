"""Shared CLI plumbing: engine, actor, language, output formats and error reporting."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.config import load_settings
from tracker.db import make_engine, session_scope
from tracker.errors import ConflictError, LockedError, NotFoundError, TrackerError, ValidationError
from tracker.i18n import t
from tracker.services.access import Actor, system

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


FORMAT_OPTION = typer.Option(OutputFormat.table, "--format", help="table or json")


def engine() -> Engine:
    return make_engine()


def actor() -> Actor:
    """The CLI acts as a system actor: whoever runs it on the server already holds the
    database's credentials. Its name (TRACKER_ACTOR, else ``cli:<login name>``) goes into the
    audit trail."""
    settings = load_settings()
    if settings.actor:
        return system(settings.actor)
    try:
        return system(f"cli:{getpass.getuser()}")
    except Exception:  # pragma: no cover - no login name in some containers
        return system("cli")


def language() -> str:
    return load_settings().language


@contextmanager
def transaction() -> Iterator[Session]:
    eng = engine()
    try:
        with session_scope(eng) as session:
            yield session
    finally:
        eng.dispose()


def report_errors(func: F) -> F:
    """Turn expected problems into a clear message on stderr and exit code 1."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ValidationError, NotFoundError, ConflictError, LockedError) as exc:
            fail(exc.message(language()))
        except TrackerError as exc:  # e.g. AccessDenied: its own message in the reader's language
            message = getattr(exc, "message", None)
            fail(message(language()) if callable(message) else str(exc))

    return wrapper  # type: ignore[return-value]


def fail(message: str) -> NoReturn:
    """Print an error in the reader's language on stderr and exit with code 1."""
    err_console.print(f"[bold red]{t('cli.error', language())}:[/] {message}", highlight=False)
    raise typer.Exit(1)


def print_rows(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: OutputFormat, *, title: str = ""
) -> None:
    """Print records as a Rich table or as a JSON array (stable keys, UTF-8)."""
    if fmt == OutputFormat.json:
        sys.stdout.write(json.dumps(list(rows), ensure_ascii=False, indent=2, default=str) + "\n")
        return
    table = Table(title=title or None)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    console.print(table)
