"""Hypotheses: drafting, pre-registration (lock + hash) and amendments.

A registered hypothesis row never changes again (its hash stays verifiable); amendments are
stored beside it and ``effective_values`` applies them in order, so every view can show the
original and the amended text side by side.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from tracker.errors import LockedError, NotFoundError, ValidationError
from tracker.models import (
    Amendment,
    AmendmentCreate,
    Hypothesis,
    HypothesisCreate,
    HypothesisUpdate,
    Measure,
    utcnow,
)
from tracker.services import audit
from tracker.services.access import Action, Actor
from tracker.services.common import canonical_json, sha256_hex, snapshot, validate
from tracker.services.measures import find_measure
from tracker.services.pilots import checked_pilot
from tracker.services.versioning import check_version, guarded_update, save_versioned

# What a registration promises; the hash covers exactly these (and the measure's code).
HASHED_FIELDS = (
    "code",
    "if_text",
    "then_text",
    "because_text",
    "expected_direction",
    "min_effect",
    "min_effect_type",
    "design",
    "comparison_group",
    "alpha",
    "is_primary",
)


def canonical_content(hypothesis: Hypothesis, measure_code: str) -> dict[str, Any]:
    """What a registration's hash covers, as a JSON object.

    The keys are ``HASHED_FIELDS`` plus ``"measure"`` (the measure's code); choices (direction,
    effect type, design) are their string values, ``min_effect`` and ``alpha`` are floats,
    ``is_primary`` a boolean. ``content_hash`` is the SHA-256 (hex) of the UTF-8 bytes of
    ``json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, so
    anyone can recompute it from an export without this code.
    """
    content = {name: getattr(hypothesis, name) for name in HASHED_FIELDS}
    content = {k: (str(v) if hasattr(v, "value") else v) for k, v in content.items()}
    content["min_effect"] = float(content["min_effect"])
    content["alpha"] = float(content["alpha"])
    content["measure"] = measure_code
    return content


def content_hash(hypothesis: Hypothesis, measure_code: str) -> str:
    """SHA-256 of the canonical JSON of what was registered."""
    return sha256_hex(canonical_json(canonical_content(hypothesis, measure_code)))


def _measure_code(session: Session, hypothesis: Hypothesis) -> str:
    measure = session.get(Measure, hypothesis.measure_id)
    assert measure is not None  # guaranteed by the foreign key
    return measure.code


def verify_registration(session: Session, hypothesis: Hypothesis) -> bool:
    """True when a registered hypothesis still has the content it was registered with."""
    if hypothesis.content_hash is None:
        return False
    return content_hash(hypothesis, _measure_code(session, hypothesis)) == hypothesis.content_hash


def list_hypotheses(session: Session, pilot_id: int) -> list[Hypothesis]:
    return list(
        session.exec(
            select(Hypothesis).where(Hypothesis.pilot_id == pilot_id).order_by(col(Hypothesis.code))
        )
    )


def get_hypothesis(session: Session, hypothesis_id: int) -> Hypothesis:
    hypothesis = session.get(Hypothesis, hypothesis_id)
    if hypothesis is None:
        raise NotFoundError("hypothesis", hypothesis_id)
    return hypothesis


def find_hypothesis(session: Session, pilot_id: int, code: str) -> Hypothesis | None:
    return session.exec(
        select(Hypothesis).where(Hypothesis.pilot_id == pilot_id, Hypothesis.code == code)
    ).first()


def _measure_id(session: Session, code: str) -> int:
    measure = find_measure(session, code)
    if measure is None:
        raise ValidationError.single("measure_code", "unknown_measure", code)
    assert measure.id is not None
    return measure.id


def add_hypothesis(
    session: Session, pilot_id: int, data: HypothesisCreate | dict[str, Any], *, actor: Actor
) -> Hypothesis:
    checked_pilot(session, pilot_id, actor, Action.edit_pilot)
    valid = validate(HypothesisCreate, data)
    if find_hypothesis(session, pilot_id, valid.code) is not None:
        raise ValidationError.single("code", "duplicate", valid.code)
    hypothesis = Hypothesis.model_validate(
        valid.model_dump(exclude={"measure_code"})
        | {"pilot_id": pilot_id, "measure_id": _measure_id(session, valid.measure_code)}
    )
    return audit.insert(session, hypothesis, entity="hypothesis", actor=actor, pilot_id=pilot_id)


def update_hypothesis(
    session: Session,
    hypothesis_id: int,
    changes: HypothesisUpdate | dict[str, Any],
    *,
    expected_version: int,
    actor: Actor,
) -> Hypothesis:
    """Edit a draft hypothesis. Registered ones raise LockedError: amend them instead."""
    hypothesis = get_hypothesis(session, hypothesis_id)
    checked_pilot(session, hypothesis.pilot_id, actor, Action.edit_pilot)
    valid = validate(HypothesisUpdate, changes)
    if hypothesis.is_locked:
        raise LockedError(hypothesis.code, hypothesis.registered_at)
    check_version("hypothesis", hypothesis, expected_version)
    values = valid.model_dump(exclude_unset=True)
    if "measure_code" in values:
        values["measure_id"] = _measure_id(session, values.pop("measure_code"))
    save_versioned(
        session,
        Hypothesis,
        hypothesis,
        entity="hypothesis",
        expected_version=expected_version,
        values=values,
        actor=actor,
        pilot_id=hypothesis.pilot_id,
    )
    return hypothesis


def register_hypotheses(
    session: Session,
    pilot_id: int,
    *,
    actor: Actor,
    registered_late: bool = False,
    now: dt.datetime | None = None,
) -> list[Hypothesis]:
    """Lock every draft hypothesis of the pilot: timestamp plus SHA-256 of its content.

    After the intervention start date this is refused unless ``registered_late`` is set; the
    flag is stored on each hypothesis and shown wherever it appears.
    """
    pilot = checked_pilot(session, pilot_id, actor, Action.edit_pilot)
    now = now or utcnow()
    late = now.date() > pilot.intervention_start
    if late and not registered_late:
        raise ValidationError.single(
            "registered_late", "late_registration", None, start=pilot.intervention_start
        )
    drafts = [h for h in list_hypotheses(session, pilot_id) if not h.is_locked]
    if not drafts:
        raise ValidationError.single("hypotheses", "nothing_to_register")
    for hypothesis in drafts:
        lock_hypothesis(
            session,
            hypothesis,
            registered_at=now,
            registered_late=late,
            content_hash=content_hash(hypothesis, _measure_code(session, hypothesis)),
            actor=actor,
        )
    return drafts


def lock_hypothesis(
    session: Session,
    hypothesis: Hypothesis,
    *,
    registered_at: dt.datetime,
    registered_late: bool,
    content_hash: str,
    actor: Actor,
) -> None:
    """Write a registration (time, late flag, hash of the content) with its audit event.

    Guarded by the version that was hashed: an edit saved meanwhile by someone else makes this
    a ConflictError instead of a lock over content the hash does not match.
    """
    before = snapshot(hypothesis)
    guarded_update(
        session,
        Hypothesis,
        hypothesis,
        entity="hypothesis",
        expected_version=hypothesis.version,
        values={
            "registered_at": registered_at,
            "registered_late": registered_late,
            "content_hash": content_hash,
            "updated_at": utcnow(),
        },
    )
    audit.record(
        session,
        actor=actor,
        action="register",
        entity="hypothesis",
        entity_id=hypothesis.id,
        pilot_id=hypothesis.pilot_id,
        before=before,
        after=snapshot(hypothesis),
    )


def list_amendments(session: Session, hypothesis_id: int) -> list[Amendment]:
    return list(
        session.exec(
            select(Amendment)
            .where(Amendment.hypothesis_id == hypothesis_id)
            .order_by(col(Amendment.created_at), col(Amendment.id))
        )
    )


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def effective_values(session: Session, hypothesis: Hypothesis) -> dict[str, Any]:
    """The registered content with every amendment applied, in order."""
    return apply_amendments(hypothesis, list_amendments(session, hypothesis.id))  # type: ignore[arg-type]


def apply_amendments(hypothesis: Hypothesis, amendments: list[Amendment]) -> dict[str, Any]:
    """``hypothesis``'s registered content with ``amendments`` (its own, oldest first) applied."""
    values = {name: getattr(hypothesis, name) for name in HASHED_FIELDS}
    for amendment in amendments:
        coerced = validate(HypothesisUpdate, {amendment.field: amendment.new_value})
        values[amendment.field] = getattr(coerced, amendment.field)
    return values


@dataclass(frozen=True)
class HypothesisDetails:
    """A hypothesis with what every view of it needs: its measure (as registered), the values
    in force (amendments applied) and the amendments themselves, oldest first."""

    hypothesis: Hypothesis
    measure: Measure
    values: dict[str, Any]
    amendments: list[Amendment]


def hypotheses_with_details(session: Session, pilot_id: int) -> list[HypothesisDetails]:
    """Every hypothesis of the pilot (by code) with its details, in three queries whatever
    their number (one per hypothesis for measure and amendments would be ten for five)."""
    hypotheses = list_hypotheses(session, pilot_id)
    if not hypotheses:
        return []
    measure_ids = {h.measure_id for h in hypotheses}
    measures = {
        m.id: m for m in session.exec(select(Measure).where(col(Measure.id).in_(measure_ids)))
    }
    amendments: dict[int, list[Amendment]] = {h.id: [] for h in hypotheses}  # type: ignore[misc]
    for amendment in session.exec(
        select(Amendment)
        .where(col(Amendment.hypothesis_id).in_(list(amendments)))
        .order_by(col(Amendment.created_at), col(Amendment.id))
    ):
        amendments[amendment.hypothesis_id].append(amendment)
    return [
        HypothesisDetails(
            hypothesis=h,
            measure=measures[h.measure_id],
            values=apply_amendments(h, amendments[h.id]),  # type: ignore[index]
            amendments=amendments[h.id],  # type: ignore[index]
        )
        for h in hypotheses
    ]


def amend_hypothesis(
    session: Session,
    hypothesis_id: int,
    data: AmendmentCreate | dict[str, Any],
    *,
    expected_version: int,
    actor: Actor,
) -> Amendment:
    """Record a change to a registered hypothesis, with its reason, beside the original."""
    hypothesis = get_hypothesis(session, hypothesis_id)
    checked_pilot(session, hypothesis.pilot_id, actor, Action.edit_pilot)
    valid = validate(AmendmentCreate, data)
    if not hypothesis.is_locked:
        raise ValidationError.single("hypothesis", "not_locked", hypothesis.code)
    check_version("hypothesis", hypothesis, expected_version)
    new_value = getattr(validate(HypothesisUpdate, {valid.field: valid.new_value}), valid.field)
    old_value = effective_values(session, hypothesis)[valid.field]
    if as_text(new_value) == as_text(old_value):
        raise ValidationError.single("new_value", "same_value", valid.new_value)
    amendment = Amendment(
        hypothesis_id=hypothesis_id,
        field=valid.field,
        old_value=as_text(old_value),
        new_value=as_text(new_value),
        reason=valid.reason,
        author=actor.name,
    )
    stored = store_amendment(
        session, hypothesis, amendment, expected_version=expected_version, actor=actor
    )
    # The amendment changes what is tested: the stored verdicts follow at once. Imported here
    # because the analysis libraries take seconds to import.
    from tracker.services.verdicts import refresh_verdicts

    refresh_verdicts(session, hypothesis.pilot_id)
    return stored


def store_amendment(
    session: Session,
    hypothesis: Hypothesis,
    amendment: Amendment,
    *,
    expected_version: int,
    actor: Actor,
) -> Amendment:
    """Write a checked amendment beside its hypothesis, with its audit event.

    The hypothesis row itself stays as registered; only its version moves, so that two people
    amending at once cannot both succeed on the same starting point.
    """
    session.add(amendment)
    guarded_update(
        session,
        Hypothesis,
        hypothesis,
        entity="hypothesis",
        expected_version=expected_version,
        values={"updated_at": utcnow()},
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="amend",
        entity="hypothesis",
        entity_id=hypothesis.id,
        pilot_id=hypothesis.pilot_id,
        before={amendment.field: amendment.old_value},
        after={amendment.field: amendment.new_value, "reason": amendment.reason},
    )
    return amendment
