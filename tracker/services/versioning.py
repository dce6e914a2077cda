"""Optimistic locking: a save names the version it started from; a stale save is refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, SQLModel, select

from tracker.errors import ConflictError
from tracker.models import utcnow
from tracker.services import audit
from tracker.services.access import Actor
from tracker.services.common import snapshot


def check_version(entity: str, row: Any, expected_version: int) -> None:
    if row.version != expected_version:
        raise ConflictError(entity, row.id, expected_version, row.version)


def guarded_update(
    session: Session,
    model: type[SQLModel],
    row: Any,
    *,
    entity: str,
    expected_version: int,
    values: dict[str, Any],
) -> None:
    """UPDATE … WHERE version = expected: the database, not Python, decides who was first.

    Two editors who both loaded version 3 both pass ``check_version``; only one UPDATE matches
    ``version = 3``. The other gets a ConflictError and the newer data stay as they are.
    """
    table = model.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table)
        .where(table.c.id == row.id, table.c.version == expected_version)
        .values(**values, version=expected_version + 1)
    )
    if result.rowcount != 1:
        current = session.exec(select(table.c.version).where(table.c.id == row.id)).first()
        raise ConflictError(entity, row.id, expected_version, current or -1)
    session.refresh(row)


def save_versioned(
    session: Session,
    model: type[SQLModel],
    row: Any,
    *,
    entity: str,
    expected_version: int,
    values: dict[str, Any],
    actor: Actor,
    pilot_id: int | None,
) -> None:
    """Save ``values`` onto ``row`` if nobody saved since ``expected_version``, with its audit
    event (before/after). ``updated_at`` is set here so that every versioned save stamps it."""
    before = snapshot(row)
    guarded_update(
        session,
        model,
        row,
        entity=entity,
        expected_version=expected_version,
        values=values | {"updated_at": utcnow()},
    )
    audit.record(
        session,
        actor=actor,
        action="update",
        entity=entity,
        entity_id=row.id,
        pilot_id=pilot_id,
        before=before,
        after=snapshot(row),
    )
