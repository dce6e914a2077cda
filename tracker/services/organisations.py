"""Organisations (gemeenten) and users."""

from __future__ import annotations

from sqlmodel import Session, select

from tracker.errors import ValidationError
from tracker.models import GM_CODE, Organisation, Role, User
from tracker.services import audit
from tracker.services.common import snapshot


def get_or_create_organisation(
    session: Session, *, name: str, cbs_code: str, actor: str
) -> Organisation:
    if not GM_CODE.match(cbs_code):
        raise ValidationError.single("cbs_code", "gm_code", cbs_code)
    org = session.exec(select(Organisation).where(Organisation.cbs_code == cbs_code)).first()
    if org is not None:
        return org
    org = Organisation(name=name, cbs_code=cbs_code)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="organisation",
        entity_id=org.id,
        after=snapshot(org),
    )
    return org


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.lower())).first()


def get_or_create_user(
    session: Session,
    *,
    organisation_id: int,
    email: str,
    display_name: str,
    role: Role = Role.officer,
    actor: str,
) -> User:
    user = get_user_by_email(session, email)
    if user is not None:
        return user
    user = User(
        organisation_id=organisation_id, email=email.lower(), display_name=display_name, role=role
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="user",
        entity_id=user.id,
        after=snapshot(user),
    )
    return user
