"""Accounts: Argon2id passwords, sign-in with lock-out, single sign-on matching, user admin.

Passwords are stored only as Argon2id hashes (argon2-cffi's ``PasswordHasher``, whose default
type is Argon2id with the RFC 9106 low-memory parameters). A sign-in attempt is a write: it
counts failures and, after ``TRACKER_LOGIN_LOCKOUT_AFTER`` of them in a row, makes the account
wait (``TRACKER_LOGIN_LOCKOUT_SECONDS``, doubling per further failure, at most 15 minutes)
before a password is even checked. Unknown addresses cost the same hash check as known ones
and get the same message as a wrong password, so neither timing nor text tells which
addresses have an account — except the lock-out itself: after N failures a real address says
"wait", which an unknown one never does (the price of telling a locked-out person why).

Single sign-on (``st.login`` with OpenID Connect) proves an e-mail address; ``sso_sign_in``
matches it to an active user row, which holds the role. Every sign-in, failed attempt,
lock-out and change to an account appends an audit event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from tracker import i18n
from tracker.config import load_settings
from tracker.errors import NotFoundError, ValidationError
from tracker.models import Organisation, Role, User, utcnow
from tracker.services import access, audit
from tracker.services.access import Action, Actor
from tracker.services.organisations import get_or_create_user, get_user_by_email
from tracker.services.versioning import save_versioned

MIN_PASSWORD_LENGTH = 12
MAX_LOCKOUT = dt.timedelta(minutes=15)

_hasher = PasswordHasher()
# Checked against when the address is unknown, so that a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("no account has this password")

i18n.register(
    {
        "error.password_short": {
            "nl": "een wachtwoord heeft minstens {min} tekens; kies een langer wachtwoord",
            "en": "a password has at least {min} characters; choose a longer one",
        },
        "error.last_admin": {
            "nl": "'{value}' is de laatste actieve beheerder van de organisatie; maak eerst "
            "iemand anders beheerder",
            "en": "'{value}' is the organisation's last active administrator; make someone else "
            "administrator first",
        },
        "signin.wrong": {
            "nl": "Dit e-mailadres en wachtwoord passen niet bij een actief account. Controleer "
            "ze en probeer het opnieuw.",
            "en": "This e-mail address and password do not match an active account. Check them "
            "and try again.",
        },
        "signin.locked": {
            "nl": "Te veel mislukte pogingen. U kunt het om {until} opnieuw proberen.",
            "en": "Too many failed attempts. You can try again at {until}.",
        },
        "signin.sso_unknown": {
            "nl": "U bent aangemeld als {email}, maar Proeftuin kent geen actief account met dit "
            "adres. Vraag een beheerder van uw organisatie om u toe te voegen.",
            "en": "You are signed in as {email}, but Proeftuin has no active account with this "
            "address. Ask an administrator of your organisation to add you.",
        },
    }
)


def hash_password(password: str) -> str:
    """An Argon2id hash (``$argon2id$v=19$m=…,t=…,p=…$salt$hash``) of a long enough password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError.single("password", "password_short", None, min=MIN_PASSWORD_LENGTH)
    return _hasher.hash(password)


def _password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class SignIn:
    """The outcome of an attempt: the user when it succeeded, else a code for the message."""

    user: User | None
    code: str | None = None  # "wrong" | "locked" | "sso_unknown"
    locked_until: dt.datetime | None = None
    email: str = ""

    @property
    def ok(self) -> bool:
        return self.user is not None

    def message(self, lang: str = "nl", *, timezone: Any = None) -> str:
        until = ""
        if self.locked_until is not None:
            until = self.locked_until.astimezone(timezone).strftime("%H:%M:%S")
        return i18n.t(f"signin.{self.code}", lang, until=until, email=self.email)


def lockout_delay(failures: int, *, after: int, first: dt.timedelta) -> dt.timedelta | None:
    """How long an account waits after ``failures`` failed attempts in a row (None: no wait)."""
    if failures < after:
        return None
    return min(first * 2 ** (failures - after), MAX_LOCKOUT)


def _event(session: Session, user: User, action: str, after: dict[str, Any]) -> None:
    audit.record(
        session,
        actor=access.system(user.email),
        action=action,
        entity="user",
        entity_id=user.id,
        after=after,
    )


def sign_in(
    session: Session, email: str, password: str, *, now: dt.datetime | None = None
) -> SignIn:
    """Check a password. Counts failures and locks out; commit the session either way."""
    settings = load_settings()
    now = now or utcnow()
    user = get_user_by_email(session, email.strip())
    if user is not None and user.locked_until is not None and now < user.locked_until:
        return SignIn(None, "locked", user.locked_until)
    matches = _password_matches(user.password_hash if user else None, password)
    if user is None or not user.is_active or not matches:
        if user is None:
            return SignIn(None, "wrong")
        user.failed_logins += 1
        delay = lockout_delay(
            user.failed_logins,
            after=int(settings.login_lockout_after),
            first=dt.timedelta(seconds=float(settings.login_lockout_seconds)),
        )
        user.locked_until = now + delay if delay is not None else None
        session.add(user)
        session.flush()
        after = {"failed_logins": user.failed_logins}
        if user.locked_until is not None:
            after["locked_until"] = user.locked_until.isoformat()
        _event(session, user, "sign_in_failed", after)
        if user.locked_until is not None:
            return SignIn(None, "locked", user.locked_until)
        return SignIn(None, "wrong")
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    session.add(user)
    session.flush()
    _event(session, user, "sign_in", {"method": "password"})
    return SignIn(user)


def sso_sign_in(session: Session, email: str, *, now: dt.datetime | None = None) -> SignIn:
    """Match an address proven by the identity provider to an active user row."""
    user = get_user_by_email(session, email.strip()) if email else None
    if user is None or not user.is_active:
        return SignIn(None, "sso_unknown", email=email)
    user.last_login_at = now or utcnow()
    session.add(user)
    session.flush()
    _event(session, user, "sign_in", {"method": "oidc"})
    return SignIn(user)


def active_user(session: Session, user_id: int) -> User | None:
    """The signed-in user as the database has them now (None when disabled or removed)."""
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def session_expired(
    last_activity: dt.datetime, now: dt.datetime, timeout: dt.timedelta | None = None
) -> bool:
    """Whether a session idle since ``last_activity`` has expired.

    The timeout is ``TRACKER_SESSION_TIMEOUT_MINUTES`` unless given.
    """
    timeout = timeout if timeout is not None else load_settings().session_timeout
    return now - last_activity > timeout


# ------------------------------------------------------------------------------ user admin
def _organisation_user(session: Session, actor: Actor, email: str) -> User:
    access.require(session, actor, Action.manage_users)
    user = get_user_by_email(session, email)
    if user is None:
        raise NotFoundError("user", email)
    access.require_organisation(actor, user.organisation_id, Action.manage_users)
    return user


def add_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: Role | str,
    actor: Actor,
    organisation_id: int | None = None,
    password: str | None = None,
) -> User:
    """A new account in the actor's organisation (a system actor names the organisation).

    Without a password the account can only sign in through single sign-on.
    """
    access.require(session, actor, Action.manage_users)
    org_id = organisation_id if organisation_id is not None else actor.organisation_id
    if org_id is None or session.get(Organisation, org_id) is None:
        raise NotFoundError("organisation", org_id)
    if get_user_by_email(session, email) is not None:
        raise ValidationError.single("email", "duplicate", email)
    hashed = hash_password(password) if password is not None else None
    user = get_or_create_user(
        session,
        organisation_id=org_id,
        email=email,
        display_name=display_name,
        role=role,
        actor=actor,
        password_hash=hashed,
    )
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    """The accounts of the actor's organisation (a system actor: all), by e-mail address."""
    access.require(session, actor, Action.manage_users)
    query = access.only_visible(select(User), actor, User.organisation_id)
    return list(session.exec(query.order_by(col(User.email))))


def _other_active_admins(session: Session, user: User) -> int:
    return len(
        session.exec(
            select(User.id).where(
                User.organisation_id == user.organisation_id,
                User.role == Role.admin,
                col(User.is_active).is_(True),
                User.id != user.id,
            )
        ).all()
    )


def _change(
    session: Session, user: User, values: dict[str, Any], *, actor: Actor, expected_version: int
) -> User:
    save_versioned(
        session,
        User,
        user,
        entity="user",
        expected_version=expected_version,
        values=values,
        actor=actor,
        pilot_id=None,
    )
    return user


def set_role(
    session: Session,
    email: str,
    role: Role | str,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> User:
    """Give an account another role; the organisation's last active admin keeps theirs."""
    user = _organisation_user(session, actor, email)
    new_role = Role(role)
    demoted = user.role == Role.admin and new_role != Role.admin and user.is_active
    if demoted and not _other_active_admins(session, user):
        raise ValidationError.single("role", "last_admin", user.email)
    version = user.version if expected_version is None else expected_version
    return _change(session, user, {"role": new_role}, actor=actor, expected_version=version)


def set_active(
    session: Session,
    email: str,
    active: bool,
    *,
    actor: Actor,
    expected_version: int | None = None,
) -> User:
    """Disable (or enable again) an account; a disabled account cannot sign in or act."""
    user = _organisation_user(session, actor, email)
    if not active and user.role == Role.admin and not _other_active_admins(session, user):
        raise ValidationError.single("email", "last_admin", user.email)
    version = user.version if expected_version is None else expected_version
    values: dict[str, Any] = {"is_active": active}
    if active:  # enabled again: attempts made while disabled no longer count
        values |= {"failed_logins": 0, "locked_until": None}
    return _change(session, user, values, actor=actor, expected_version=version)


def set_password(session: Session, email: str, password: str, *, actor: Actor) -> User:
    """A new password (an admin for their organisation, or the account's own user)."""
    user = get_user_by_email(session, email)
    if user is None:
        raise NotFoundError("user", email)
    if actor.user_id != user.id:
        user = _organisation_user(session, actor, email)
    before = {"password_hash": "…"}  # the audit trail never holds a hash
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    user.version += 1
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="set_password",
        entity="user",
        entity_id=user.id,
        before=before,
        after={"password_hash": "(nieuw)", "version": user.version},
    )
    return user
