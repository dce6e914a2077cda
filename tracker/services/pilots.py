"""Pilots: create, read, list and save with optimistic locking."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker import i18n
from tracker.errors import NotFoundError, ValidationError
from tracker.models import (
    Hypothesis,
    Measurement,
    Organisation,
    Pilot,
    PilotBase,
    PilotCreate,
    PilotUpdate,
)
from tracker.services import audit
from tracker.services.common import validate
from tracker.services.organisations import get_user_by_email
from tracker.services.versioning import check_version, save_versioned

i18n.register(
    {
        "error.unknown_user": {
            "nl": "er is geen gebruiker met e-mailadres '{value}'; voeg die eerst toe",
            "en": "there is no user with e-mail address '{value}'; add them first",
        },
    }
)


def get_pilot(session: Session, pilot_id: int) -> Pilot:
    pilot = session.get(Pilot, pilot_id)
    if pilot is None:
        raise NotFoundError("pilot", pilot_id)
    return pilot


def find_pilot_by_slug(session: Session, slug: str) -> Pilot | None:
    return session.exec(select(Pilot).where(Pilot.slug == slug)).first()


def resolve_pilot(session: Session, ref: str | int) -> Pilot:
    """A pilot by numeric id or by slug (what the CLI's ``--pilot`` accepts)."""
    if isinstance(ref, int) or str(ref).isdigit():
        return get_pilot(session, int(ref))
    pilot = find_pilot_by_slug(session, str(ref))
    if pilot is None:
        raise NotFoundError("pilot", ref)
    return pilot


def create_pilot(
    session: Session,
    data: PilotCreate | dict[str, Any],
    *,
    organisation_id: int,
    actor: str,
) -> Pilot:
    valid = validate(PilotCreate, data)
    if session.get(Organisation, organisation_id) is None:
        raise NotFoundError("organisation", organisation_id)
    if find_pilot_by_slug(session, valid.slug) is not None:
        raise ValidationError.single("slug", "duplicate", valid.slug)
    owner = get_user_by_email(session, valid.owner_email) if valid.owner_email else None
    if valid.owner_email and owner is None:
        # A mistyped owner would otherwise vanish without a word.
        raise ValidationError.single("owner_email", "unknown_user", valid.owner_email)
    pilot = Pilot.model_validate(
        valid.model_dump(exclude={"owner_email"})
        | {"organisation_id": organisation_id, "owner_id": owner.id if owner else None}
    )
    session.add(pilot)
    session.flush()  # the pilot's own id is the pilot_id of its audit event
    return audit.insert(session, pilot, entity="pilot", actor=actor, pilot_id=pilot.id)


def update_pilot(
    session: Session,
    pilot_id: int,
    changes: PilotUpdate | dict[str, Any],
    *,
    expected_version: int,
    actor: str,
) -> Pilot:
    """Save changes made to version ``expected_version``; a stale version raises ConflictError."""
    valid = validate(PilotUpdate, changes)
    pilot = get_pilot(session, pilot_id)
    check_version("pilot", pilot, expected_version)
    values = valid.model_dump(exclude_unset=True)
    # Cross-field rules (phase order) are checked on the merged result.
    # (Enum columns come back from the database as plain strings: no serializer warnings.)
    merged = pilot.model_dump(include=set(PilotBase.model_fields), warnings=False) | values
    validate(PilotBase, merged)
    save_versioned(
        session,
        Pilot,
        pilot,
        entity="pilot",
        expected_version=expected_version,
        values=values,
        actor=actor,
        pilot_id=pilot.id,
    )
    return pilot


@dataclass(frozen=True)
class PilotSummary:
    id: int
    slug: str
    title: str
    municipality: str
    status: str
    hypotheses: int
    measurements: int
    late_registrations: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_pilot_summaries(session: Session) -> list[PilotSummary]:
    """Every pilot with its number of hypotheses and measurements, by title."""
    n_hyp = (
        select(func.count(col(Hypothesis.id)))
        .where(Hypothesis.pilot_id == Pilot.id)
        .scalar_subquery()
    )
    n_late = (
        select(func.count(col(Hypothesis.id)))
        .where(Hypothesis.pilot_id == Pilot.id, col(Hypothesis.registered_late).is_(True))
        .scalar_subquery()
    )
    n_meas = (
        select(func.count(col(Measurement.id)))
        .where(Measurement.pilot_id == Pilot.id)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Pilot, n_hyp, n_meas, n_late).order_by(col(Pilot.title), col(Pilot.id))
    )
    return [
        PilotSummary(
            id=p.id,
            slug=p.slug,
            title=p.title,
            municipality=p.municipality,
            status=str(p.status),
            hypotheses=h,
            measurements=m,
            late_registrations=late,
        )
        for p, h, m, late in rows
    ]


def pilot_titles(session: Session) -> dict[str, str]:
    """Slug → title of every pilot, by title (a light query for pickers)."""
    rows = session.exec(select(Pilot.slug, Pilot.title).order_by(col(Pilot.title))).all()
    return dict(rows)
