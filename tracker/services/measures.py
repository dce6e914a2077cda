"""The shared codebook of measures (indicators)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tracker.errors import NotFoundError, ValidationError
from tracker.models import Measure, MeasureCreate, MeasureUpdate
from tracker.services import access, audit
from tracker.services.access import Action, Actor
from tracker.services.common import snapshot, validate


def get_measure(session: Session, code: str) -> Measure:
    measure = session.exec(select(Measure).where(Measure.code == code)).first()
    if measure is None:
        raise NotFoundError("measure", code)
    return measure


def find_measure(session: Session, code: str) -> Measure | None:
    return session.exec(select(Measure).where(Measure.code == code)).first()


def list_measures(session: Session) -> list[Measure]:
    return list(session.exec(select(Measure).order_by(col(Measure.code))))


def create_measure(
    session: Session, data: MeasureCreate | dict[str, Any], *, actor: Actor
) -> Measure:
    access.require(session, actor, Action.add_measure)
    valid = validate(MeasureCreate, data)
    if find_measure(session, valid.code) is not None:
        raise ValidationError.single("code", "duplicate", valid.code)
    measure = Measure.model_validate(valid)
    return audit.insert(session, measure, entity="measure", actor=actor)


def ensure_measure(
    session: Session, data: MeasureCreate | dict[str, Any], *, actor: Actor
) -> Measure:
    """Return the codebook entry with this code, creating it when it does not exist yet."""
    valid = validate(MeasureCreate, data)
    return find_measure(session, valid.code) or create_measure(session, valid, actor=actor)


def update_measure(
    session: Session, code: str, changes: MeasureUpdate | dict[str, Any], *, actor: Actor
) -> Measure:
    access.require(session, actor, Action.manage_codebook)
    valid = validate(MeasureUpdate, changes)
    measure = get_measure(session, code)
    before = snapshot(measure)
    for name, value in valid.model_dump(exclude_unset=True).items():
        setattr(measure, name, value)
    session.add(measure)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="measure",
        entity_id=measure.id,
        before=before,
        after=snapshot(measure),
    )
    return measure
