"""The intervention log and the journal (logboek) of observations."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tracker.errors import ValidationError
from tracker.models import (
    Intervention,
    InterventionCreate,
    Observation,
    ObservationCreate,
    ObservationKind,
)
from tracker.services import audit
from tracker.services.access import Action, Actor
from tracker.services.common import validate
from tracker.services.hypotheses import find_hypothesis
from tracker.services.pilots import checked_pilot


def add_intervention(
    session: Session, pilot_id: int, data: InterventionCreate | dict[str, Any], *, actor: Actor
) -> Intervention:
    checked_pilot(session, pilot_id, actor, Action.edit_pilot)
    valid = validate(InterventionCreate, data)
    row = Intervention.model_validate(
        valid.model_dump() | {"pilot_id": pilot_id, "created_by": actor.name}
    )
    return audit.insert(session, row, entity="intervention", actor=actor, pilot_id=pilot_id)


def list_interventions(session: Session, pilot_id: int) -> list[Intervention]:
    return list(
        session.exec(
            select(Intervention)
            .where(Intervention.pilot_id == pilot_id)
            .order_by(col(Intervention.date), col(Intervention.id))
        )
    )


def add_observation(
    session: Session, pilot_id: int, data: ObservationCreate | dict[str, Any], *, actor: Actor
) -> Observation:
    """Add a journal entry, optionally linked to a hypothesis (by code) or an intervention.

    A comment needs the right to comment (managers have it); every other kind of entry is the
    team's own journal and needs the right to edit the pilot.
    """
    valid = validate(ObservationCreate, data)
    needed = Action.comment if valid.kind == ObservationKind.comment else Action.edit_pilot
    checked_pilot(session, pilot_id, actor, needed)
    hypothesis_id = intervention_id = None
    if valid.hypothesis_code:
        hypothesis = find_hypothesis(session, pilot_id, valid.hypothesis_code)
        if hypothesis is None:
            raise ValidationError.single(
                "hypothesis_code", "unknown_hypothesis", valid.hypothesis_code
            )
        hypothesis_id = hypothesis.id
    if valid.intervention_title:
        intervention = session.exec(
            select(Intervention).where(
                Intervention.pilot_id == pilot_id, Intervention.title == valid.intervention_title
            )
        ).first()
        if intervention is None:
            raise ValidationError.single(
                "intervention_title", "unknown_intervention", valid.intervention_title
            )
        intervention_id = intervention.id
    row = Observation.model_validate(
        valid.model_dump(exclude={"hypothesis_code", "intervention_title"})
        | {
            "pilot_id": pilot_id,
            "hypothesis_id": hypothesis_id,
            "intervention_id": intervention_id,
            "author": actor.name,
        }
    )
    return audit.insert(session, row, entity="observation", actor=actor, pilot_id=pilot_id)


def list_observations(session: Session, pilot_id: int) -> list[Observation]:
    return list(
        session.exec(
            select(Observation)
            .where(Observation.pilot_id == pilot_id)
            .order_by(col(Observation.date), col(Observation.id))
        )
    )
