"""The intervention log and the journal (logboek): links by code and title, refusals.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests import factories
from tests.db_helpers import row_counts
from tests.factories import ACTOR
from tracker.db import session_scope
from tracker.errors import NotFoundError, ValidationError
from tracker.services import journal
from tracker.services.access import system

TRAINING = {"date": dt.date(2021, 1, 15), "kind": "training", "title": "Training gespreksleiders"}


@pytest.fixture
def world(engine) -> dict[str, int]:
    """Pilot "netwerk-noord" with hypothesis H1 and one intervention; a second pilot with H7."""
    with session_scope(engine) as session:
        factories.measure(session)
        pilot = factories.pilot(session)
        h1 = factories.hypothesis(session, pilot.id, "H1")
        training = journal.add_intervention(session, pilot.id, TRAINING, actor=ACTOR)
        other = factories.pilot(session, "ander-pilot")
        factories.hypothesis(session, other.id, "H7")
        journal.add_intervention(
            session, other.id, TRAINING | {"title": "Alleen elders"}, actor=ACTOR
        )
        return {"pilot": pilot.id, "H1": h1.id, "training": training.id, "other": other.id}


def observe(engine, pilot_id: int, **fields: Any):
    data = {"date": dt.date(2021, 2, 1), "kind": "cause", "text": "Buren nemen boodschappen over"}
    with session_scope(engine) as session:
        return journal.add_observation(session, pilot_id, data | fields, actor=ACTOR)


# --------------------------------------------------------------------------- links
def test_an_observation_links_to_a_hypothesis_by_its_code(engine, world):
    row = observe(engine, world["pilot"], hypothesis_code="H1")
    assert (row.hypothesis_id, row.intervention_id) == (world["H1"], None)


def test_an_observation_links_to_an_intervention_by_its_title(engine, world):
    row = observe(engine, world["pilot"], intervention_title="Training gespreksleiders")
    assert (row.hypothesis_id, row.intervention_id) == (None, world["training"])


def test_an_observation_can_link_to_both(engine, world):
    row = observe(
        engine, world["pilot"], hypothesis_code="H1", intervention_title="Training gespreksleiders"
    )
    assert (row.hypothesis_id, row.intervention_id) == (world["H1"], world["training"])


def test_an_observation_without_links_stands_alone(engine, world):
    row = observe(engine, world["pilot"])
    assert (row.hypothesis_id, row.intervention_id, row.author) == (None, None, ACTOR.name)


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_link_means_no_link(engine, world, empty):
    row = observe(engine, world["pilot"], hypothesis_code=empty, intervention_title=empty)
    assert (row.hypothesis_id, row.intervention_id) == (None, None)


# (case, link fields, field, code)
UNKNOWN_LINKS = [
    ("unknown hypothesis", {"hypothesis_code": "H9"}, "hypothesis_code", "unknown_hypothesis"),
    (
        "hypothesis of another pilot",
        {"hypothesis_code": "H7"},
        "hypothesis_code",
        "unknown_hypothesis",
    ),
    (
        "unknown intervention",
        {"intervention_title": "Nooit gedaan"},
        "intervention_title",
        "unknown_intervention",
    ),
    (
        "intervention of another pilot",
        {"intervention_title": "Alleen elders"},
        "intervention_title",
        "unknown_intervention",
    ),
    (
        "title differs in case",
        {"intervention_title": "training gespreksleiders"},
        "intervention_title",
        "unknown_intervention",
    ),
]


@pytest.mark.parametrize(
    ("links", "field", "code"),
    [case[1:] for case in UNKNOWN_LINKS],
    ids=[case[0] for case in UNKNOWN_LINKS],
)
def test_an_unknown_link_is_refused(engine, world, links, field, code):
    with pytest.raises(ValidationError) as caught:
        observe(engine, world["pilot"], **links)
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]
    [error] = caught.value.errors
    assert str(next(iter(links.values()))) in error.message_nl
    assert str(next(iter(links.values()))) in error.message_en


@pytest.mark.parametrize(
    "links", [case[1] for case in UNKNOWN_LINKS], ids=[case[0] for case in UNKNOWN_LINKS]
)
def test_a_refused_observation_writes_nothing(engine, world, links):
    counts = row_counts(engine)
    with pytest.raises(ValidationError):
        observe(engine, world["pilot"], **links)
    assert row_counts(engine) == counts


# --------------------------------------------------------------------------- input validation
# (case, write, field, code)
INVALID_ENTRIES = [
    ("observation: unknown kind", ("observation", {"kind": "roddel"}), "kind", "enum"),
    ("observation: text too short", ("observation", {"text": "ok"}), "text", "string_too_short"),
    (
        "observation: not a date",
        ("observation", {"date": "31-02-2021"}),
        "date",
        "date_from_datetime_parsing",
    ),
    (
        "intervention: title too short",
        ("intervention", {"title": "x"}),
        "title",
        "string_too_short",
    ),
    ("intervention: no kind", ("intervention", {"kind": ""}), "kind", "string_too_short"),
    ("intervention: unknown status", ("intervention", {"status": "misschien"}), "status", "enum"),
]


@pytest.mark.parametrize(
    ("write", "field", "code"),
    [case[1:] for case in INVALID_ENTRIES],
    ids=[case[0] for case in INVALID_ENTRIES],
)
def test_an_invalid_journal_entry_is_refused(engine, world, write, field, code):
    kind, changes = write
    counts = row_counts(engine)
    with pytest.raises(ValidationError) as caught:
        if kind == "observation":
            observe(engine, world["pilot"], **changes)
        else:
            with session_scope(engine) as session:
                journal.add_intervention(session, world["pilot"], TRAINING | changes, actor=ACTOR)
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]
    assert row_counts(engine) == counts


@pytest.mark.parametrize("kind", ["observation", "intervention"])
def test_a_journal_entry_for_an_unknown_pilot_is_not_found(engine, world, kind):
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        if kind == "observation":
            journal.add_observation(
                session,
                999,
                {"date": dt.date(2021, 1, 1), "kind": "cause", "text": "abc"},
                actor=ACTOR,
            )
        else:
            journal.add_intervention(session, 999, TRAINING, actor=ACTOR)


# --------------------------------------------------------------------------- storage and order
def test_an_intervention_keeps_what_was_planned_and_what_was_done(engine, world):
    with session_scope(engine) as session:
        journal.add_intervention(
            session,
            world["pilot"],
            {
                "date": dt.date(2021, 5, 10),
                "planned_date": dt.date(2021, 4, 1),
                "kind": "bijeenkomst",
                "title": "Buurtbijeenkomst",
                "description": "Later dan gepland door ziekte",
                "status": "delivered",
            },
            actor=system("officer@gemeente.example"),
        )
    with session_scope(engine) as session:
        row = journal.list_interventions(session, world["pilot"])[-1]
        assert (row.date, row.planned_date, row.status, row.created_by) == (
            dt.date(2021, 5, 10),
            dt.date(2021, 4, 1),
            "delivered",
            "officer@gemeente.example",
        )


def test_interventions_are_listed_by_date(engine, world):
    with session_scope(engine) as session:
        for day, title in [(20, "Derde"), (1, "Tweede")]:
            journal.add_intervention(
                session,
                world["pilot"],
                TRAINING | {"date": dt.date(2021, 3, day), "title": title},
                actor=ACTOR,
            )
    with session_scope(engine) as session:
        titles = [i.title for i in journal.list_interventions(session, world["pilot"])]
    assert titles == ["Training gespreksleiders", "Tweede", "Derde"]


def test_observations_are_listed_by_date_for_their_pilot_only(engine, world):
    observe(engine, world["pilot"], date=dt.date(2021, 6, 1), text="Later")
    observe(engine, world["pilot"], date=dt.date(2021, 2, 1), text="Eerder")
    observe(engine, world["other"], date=dt.date(2021, 1, 1), text="Elders")
    with session_scope(engine) as session:
        texts = [o.text for o in journal.list_observations(session, world["pilot"])]
    assert texts == ["Eerder", "Later"]
