"""The audit trail: one hash-chained event per write, in the same transaction as the write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from tracker.models import AuditEvent, utcnow
from tracker.services import access
from tracker.services.access import Actor
from tracker.services.common import canonical_json, sha256_hex, snapshot

GENESIS_HASH = "0" * 64


def _event_hash(prev_hash: str, event: AuditEvent) -> str:
    body = {
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "pilot_id": event.pilot_id,
        "before": event.before,
        "after": event.after,
    }
    return sha256_hex(prev_hash + canonical_json(body))


# Key of the PostgreSQL advisory lock that serializes appends (any fixed 64-bit number).
APPEND_LOCK_KEY = 0x70726F6566  # "proef"


def _wait_for_other_appends(session: Session) -> None:
    """Hold the append lock until this transaction ends.

    Two transactions that both read the same last hash would fork the chain. On SQLite every
    transaction already holds the write lock (BEGIN IMMEDIATE, see tracker.db); PostgreSQL
    (read committed) needs an explicit lock, released at commit or rollback.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY})


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    pilot_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event. Call it from the service that performs the write."""
    _wait_for_other_appends(session)
    last = session.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1))
    prev_hash = last.first() or GENESIS_HASH
    # Microseconds are dropped so the hashed time survives every database round trip.
    event = AuditEvent(
        at=utcnow().replace(microsecond=0),
        actor=actor.name,
        action=action,
        entity=entity,
        entity_id=entity_id,
        pilot_id=pilot_id,
        before=before,
        after=after,
        prev_hash=prev_hash,
        hash="",
    )
    event.hash = _event_hash(prev_hash, event)
    session.add(event)
    session.flush()
    return event


def insert(
    session: Session, row: SQLModel, *, entity: str, actor: Actor, pilot_id: int | None = None
) -> Any:
    """Add a new row and its "create" event (the row's own id, its full content as after)."""
    session.add(row)
    session.flush()
    record(
        session,
        actor=actor,
        action="create",
        entity=entity,
        entity_id=row.id,  # type: ignore[attr-defined]
        pilot_id=pilot_id,
        after=snapshot(row),
    )
    return row


def list_events(
    session: Session, *, pilot_id: int | None = None, entity: str | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    if pilot_id is not None:
        query = query.where(AuditEvent.pilot_id == pilot_id)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    return list(session.exec(query))


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    events: int
    first_broken_id: int | None = None


def verify_chain(session: Session) -> ChainCheck:
    """Recompute every hash; report the first event whose link or content does not match."""
    prev = GENESIS_HASH
    events = list_events(session)
    for event in events:
        if event.prev_hash != prev or _event_hash(prev, event) != event.hash:
            return ChainCheck(False, len(events), event.id)
        prev = event.hash
    return ChainCheck(True, len(events))


def pilot_history(session: Session, pilot: Any, *, actor: Actor) -> list[AuditEvent]:
    """Every audit event of a pilot, newest first: what the app shows as its history."""
    access.require(session, actor, access.Action.view, pilot)
    return list_events(session, pilot_id=pilot.id)[::-1]
