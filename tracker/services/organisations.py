"""Organisations (gemeenten) and users."""

from __future__ import annotations

import re

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Field, Session, SQLModel, select

from tracker import i18n
from tracker.codes import GM_CODE
from tracker.errors import NotFoundError
from tracker.models import Organisation, Role, User
from tracker.services import access, audit
from tracker.services.access import Action, Actor
from tracker.services.common import validate

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

i18n.register(
    {
        "error.email": {
            "nl": "'{value}' is geen e-mailadres",
            "en": "'{value}' is not an e-mail address",
        },
    }
)


class _OrganisationInput(SQLModel):
    # The table has no validation of its own; without this a too-long name is stored on SQLite
    # and a DataError on PostgreSQL.
    name: str = Field(min_length=1, max_length=200)
    cbs_code: str

    @field_validator("cbs_code")
    @classmethod
    def _gm_form(cls, v: str) -> str:
        if not GM_CODE.fullmatch(v):
            raise PydanticCustomError("gm_code", "{value} has the wrong form", {"value": v})
        return v


class _UserInput(SQLModel):
    email: str = Field(max_length=320)
    display_name: str = Field(min_length=1, max_length=200)
    role: Role

    @field_validator("email")
    @classmethod
    def _email_form(cls, v: str) -> str:
        if not EMAIL.match(v):
            raise PydanticCustomError("email", "{value} is not an e-mail address", {"value": v})
        return v.lower()


def get_or_create_organisation(
    session: Session, *, name: str, cbs_code: str, actor: Actor
) -> Organisation:
    """The organisation with this CBS code; a new one only for a system actor (the CLI)."""
    valid = validate(_OrganisationInput, {"name": name, "cbs_code": cbs_code})
    org = session.exec(select(Organisation).where(Organisation.cbs_code == cbs_code)).first()
    access.require_organisation(actor, org.id if org else None, Action.create_pilot)
    if org is not None:
        return org
    org = Organisation(name=valid.name, cbs_code=valid.cbs_code)
    return audit.insert(session, org, entity="organisation", actor=actor)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.lower())).first()


def get_or_create_user(
    session: Session,
    *,
    organisation_id: int,
    email: str,
    display_name: str,
    role: Role | str = Role.officer,
    actor: Actor,
    password_hash: str | None = None,
) -> User:
    access.require(session, actor, Action.manage_users)
    access.require_organisation(actor, organisation_id, Action.manage_users)
    valid = validate(_UserInput, {"email": email, "display_name": display_name, "role": role})
    user = get_user_by_email(session, valid.email)
    if user is not None:
        return user
    if session.get(Organisation, organisation_id) is None:
        raise NotFoundError("organisation", organisation_id)
    user = User(
        organisation_id=organisation_id,
        email=valid.email,
        display_name=valid.display_name,
        role=valid.role,
        password_hash=password_hash,
    )
    return audit.insert(session, user, entity="user", actor=actor)
