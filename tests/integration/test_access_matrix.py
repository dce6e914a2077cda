"""The role × action rules, cell by cell, through the real services that perform each action.

One world per database (SQLite, and PostgreSQL when ``TEST_DATABASE_URL`` is set): two
organisations, an account per role, a pilot with a team, hypotheses (one registered, one
draft), measurements, a measure and a published report (sharing needs one). Every cell runs
one service call as one kind of actor in a transaction that is always rolled back, so the
cells cannot influence each other:

* allowed: the call returns and its write is there (inside the transaction), with audit
  events in the actor's name;
* refused: ``AccessDenied`` with the expected code, and nothing was written, neither before
  the refusal in the same transaction nor afterwards in a fresh one.

``EXPECTED`` is the issue's table, written per kind of actor; the pure tests check that
``access.ALLOWED`` and ``access.may`` say the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, func, select

from tests.conftest import BACKENDS
from tests.db_helpers import empty_database
from tracker import migrate
from tracker.db import session_scope
from tracker.models import (
    Amendment,
    AuditEvent,
    Hypothesis,
    Intervention,
    Lesson,
    LessonEvidence,
    Measure,
    Measurement,
    Observation,
    Pilot,
    PilotMember,
    Report,
    ReportDraft,
    Role,
    User,
)
from tracker.reports.model import ReportDraft as DraftContent
from tracker.services import (
    access,
    accounts,
    exports,
    hypotheses,
    journal,
    library,
    measurement_entry,
    measurements,
    measures,
    organisations,
    pilots,
    portfolio,
    reports,
    sharing,
    verdicts,
)
from tracker.services.access import AccessDenied, Action, Actor
from tracker.services.library import EvidenceInput

# ------------------------------------------------------------------------------- the table
# Kinds of actor. All but the last two belong to organisation A (GM0363), where the pilot is.
OWNER = "officer-owner"  # officer who owns the pilot
MEMBER = "officer-team-member"  # officer added to the pilot's team (pilots.add_member)
OUTSIDER = "officer-outsider"  # officer of the same organisation, not in the team
MANAGER = "manager"
ANALYST = "analyst"
ADMIN = "admin"
OTHER_ADMIN = "admin-of-other-org"  # administrator of organisation B (GM0344)
SYSTEM = "system"  # the CLI and scripts: access.system(...)
KINDS = (OWNER, MEMBER, OUTSIDER, MANAGER, ANALYST, ADMIN, OTHER_ADMIN, SYSTEM)

# Which kinds of actor may take each action on organisation A's pilot, users and the shared
# codebook. This is the table (yes / own / no per role) spelled out per kind: "own"
# lets the owner and the team member in and keeps the outsider out; nobody reaches a pilot or
# user of another organisation, so the other organisation's admin is refused everything that
# touches organisation A; the codebook of measures is shared, so they may add and edit it.
EXPECTED: dict[Action, set[str]] = {
    Action.view: {OWNER, MEMBER, OUTSIDER, MANAGER, ANALYST, ADMIN, SYSTEM},
    Action.create_pilot: {OWNER, MEMBER, OUTSIDER, ADMIN, SYSTEM},
    Action.edit_pilot: {OWNER, MEMBER, ADMIN, SYSTEM},
    Action.enter_data: {OWNER, MEMBER, ADMIN, SYSTEM},
    Action.publish_report: {OWNER, MEMBER, ADMIN, SYSTEM},
    Action.comment: {OWNER, MEMBER, MANAGER, ADMIN, SYSTEM},
    Action.share_pilot: {OWNER, MEMBER, ADMIN, SYSTEM},
    Action.propose_lesson: {OWNER, MEMBER, ADMIN, SYSTEM},
    Action.export: {ANALYST, ADMIN, SYSTEM},
    Action.run_analysis: {ANALYST, ADMIN, SYSTEM},
    Action.add_measure: {OWNER, MEMBER, OUTSIDER, ADMIN, OTHER_ADMIN, SYSTEM},
    Action.manage_codebook: {ADMIN, OTHER_ADMIN, SYSTEM},
    Action.manage_users: {ADMIN, SYSTEM},
}

# Actions an officer may take only on a pilot of their own (owner or team member).
OWN_PILOT = {
    Action.edit_pilot,
    Action.enter_data,
    Action.publish_report,
    Action.comment,
    Action.share_pilot,
    Action.propose_lesson,
}

KIND_ROLE: dict[str, Role | None] = {
    OWNER: Role.officer,
    MEMBER: Role.officer,
    OUTSIDER: Role.officer,
    MANAGER: Role.manager,
    ANALYST: Role.analyst,
    ADMIN: Role.admin,
    OTHER_ADMIN: Role.admin,
    SYSTEM: None,
}


def refusal_code(kind: str, action: Action) -> str:
    """The AccessDenied code a refused cell must carry."""
    if kind == OTHER_ADMIN:
        return "organisation"  # the role would allow it; the organisation does not
    if kind == OUTSIDER and action in OWN_PILOT:
        return "not_own"  # the role would allow it on a pilot of their own
    return "denied"  # the role does not allow it anywhere


# ------------------------------------------------------------------------------- the world
SETUP = access.system("setup@proeftuin.example")
ON_TIME = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)  # before the pilot's intervention start
TODAY = dt.date(2023, 2, 1)
PILOT_A, PILOT_B = "netwerk-noord", "buurtkracht-utrecht"
EMAILS = {
    OWNER: "eigenaar@amsterdam.example",
    MEMBER: "teamlid@amsterdam.example",
    OUTSIDER: "collega@amsterdam.example",
    MANAGER: "manager@amsterdam.example",
    ANALYST: "analist@amsterdam.example",
    ADMIN: "beheer@amsterdam.example",
    OTHER_ADMIN: "beheer@utrecht.example",
}
# An officer of organisation A whom the team and user cells act on.
TARGET = "nieuw-teamlid@amsterdam.example"
USERS_A = sorted([*(EMAILS[k] for k in KINDS if k not in (OTHER_ADMIN, SYSTEM)), TARGET])
USERS_B = [EMAILS[OTHER_ADMIN]]
MEASURE = "contacten"


def pilot_data(slug: str, **overrides: Any) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": "Netwerkbijeenkomsten Noord",
        "aim": "Familie en buren betrekken bij ondersteuning",
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "domains": ["wmo"],
        "areas": [{"code": "WK036301", "name": "Noord-Oost", "group": "pilot"}],
        "baseline_start": dt.date(2020, 1, 1),
        "intervention_start": dt.date(2021, 1, 1),
        "evaluation_end": dt.date(2022, 12, 31),
        "status": "running",
    } | overrides


def hypothesis_data(code: str) -> dict[str, Any]:
    return {
        "code": code,
        "if_text": "Als we netwerkbijeenkomsten organiseren met getrainde gespreksleiders",
        "then_text": "dan daalt het aantal één-op-één-contacten van het wijkteam",
        "because_text": "omdat familie en buren een deel van de steun overnemen",
        "measure_code": MEASURE,
        "expected_direction": "decrease",
        "min_effect": 10.0,
        "min_effect_type": "relative",
    }


def month(i: int) -> dt.date:
    return dt.date(2020 + i // 12, i % 12 + 1, 1)


@dataclass(frozen=True)
class World:
    engine: Engine
    org_a: int
    org_b: int
    pilot_a: int
    pilot_b: int
    h1: int  # registered
    h2: int  # draft
    actors: dict[str, Actor]
    csv: Path  # two new measurements for pilot A
    baseline: dict[str, Any]  # state() of the committed world


def build_world(engine: Engine, directory: Path) -> World:
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        org_a = organisations.get_or_create_organisation(
            s, name="Amsterdam", cbs_code="GM0363", actor=SETUP
        )
        org_b = organisations.get_or_create_organisation(
            s, name="Utrecht", cbs_code="GM0344", actor=SETUP
        )
        roles = {
            OWNER: "officer",
            MEMBER: "officer",
            OUTSIDER: "officer",
            MANAGER: "manager",
            ANALYST: "analyst",
            ADMIN: "admin",
        }
        for kind, role in roles.items():
            accounts.add_user(
                s,
                email=EMAILS[kind],
                display_name=kind,
                role=role,
                organisation_id=org_a.id,
                actor=SETUP,
            )
        accounts.add_user(
            s, email=TARGET, display_name="Nieuw", role="officer", organisation_id=org_a.id,
            actor=SETUP,
        )  # fmt: skip
        accounts.add_user(
            s,
            email=EMAILS[OTHER_ADMIN],
            display_name="Beheer Utrecht",
            role="admin",
            organisation_id=org_b.id,
            actor=SETUP,
        )
        measures.create_measure(
            s,
            {
                "code": MEASURE,
                "name": "Eén-op-één-contacten per maand",
                "kind": "continuous",
                "better_direction": "lower",
            },
            actor=SETUP,
        )
        pilot_a = pilots.create_pilot(
            s,
            pilot_data(PILOT_A, owner_email=EMAILS[OWNER]),
            organisation_id=org_a.id,
            actor=SETUP,
        )
        pilots.add_member(s, pilot_a.id, EMAILS[MEMBER], actor=SETUP)
        pilot_b = pilots.create_pilot(
            s,
            pilot_data(
                PILOT_B,
                title="Buurtkracht Utrecht",
                municipality="Utrecht",
                municipality_code="GM0344",
                areas=[],
                owner_email=EMAILS[OTHER_ADMIN],
            ),
            organisation_id=org_b.id,
            actor=SETUP,
        )
        h1 = hypotheses.add_hypothesis(s, pilot_a.id, hypothesis_data("H1"), actor=SETUP)
        hypotheses.register_hypotheses(s, pilot_a.id, actor=SETUP, now=ON_TIME)
        h2 = hypotheses.add_hypothesis(s, pilot_a.id, hypothesis_data("H2"), actor=SETUP)
        # Two years of monthly data: 2020 before the intervention, 2021 after.
        history = directory / "historie.csv"
        history.write_text(
            "period;measure;value\n"
            + "".join(
                f"{month(i):%d-%m-%Y};{MEASURE};{40 - (8 if i >= 12 else 0) + i % 3}\n"
                for i in range(24)
            ),
            encoding="utf-8",
        )
        imported = measurements.import_measurements(s, pilot_a.id, history, actor=SETUP)
        assert imported.errors == [] and imported.rows_written == 24
        # Report 1, so that sharing the pilot (which needs a publication) can be tried.
        reports.publish_report(s, pilot_a.id, actor=SETUP, today=TODAY)
        users = {u.email: u for u in s.exec(select(User))}
        actors = {kind: access.actor_for(users[email]) for kind, email in EMAILS.items()}
        ids = {
            "org_a": org_a.id,
            "org_b": org_b.id,
            "pilot_a": pilot_a.id,
            "pilot_b": pilot_b.id,
            "h1": h1.id,
            "h2": h2.id,
        }
    actors[SYSTEM] = access.system("cli:matrix")
    csv = directory / "nieuw.csv"
    csv.write_text(
        f"period;measure;value\n01-01-2022;{MEASURE};30\n01-02-2022;{MEASURE};29\n",
        encoding="utf-8",
    )
    with session_scope(engine, read_only=True) as s:
        baseline = state(s)
    return World(engine=engine, **ids, actors=actors, csv=csv, baseline=baseline)


def state(session: Session) -> dict[str, Any]:
    """Rows in every table plus the columns that the cells' writes change in place."""

    def rows(*columns: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in session.exec(select(*columns).order_by(columns[0]))]

    counts = {
        table.name: session.exec(select(func.count()).select_from(table)).one()
        for table in SQLModel.metadata.sorted_tables
    }
    return counts | {
        "pilot rows": rows(Pilot.id, Pilot.version, Pilot.title),
        "user rows": rows(User.email, User.role, User.is_active, User.version),
        "measure rows": rows(Measure.code, Measure.name),
        "measurement rows": rows(Measurement.id, Measurement.value),
        "hypothesis rows": rows(Hypothesis.id, Hypothesis.version, Hypothesis.content_hash),
    }


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> Iterator[Callable[[str], World]]:
    """One world per backend, built when first asked for and dropped after the module."""
    built: dict[str, World] = {}
    with ExitStack() as stack:

        def get(backend: str) -> World:
            if backend not in built:
                directory = tmp_path_factory.mktemp(f"matrix-{backend}")
                engine = stack.enter_context(empty_database(backend, directory / "matrix.db"))
                built[backend] = build_world(engine, directory)
            return built[backend]

        yield get


@pytest.fixture(params=BACKENDS)
def world(request, worlds) -> World:
    return worlds(request.param)


# ------------------------------------------------------------------------------- the cells
Run = Callable[[Session, World, Actor], Any]
Check = Callable[[Session, World, Actor, Any], None]


@dataclass(frozen=True)
class Op:
    """One service call that performs ``action``, and what it must have done when allowed."""

    name: str
    action: Action
    run: Run
    check: Check
    writes: bool = True


def _one(session: Session, model: Any, *where: Any) -> Any:
    return session.exec(select(model).where(*where)).one()


def _newest(session: Session, model: Any) -> Any:
    return session.exec(select(model).order_by(col(model.id).desc())).first()


# --- view
def _view(s, w, a):
    return pilots.open_pilot(s, a, PILOT_A)


def _check_view(s, w, a, pilot):
    assert (pilot.id, pilot.slug) == (w.pilot_a, PILOT_A)


# --- create_pilot
def _create(s, w, a):
    return pilots.create_pilot(
        s, pilot_data("nieuwe-pilot", title="Nieuwe pilot"), organisation_id=w.org_a, actor=a
    )


def _check_create(s, w, a, pilot):
    stored = _one(s, Pilot, Pilot.slug == "nieuwe-pilot")
    assert (stored.organisation_id, stored.owner_id) == (w.org_a, a.user_id)


# --- edit_pilot
def _update_pilot(s, w, a):
    version = s.get(Pilot, w.pilot_a).version
    return pilots.update_pilot(
        s, w.pilot_a, {"title": "Netwerken Noord (herzien)"}, expected_version=version, actor=a
    )


def _check_update_pilot(s, w, a, _):
    stored = s.get(Pilot, w.pilot_a)
    assert (stored.title, stored.version) == ("Netwerken Noord (herzien)", 2)


def _add_hypothesis(s, w, a):
    return hypotheses.add_hypothesis(s, w.pilot_a, hypothesis_data("H3"), actor=a)


def _check_add_hypothesis(s, w, a, _):
    assert _one(s, Hypothesis, Hypothesis.pilot_id == w.pilot_a, Hypothesis.code == "H3")


def _register(s, w, a):
    return hypotheses.register_hypotheses(s, w.pilot_a, actor=a, now=ON_TIME)


def _check_register(s, w, a, registered):
    assert [h.id for h in registered] == [w.h2]
    assert s.get(Hypothesis, w.h2).content_hash is not None


def _amend(s, w, a):
    version = s.get(Hypothesis, w.h1).version
    reason = "De nulmeting liet zien dat het effect groter kan zijn."
    return hypotheses.amend_hypothesis(
        s,
        w.h1,
        {"field": "min_effect", "new_value": "15", "reason": reason},
        expected_version=version,
        actor=a,
    )


def _check_amend(s, w, a, _):
    amendment = _one(s, Amendment, Amendment.hypothesis_id == w.h1)
    assert (amendment.new_value, amendment.author) == ("15.0", a.name)


def _intervention(s, w, a):
    data = {"date": dt.date(2021, 1, 15), "kind": "training", "title": "Training gespreksleiders"}
    return journal.add_intervention(s, w.pilot_a, data, actor=a)


def _check_intervention(s, w, a, _):
    row = _one(s, Intervention, Intervention.pilot_id == w.pilot_a)
    assert (row.title, row.created_by) == ("Training gespreksleiders", a.name)


def _observation(kind: str) -> Run:
    def run(s, w, a):
        data = {"date": dt.date(2021, 3, 1), "kind": kind, "text": f"Een {kind} van {a.name}"}
        return journal.add_observation(s, w.pilot_a, data, actor=a)

    return run


def _check_observation(kind: str) -> Check:
    def check(s, w, a, _):
        row = _one(s, Observation, Observation.pilot_id == w.pilot_a)
        assert (str(row.kind), row.author, row.text) == (kind, a.name, f"Een {kind} van {a.name}")

    return check


def _add_member(s, w, a):
    return pilots.add_member(s, w.pilot_a, TARGET, actor=a)


def _check_add_member(s, w, a, _):
    target = _one(s, User, User.email == TARGET)
    assert _one(s, PilotMember, PilotMember.pilot_id == w.pilot_a, PilotMember.user_id == target.id)


# --- enter_data
def _save_measurement(s, w, a):
    return measurement_entry.save_measurement(
        s, w.pilot_a, MEASURE, period=dt.date(2022, 6, 1), value=28.0, actor=a
    )


def _check_save_measurement(s, w, a, _):
    row = _one(s, Measurement, Measurement.period == dt.date(2022, 6, 1))
    assert (row.value, row.entered_by) == (28.0, a.name)


def _import(s, w, a):
    return measurements.import_measurements(s, w.pilot_a, w.csv, actor=a)


def _check_import(s, w, a, report):
    assert (report.errors, report.rows_written) == ([], 2)
    new = s.exec(select(Measurement).where(col(Measurement.period) >= dt.date(2022, 1, 1))).all()
    assert sorted((m.value, m.entered_by) for m in new) == [(29.0, a.name), (30.0, a.name)]


def _grid(s, w, a):
    original = measurement_entry.measurement_grid(s, w.pilot_a, MEASURE)
    edited = original.copy()
    edited.loc[0, "value"] = 99.0
    return measurement_entry.save_measurement_grid(
        s, w.pilot_a, MEASURE, original=original, edited=edited, actor=a
    )


def _check_grid(s, w, a, report):
    assert report.to_dict() == {"inserted": 0, "updated": 1, "deleted": 0}
    row = _one(s, Measurement, Measurement.period == month(0))
    assert (row.value, row.entered_by) == (99.0, a.name)


# --- publish_report
def _save_draft(s, w, a):
    return reports.save_draft(s, w.pilot_a, DraftContent(), expected_version=0, actor=a)


def _check_save_draft(s, w, a, version):
    assert version == 1
    assert _one(s, ReportDraft, ReportDraft.pilot_id == w.pilot_a).updated_by == a.name


def _publish(s, w, a):
    return reports.publish_report(s, w.pilot_a, actor=a, today=TODAY)


def _check_publish(s, w, a, _):
    row = _newest(s, Report)
    assert (row.pilot_id, row.number, row.published_by) == (w.pilot_a, 2, a.name)


# --- share_pilot, propose_lesson
def _share(s, w, a):
    version = s.get(Pilot, w.pilot_a).version
    return sharing.share_pilot(s, w.pilot_a, shared=True, expected_version=version, actor=a)


def _check_share(s, w, a, _):
    stored = s.get(Pilot, w.pilot_a)
    assert (stored.shared_by, stored.version) == (a.name, 2)
    assert stored.shared_at is not None
    assert _newest(s, AuditEvent).action == "share"


def _propose_lesson(s, w, a):
    return library.propose_lesson(
        s,
        {
            "statement": "Netwerkbijeenkomsten met een vaste gespreksleider verminderen contacten",
            "pilot_id": w.pilot_a,
            "tags": {"measure": [MEASURE]},
        },
        actor=a,
        evidence=[EvidenceInput(w.pilot_a, "supports", w.h1)],
    )


def _check_propose_lesson(s, w, a, _):
    lesson = _one(s, Lesson, Lesson.pilot_id == w.pilot_a)
    assert (lesson.organisation_id, lesson.created_by) == (w.org_a, a.name)
    evidence = _one(s, LessonEvidence, LessonEvidence.lesson_id == lesson.id)
    assert (evidence.pilot_id, evidence.hypothesis_id, evidence.added_by) == (
        w.pilot_a,
        w.h1,
        a.name,
    )


# --- export, run_analysis
def _export(s, w, a):
    return exports.tidy_measurements_csv(s, w.pilot_a, actor=a)


def _check_export(s, w, a, text):
    lines = text.splitlines()
    assert lines[0].startswith('"pilot","measure","period",')
    assert len(lines) == 1 + 24
    assert lines[1].startswith(f'"{PILOT_A}","{MEASURE}",2020-01-01,')


def _rerun(s, w, a):
    return verdicts.rerun_analysis(s, w.pilot_a, actor=a)


def _check_rerun(s, w, a, rows):
    assert sorted(r.hypothesis_id for r in rows) == sorted([w.h1, w.h2])
    assert _newest(s, AuditEvent).action == "rerun_analysis"


# --- the codebook
NEW_MEASURE = {"code": "wachttijd", "name": "Wachttijd", "kind": "continuous"}


def _add_measure(s, w, a):
    return measures.create_measure(s, NEW_MEASURE | {"better_direction": "lower"}, actor=a)


def _check_add_measure(s, w, a, _):
    assert _one(s, Measure, Measure.code == "wachttijd").name == "Wachttijd"


def _update_measure(s, w, a):
    return measures.update_measure(s, MEASURE, {"name": "Contacten per maand"}, actor=a)


def _check_update_measure(s, w, a, _):
    assert _one(s, Measure, Measure.code == MEASURE).name == "Contacten per maand"


# --- users
def _add_user(s, w, a):
    return accounts.add_user(
        s,
        email="nieuw@amsterdam.example",
        display_name="Nieuwe collega",
        role="analyst",
        organisation_id=w.org_a,
        actor=a,
    )


def _check_add_user(s, w, a, _):
    user = _one(s, User, User.email == "nieuw@amsterdam.example")
    assert (user.organisation_id, user.role, user.password_hash) == (w.org_a, "analyst", None)


def _set_role(s, w, a):
    return accounts.set_role(s, TARGET, "analyst", actor=a)


def _check_set_role(s, w, a, _):
    assert _one(s, User, User.email == TARGET).role == "analyst"


def _set_active(s, w, a):
    return accounts.set_active(s, TARGET, False, actor=a)


def _check_set_active(s, w, a, _):
    assert _one(s, User, User.email == TARGET).is_active is False


OPS = (
    Op("open_pilot", Action.view, _view, _check_view, writes=False),
    Op("create_pilot", Action.create_pilot, _create, _check_create),
    Op("update_pilot", Action.edit_pilot, _update_pilot, _check_update_pilot),
    Op("add_hypothesis", Action.edit_pilot, _add_hypothesis, _check_add_hypothesis),
    Op("register_hypotheses", Action.edit_pilot, _register, _check_register),
    Op("amend_hypothesis", Action.edit_pilot, _amend, _check_amend),
    Op("add_intervention", Action.edit_pilot, _intervention, _check_intervention),
    Op("add_observation_cause", Action.edit_pilot, _observation("cause"), _check_observation("cause")),  # noqa: E501
    Op("add_member", Action.edit_pilot, _add_member, _check_add_member),
    Op("save_measurement", Action.enter_data, _save_measurement, _check_save_measurement),
    Op("import_measurements", Action.enter_data, _import, _check_import),
    Op("save_measurement_grid", Action.enter_data, _grid, _check_grid),
    Op("save_draft", Action.publish_report, _save_draft, _check_save_draft),
    Op("publish_report", Action.publish_report, _publish, _check_publish),
    Op("share_pilot", Action.share_pilot, _share, _check_share),
    Op("propose_lesson", Action.propose_lesson, _propose_lesson, _check_propose_lesson),
    Op("add_observation_comment", Action.comment, _observation("comment"), _check_observation("comment")),  # noqa: E501
    Op("tidy_measurements_csv", Action.export, _export, _check_export, writes=False),
    Op("rerun_analysis", Action.run_analysis, _rerun, _check_rerun),
    Op("create_measure", Action.add_measure, _add_measure, _check_add_measure),
    Op("update_measure", Action.manage_codebook, _update_measure, _check_update_measure),
    Op("add_user", Action.manage_users, _add_user, _check_add_user),
    Op("set_role", Action.manage_users, _set_role, _check_set_role),
    Op("set_active", Action.manage_users, _set_active, _check_set_active),
)  # fmt: skip

CELLS = [pytest.param(op, kind, id=f"{op.action}-{op.name}-{kind}") for op in OPS for kind in KINDS]


def _new_events(session: Session, already: int) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(col(AuditEvent.id)).offset(already)
    return list(session.exec(query))


@pytest.mark.parametrize(("op", "kind"), CELLS)
def test_cell(world: World, op: Op, kind: str):
    actor = world.actors[kind]
    allowed = kind in EXPECTED[op.action]
    with Session(world.engine, expire_on_commit=False) as session:
        try:
            before = state(session)
            assert before == world.baseline  # no earlier cell left anything behind
            if allowed:
                result = op.run(session, world, actor)
                op.check(session, world, actor, result)
                after = state(session)
                events = _new_events(session, before["audit_event"])
                if op.writes:
                    assert events, "an allowed write appends an audit event"
                    assert {e.actor for e in events} == {actor.name}
                else:
                    assert after == before
            else:
                with pytest.raises(AccessDenied) as refused:
                    op.run(session, world, actor)
                assert (refused.value.code, refused.value.action) == (
                    refusal_code(kind, op.action),
                    op.action,
                )
                assert refused.value.message("nl") != refused.value.message("en")
                # Nothing was written before the refusal (pending rows would be flushed here).
                assert state(session) == before
        finally:
            session.rollback()
    with session_scope(world.engine, read_only=True) as fresh:
        assert state(fresh) == world.baseline


# ------------------------------------------------------------------------ what each one sees
ORG_A_KINDS = (OWNER, MEMBER, OUTSIDER, MANAGER, ANALYST, ADMIN)
SEEN_PILOTS = {kind: {PILOT_A} for kind in ORG_A_KINDS} | {
    OTHER_ADMIN: {PILOT_B},
    SYSTEM: {PILOT_A, PILOT_B},
}
LISTED_USERS = {ADMIN: USERS_A, OTHER_ADMIN: USERS_B, SYSTEM: sorted(USERS_A + USERS_B)}


@pytest.mark.parametrize("kind", KINDS)
def test_lists_of_pilots_hold_only_the_actors_organisation(world: World, kind: str):
    actor = world.actors[kind]
    with session_scope(world.engine, read_only=True) as session:
        titles = pilots.pilot_titles(session, actor=actor)
        rows = portfolio.portfolio(session, actor=actor, today=TODAY)
        summaries = pilots.list_pilot_summaries(session, actor=actor)
    assert set(titles) == SEEN_PILOTS[kind]
    assert {r.slug for r in rows} == SEEN_PILOTS[kind]
    assert {s.slug for s in summaries} == SEEN_PILOTS[kind]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("asked", [PILOT_A, PILOT_B, "bestaat-niet", None])
def test_the_pilot_picker_opens_only_a_pilot_the_actor_sees(world: World, kind: str, asked):
    """The pilot page reads its choices and the pilot its address names together: another
    organisation's pilot, or an unknown slug, gives no pilot (and no refusal to catch)."""
    actor = world.actors[kind]
    with session_scope(world.engine, read_only=True) as session:
        titles, opened = pilots.pilot_choices(session, actor, asked)
    assert set(titles) == SEEN_PILOTS[kind]
    if asked in SEEN_PILOTS[kind]:
        assert opened is not None and opened.slug == asked
    else:
        assert opened is None


@pytest.mark.parametrize("kind", KINDS)
def test_list_users_is_for_admins_and_holds_only_their_organisation(world: World, kind: str):
    actor = world.actors[kind]
    with session_scope(world.engine, read_only=True) as session:
        if kind in LISTED_USERS:
            listed = [u.email for u in accounts.list_users(session, actor=actor)]
            assert listed == LISTED_USERS[kind]
        else:
            with pytest.raises(AccessDenied) as refused:
                accounts.list_users(session, actor=actor)
            assert (refused.value.code, refused.value.action) == ("denied", "manage_users")


def test_an_admin_of_the_other_organisation_works_in_their_own(world: World):
    """The organisation refusals above are about the organisation, not about the role."""
    actor = world.actors[OTHER_ADMIN]
    with Session(world.engine, expire_on_commit=False) as session:
        try:
            pilot = pilots.create_pilot(
                session,
                pilot_data("eigen-pilot", municipality_code="GM0344", areas=[]),
                organisation_id=world.org_b,
                actor=actor,
            )
            pilots.update_pilot(
                session, pilot.id, {"title": "Eigen pilot"}, expected_version=1, actor=actor
            )
            assert pilots.open_pilot(session, actor, PILOT_B).id == world.pilot_b
            user = accounts.add_user(
                session, email="nieuw@utrecht.example", display_name="Nieuw", role="officer",
                actor=actor,
            )  # fmt: skip
            assert (pilot.organisation_id, pilot.owner_id) == (world.org_b, actor.user_id)
            assert user.organisation_id == world.org_b  # no organisation named: their own
        finally:
            session.rollback()


# ------------------------------------------------------------------- the rules without a DB
def _role_allowed(role: Role, action: Action) -> bool:
    """The role's column of the issue's table, read off EXPECTED: an officer may when the
    owner may ("own" is a yes for the role), an admin when the admin of organisation A may."""
    return any(kind in EXPECTED[action] for kind, r in KIND_ROLE.items() if r == role)


def test_the_table_covers_every_action_and_every_role():
    assert set(EXPECTED) == set(Action)
    assert set(access.ALLOWED) == set(Role)
    assert all(SYSTEM in kinds for kinds in EXPECTED.values())
    assert access.OWN_PILOT_ACTIONS == OWN_PILOT


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_allowed_and_may_agree_with_the_table(role: Role, action: Action):
    expected = _role_allowed(role, action)
    assert (action in access.ALLOWED[role]) is expected
    actor = Actor(name=f"{role}@amsterdam.example", role=role, organisation_id=1, user_id=7)
    assert access.may(None, actor, action) is expected
    # On the actor's own pilot (owned: no team lookup needed) the answer is the same ...
    # (A session without a database: an owner is recognised without a query.)
    own = Pilot(id=1, organisation_id=1, owner_id=7, **pilot_data("eigen"))
    assert access.may(Session(), actor, action, own) is expected
    # ... and on another organisation's pilot it is always no, with the right code.
    other = Pilot(id=2, organisation_id=2, owner_id=7, **pilot_data("ander"))
    assert access.may(None, actor, action, other) is False
    refused = access.denial(None, actor, action, other)
    assert refused is not None
    assert refused.code == ("organisation" if expected else "denied")


@pytest.mark.parametrize("action", list(Action))
def test_a_system_actor_may_do_everything(action: Action):
    actor = access.system("cli:test")
    other = Pilot(id=2, organisation_id=2, **pilot_data("ander"))
    assert access.may(None, actor, action) and access.may(None, actor, action, other)


def test_actor_for_takes_role_organisation_and_id_from_the_account():
    user = User(id=5, organisation_id=3, email="eva@gemeente.example", display_name="Eva",
                role=Role.analyst)  # fmt: skip
    assert access.actor_for(user) == Actor("eva@gemeente.example", Role.analyst, 3, 5)
    assert not access.actor_for(user).is_system and access.system("x").is_system
    with pytest.raises(ValueError):
        access.system("")
