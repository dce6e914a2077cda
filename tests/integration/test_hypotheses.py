"""Hypotheses: drafting, pre-registration (lock + SHA-256), amendments and optimistic locking.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from tests import factories
from tests.concurrency import race
from tests.db_helpers import row_counts
from tests.factories import ACTOR
from tracker.db import session_scope
from tracker.errors import ConflictError, LockedError, ValidationError
from tracker.models import Hypothesis, Measure
from tracker.services import hypotheses, measures, pilots

# The factory pilot's intervention starts on 2021-01-01.
ON_TIME = dt.datetime(2020, 6, 1, 9, 30, tzinfo=UTC)
LATE = dt.datetime(2021, 3, 1, 9, 30, tzinfo=UTC)
REASON = "De nulmeting liet zien dat het effect kleiner is dan gedacht."


def stored(engine, hypothesis_id: int) -> dict[str, Any]:
    with session_scope(engine) as session:
        return session.get(Hypothesis, hypothesis_id).model_dump(warnings=False)


@pytest.fixture
def world(engine) -> dict[str, int]:
    """A pilot (intervention start 2021-01-01) with two draft hypotheses, H1 and H2."""
    with session_scope(engine) as session:
        factories.measure(session)
        factories.measure(session, "wachttijd", name="Wachttijd in dagen")
        pilot = factories.pilot(session)
        h1 = factories.hypothesis(session, pilot.id, "H1")
        h2 = factories.hypothesis(session, pilot.id, "H2", measure_code="wachttijd")
        return {"pilot": pilot.id, "H1": h1.id, "H2": h2.id}


def register(engine, pilot_id: int, *, now=ON_TIME, late: bool = False) -> None:
    with session_scope(engine) as session:
        hypotheses.register_hypotheses(
            session, pilot_id, actor=ACTOR, registered_late=late, now=now
        )


def amend(engine, hypothesis_id: int, field: str, new_value: str, *, expected_version: int):
    with session_scope(engine) as session:
        return hypotheses.amend_hypothesis(
            session,
            hypothesis_id,
            {"field": field, "new_value": new_value, "reason": REASON},
            expected_version=expected_version,
            actor=ACTOR,
        )


@pytest.fixture
def registered(engine, world) -> dict[str, int]:
    register(engine, world["pilot"])
    return world


# --------------------------------------------------------------------------- draft validation
def add(**overrides: Any) -> Callable[[Session, dict[str, int]], Any]:
    return lambda s, w: factories.hypothesis(s, w["pilot"], "H9", **overrides)


def edit(**changes: Any) -> Callable[[Session, dict[str, int]], Any]:
    return lambda s, w: hypotheses.update_hypothesis(
        s, w["H1"], changes, expected_version=1, actor=ACTOR
    )


# (case, failing call, field, code)
INVALID_INPUT = [
    ("unknown measure", add(measure_code="bestaat_niet"), "measure_code", "unknown_measure"),
    ("alpha above range", add(alpha=0.7), "alpha", "less_than"),
    ("alpha zero", add(alpha=0), "alpha", "greater_than"),
    ("negative min_effect", add(min_effect=-1), "min_effect", "greater_than_equal"),
    ("min_effect not a number", add(min_effect="veel"), "min_effect", "float_parsing"),
    (
        "duplicate code in the pilot",
        lambda s, w: factories.hypothesis(s, w["pilot"], "H1"),
        "code",
        "duplicate",
    ),
    ("unknown direction", add(expected_direction="omhoog"), "expected_direction", "enum"),
    ("unknown design", add(design="rct"), "design", "enum"),
    ("if text too short", add(if_text="Al"), "if_text", "string_too_short"),
    ("edit: unknown measure", edit(measure_code="bestaat_niet"), "measure_code", "unknown_measure"),
    ("edit: alpha out of range", edit(alpha=1.5), "alpha", "less_than"),
    ("edit: negative min_effect", edit(min_effect=-0.5), "min_effect", "greater_than_equal"),
]


@pytest.mark.parametrize(
    ("call", "field", "code"),
    [case[1:] for case in INVALID_INPUT],
    ids=[case[0] for case in INVALID_INPUT],
)
def test_invalid_hypothesis_input_is_refused_with_a_field_error(engine, world, call, field, code):
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        call(session, world)
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]


@pytest.mark.parametrize(
    "call", [case[1] for case in INVALID_INPUT], ids=[case[0] for case in INVALID_INPUT]
)
def test_refused_hypothesis_input_is_explained_in_dutch_and_english(engine, world, call):
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        call(session, world)
    for error in caught.value.errors:
        assert error.message_nl and error.message_en
        assert error.message_nl != error.message_en
        assert "{" not in error.message_nl + error.message_en


@pytest.mark.parametrize(
    "call", [case[1] for case in INVALID_INPUT], ids=[case[0] for case in INVALID_INPUT]
)
def test_refused_hypothesis_input_writes_nothing(engine, world, call):
    before = row_counts(engine)
    with pytest.raises(ValidationError), session_scope(engine) as session:
        call(session, world)
    assert row_counts(engine) == before


# --------------------------------------------------------------------------- drafts
def test_a_draft_can_be_edited_and_its_version_moves(engine, world):
    with session_scope(engine) as session:
        hypotheses.update_hypothesis(
            session,
            world["H1"],
            {"min_effect": 5, "measure_code": "wachttijd"},
            expected_version=1,
            actor=ACTOR,
        )
    row = stored(engine, world["H1"])
    assert (row["min_effect"], row["version"], row["registered_at"]) == (5.0, 2, None)
    with session_scope(engine) as session:
        assert hypotheses.find_hypothesis(session, world["pilot"], "H1").measure_id == (
            measures.get_measure(session, "wachttijd").id
        )


def test_hypothesis_codes_may_repeat_across_pilots(engine, world):
    with session_scope(engine) as session:
        other = factories.pilot(session, "ander-pilot")
        assert factories.hypothesis(session, other.id, "H1").code == "H1"


# --------------------------------------------------------------------------- pre-registration
def documented_hash(**changes: Any) -> str:
    """SHA-256 of the canonical JSON that ``hypotheses.canonical_content`` documents, built here
    by hand from the factory's values (so the service is checked, not re-used)."""
    content = {
        "code": "H1",
        "if_text": "Als we netwerkbijeenkomsten organiseren met getrainde gespreksleiders",
        "then_text": "dan daalt het aantal één-op-één-contacten van het wijkteam",
        "because_text": "omdat familie en buren een deel van de steun overnemen",
        "expected_direction": "decrease",
        "min_effect": 10.0,
        "min_effect_type": "relative",
        "design": "auto",
        "comparison_group": "",
        "alpha": 0.05,
        "is_primary": True,
        "measure": "contacten",
    } | changes
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_registration_stamps_the_registration_time(engine, registered):
    assert stored(engine, registered["H1"])["registered_at"] == ON_TIME


def test_registration_stores_the_sha256_of_the_canonical_content(engine, registered):
    assert stored(engine, registered["H1"])["content_hash"] == documented_hash()


def test_the_hash_covers_the_measure_code(engine, registered):
    assert stored(engine, registered["H2"])["content_hash"] == documented_hash(
        code="H2", measure="wachttijd"
    )


def test_a_registered_hypothesis_verifies(engine, registered):
    with session_scope(engine) as session:
        for code in ("H1", "H2"):
            hypothesis = hypotheses.get_hypothesis(session, registered[code])
            assert hypothesis.is_locked
            assert hypotheses.verify_registration(session, hypothesis)


def test_a_draft_does_not_verify(engine, world):
    with session_scope(engine) as session:
        assert not hypotheses.verify_registration(
            session, hypotheses.get_hypothesis(session, world["H1"])
        )


def test_registration_locks_every_draft_of_the_pilot_only(engine, world):
    with session_scope(engine) as session:
        other = factories.pilot(session, "ander-pilot")
        other_h = factories.hypothesis(session, other.id, "H1")
    register(engine, world["pilot"])
    assert stored(engine, world["H1"])["registered_at"] is not None
    assert stored(engine, world["H2"])["registered_at"] is not None
    assert stored(engine, other_h.id)["registered_at"] is None


def test_a_registered_hypothesis_cannot_be_edited(engine, registered):
    with pytest.raises(LockedError), session_scope(engine) as session:
        hypotheses.update_hypothesis(
            session, registered["H1"], {"min_effect": 1}, expected_version=2, actor=ACTOR
        )


def test_a_refused_edit_of_a_registered_hypothesis_changes_nothing(engine, registered):
    before, counts = stored(engine, registered["H1"]), row_counts(engine)
    with pytest.raises(LockedError), session_scope(engine) as session:
        hypotheses.update_hypothesis(
            session,
            registered["H1"],
            {"if_text": "Als we iets anders doen"},
            expected_version=2,
            actor=ACTOR,
        )
    assert (stored(engine, registered["H1"]), row_counts(engine)) == (before, counts)


@pytest.mark.parametrize(
    ("lang", "phrase"), [("nl", "leg een wijziging vast"), ("en", "record an amendment")]
)
def test_the_locked_message_says_to_amend_instead(engine, registered, lang, phrase):
    with pytest.raises(LockedError) as caught, session_scope(engine) as session:
        hypotheses.update_hypothesis(
            session, registered["H1"], {"min_effect": 1}, expected_version=2, actor=ACTOR
        )
    assert "H1" in caught.value.message(lang)
    assert phrase in caught.value.message(lang)


@pytest.mark.parametrize(
    ("now", "late"),
    [
        (dt.datetime(2020, 12, 31, 23, 0, tzinfo=UTC), False),
        (dt.datetime(2021, 1, 1, 12, 0, tzinfo=UTC), False),  # on the start date: still on time
        (dt.datetime(2021, 1, 2, 0, 0, tzinfo=UTC), True),
    ],
    ids=["day before start", "start date", "day after start"],
)
def test_registration_is_late_only_after_the_intervention_start_date(engine, world, now, late):
    register(engine, world["pilot"], now=now, late=True)
    assert stored(engine, world["H1"])["registered_late"] is late


def test_late_registration_without_the_flag_is_refused(engine, world):
    counts = row_counts(engine)
    with pytest.raises(ValidationError) as caught:
        register(engine, world["pilot"], now=LATE)
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("registered_late", "late_registration")
    ]
    assert "2021-01-01" in caught.value.errors[0].message_nl
    assert row_counts(engine) == counts
    assert stored(engine, world["H1"])["registered_at"] is None


def test_late_registration_with_the_flag_is_stored(engine, world):
    register(engine, world["pilot"], now=LATE, late=True)
    assert stored(engine, world["H1"])["registered_late"] is True
    assert stored(engine, world["H2"])["registered_late"] is True


def test_late_registrations_show_in_the_pilot_summary(engine, world):
    register(engine, world["pilot"], now=LATE, late=True)
    with session_scope(engine) as session:
        [summary] = pilots.list_pilot_summaries(session, actor=ACTOR)
    assert (summary.hypotheses, summary.late_registrations) == (2, 2)


def test_on_time_registrations_are_not_counted_as_late(engine, registered):
    with session_scope(engine) as session:
        [summary] = pilots.list_pilot_summaries(session, actor=ACTOR)
    assert summary.late_registrations == 0


def test_registering_when_nothing_is_left_is_refused(engine, registered):
    counts = row_counts(engine)
    with pytest.raises(ValidationError) as caught:
        register(engine, registered["pilot"])
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("hypotheses", "nothing_to_register")
    ]
    assert row_counts(engine) == counts


def test_a_later_draft_is_registered_on_its_own(engine, registered):
    with session_scope(engine) as session:
        h3 = factories.hypothesis(session, registered["pilot"], "H3")
    later = dt.datetime(2020, 9, 1, tzinfo=UTC)
    register(engine, registered["pilot"], now=later)
    assert stored(engine, registered["H1"])["registered_at"] == ON_TIME
    assert stored(engine, h3.id)["registered_at"] == later


# --------------------------------------------------------------------------- amendments
def test_an_amendment_is_stored_beside_the_original(engine, registered):
    amend(engine, registered["H1"], "min_effect", "5", expected_version=2)
    with session_scope(engine) as session:
        [amendment] = hypotheses.list_amendments(session, registered["H1"])
    assert (
        amendment.field,
        amendment.old_value,
        amendment.new_value,
        amendment.reason,
        amendment.author,
    ) == ("min_effect", "10.0", "5.0", REASON, ACTOR.name)


def test_an_amendment_leaves_the_registered_content_and_hash_unchanged(engine, registered):
    before = stored(engine, registered["H1"])
    amend(
        engine,
        registered["H1"],
        "if_text",
        "Als we maandelijks bijeenkomsten houden",
        expected_version=2,
    )
    after = stored(engine, registered["H1"])
    unchanged = {k: v for k, v in after.items() if k not in ("version", "updated_at")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("version", "updated_at")}
    assert after["content_hash"] == documented_hash()
    with session_scope(engine) as session:
        assert hypotheses.verify_registration(
            session, hypotheses.get_hypothesis(session, registered["H1"])
        )


@pytest.mark.parametrize(
    ("field", "new_value", "effective"),
    [
        (
            "if_text",
            "Als we maandelijks bijeenkomsten houden",
            "Als we maandelijks bijeenkomsten houden",
        ),
        ("min_effect", "5", 5.0),
        ("alpha", "0.1", 0.1),
        ("is_primary", "false", False),
        ("expected_direction", "no_change", "no_change"),
        ("design", "its", "its"),
        ("min_effect_type", "absolute", "absolute"),
        ("comparison_group", "Noord-West", "Noord-West"),
    ],
)
def test_effective_values_show_the_amended_value(engine, registered, field, new_value, effective):
    amend(engine, registered["H1"], field, new_value, expected_version=2)
    with session_scope(engine) as session:
        values = hypotheses.effective_values(
            session, hypotheses.get_hypothesis(session, registered["H1"])
        )
    assert values[field] == effective


def test_a_second_amendment_chains_old_to_new(engine, registered):
    amend(engine, registered["H1"], "min_effect", "5", expected_version=2)
    amend(engine, registered["H1"], "min_effect", "7.5", expected_version=3)
    with session_scope(engine) as session:
        chain = [
            (a.old_value, a.new_value)
            for a in hypotheses.list_amendments(session, registered["H1"])
        ]
        values = hypotheses.effective_values(
            session, hypotheses.get_hypothesis(session, registered["H1"])
        )
    assert chain == [("10.0", "5.0"), ("5.0", "7.5")]
    assert values["min_effect"] == 7.5


def test_amendments_of_one_field_leave_the_others_as_registered(engine, registered):
    amend(engine, registered["H1"], "alpha", "0.1", expected_version=2)
    with session_scope(engine) as session:
        values = hypotheses.effective_values(
            session, hypotheses.get_hypothesis(session, registered["H1"])
        )
    assert (values["min_effect"], values["if_text"][:6]) == (10.0, "Als we")


def amendment(field: str = "min_effect", new_value: str = "5", reason: str = REASON, version=2):
    return lambda s, w: hypotheses.amend_hypothesis(
        s,
        w["H1"],
        {"field": field, "new_value": new_value, "reason": reason},
        expected_version=version,
        actor=ACTOR,
    )


# (case, failing call, field, code)
REFUSED_AMENDMENTS = [
    ("reason too short", amendment(reason="Omdat."), "reason", "string_too_short"),
    (
        "field not amendable: code",
        amendment(field="code", new_value="H7"),
        "field",
        "not_amendable",
    ),
    (
        "field not amendable: measure",
        amendment(field="measure_id", new_value="2"),
        "field",
        "not_amendable",
    ),
    (
        "field not amendable: registered_at",
        amendment(field="registered_at", new_value="x"),
        "field",
        "not_amendable",
    ),
    ("new value equals the current one", amendment(new_value="10"), "new_value", "same_value"),
    ("new value out of range", amendment(field="alpha", new_value="0.9"), "alpha", "less_than"),
    ("new value of the wrong kind", amendment(field="design", new_value="rct"), "design", "enum"),
]


@pytest.mark.parametrize(
    ("call", "field", "code"),
    [case[1:] for case in REFUSED_AMENDMENTS],
    ids=[case[0] for case in REFUSED_AMENDMENTS],
)
def test_an_invalid_amendment_is_refused(engine, registered, call, field, code):
    counts = row_counts(engine)
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        call(session, registered)
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]
    assert row_counts(engine) == counts


def test_amending_a_draft_is_refused(engine, world):
    counts = row_counts(engine)
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        amendment(version=1)(session, world)
    assert [(e.field, e.code) for e in caught.value.errors] == [("hypothesis", "not_locked")]
    assert row_counts(engine) == counts


# --------------------------------------------------------------------------- tampering
@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE hypothesis SET if_text = 'Als we niets doen' WHERE code = 'H1'",
        "UPDATE hypothesis SET min_effect = 1 WHERE code = 'H1'",
        "UPDATE hypothesis SET alpha = 0.2 WHERE code = 'H1'",
        "UPDATE hypothesis SET expected_direction = 'increase' WHERE code = 'H1'",
        "UPDATE hypothesis SET measure_id = (SELECT id FROM measure WHERE code = 'wachttijd')"
        " WHERE code = 'H1'",
    ],
    ids=["if_text", "min_effect", "alpha", "expected_direction", "measure"],
)
def test_changing_a_registered_row_behind_the_apps_back_breaks_verification(
    engine, registered, tamper
):
    with engine.begin() as conn:
        conn.execute(text(tamper))
    with session_scope(engine) as session:
        h1 = hypotheses.get_hypothesis(session, registered["H1"])
        h2 = hypotheses.get_hypothesis(session, registered["H2"])
        assert not hypotheses.verify_registration(session, h1)
        assert hypotheses.verify_registration(session, h2)


# --------------------------------------------------------------------------- optimistic locking
def test_a_stale_draft_edit_is_refused_and_the_newer_data_kept(engine, world):
    with session_scope(engine) as session:
        hypotheses.update_hypothesis(
            session, world["H1"], {"min_effect": 5}, expected_version=1, actor=ACTOR
        )
    counts = row_counts(engine)
    with pytest.raises(ConflictError) as caught, session_scope(engine) as session:
        hypotheses.update_hypothesis(
            session, world["H1"], {"min_effect": 20}, expected_version=1, actor=ACTOR
        )
    assert (caught.value.expected_version, caught.value.current_version) == (1, 2)
    assert (stored(engine, world["H1"])["min_effect"], row_counts(engine)) == (5.0, counts)


def test_a_stale_amendment_is_refused_and_the_newer_one_kept(engine, registered):
    amend(engine, registered["H1"], "min_effect", "5", expected_version=2)
    counts = row_counts(engine)
    with pytest.raises(ConflictError) as caught:
        amend(engine, registered["H1"], "min_effect", "20", expected_version=2)
    assert (caught.value.expected_version, caught.value.current_version) == (2, 3)
    assert row_counts(engine) == counts
    with session_scope(engine) as session:
        [kept] = hypotheses.list_amendments(session, registered["H1"])
        assert kept.new_value == "5.0"


@pytest.mark.parametrize("when", ["before", "after"])
def test_concurrent_draft_edits_let_exactly_one_win(engine, world, when):
    def edit_to(min_effect: float):
        return lambda s: hypotheses.update_hypothesis(
            s, world["H1"], {"min_effect": min_effect}, expected_version=1, actor=ACTOR
        )

    outcomes = race(
        engine, {"A": edit_to(1.0), "B": edit_to(2.0)}, pause_on="UPDATE hypothesis", when=when
    )
    assert sorted(map(str, outcomes.values())) == ["conflict", "saved"], outcomes
    winner = 1.0 if outcomes["A"] == "saved" else 2.0
    assert (stored(engine, world["H1"])["min_effect"], stored(engine, world["H1"])["version"]) == (
        winner,
        2,
    )


@pytest.mark.parametrize("when", ["before", "after"])
def test_concurrent_amendments_let_exactly_one_win(engine, registered, when):
    def amend_to(value: str):
        return lambda s: hypotheses.amend_hypothesis(
            s,
            registered["H1"],
            {"field": "min_effect", "new_value": value, "reason": REASON},
            expected_version=2,
            actor=ACTOR,
        )

    outcomes = race(
        engine, {"A": amend_to("1"), "B": amend_to("2")}, pause_on="UPDATE hypothesis", when=when
    )
    assert sorted(map(str, outcomes.values())) == ["conflict", "saved"], outcomes
    with session_scope(engine) as session:
        [kept] = hypotheses.list_amendments(session, registered["H1"])
    assert (kept.old_value, kept.new_value) == (
        "10.0",
        "1.0" if outcomes["A"] == "saved" else "2.0",
    )


@pytest.mark.parametrize("when", ["before", "after"])
def test_an_edit_racing_the_registration_cannot_slip_under_the_hash(engine, world, when):
    """A registers while B edits a draft: either the edit lands first (and the registration is
    refused) or the registration does (and the edit is refused); what is registered verifies."""
    outcomes = race(
        engine,
        {
            "A": lambda s: hypotheses.register_hypotheses(
                s, world["pilot"], actor=ACTOR, now=ON_TIME
            ),
            "B": lambda s: hypotheses.update_hypothesis(
                s,
                world["H1"],
                {"if_text": "Als we iets anders doen"},
                expected_version=1,
                actor=ACTOR,
            ),
        },
        pause_on="UPDATE hypothesis",
        when=when,
    )
    # The edit that comes second is refused as stale (conflict) or as locked.
    assert sorted(map(str, outcomes.values())) in (
        ["conflict", "saved"],
        ["locked", "saved"],
    ), outcomes
    with session_scope(engine) as session:
        for hypothesis in hypotheses.list_hypotheses(session, world["pilot"]):
            assert hypothesis.is_locked is (outcomes["A"] == "saved")
            if hypothesis.is_locked:
                assert hypotheses.verify_registration(session, hypothesis)


# --------------------------------------------------------------------------- details in a batch
def test_hypotheses_with_details_agree_with_the_one_by_one_reads(engine, registered):
    """The set-up tab and the analysis read every hypothesis's measure, values in force and
    amendments at once; they must be what the per-hypothesis functions give."""
    amend(engine, registered["H1"], "min_effect", "5", expected_version=2)
    amend(engine, registered["H1"], "alpha", "0.1", expected_version=3)
    amend(engine, registered["H2"], "design", "its", expected_version=2)
    with session_scope(engine) as session:
        details = hypotheses.hypotheses_with_details(session, registered["pilot"])
        expected = [
            (
                h.code,
                session.get(Measure, h.measure_id).code,
                hypotheses.effective_values(session, h),
                [(a.field, a.new_value) for a in hypotheses.list_amendments(session, h.id)],
            )
            for h in hypotheses.list_hypotheses(session, registered["pilot"])
        ]
    got = [
        (
            d.hypothesis.code,
            d.measure.code,
            d.values,
            [(a.field, a.new_value) for a in d.amendments],
        )
        for d in details
    ]
    assert got == expected
    assert [g[0] for g in got] == ["H1", "H2"]
    assert got[0][3] == [("min_effect", "5.0"), ("alpha", "0.1")]  # oldest first
    assert got[1][1] == "wachttijd" and got[1][2]["design"] == "its"


def test_hypotheses_with_details_reads_three_times_for_any_number(engine, world):
    from sqlalchemy import event

    def statements() -> int:
        sent: list[str] = []

        def count(conn, cursor, statement, *args):
            sent.append(statement)

        with session_scope(engine) as session:
            session.exec(text("SELECT 1")).first()  # the transaction has begun
            event.listen(engine, "before_cursor_execute", count)
            try:
                hypotheses.hypotheses_with_details(session, world["pilot"])
            finally:
                event.remove(engine, "before_cursor_execute", count)
        return len(sent)

    two = statements()
    with session_scope(engine) as session:
        for code in ("H3", "H4", "H5"):
            factories.hypothesis(session, world["pilot"], code)
    assert two == statements() == 3


def test_a_pilot_without_hypotheses_has_no_details(engine, world):
    with session_scope(engine) as session:
        empty = factories.pilot(session, slug="leeg")
        assert hypotheses.hypotheses_with_details(session, empty.id) == []
