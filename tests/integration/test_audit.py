"""The audit trail: exactly one hash-chained event per write, none for a refused write.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, col, func, select

from tests import factories
from tests.concurrency import race
from tracker.db import session_scope
from tracker.errors import ConflictError, LockedError, ValidationError
from tracker.models import AuditEvent
from tracker.services import audit, hypotheses, journal, measures, organisations, pilots
from tracker.services.access import system

WHO = system("auditor@gemeente.example")
ON_TIME = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)
REASON = "De nulmeting liet zien dat het effect kleiner is dan gedacht."


@pytest.fixture
def world(engine) -> dict[str, int]:
    """A pilot with a draft H1 and an intervention, and a second pilot whose R1 is registered."""
    with session_scope(engine) as session:
        factories.measure(session)
        pilot = factories.pilot(session)
        h1 = factories.hypothesis(session, pilot.id, "H1")
        journal.add_intervention(
            session,
            pilot.id,
            {"date": dt.date(2021, 1, 15), "kind": "training", "title": "Training gespreksleiders"},
            actor=factories.ACTOR,
        )
        locked = factories.pilot(session, "vastgelegd")
        r1 = factories.hypothesis(session, locked.id, "R1")
        hypotheses.register_hypotheses(session, locked.id, actor=factories.ACTOR, now=ON_TIME)
        return {
            "organisation": pilot.organisation_id,
            "pilot": pilot.id,
            "H1": h1.id,
            "locked_pilot": locked.id,
            "R1": r1.id,
        }


def events_after(engine, last_id: int) -> list[AuditEvent]:
    with session_scope(engine) as session:
        return list(
            session.exec(
                select(AuditEvent).where(col(AuditEvent.id) > last_id).order_by(col(AuditEvent.id))
            )
        )


def last_event_id(engine) -> int:
    with session_scope(engine) as session:
        return session.exec(select(func.coalesce(func.max(AuditEvent.id), 0))).one()


PILOT_DATA = {
    "slug": "buurtkracht-zuid",
    "title": "Buurtkracht Zuid",
    "municipality": "Amsterdam",
    "municipality_code": "GM0363",
    "domains": ["participatie"],
    "baseline_start": dt.date(2022, 1, 1),
    "intervention_start": dt.date(2023, 1, 1),
    "evaluation_end": dt.date(2024, 1, 1),
}
HYPOTHESIS_DATA = {
    "code": "H2",
    "if_text": "Als we vaker huisbezoeken doen",
    "then_text": "dan daalt de wachttijd",
    "because_text": "omdat problemen eerder in beeld zijn",
    "measure_code": "contacten",
    "expected_direction": "decrease",
    "min_effect": 2,
}

# (case, write, action, entity, pilot key (None: not about a pilot), before ⊇, after ⊇)
WRITES: list[tuple[str, Callable[[Session, dict], Any], str, str, Any, Any, dict]] = [
    (
        "create measure",
        lambda s, w: measures.create_measure(
            s,
            {"code": "wachttijd", "name": "Wachttijd", "kind": "continuous"}
            | {"better_direction": "lower"},
            actor=WHO,
        ),
        "create",
        "measure",
        None,
        None,
        {"code": "wachttijd", "name": "Wachttijd"},
    ),
    (
        "update measure",
        lambda s, w: measures.update_measure(s, "contacten", {"unit": "gesprekken"}, actor=WHO),
        "update",
        "measure",
        None,
        {"unit": "contacten"},
        {"unit": "gesprekken"},
    ),
    (
        "create pilot",
        lambda s, w: pilots.create_pilot(
            s, PILOT_DATA, organisation_id=w["organisation"], actor=WHO
        ),
        "create",
        "pilot",
        "new",
        None,
        {"slug": "buurtkracht-zuid", "version": 1},
    ),
    (
        "update pilot",
        lambda s, w: pilots.update_pilot(
            s, w["pilot"], {"title": "Nieuwe titel"}, expected_version=1, actor=WHO
        ),
        "update",
        "pilot",
        "pilot",
        {"title": "Netwerkbijeenkomsten Noord", "version": 1},
        {"title": "Nieuwe titel", "version": 2},
    ),
    (
        "add hypothesis",
        lambda s, w: hypotheses.add_hypothesis(s, w["pilot"], HYPOTHESIS_DATA, actor=WHO),
        "create",
        "hypothesis",
        "pilot",
        None,
        {"code": "H2", "registered_at": None},
    ),
    (
        "update hypothesis",
        lambda s, w: hypotheses.update_hypothesis(
            s, w["H1"], {"min_effect": 5}, expected_version=1, actor=WHO
        ),
        "update",
        "hypothesis",
        "pilot",
        {"min_effect": 10.0},
        {"min_effect": 5.0},
    ),
    (
        "amend hypothesis",
        lambda s, w: hypotheses.amend_hypothesis(
            s,
            w["R1"],
            {"field": "min_effect", "new_value": "5", "reason": REASON},
            expected_version=2,
            actor=WHO,
        ),
        "amend",
        "hypothesis",
        "locked_pilot",
        {"min_effect": "10.0"},
        {"min_effect": "5.0", "reason": REASON},
    ),
    (
        "add intervention",
        lambda s, w: journal.add_intervention(
            s,
            w["pilot"],
            {"date": dt.date(2021, 3, 1), "kind": "bijeenkomst", "title": "Eerste bijeenkomst"},
            actor=WHO,
        ),
        "create",
        "intervention",
        "pilot",
        None,
        {"title": "Eerste bijeenkomst", "created_by": WHO.name},
    ),
    (
        "add observation",
        lambda s, w: journal.add_observation(
            s,
            w["pilot"],
            {"date": dt.date(2021, 3, 2), "kind": "obstacle", "text": "Buren haken af"},
            actor=WHO,
        ),
        "create",
        "observation",
        "pilot",
        None,
        {"kind": "obstacle", "author": WHO.name},
    ),
    (
        "create organisation",
        lambda s, w: organisations.get_or_create_organisation(
            s, name="Utrecht", cbs_code="GM0344", actor=WHO
        ),
        "create",
        "organisation",
        None,
        None,
        {"cbs_code": "GM0344"},
    ),
    (
        "create user",
        lambda s, w: organisations.get_or_create_user(
            s,
            organisation_id=w["organisation"],
            email="Medewerker@Gemeente.example",
            display_name="Medewerker",
            actor=WHO,
        ),
        "create",
        "user",
        None,
        None,
        {"email": "medewerker@gemeente.example", "role": "officer"},
    ),
]


def _ids(table: list) -> list[str]:
    return [case[0] for case in table]


@pytest.mark.parametrize(
    ("write", "action", "entity", "pilot", "before", "after"),
    [case[1:] for case in WRITES],
    ids=_ids(WRITES),
)
def test_every_write_appends_exactly_one_audit_event(
    engine, world, write, action, entity, pilot, before, after
):
    last = last_event_id(engine)
    with session_scope(engine) as session:
        row = write(session, world)
        entity_id = row.hypothesis_id if entity == "hypothesis" and action == "amend" else row.id
    [recorded] = events_after(engine, last)
    expected_pilot = None if pilot is None else entity_id if pilot == "new" else world[pilot]
    assert (
        recorded.actor,
        recorded.action,
        recorded.entity,
        recorded.entity_id,
        recorded.pilot_id,
    ) == (WHO.name, action, entity, entity_id, expected_pilot)
    if before is None:
        assert recorded.before is None
    else:
        assert recorded.before.items() >= before.items()
    assert recorded.after.items() >= after.items()


def test_registration_appends_one_event_per_hypothesis(engine, world):
    with session_scope(engine) as session:
        h2 = hypotheses.add_hypothesis(session, world["pilot"], HYPOTHESIS_DATA, actor=WHO)
    last = last_event_id(engine)
    with session_scope(engine) as session:
        hypotheses.register_hypotheses(session, world["pilot"], actor=WHO, now=ON_TIME)
    recorded = events_after(engine, last)
    assert sorted((e.action, e.entity, e.entity_id, e.pilot_id) for e in recorded) == [
        ("register", "hypothesis", world["H1"], world["pilot"]),
        ("register", "hypothesis", h2.id, world["pilot"]),
    ]
    for e in recorded:
        assert (e.actor, e.before["registered_at"]) == (WHO.name, None)
        assert e.after["content_hash"] and e.after["registered_at"]


@pytest.mark.parametrize(
    "read",
    [
        lambda s, w: organisations.get_or_create_organisation(
            s, name="Amsterdam", cbs_code="GM0363", actor=WHO
        ),
        lambda s, w: measures.ensure_measure(
            s,
            {"code": "contacten", "name": "x", "kind": "count", "better_direction": "lower"},
            actor=WHO,
        ),
        lambda s, w: pilots.list_pilot_summaries(s, actor=WHO),
        lambda s, w: audit.verify_chain(s),
    ],
    ids=["existing organisation", "existing measure", "summaries", "chain check"],
)
def test_reading_or_finding_an_existing_row_appends_nothing(engine, world, read):
    last = last_event_id(engine)
    with session_scope(engine) as session:
        read(session, world)
    assert events_after(engine, last) == []


# (case, write that is refused, error)
FAILED_WRITES: list[tuple[str, Callable[[Session, dict], Any], type[Exception]]] = [
    (
        "invalid pilot",
        lambda s, w: pilots.create_pilot(
            s, PILOT_DATA | {"slug": "Fout!"}, organisation_id=w["organisation"], actor=WHO
        ),
        ValidationError,
    ),
    (
        "duplicate pilot",
        lambda s, w: pilots.create_pilot(
            s, PILOT_DATA | {"slug": "netwerk-noord"}, organisation_id=w["organisation"], actor=WHO
        ),
        ValidationError,
    ),
    (
        "unknown measure",
        lambda s, w: hypotheses.add_hypothesis(
            s, w["pilot"], HYPOTHESIS_DATA | {"measure_code": "onbekend"}, actor=WHO
        ),
        ValidationError,
    ),
    (
        "edit of a locked hypothesis",
        lambda s, w: hypotheses.update_hypothesis(
            s, w["R1"], {"min_effect": 1}, expected_version=2, actor=WHO
        ),
        LockedError,
    ),
    (
        "stale save",
        lambda s, w: pilots.update_pilot(
            s, w["locked_pilot"], {"title": "Nieuw"}, expected_version=7, actor=WHO
        ),
        ConflictError,
    ),
    (
        "late registration",
        lambda s, w: hypotheses.register_hypotheses(
            s, w["pilot"], actor=WHO, now=dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
        ),
        ValidationError,
    ),
    (
        "unknown journal link",
        lambda s, w: journal.add_observation(
            s,
            w["pilot"],
            {"date": dt.date(2021, 3, 2), "kind": "cause", "text": "Xyz", "hypothesis_code": "H8"},
            actor=WHO,
        ),
        ValidationError,
    ),
    (
        "failure after an earlier write in the same transaction",
        lambda s, w: (
            journal.add_intervention(
                s,
                w["pilot"],
                {"date": dt.date(2021, 3, 1), "kind": "x", "title": "Eerste bijeenkomst"},
                actor=WHO,
            ),
            pilots.update_pilot(s, w["pilot"], {"domains": []}, expected_version=1, actor=WHO),
        ),
        ValidationError,
    ),
]


@pytest.mark.parametrize(
    ("write", "error"),
    [case[1:] for case in FAILED_WRITES],
    ids=_ids(FAILED_WRITES),
)
def test_a_refused_write_appends_no_event(engine, world, write, error):
    last = last_event_id(engine)
    with pytest.raises(error), session_scope(engine) as session:
        write(session, world)
    assert events_after(engine, last) == []


# --------------------------------------------------------------------------- the chain
def chain(engine) -> audit.ChainCheck:
    with session_scope(engine) as session:
        return audit.verify_chain(session)


def test_an_empty_trail_is_a_valid_chain(engine):
    assert chain(engine) == audit.ChainCheck(ok=True, events=0)


def test_a_fresh_trail_is_a_valid_chain(engine, world):
    check = chain(engine)
    assert (check.ok, check.first_broken_id) == (True, None)
    assert check.events == last_event_id(engine) > 5


def test_each_event_links_to_the_hash_of_the_one_before(engine, world):
    with session_scope(engine) as session:
        trail = audit.list_events(session)
    assert trail[0].prev_hash == audit.GENESIS_HASH
    assert [e.prev_hash for e in trail[1:]] == [e.hash for e in trail[:-1]]


def middle_event_id(engine) -> int:
    with session_scope(engine) as session:
        ids = [e.id for e in audit.list_events(session)]
    return ids[len(ids) // 2]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda conn, i: conn.execute(
            text("UPDATE audit_event SET actor = 'x' WHERE id = :i"), {"i": i}
        ),
        lambda conn, i: conn.execute(
            update(AuditEvent.__table__)
            .where(AuditEvent.__table__.c.id == i)
            .values(after={"x": 1})
        ),
        lambda conn, i: conn.execute(
            update(AuditEvent.__table__).where(AuditEvent.__table__.c.id == i).values(after=None)
        ),
        lambda conn, i: conn.execute(
            text("UPDATE audit_event SET action = 'delete' WHERE id = :i"), {"i": i}
        ),
        lambda conn, i: conn.execute(
            text("UPDATE audit_event SET entity_id = entity_id + 1 WHERE id = :i"), {"i": i}
        ),
    ],
    ids=["actor", "after", "after erased", "action", "entity_id"],
)
def test_a_tampered_event_is_the_first_broken_one(engine, world, tamper):
    target = middle_event_id(engine)
    with engine.begin() as conn:
        tamper(conn, target)
    check = chain(engine)
    assert (check.ok, check.first_broken_id) == (False, target)


def test_a_deleted_event_breaks_the_chain_at_the_next_one(engine, world):
    target = middle_event_id(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": target})
    check = chain(engine)
    assert (check.ok, check.first_broken_id) == (False, target + 1)


def test_a_rehashed_forgery_still_breaks_the_link_to_the_next_event(engine, world):
    """Recomputing the tampered event's own hash does not help: the next event points back."""
    target = middle_event_id(engine)
    with session_scope(engine) as session:
        forged = session.get(AuditEvent, target)
        forged.actor = "iemand anders"
        forged.hash = audit._event_hash(forged.prev_hash, forged)
        session.add(forged)
    check = chain(engine)
    assert (check.ok, check.first_broken_id) == (False, target + 1)


# --------------------------------------------------------------------------- concurrent appends
def test_concurrent_writes_keep_one_unbroken_chain(engine, world):
    """Writer A is held right after reading the last hash; writer B appends meanwhile.
    B must wait for A (one chain), not fork the chain from the same last hash."""

    def add_intervention(name: str) -> Callable[[Session], Any]:
        return lambda s: journal.add_intervention(
            s,
            world["pilot"],
            {"date": dt.date(2021, 4, 1), "kind": "x", "title": f"Actie van {name}"},
            actor=system(name),
        )

    last = last_event_id(engine)
    outcomes = race(
        engine,
        {"A": add_intervention("A"), "B": add_intervention("B")},
        pause_on="SELECT audit_event.hash",
        when="after",
        refusals={},  # any error, a conflict included, is reported as itself
    )
    assert outcomes == {"A": "saved", "B": "saved"}
    assert sorted(e.actor for e in events_after(engine, last)) == ["A", "B"]
    assert chain(engine).ok
