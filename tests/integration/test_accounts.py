"""Accounts: Argon2id passwords, sign-in with lock-out, session expiry, single sign-on, and
user administration (last admin, stale versions, passwords set by whom).

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set. Each
sign-in attempt is its own transaction, as in the app; time is passed as ``now=``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from tests.db_helpers import row_counts
from tracker.db import session_scope
from tracker.errors import ConflictError, ValidationError
from tracker.models import AuditEvent, Role, User
from tracker.services import access, accounts, organisations
from tracker.services.access import AccessDenied
from tracker.services.accounts import SignIn

SETUP = access.system("setup@proeftuin.example")
PASSWORD = "correct paard batterij"
OTHER_PASSWORD = "nietje hecht boom lamp"
WRONG = "dit is het verkeerde wachtwoord"
EVA = "eva@gemeente.example"
T0 = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)


def sec(seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=seconds)


@pytest.fixture
def orgs(engine) -> dict[str, int]:
    """Organisations A (GM0363) and B (GM0344), each with an admin; committed."""
    with session_scope(engine) as s:
        a = organisations.get_or_create_organisation(
            s, name="Amsterdam", cbs_code="GM0363", actor=SETUP
        )
        b = organisations.get_or_create_organisation(
            s, name="Utrecht", cbs_code="GM0344", actor=SETUP
        )
        for email, org in (("beheer@amsterdam.example", a), ("beheer@utrecht.example", b)):
            accounts.add_user(
                s, email=email, display_name="Beheer", role="admin", organisation_id=org.id,
                actor=SETUP,
            )  # fmt: skip
        return {"A": a.id, "B": b.id}


def add(
    engine: Engine,
    orgs: dict[str, int],
    email: str = EVA,
    role: str = "officer",
    org: str = "A",
    password: str | None = PASSWORD,
) -> User:
    with session_scope(engine) as s:
        return accounts.add_user(
            s,
            email=email,
            display_name=email.split("@")[0].title(),
            role=role,
            organisation_id=orgs[org],
            password=password,
            actor=SETUP,
        )


def user(engine: Engine, email: str = EVA) -> User:
    with session_scope(engine, read_only=True) as s:
        return s.exec(select(User).where(User.email == email)).one()


def actor(engine: Engine, email: str) -> access.Actor:
    return access.actor_for(user(engine, email))


def sign_in(engine: Engine, password: str, *, email: str = EVA, now=None) -> SignIn:
    with session_scope(engine) as s:
        return accounts.sign_in(s, email, password, now=now)


def events(engine: Engine, **where) -> list[AuditEvent]:
    with session_scope(engine, read_only=True) as s:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(s.exec(query))


# --------------------------------------------------------------------------- passwords
def test_a_password_is_stored_only_as_an_argon2id_hash(engine, orgs):
    add(engine, orgs)
    stored = user(engine).password_hash
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD) is True
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored, WRONG)
    # Two accounts with the same password get different hashes (salted).
    add(engine, orgs, "piet@gemeente.example")
    assert user(engine, "piet@gemeente.example").password_hash != stored


def test_the_audit_trail_never_holds_a_hash_or_a_password(engine, orgs):
    eva = add(engine, orgs)
    sign_in(engine, WRONG, now=T0)
    sign_in(engine, PASSWORD, now=T0)
    with session_scope(engine) as s:
        accounts.set_password(s, EVA, OTHER_PASSWORD, actor=SETUP)
        accounts.set_role(s, EVA, "analyst", actor=SETUP)
        accounts.set_active(s, EVA, False, actor=SETUP)
    trail = events(engine, entity="user", entity_id=eva.id)
    assert [e.action for e in trail] == [
        "create",
        "sign_in_failed",
        "sign_in",
        "set_password",
        "update",
        "update",
    ]
    assert trail[0].after["email"] == EVA and "password_hash" not in trail[0].after
    for event in events(engine):
        text = json.dumps([event.before, event.after], ensure_ascii=False)
        assert "argon2" not in text
        assert PASSWORD not in text and OTHER_PASSWORD not in text and WRONG not in text


def test_a_password_has_at_least_twelve_characters(engine, orgs):
    with pytest.raises(ValidationError) as short:
        accounts.hash_password("elf tekens!")  # 11
    assert [(e.field, e.code) for e in short.value.errors] == [("password", "password_short")]
    assert "12" in short.value.message("nl") and "12" in short.value.message("en")
    assert accounts.hash_password("twaalf tekens").startswith("$argon2id$")  # 13
    assert accounts.hash_password("x" * 12).startswith("$argon2id$")
    before = row_counts(engine)
    with pytest.raises(ValidationError):
        add(engine, orgs, password="te kort")
    assert row_counts(engine) == before


# --------------------------------------------------------------------------- sign-in
def test_the_right_password_signs_in_and_resets_the_failures(engine, orgs):
    eva = add(engine, orgs)
    assert sign_in(engine, WRONG, now=T0).code == "wrong"
    assert user(engine).failed_logins == 1
    result = sign_in(engine, PASSWORD, now=T0 + sec(5))
    assert result.ok and result.code is None and result.user.email == EVA
    stored = user(engine)
    assert (stored.failed_logins, stored.locked_until) == (0, None)
    assert stored.last_login_at == T0 + sec(5)
    last = events(engine)[-1]
    assert (last.action, last.entity, last.entity_id, last.actor, last.after) == (
        "sign_in",
        "user",
        eva.id,
        EVA,
        {"method": "password"},
    )


def test_the_address_is_matched_whatever_its_case_and_spaces(engine, orgs):
    add(engine, orgs)
    assert sign_in(engine, PASSWORD, email="  Eva@Gemeente.EXAMPLE ", now=T0).ok


def test_a_wrong_password_is_counted_and_audited(engine, orgs):
    eva = add(engine, orgs)
    for n in (1, 2):
        result = sign_in(engine, WRONG, now=T0 + sec(n))
        assert (result.ok, result.code, result.user) == (False, "wrong", None)
        assert user(engine).failed_logins == n
    assert user(engine).last_login_at is None
    failed = events(engine, action="sign_in_failed")
    assert [(e.entity_id, e.actor, e.after) for e in failed] == [
        (eva.id, EVA, {"failed_logins": 1}),
        (eva.id, EVA, {"failed_logins": 2}),
    ]


def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(engine, orgs):
    add(engine, orgs)
    wrong = sign_in(engine, WRONG, now=T0)
    before = row_counts(engine)
    unknown = sign_in(engine, PASSWORD, email="niemand@gemeente.example", now=T0)
    assert (unknown.ok, unknown.code) == (False, "wrong")
    for lang in ("nl", "en"):
        assert unknown.message(lang) == wrong.message(lang)
    assert "passen niet bij een actief account" in unknown.message("nl")
    assert row_counts(engine)["app_user"] == before["app_user"]


def test_a_disabled_account_cannot_sign_in_even_with_the_right_password(engine, orgs):
    add(engine, orgs)
    with session_scope(engine) as s:
        accounts.set_active(s, EVA, False, actor=SETUP)
    result = sign_in(engine, PASSWORD, now=T0)
    assert (result.ok, result.code) == (False, "wrong")
    assert user(engine).last_login_at is None
    with session_scope(engine) as s:
        assert accounts.active_user(s, user(engine).id) is None
        accounts.set_active(s, EVA, True, actor=SETUP)
    assert sign_in(engine, PASSWORD, now=T0 + sec(1)).ok
    with session_scope(engine) as s:
        assert accounts.active_user(s, user(engine).id).email == EVA


def test_an_account_without_a_password_cannot_sign_in_with_one(engine, orgs):
    add(engine, orgs, password=None)
    assert user(engine).password_hash is None
    assert sign_in(engine, "", now=T0).code == "wrong"
    assert sign_in(engine, PASSWORD, now=T0).code == "wrong"


# --------------------------------------------------------------------------- lock-out
@pytest.fixture
def lockout(monkeypatch):
    monkeypatch.setenv("TRACKER_LOGIN_LOCKOUT_AFTER", "3")
    monkeypatch.setenv("TRACKER_LOGIN_LOCKOUT_SECONDS", "60")


def test_the_third_failure_locks_and_the_lock_holds_even_for_the_right_password(
    engine, orgs, lockout
):
    eva = add(engine, orgs)
    assert sign_in(engine, WRONG, now=T0).code == "wrong"
    assert sign_in(engine, WRONG, now=T0 + sec(1)).code == "wrong"
    third = sign_in(engine, WRONG, now=T0 + sec(2))
    until = T0 + sec(2) + sec(60)
    assert (third.code, third.locked_until) == ("locked", until)
    assert (user(engine).failed_logins, user(engine).locked_until) == (3, until)
    assert events(engine)[-1].after == {"failed_logins": 3, "locked_until": until.isoformat()}
    assert third.message("en", timezone=dt.UTC) == (
        "Too many failed attempts. You can try again at 10:01:02."
    )
    assert "10:01:02" in third.message("nl", timezone=dt.UTC)

    n_events = len(events(engine))
    for at in (T0 + sec(30), until - sec(1)):
        during = sign_in(engine, PASSWORD, now=at)
        assert (during.ok, during.code, during.locked_until) == (False, "locked", until)
    # A locked attempt does not count, move the lock or check the password.
    assert (user(engine).failed_logins, user(engine).locked_until) == (3, until)
    assert user(engine).last_login_at is None
    assert len(events(engine)) == n_events

    after = sign_in(engine, PASSWORD, now=until)
    assert after.ok and after.user.id == eva.id
    assert (user(engine).failed_logins, user(engine).locked_until) == (0, None)


def test_every_further_failure_doubles_the_wait_up_to_fifteen_minutes(engine, orgs, lockout):
    add(engine, orgs)
    now = T0
    waits = []
    for _ in range(8):
        result = sign_in(engine, WRONG, now=now)
        if result.code == "locked":
            waits.append((result.locked_until - now).total_seconds())
            now = result.locked_until  # the next attempt as soon as the lock ends
        else:
            now += sec(1)
    assert waits == [60, 120, 240, 480, 900, 900]
    assert user(engine).failed_logins == 8
    assert sign_in(engine, PASSWORD, now=now).ok


def test_a_success_before_the_limit_starts_the_count_again(engine, orgs, lockout):
    add(engine, orgs)
    sign_in(engine, WRONG, now=T0)
    sign_in(engine, WRONG, now=T0)
    assert sign_in(engine, PASSWORD, now=T0).ok
    assert sign_in(engine, WRONG, now=T0).code == "wrong"
    assert sign_in(engine, WRONG, now=T0).code == "wrong"
    assert sign_in(engine, WRONG, now=T0).code == "locked"


def test_setting_a_password_ends_a_lock_out(engine, orgs, lockout):
    add(engine, orgs)
    for _ in range(3):
        sign_in(engine, WRONG, now=T0)
    assert sign_in(engine, PASSWORD, now=T0).code == "locked"
    with session_scope(engine) as s:
        accounts.set_password(s, EVA, OTHER_PASSWORD, actor=SETUP)
    assert (user(engine).failed_logins, user(engine).locked_until) == (0, None)
    assert sign_in(engine, OTHER_PASSWORD, now=T0 + sec(1)).ok


def test_enabling_an_account_again_clears_attempts_made_while_disabled(engine, orgs, lockout):
    add(engine, orgs)
    with session_scope(engine) as s:
        accounts.set_active(s, EVA, False, actor=SETUP)
    for _ in range(3):
        sign_in(engine, PASSWORD, now=T0)  # refused: disabled; counted
    assert user(engine).locked_until is not None
    with session_scope(engine) as s:
        accounts.set_active(s, EVA, True, actor=SETUP)
    assert (user(engine).failed_logins, user(engine).locked_until) == (0, None)
    assert sign_in(engine, PASSWORD, now=T0 + sec(1)).ok


@pytest.mark.parametrize(
    ("failures", "expected"),
    [(0, None), (2, None), (3, 60), (4, 120), (5, 240), (6, 480), (7, 900), (8, 900), (40, 900)],
)
def test_lockout_delay(failures, expected):
    delay = accounts.lockout_delay(failures, after=3, first=sec(60))
    assert delay == (None if expected is None else sec(expected))


def test_lockout_delay_follows_its_settings():
    assert accounts.lockout_delay(4, after=5, first=sec(30)) is None
    assert accounts.lockout_delay(5, after=5, first=sec(30)) == sec(30)
    assert accounts.lockout_delay(6, after=5, first=sec(30)) == sec(60)
    assert accounts.lockout_delay(1, after=1, first=sec(1000)) == accounts.MAX_LOCKOUT
    assert dt.timedelta(minutes=15) == accounts.MAX_LOCKOUT


def test_by_default_five_failures_lock(engine, orgs, monkeypatch):
    monkeypatch.delenv("TRACKER_LOGIN_LOCKOUT_AFTER", raising=False)
    monkeypatch.delenv("TRACKER_LOGIN_LOCKOUT_SECONDS", raising=False)
    add(engine, orgs)
    codes = [sign_in(engine, WRONG, now=T0).code for _ in range(5)]
    assert codes == ["wrong"] * 4 + ["locked"]
    assert user(engine).locked_until == T0 + sec(60)


# --------------------------------------------------------------------------- session expiry
@pytest.mark.parametrize(("idle", "expired"), [(29, False), (30, False), (31, True)])
def test_a_session_expires_after_thirty_idle_minutes(monkeypatch, idle, expired):
    monkeypatch.delenv("TRACKER_SESSION_TIMEOUT_MINUTES", raising=False)
    assert accounts.session_expired(T0, T0 + dt.timedelta(minutes=idle)) is expired


@pytest.mark.parametrize(("idle", "expired"), [(4, False), (6, True), (29, True)])
def test_the_session_timeout_is_a_setting(monkeypatch, idle, expired):
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "5")
    assert accounts.session_expired(T0, T0 + dt.timedelta(minutes=idle)) is expired


def test_a_given_timeout_wins_over_the_setting(monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_TIMEOUT_MINUTES", "5")
    later = T0 + dt.timedelta(minutes=10)
    assert accounts.session_expired(T0, later, dt.timedelta(minutes=15)) is False
    assert accounts.session_expired(T0, later, dt.timedelta(minutes=9)) is True


# --------------------------------------------------------------------------- single sign-on
def test_single_sign_on_matches_the_address_whatever_its_case(engine, orgs):
    eva = add(engine, orgs, password=None)
    with session_scope(engine) as s:
        result = accounts.sso_sign_in(s, "Eva@Gemeente.example", now=T0)
    assert result.ok and result.user.id == eva.id and result.user.email == EVA
    assert user(engine).last_login_at == T0
    last = events(engine)[-1]
    assert (last.action, last.entity, last.entity_id, last.actor, last.after) == (
        "sign_in",
        "user",
        eva.id,
        EVA,
        {"method": "oidc"},
    )


@pytest.mark.parametrize("disabled", [False, True], ids=["unknown", "disabled"])
def test_single_sign_on_refuses_an_unknown_or_disabled_address(engine, orgs, disabled):
    address = EVA if disabled else "onbekend@gemeente.example"
    add(engine, orgs)
    if disabled:
        with session_scope(engine) as s:
            accounts.set_active(s, EVA, False, actor=SETUP)
    before = row_counts(engine)
    with session_scope(engine) as s:
        result = accounts.sso_sign_in(s, address, now=T0)
    assert (result.ok, result.code, result.user) == (False, "sso_unknown", None)
    assert f"U bent aangemeld als {address}, maar" in result.message("nl")
    assert f"You are signed in as {address}, but" in result.message("en")
    assert row_counts(engine) == before
    assert user(engine).last_login_at is None


# --------------------------------------------------------------------------- user admin
def test_the_last_active_admin_keeps_their_role_and_stays_active(engine, orgs):
    admin = "beheer@amsterdam.example"
    before = row_counts(engine)
    for change in (
        lambda s: accounts.set_role(s, admin, "officer", actor=SETUP),
        lambda s: accounts.set_active(s, admin, False, actor=SETUP),
        lambda s: accounts.set_role(s, admin, "manager", actor=actor(engine, admin)),
    ):
        with pytest.raises(ValidationError) as refused, session_scope(engine) as s:
            change(s)
        assert refused.value.errors[0].code == "last_admin"
        assert admin in refused.value.message("nl") and admin in refused.value.message("en")
    assert row_counts(engine) == before
    stored = user(engine, admin)
    assert (stored.role, stored.is_active, stored.version) == ("admin", True, 1)
    # Staying admin is not a demotion.
    with session_scope(engine) as s:
        accounts.set_role(s, admin, "admin", actor=SETUP)


def test_a_disabled_admin_or_one_of_another_organisation_does_not_count(engine, orgs):
    admin = "beheer@amsterdam.example"
    add(engine, orgs, "tweede@amsterdam.example", role="admin")
    with session_scope(engine) as s:
        accounts.set_active(s, "tweede@amsterdam.example", False, actor=SETUP)
    with pytest.raises(ValidationError), session_scope(engine) as s:
        accounts.set_role(s, admin, "officer", actor=SETUP)
    with session_scope(engine) as s:
        accounts.set_active(s, "tweede@amsterdam.example", True, actor=SETUP)
    with session_scope(engine) as s:
        accounts.set_role(s, admin, "officer", actor=SETUP)
        # Now "tweede" is the last one.
    with pytest.raises(ValidationError), session_scope(engine) as s:
        accounts.set_active(s, "tweede@amsterdam.example", False, actor=SETUP)
    assert user(engine, admin).role == "officer"


def test_a_stale_version_of_an_account_is_a_conflict(engine, orgs):
    add(engine, orgs)
    with session_scope(engine) as s:
        accounts.set_role(s, EVA, "analyst", actor=SETUP, expected_version=1)
    assert (user(engine).role, user(engine).version) == ("analyst", 2)
    with pytest.raises(ConflictError) as stale, session_scope(engine) as s:
        accounts.set_role(s, EVA, "manager", actor=SETUP, expected_version=1)
    assert (stale.value.expected_version, stale.value.current_version) == (1, 2)
    with pytest.raises(ConflictError), session_scope(engine) as s:
        accounts.set_active(s, EVA, False, actor=SETUP, expected_version=1)
    stored = user(engine)
    assert (stored.role, stored.is_active, stored.version) == ("analyst", True, 2)


def test_an_admin_manages_users_through_their_own_actor(engine, orgs):
    admin = actor(engine, "beheer@amsterdam.example")
    with session_scope(engine) as s:
        added = accounts.add_user(
            s, email="Nieuw@Amsterdam.example", display_name="Nieuw", role="manager", actor=admin
        )
        assert (added.email, added.organisation_id) == ("nieuw@amsterdam.example", orgs["A"])
        accounts.set_role(s, "nieuw@amsterdam.example", Role.analyst, actor=admin)
    last = events(engine)[-1]
    assert (last.actor, last.before["role"], last.after["role"]) == (
        "beheer@amsterdam.example",
        "manager",
        "analyst",
    )
    with pytest.raises(ValidationError) as duplicate, session_scope(engine) as s:
        accounts.add_user(
            s, email="nieuw@amsterdam.example", display_name="Nog eens", role="officer",
            actor=admin,
        )  # fmt: skip
    assert duplicate.value.errors[0].code == "duplicate"


def test_a_user_sets_their_own_password(engine, orgs):
    add(engine, orgs, role="manager")
    with session_scope(engine) as s:
        accounts.set_password(s, EVA, OTHER_PASSWORD, actor=actor(engine, EVA))
    assert sign_in(engine, PASSWORD, now=T0).code == "wrong"
    assert sign_in(engine, OTHER_PASSWORD, now=T0).ok
    event = events(engine, action="set_password")[-1]
    assert (event.actor, event.entity_id) == (EVA, user(engine).id)
    assert user(engine).version == 2


@pytest.mark.parametrize(
    ("who", "code"),
    [("beheer@utrecht.example", "organisation"), ("piet@gemeente.example", "denied")],
    ids=["admin-of-other-org", "colleague"],
)
def test_nobody_else_but_their_admin_sets_a_password(engine, orgs, who, code):
    add(engine, orgs)
    add(engine, orgs, "piet@gemeente.example", role="manager")
    before = row_counts(engine)
    hash_before = user(engine).password_hash
    with pytest.raises(AccessDenied) as refused, session_scope(engine) as s:
        accounts.set_password(s, EVA, OTHER_PASSWORD, actor=actor(engine, who))
    assert refused.value.code == code
    assert row_counts(engine) == before
    assert user(engine).password_hash == hash_before
    with session_scope(engine) as s:  # their own organisation's admin may
        accounts.set_password(
            s, EVA, OTHER_PASSWORD, actor=actor(engine, "beheer@amsterdam.example")
        )
    assert sign_in(engine, OTHER_PASSWORD, now=T0).ok


@pytest.mark.parametrize(
    "change",
    [
        lambda s, a: accounts.set_role(s, EVA, "admin", actor=a),
        lambda s, a: accounts.set_active(s, EVA, False, actor=a),
    ],
    ids=["set_role", "set_active"],
)
def test_an_admin_of_another_organisation_cannot_change_an_account(engine, orgs, change):
    add(engine, orgs)
    before = row_counts(engine)
    with pytest.raises(AccessDenied) as refused, session_scope(engine) as s:
        change(s, actor(engine, "beheer@utrecht.example"))
    assert refused.value.code == "organisation"
    assert row_counts(engine) == before
    assert (user(engine).role, user(engine).is_active) == ("officer", True)
