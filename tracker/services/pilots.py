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
    PilotMember,
    PilotUpdate,
    User,
)
from tracker.services import access, audit
from tracker.services.access import Action, Actor
from tracker.services.common import validate
from tracker.services.organisations import get_user_by_email
from tracker.services.versioning import check_version, save_versioned

i18n.register(
    {
        "error.unknown_user": {
            "nl": "er is geen gebruiker met e-mailadres '{value}'; voeg die eerst toe",
            "en": "there is no user with e-mail address '{value}'; add them first",
        },
        "error.already_member": {
            "nl": "'{value}' is al eigenaar of teamlid van deze pilot",
            "en": "'{value}' already owns or is in this pilot's team",
        },
        "error.owner_organisation": {
            "nl": "'{value}' hoort bij een andere organisatie en kan deze pilot niet bezitten",
            "en": "'{value}' belongs to another organisation and cannot own this pilot",
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


def checked_pilot(session: Session, pilot_id: int, actor: Actor, action: Action) -> Pilot:
    """The pilot, when ``actor`` may take ``action`` on it (else AccessDenied)."""
    pilot = get_pilot(session, pilot_id)
    access.require(session, actor, action, pilot)
    return pilot


def open_pilot(session: Session, actor: Actor, slug: str) -> Pilot:
    """A pilot by its slug for reading: refused when it belongs to another organisation.

    Pages get their pilot here; what they then read of it (measurements, analyses, reports,
    history) belongs to a pilot the actor was allowed to open. An address or a picker only
    ever holds slugs, so a slug of digits ("2024") is that slug, not the pilot with that id
    (:func:`resolve_pilot`, the CLI's ``--pilot``, reads digits as an id).
    """
    pilot = find_pilot_by_slug(session, slug)
    if pilot is None:
        raise NotFoundError("pilot", slug)
    access.require(session, actor, Action.view, pilot)
    return pilot


def create_pilot(
    session: Session,
    data: PilotCreate | dict[str, Any],
    *,
    organisation_id: int,
    actor: Actor,
) -> Pilot:
    """Create a pilot in ``organisation_id``; without an owner e-mail the creator owns it."""
    access.require(session, actor, Action.create_pilot)
    access.require_organisation(actor, organisation_id, Action.create_pilot)
    valid = validate(PilotCreate, data)
    if session.get(Organisation, organisation_id) is None:
        raise NotFoundError("organisation", organisation_id)
    if find_pilot_by_slug(session, valid.slug) is not None:
        raise ValidationError.single("slug", "duplicate", valid.slug)
    owner = get_user_by_email(session, valid.owner_email) if valid.owner_email else None
    if valid.owner_email and owner is None:
        # A mistyped owner would otherwise vanish without a word.
        raise ValidationError.single("owner_email", "unknown_user", valid.owner_email)
    if owner is not None and owner.organisation_id != organisation_id:
        raise ValidationError.single("owner_email", "owner_organisation", valid.owner_email)
    owner_id = owner.id if owner else actor.user_id
    pilot = Pilot.model_validate(
        valid.model_dump(exclude={"owner_email"})
        | {"organisation_id": organisation_id, "owner_id": owner_id}
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
    actor: Actor,
) -> Pilot:
    """Save changes made to version ``expected_version``; a stale version raises ConflictError."""
    pilot = checked_pilot(session, pilot_id, actor, Action.edit_pilot)
    valid = validate(PilotUpdate, changes)
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


def list_pilot_summaries(session: Session, *, actor: Actor) -> list[PilotSummary]:
    """Every pilot the actor may see with its number of hypotheses and measurements, by title."""
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
        access.only_visible(
            select(Pilot, n_hyp, n_meas, n_late), actor, Pilot.organisation_id
        ).order_by(col(Pilot.title), col(Pilot.id))
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


def pilot_titles(session: Session, *, actor: Actor) -> dict[str, str]:
    """Slug → title of every pilot the actor may see, by title (a light query for pickers)."""
    query = access.only_visible(select(Pilot.slug, Pilot.title), actor, Pilot.organisation_id)
    rows = session.exec(query.order_by(col(Pilot.title))).all()
    return dict(rows)


def pilot_choices(
    session: Session, actor: Actor, asked: str | None
) -> tuple[dict[str, str], Pilot | None]:
    """A pilot picker in one transaction: :func:`pilot_titles`, and the pilot with slug
    ``asked`` when it is one of them (None otherwise: unknown, or not the actor's to see)."""
    titles = pilot_titles(session, actor=actor)
    return titles, open_pilot(session, actor, asked) if asked in titles else None


def add_member(session: Session, pilot_id: int, email: str, *, actor: Actor) -> PilotMember:
    """Put a colleague of the same organisation in the pilot's team (they may then edit it)."""
    pilot = checked_pilot(session, pilot_id, actor, Action.edit_pilot)
    user = get_user_by_email(session, email)
    if user is None:
        raise ValidationError.single("email", "unknown_user", email)
    if user.organisation_id != pilot.organisation_id:
        raise ValidationError.single("email", "owner_organisation", email)
    existing = session.exec(
        select(PilotMember).where(PilotMember.pilot_id == pilot_id, PilotMember.user_id == user.id)
    ).first()
    if existing is not None or user.id == pilot.owner_id:
        raise ValidationError.single("email", "already_member", email)
    assert user.id is not None
    member = PilotMember(pilot_id=pilot_id, user_id=user.id)
    return audit.insert(session, member, entity="pilot_member", actor=actor, pilot_id=pilot_id)


def list_members(session: Session, pilot_id: int) -> list[User]:
    """The owner first, then the team members by name."""
    pilot = get_pilot(session, pilot_id)
    owner = session.get(User, pilot.owner_id) if pilot.owner_id is not None else None
    members = session.exec(
        select(User)
        .join(PilotMember, col(PilotMember.user_id) == col(User.id))
        .where(PilotMember.pilot_id == pilot_id)
        .order_by(col(User.display_name))
    ).all()
    return ([owner] if owner is not None else []) + list(members)
