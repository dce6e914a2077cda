"""Who may do what: the acting person (``Actor``) and the role × action rules.

Every service that writes, and every service that hands out a pilot or a list of pilots,
takes an ``Actor`` and asks ``require`` first, so a page that forgets to hide a button, or a
page opened by its address, still cannot do what the role may not. The app builds the actor
from the signed-in account (``actor_for``); the CLI and scripts run on the server with the
database's own credentials and act as a named system actor (``system``), which the rules
allow everything, as the database itself would.

The rules (the issue's table; "own" means the pilot's owner or a member of its team):

============== ========= ======== ======== =====
action         officer   manager  analyst  admin
============== ========= ======== ======== =====
view           yes       yes      yes      yes
create_pilot   yes       no       no       yes
edit_pilot     own       no       no       yes
enter_data     own       no       no       yes
publish_report own       no       no       yes
comment        own       yes      no       yes
share_pilot    own       no       no       yes
propose_lesson own       no       no       yes
export         no        no       yes      yes
run_analysis   no        no       yes      yes
add_measure    yes       no       no       yes
manage_codebook no       no       no       yes
manage_users   no        no       no       yes
============== ========= ======== ======== =====

Nobody, whatever the role, reaches a pilot or a user of another organisation, except what that
organisation shared: a shared pilot's facts, published reports and results, read-only
(``tracker.services.sharing``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from tracker import i18n
from tracker.errors import TrackerError
from tracker.models import Pilot, PilotMember, Role, User


class Action(StrEnum):
    view = "view"
    create_pilot = "create_pilot"
    edit_pilot = "edit_pilot"
    enter_data = "enter_data"
    publish_report = "publish_report"
    comment = "comment"
    share_pilot = "share_pilot"  # share a pilot and its published reports with other gemeenten
    propose_lesson = "propose_lesson"  # a lesson drawn from the pilot's report, and its evidence
    export = "export"
    run_analysis = "run_analysis"
    add_measure = "add_measure"
    manage_codebook = "manage_codebook"
    manage_users = "manage_users"


# Actions on one pilot that an officer may take only on a pilot of their own (owner or member).
OWN_PILOT_ACTIONS = frozenset(
    {
        Action.edit_pilot,
        Action.enter_data,
        Action.publish_report,
        Action.comment,
        Action.share_pilot,
        Action.propose_lesson,
    }
)

ALLOWED: dict[Role, frozenset[Action]] = {
    Role.officer: frozenset(
        {
            Action.view,
            Action.create_pilot,
            Action.edit_pilot,
            Action.enter_data,
            Action.publish_report,
            Action.comment,
            Action.share_pilot,
            Action.propose_lesson,
            Action.add_measure,
        }
    ),
    Role.manager: frozenset({Action.view, Action.comment}),
    Role.analyst: frozenset({Action.view, Action.export, Action.run_analysis}),
    Role.admin: frozenset(Action),
}

i18n.register(
    {
        "error.access.denied": {
            "nl": "U mag dit niet als {role}: {action}. Vraag een beheerder van uw organisatie "
            "om een andere rol of om toegang tot het team van deze pilot.",
            "en": "As {role} you may not do this: {action}. Ask an administrator of your "
            "organisation for another role or for a place in this pilot's team.",
        },
        "error.access.organisation": {
            "nl": "Deze pilot of gebruiker hoort bij een andere organisatie; u heeft er geen "
            "toegang toe.",
            "en": "This pilot or user belongs to another organisation; you have no access to it.",
        },
        "error.access.not_own": {
            "nl": "U bent geen eigenaar of teamlid van deze pilot; alleen zij mogen dit: "
            "{action}. Vraag de eigenaar om u aan het team toe te voegen.",
            "en": "You are not the owner or a team member of this pilot; only they may do "
            "this: {action}. Ask the owner to add you to the team.",
        },
        "access.role.officer": {"nl": "beleidsmedewerker", "en": "policy officer"},
        "access.role.manager": {"nl": "manager", "en": "manager"},
        "access.role.analyst": {"nl": "analist", "en": "analyst"},
        "access.role.admin": {"nl": "beheerder", "en": "administrator"},
        "access.action.view": {"nl": "pilots bekijken", "en": "view pilots"},
        "access.action.create_pilot": {"nl": "een pilot aanmaken", "en": "create a pilot"},
        "access.action.edit_pilot": {"nl": "de pilot wijzigen", "en": "edit the pilot"},
        "access.action.enter_data": {"nl": "metingen invoeren", "en": "enter measurements"},
        "access.action.publish_report": {
            "nl": "het lessenrapport bewerken en publiceren",
            "en": "edit and publish the lessons report",
        },
        "access.action.comment": {"nl": "een opmerking plaatsen", "en": "comment"},
        "access.action.share_pilot": {
            "nl": "de pilot delen met andere gemeenten",
            "en": "share the pilot with other municipalities",
        },
        "access.action.propose_lesson": {
            "nl": "een les voorstellen of onderbouwen",
            "en": "propose a lesson or add evidence",
        },
        "access.action.export": {"nl": "gegevens exporteren", "en": "export data"},
        "access.action.run_analysis": {"nl": "analyses opnieuw uitvoeren", "en": "run analyses"},
        "access.action.add_measure": {
            "nl": "een indicator toevoegen",
            "en": "add a measure",
        },
        "access.action.manage_codebook": {
            "nl": "het codeboek beheren",
            "en": "manage the codebook",
        },
        "access.action.manage_users": {"nl": "gebruikers beheren", "en": "manage users"},
    }
)


@dataclass(frozen=True)
class Actor:
    """The person (or system process) doing something; ``name`` goes into the audit trail."""

    name: str
    role: Role | None = None  # None: a system actor (CLI, scripts, migrations)
    organisation_id: int | None = None
    user_id: int | None = None

    @property
    def is_system(self) -> bool:
        return self.role is None


def system(name: str) -> Actor:
    """A trusted process on the server (the CLI, the demo loader, a script)."""
    if not name:
        raise ValueError("a system actor needs a name for the audit trail")
    return Actor(name=name)


def actor_for(user: User) -> Actor:
    """The actor of a signed-in account."""
    return Actor(
        name=user.email,
        role=Role(user.role),
        organisation_id=user.organisation_id,
        user_id=user.id,
    )


@dataclass
class AccessDenied(TrackerError):
    """The actor's role or organisation does not allow the action; nothing was done."""

    code: str
    role: str
    action: str

    def __post_init__(self) -> None:
        super().__init__(self.message("en"))

    def message(self, lang: str = "nl") -> str:
        return i18n.t(
            f"error.access.{self.code}",
            lang,
            role=i18n.t(f"access.role.{self.role}", lang),
            action=i18n.t(f"access.action.{self.action}", lang),
        )


def is_team_member(session: Session, actor: Actor, pilot: Pilot) -> bool:
    """Owner or member of the pilot's team."""
    if actor.user_id is None:
        return False
    if pilot.owner_id == actor.user_id:
        return True
    found = session.exec(
        select(PilotMember.id).where(
            PilotMember.pilot_id == pilot.id, PilotMember.user_id == actor.user_id
        )
    ).first()
    return found is not None


def denial(
    session: Session | None, actor: Actor, action: Action, pilot: Pilot | None = None
) -> AccessDenied | None:
    """Why ``actor`` may not take ``action`` (on ``pilot``), or None when they may."""
    if actor.is_system:
        return None
    assert actor.role is not None
    if action not in ALLOWED[actor.role]:
        return AccessDenied("denied", actor.role, action)
    if pilot is None:
        return None
    if pilot.organisation_id != actor.organisation_id:
        return AccessDenied("organisation", actor.role, action)
    if actor.role == Role.officer and action in OWN_PILOT_ACTIONS:
        assert session is not None, "an own-pilot check needs the session"
        if not is_team_member(session, actor, pilot):
            return AccessDenied("not_own", actor.role, action)
    return None


def may(session: Session | None, actor: Actor, action: Action, pilot: Pilot | None = None) -> bool:
    """Whether the action is allowed: for pages deciding what to show."""
    return denial(session, actor, action, pilot) is None


def require(
    session: Session | None, actor: Actor, action: Action, pilot: Pilot | None = None
) -> None:
    """Raise ``AccessDenied`` unless the actor may take the action (on the pilot)."""
    refused = denial(session, actor, action, pilot)
    if refused is not None:
        raise refused


def require_organisation(actor: Actor, organisation_id: int | None, action: Action) -> None:
    """Raise unless the actor may reach things of that organisation (None: one that does not
    exist yet, which only a system actor may create)."""
    if actor.is_system or actor.organisation_id == organisation_id:
        return
    assert actor.role is not None
    raise AccessDenied("organisation", actor.role, action)


def only_visible(query: Any, actor: Actor, organisation_column: Any) -> Any:
    """``query`` limited to rows of the actor's organisation (a system actor: unchanged)."""
    organisation_id = visible_organisation(actor)
    if organisation_id is None:
        return query
    return query.where(col(organisation_column) == organisation_id)


def visible_organisation(actor: Actor) -> int | None:
    """The organisation whose pilots the actor sees; None means every organisation (system)."""
    return None if actor.is_system else actor.organisation_id
