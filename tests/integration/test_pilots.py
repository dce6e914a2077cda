"""Pilots, the codebook and organisations: validation, storage, summaries and optimistic locking.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from tests import factories
from tests.concurrency import race
from tests.db_helpers import row_counts
from tests.factories import ACTOR
from tracker.db import session_scope
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.models import Pilot
from tracker.services import measures, organisations, pilots
from tracker.services.access import system
from tracker.vocabulary import INTERVENTION_TYPES


@pytest.fixture
def world(engine) -> dict[str, int]:
    """One organisation, one measure and one pilot, committed."""
    with session_scope(engine) as session:
        factories.measure(session)
        pilot = factories.pilot(session)
        return {"pilot": pilot.id, "organisation": pilot.organisation_id}


def pilot_data(**overrides: Any) -> dict[str, Any]:
    return {
        "slug": "buurtkracht-zuid",
        "title": "Buurtkracht Zuid",
        "municipality": "Amsterdam",
        "municipality_code": "GM0363",
        "domains": ["participatie"],
        "areas": [{"code": "BU03630000", "name": "Zuid", "group": "pilot"}],
        "baseline_start": dt.date(2022, 1, 1),
        "intervention_start": dt.date(2023, 1, 1),
        "evaluation_end": dt.date(2024, 1, 1),
    } | overrides


def create(**overrides: Any) -> Callable[[Session, dict[str, int]], Any]:
    return lambda s, w: pilots.create_pilot(
        s, pilot_data(**overrides), organisation_id=w["organisation"], actor=ACTOR
    )


def update(**changes: Any) -> Callable[[Session, dict[str, int]], Any]:
    return lambda s, w: pilots.update_pilot(s, w["pilot"], changes, expected_version=1, actor=ACTOR)


MEASURE = {"code": "wachttijd", "name": "Wachttijd", "kind": "continuous"}

# (case, failing call, field, code)
INVALID_INPUT = [
    ("bad slug", create(slug="Buurtkracht Zuid!"), "slug", "slug"),
    ("slug with capitals", create(slug="Buurtkracht"), "slug", "slug"),
    ("bad GM code", create(municipality_code="0363"), "municipality_code", "gm_code"),
    ("GM code too short", create(municipality_code="GM363"), "municipality_code", "gm_code"),
    (
        "intervention before baseline",
        create(intervention_start=dt.date(2021, 6, 1)),
        "__root__",
        "phase_order",
    ),
    (
        "evaluation end before intervention",
        create(evaluation_end=dt.date(2022, 12, 31)),
        "__root__",
        "phase_order",
    ),
    ("empty domains", create(domains=[]), "domains", "domains_empty"),
    ("duplicate slug", create(slug="netwerk-noord"), "slug", "duplicate"),
    ("bad area code", create(areas=[{"code": "WK12", "name": "x"}]), "areas", "area_code"),
    (
        "bad area group",
        create(areas=[{"code": "WK036301", "group": "controle"}]),
        "areas",
        "area_group",
    ),
    ("title too short", create(title="X"), "title", "string_too_short"),
    (
        "not a date",
        create(baseline_start="2022-13-01"),
        "baseline_start",
        "date_from_datetime_parsing",
    ),
    ("unknown status", create(status="bezig"), "status", "enum"),
    (
        "update: phase order checked on the merged dates",
        update(intervention_start=dt.date(2023, 6, 1)),
        "__root__",
        "phase_order",
    ),
    ("update: empty domains", update(domains=[]), "domains", "domains_empty"),
    ("update: bad area code", update(areas=[{"code": "XX"}]), "areas", "area_code"),
    (
        "unknown intervention type",
        create(intervention_type="buurtbarbecue"),
        "intervention_type",
        "intervention_type",
    ),
    (
        "update: unknown intervention type",
        update(intervention_type="Netwerkbijeenkomst"),  # the label, not the code
        "intervention_type",
        "intervention_type",
    ),
    (
        "organisation: bad GM code",
        lambda s, w: organisations.get_or_create_organisation(
            s, name="Nergens", cbs_code="GM12345", actor=ACTOR
        ),
        "cbs_code",
        "gm_code",
    ),
    (
        "organisation: empty name",
        lambda s, w: organisations.get_or_create_organisation(
            s, name="", cbs_code="GM0344", actor=ACTOR
        ),
        "name",
        "string_too_short",
    ),
    (
        "organisation: name too long for the column",
        lambda s, w: organisations.get_or_create_organisation(
            s, name="x" * 201, cbs_code="GM0344", actor=ACTOR
        ),
        "name",
        "string_too_long",
    ),
    (
        "user: bad e-mail address",
        lambda s, w: organisations.get_or_create_user(
            s, organisation_id=w["organisation"], email="geen-adres", display_name="X", actor=ACTOR
        ),
        "email",
        "email",
    ),
    (
        "user: unknown role",
        lambda s, w: organisations.get_or_create_user(
            s,
            organisation_id=w["organisation"],
            email="a@gemeente.example",
            display_name="A",
            role="baas",
            actor=ACTOR,
        ),
        "role",
        "enum",
    ),
    (
        "user: empty name",
        lambda s, w: organisations.get_or_create_user(
            s, organisation_id=w["organisation"], email="a@b.nl", display_name="", actor=ACTOR
        ),
        "display_name",
        "string_too_short",
    ),
    (
        "pilot: unknown owner",
        create(owner_email="niemand@gemeente.example"),
        "owner_email",
        "unknown_user",
    ),
    (
        "measure: bad code",
        lambda s, w: measures.create_measure(
            s, MEASURE | {"code": "Wacht tijd", "better_direction": "lower"}, actor=ACTOR
        ),
        "code",
        "measure_code",
    ),
    (
        "measure: duplicate code",
        lambda s, w: measures.create_measure(
            s, MEASURE | {"code": "contacten", "better_direction": "lower"}, actor=ACTOR
        ),
        "code",
        "duplicate",
    ),
    (
        "measure: unknown kind",
        lambda s, w: measures.create_measure(
            s, MEASURE | {"kind": "ratio", "better_direction": "lower"}, actor=ACTOR
        ),
        "kind",
        "enum",
    ),
    (
        "measure update: empty name",
        lambda s, w: measures.update_measure(s, "contacten", {"name": ""}, actor=ACTOR),
        "name",
        "string_too_short",
    ),
]


@pytest.mark.parametrize(
    ("call", "field", "code"),
    [case[1:] for case in INVALID_INPUT],
    ids=[case[0] for case in INVALID_INPUT],
)
def test_invalid_input_is_refused_with_a_field_error(engine, world, call, field, code):
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        call(session, world)
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]


@pytest.mark.parametrize(
    "call", [case[1] for case in INVALID_INPUT], ids=[case[0] for case in INVALID_INPUT]
)
def test_refused_input_is_explained_in_dutch_and_english(engine, world, call):
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        call(session, world)
    for error in caught.value.errors:
        assert error.message_nl and error.message_en
        assert error.message_nl != error.message_en
        assert not error.message_nl.startswith("error.")
        assert "{" not in error.message_nl + error.message_en  # every placeholder filled


@pytest.mark.parametrize(
    "call", [case[1] for case in INVALID_INPUT], ids=[case[0] for case in INVALID_INPUT]
)
def test_refused_input_writes_nothing(engine, world, call):
    before = row_counts(engine)
    with pytest.raises(ValidationError), session_scope(engine) as session:
        call(session, world)
    assert row_counts(engine) == before


def test_a_failure_rolls_back_the_earlier_writes_of_the_same_transaction(engine, world):
    before = row_counts(engine)
    with pytest.raises(ValidationError), session_scope(engine) as session:
        create(slug="eerste-pilot")(session, world)
        create(slug="tweede pilot")(session, world)
    assert row_counts(engine) == before


def test_bad_area_code_error_names_the_bad_code(engine, world):
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        create(areas=[{"code": "WK036301"}, {"code": "WK12"}])(session, world)
    [error] = caught.value.errors
    assert error.value == "WK12"
    assert "'WK12'" in error.message_nl


# --------------------------------------------------------------------------- storage and reading
def test_a_created_pilot_keeps_every_field(engine, world):
    with session_scope(engine) as session:
        pilots.create_pilot(
            session,
            pilot_data(partners=["GGD", "corporatie"]),
            organisation_id=world["organisation"],
            actor=ACTOR,
        )
    with session_scope(engine) as session:
        pilot = pilots.resolve_pilot(session, "buurtkracht-zuid")
        assert (
            pilot.title,
            pilot.domains,
            pilot.areas,
            pilot.partners,
            pilot.baseline_start,
            pilot.intervention_start,
            pilot.evaluation_end,
            pilot.status,
            pilot.version,
        ) == (
            "Buurtkracht Zuid",
            ["participatie"],
            [{"code": "BU03630000", "name": "Zuid", "group": "pilot"}],
            ["GGD", "corporatie"],
            dt.date(2022, 1, 1),
            dt.date(2023, 1, 1),
            dt.date(2024, 1, 1),
            "concept",
            1,
        )


def test_a_pilot_can_be_found_by_id_or_slug(engine, world):
    with session_scope(engine) as session:
        by_id = pilots.resolve_pilot(session, world["pilot"])
        by_text_id = pilots.resolve_pilot(session, str(world["pilot"]))
        by_slug = pilots.resolve_pilot(session, "netwerk-noord")
        assert by_id.id == by_text_id.id == by_slug.id == world["pilot"]


def test_an_address_with_a_slug_of_digits_opens_that_slug_not_that_id(engine, world):
    """``?pilot=`` holds slugs; a slug may be all digits. ``resolve_pilot`` (the CLI's
    ``--pilot``) reads digits as an id, the page's reads must not."""
    digits = f"{world['pilot']:02d}"  # the first pilot's id, written as another pilot's slug
    with session_scope(engine) as session:
        other = factories.pilot(session, slug=digits)
        assert pilots.resolve_pilot(session, digits).id == world["pilot"]
        assert pilots.open_pilot(session, ACTOR, digits).id == other.id
        titles, opened = pilots.pilot_choices(session, ACTOR, digits)
        assert digits in titles and opened is not None and opened.id == other.id
        with pytest.raises(NotFoundError):
            pilots.open_pilot(session, ACTOR, "bestaat-niet")


def test_a_pilot_for_an_unknown_organisation_is_not_found(engine, world):
    with pytest.raises(NotFoundError) as caught, session_scope(engine) as session:
        pilots.create_pilot(session, pilot_data(), organisation_id=999, actor=ACTOR)
    assert (caught.value.entity, caught.value.key) == ("organisation", 999)


def test_a_user_for_an_unknown_organisation_is_not_found(engine, world):
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        organisations.get_or_create_user(
            session, organisation_id=999, email="a@b.nl", display_name="A", actor=ACTOR
        )


@pytest.mark.parametrize("ref", ["onbekend", 999, "999"])
def test_an_unknown_pilot_is_not_found(engine, world, ref):
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        pilots.resolve_pilot(session, ref)


def test_the_owner_is_linked_by_email(engine, world):
    with session_scope(engine) as session:
        user = organisations.get_or_create_user(
            session,
            organisation_id=world["organisation"],
            email="Eigenaar@Gemeente.example",
            display_name="Eigenaar",
            actor=ACTOR,
        )
        pilot = create(owner_email="eigenaar@gemeente.example")(session, world)
        assert pilot.owner_id == user.id


def test_a_saved_change_bumps_the_version(engine, world):
    with session_scope(engine) as session:
        pilots.update_pilot(
            session, world["pilot"], {"title": "Nieuwe titel"}, expected_version=1, actor=ACTOR
        )
    with session_scope(engine) as session:
        pilot = pilots.get_pilot(session, world["pilot"])
        assert (pilot.title, pilot.version) == ("Nieuwe titel", 2)


def test_an_update_changes_only_the_given_fields(engine, world):
    with session_scope(engine) as session:
        before = pilots.get_pilot(session, world["pilot"]).model_dump(warnings=False)
        pilots.update_pilot(
            session, world["pilot"], {"status": "evaluating"}, expected_version=1, actor=ACTOR
        )
    with session_scope(engine) as session:
        after = pilots.get_pilot(session, world["pilot"]).model_dump(warnings=False)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"status", "version", "updated_at"}


def test_the_intervention_type_is_kept_changed_and_cleared(engine, world):
    with session_scope(engine) as session:
        created = create(intervention_type="dorpsondersteuning")(session, world)
        pilot_id = created.id
    with session_scope(engine) as session:
        assert pilots.get_pilot(session, pilot_id).intervention_type == "dorpsondersteuning"
        pilots.update_pilot(
            session,
            pilot_id,
            {"intervention_type": "informele_zorg"},
            expected_version=1,
            actor=ACTOR,
        )
    with session_scope(engine) as session:
        assert pilots.get_pilot(session, pilot_id).intervention_type == "informele_zorg"
        pilots.update_pilot(
            session, pilot_id, {"intervention_type": ""}, expected_version=2, actor=ACTOR
        )
    with session_scope(engine) as session:
        pilot = pilots.get_pilot(session, pilot_id)
        assert (pilot.intervention_type, pilot.version) == ("", 3)


def test_an_unknown_intervention_type_is_explained_with_the_known_ones(engine, world):
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        create(intervention_type="buurtbarbecue")(session, world)
    [error] = caught.value.errors
    known = ", ".join(INTERVENTION_TYPES)
    assert (
        error.message_nl == f"'buurtbarbecue' is geen bekende soort interventie; kies uit {known}"
    )
    assert (
        error.message_en == f"'buurtbarbecue' is not a known intervention type; choose from {known}"
    )


def test_summaries_count_hypotheses_and_list_pilots_by_title(engine, world):
    with session_scope(engine) as session:
        create(slug="aaa-pilot", title="Armoede aanpakken")(session, world)
        factories.hypothesis(session, world["pilot"], "H1")
        factories.hypothesis(session, world["pilot"], "H2")
    with session_scope(engine) as session:
        summaries = pilots.list_pilot_summaries(session, actor=ACTOR)
    assert [(s.slug, s.hypotheses, s.measurements, s.late_registrations) for s in summaries] == [
        ("aaa-pilot", 0, 0, 0),
        ("netwerk-noord", 2, 0, 0),
    ]


# --------------------------------------------------------------------------- optimistic locking
def load_version(engine, pilot_id: int) -> int:
    """What an editor's screen holds: the version read in its own, finished transaction."""
    with session_scope(engine) as session:
        return pilots.get_pilot(session, pilot_id).version


def save_title(engine, pilot_id: int, title: str, *, expected_version: int) -> None:
    with session_scope(engine) as session:
        pilots.update_pilot(
            session, pilot_id, {"title": title}, expected_version=expected_version, actor=ACTOR
        )


def test_a_stale_save_is_refused(engine, world):
    first, second = load_version(engine, world["pilot"]), load_version(engine, world["pilot"])
    save_title(engine, world["pilot"], "Titel van de eerste", expected_version=first)
    with pytest.raises(ConflictError) as caught:
        save_title(engine, world["pilot"], "Titel van de tweede", expected_version=second)
    assert (caught.value.expected_version, caught.value.current_version) == (1, 2)


def test_a_stale_save_keeps_the_newer_data(engine, world):
    save_title(engine, world["pilot"], "Titel van de eerste", expected_version=1)
    counts = row_counts(engine)
    with pytest.raises(ConflictError):
        save_title(engine, world["pilot"], "Titel van de tweede", expected_version=1)
    with session_scope(engine) as session:
        pilot = pilots.get_pilot(session, world["pilot"])
        assert (pilot.title, pilot.version) == ("Titel van de eerste", 2)
    assert row_counts(engine) == counts  # no audit event for the refused save


def test_a_stale_object_in_the_session_cannot_overwrite_newer_data(engine, world):
    """The database decides: a session holding an old copy still gets a conflict."""
    with Session(engine, expire_on_commit=False) as stale:
        assert pilots.get_pilot(stale, world["pilot"]).version == 1
        stale.commit()  # ends its transaction; the old copy stays in its identity map
        save_title(engine, world["pilot"], "Titel van de eerste", expected_version=1)
        with pytest.raises(ConflictError):
            pilots.update_pilot(
                stale, world["pilot"], {"title": "Oud"}, expected_version=1, actor=ACTOR
            )
        stale.rollback()
    with session_scope(engine) as session:
        assert pilots.get_pilot(session, world["pilot"]).title == "Titel van de eerste"


@pytest.mark.parametrize(
    ("lang", "yours", "saved"),
    [
        ("nl", "u had versie 1", "opgeslagen is versie 2"),
        ("en", "you had version 1", "the saved one is version 2"),
    ],
)
def test_the_conflict_message_names_both_versions(engine, world, lang, yours, saved):
    save_title(engine, world["pilot"], "Titel van de eerste", expected_version=1)
    with pytest.raises(ConflictError) as caught:
        save_title(engine, world["pilot"], "Titel van de tweede", expected_version=1)
    assert yours in caught.value.message(lang)
    assert saved in caught.value.message(lang)


@pytest.mark.parametrize("when", ["before", "after"])
def test_concurrent_saves_of_the_same_version_let_exactly_one_win(engine, world, when):
    """Both writers start from version 1; exactly one save lands, the other is a conflict.

    "after": A holds its row update uncommitted while B tries; on PostgreSQL B's UPDATE waits
    and then re-checks ``version = 1`` against A's committed row (read committed); on SQLite B
    waits for the write lock (busy timeout) instead of failing with "database is locked".
    """

    def save(title: str):
        return lambda s: pilots.update_pilot(
            s, world["pilot"], {"title": title}, expected_version=1, actor=ACTOR
        )

    outcomes = race(
        engine,
        {"A": save("Titel van A"), "B": save("Titel van B")},
        pause_on="UPDATE pilot",
        when=when,
    )
    assert sorted(map(str, outcomes.values())) == ["conflict", "saved"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "saved")
    with session_scope(engine) as session:
        pilot = pilots.get_pilot(session, world["pilot"])
        assert (pilot.title, pilot.version) == (f"Titel van {winner}", 2)


def test_only_the_winning_concurrent_save_is_audited(engine, world):
    counts = row_counts(engine)

    def save(name: str):
        return lambda s: pilots.update_pilot(
            s,
            world["pilot"],
            {"title": f"Titel van {name}"},
            expected_version=1,
            actor=system(name),
        )

    race(
        engine,
        {"A": save("A"), "B": save("B")},
        pause_on="UPDATE pilot",
        when="after",
    )
    assert row_counts(engine) == counts | {"audit_event": counts["audit_event"] + 1}


def test_a_pilot_row_has_one_version_per_save(engine, world):
    for version in (1, 2, 3):
        save_title(engine, world["pilot"], f"Titel {version}", expected_version=version)
    with session_scope(engine) as session:
        assert session.get(Pilot, world["pilot"]).version == 4
