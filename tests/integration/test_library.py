"""The learning library (tracker.services.library) on real SQLite and PostgreSQL: lesson status
from the evidence, search (words, tags, status, paging), all-or-nothing validation with audit,
and the pooled view of stored analyses.

Everything here happens inside one organisation with the system actor; what another
organisation may see is tests/integration/test_sharing.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from statsmodels.stats.meta_analysis import combine_effects

from tests import factories
from tests.db_helpers import row_counts
from tracker.analysis.lesson_status import LESSON_STATUSES, lesson_status
from tracker.analysis.pooling import pool_effects, study_from_result
from tracker.db import session_scope
from tracker.errors import ConflictError, NotFoundError, ValidationError
from tracker.models import (
    AuditEvent,
    Hypothesis,
    HypothesisVerdict,
    Lesson,
    LessonEvidence,
    LessonTag,
    Pilot,
)
from tracker.services import library
from tracker.services.library import EvidenceInput, LessonQuery, PoolGroup
from tracker.services.measurements import store_measurement_frame
from tracker.services.verdicts import refresh_verdicts

ACTOR = factories.ACTOR
STATEMENT = "Netwerkbijeenkomsten werken alleen met een vaste gespreksleider"


def new_pilot(session: Session, slug: str, title: str, kind: str = "netwerkbijeenkomst") -> Pilot:
    # Titles without the words the searches look for: a lesson's search text holds its pilot's
    # title and municipality too.
    return factories.pilot(session, slug, title=title, intervention_type=kind)


def propose(session: Session, pilot_id: int, statement: str = STATEMENT, **data: Any) -> Lesson:
    evidence = data.pop("evidence", ())
    return library.propose_lesson(
        session,
        {"statement": statement, "pilot_id": pilot_id} | data,
        actor=ACTOR,
        evidence=evidence,
    )


def search(engine: Engine, **query: Any) -> library.LessonPage:
    with session_scope(engine, read_only=True) as session:
        return library.search_lessons(session, LessonQuery(**query), actor=ACTOR)


def found(engine: Engine, **query: Any) -> set[int]:
    page = search(engine, **query)
    assert page.total == len(page.rows)  # every test search fits on one page
    return {row.id for row in page.rows}


# ------------------------------------------------------------------------------ lesson status
@pytest.fixture
def three_pilots(engine) -> dict[str, int]:
    """Three pilots of one organisation, each with hypotheses H1 and H2."""
    with session_scope(engine) as session:
        factories.measure(session, "contacten")
        ids: dict[str, int] = {}
        for i, slug in enumerate(("noord", "zuid", "west")):
            pilot = new_pilot(session, f"pilot-{slug}", f"Pilot {slug.title()}")
            ids[f"P{i}"] = pilot.id
            for code in ("H1", "H2"):
                h = factories.hypothesis(session, pilot.id, code, is_primary=code == "H1")
                ids[f"P{i}.{code}"] = h.id
        return ids


# (pilot index, stance, hypothesis code or None) per evidence row; the status and the distinct
# pilots on each side that the rules give for them.
STATUS_CASES = [
    pytest.param([], "emerging", (0, 0), id="no-evidence"),
    pytest.param([(0, "supports", None)], "emerging", (1, 0), id="one-supporting"),
    pytest.param(
        [(0, "supports", "H1"), (0, "supports", "H2")], "emerging", (1, 0), id="two-hyp-one-pilot"
    ),
    pytest.param([(0, "supports", None), (1, "supports", "H1")], "supported", (2, 0), id="two"),
    pytest.param(
        [(0, "supports", "H1"), (1, "supports", None), (2, "supports", "H2")],
        "supported",
        (3, 0),
        id="three-supporting",
    ),
    pytest.param([(0, "contradicts", None)], "rejected", (0, 1), id="one-contradicting"),
    pytest.param(
        [(0, "contradicts", "H1"), (1, "contradicts", None), (1, "contradicts", "H2")],
        "rejected",
        (0, 2),
        id="two-contradicting",
    ),
    pytest.param(
        [(0, "supports", "H1"), (1, "contradicts", "H1")], "contested", (1, 1), id="one-each"
    ),
    pytest.param(
        [(0, "supports", "H1"), (0, "contradicts", "H2")], "contested", (1, 1), id="pilot-on-both"
    ),
    pytest.param(
        [(0, "supports", None), (1, "supports", None), (2, "contradicts", None)],
        "contested",
        (2, 1),
        id="two-against-one",
    ),
]


@pytest.mark.parametrize(("evidence", "status", "pilots"), STATUS_CASES)
def test_the_status_follows_from_the_distinct_pilots_on_each_side(
    engine, three_pilots, evidence, status, pilots
):
    ids = three_pilots
    items = [
        EvidenceInput(ids[f"P{i}"], stance, ids[f"P{i}.{code}"] if code else None, f"{i}{code}")
        for i, stance, code in evidence
    ]
    with session_scope(engine) as session:
        lesson_id = propose(session, ids["P0"], evidence=items).id
    (row,) = search(engine).rows
    with session_scope(engine, read_only=True) as session:
        detail = library.lesson_detail(session, lesson_id, actor=ACTOR)
    assert (row.id, row.status, row.supporting, row.contradicting) == (lesson_id, status, *pilots)
    assert detail.status == status
    # The detail lists every evidence row (two hypotheses of a pilot are two rows) ...
    for side, stance in ((detail.supporting, "supports"), (detail.contradicting, "contradicts")):
        expected = [(ids[f"P{i}"], code, f"{i}{code}") for i, s, code in evidence if s == stance]
        assert [(v.pilot_id, v.hypothesis_code, v.note) for v in side] == expected
        assert {v.stance for v in side} <= {stance}
    # ... and the status is the pure rule on the distinct pilots it shows.
    pro = [v.pilot_id for v in detail.supporting]
    contra = [v.pilot_id for v in detail.contradicting]
    assert (len(set(pro)), len(set(contra))) == pilots
    assert lesson_status(pro, contra) == status == row.status


def test_evidence_added_and_removed_later_moves_the_status_and_is_audited(engine, three_pilots):
    ids = three_pilots
    with session_scope(engine) as session:
        lesson_id = propose(session, ids["P0"], evidence=[EvidenceInput(ids["P0"], "supports")]).id
    steps: list[tuple[str, str]] = []
    with session_scope(engine) as session:
        library.add_evidence(session, lesson_id, EvidenceInput(ids["P1"], "supports"), actor=ACTOR)
    steps.append(("supported", search(engine).rows[0].status))
    with session_scope(engine) as session:
        against = library.add_evidence(
            session, lesson_id, EvidenceInput(ids["P2"], "contradicts", ids["P2.H1"]), actor=ACTOR
        ).id
    steps.append(("contested", search(engine).rows[0].status))
    with session_scope(engine) as session:
        library.remove_evidence(session, against, actor=ACTOR)
    steps.append(("supported", search(engine).rows[0].status))
    assert [want for want, _ in steps] == [got for _, got in steps]
    with session_scope(engine, read_only=True) as session:
        events = session.exec(
            select(AuditEvent.action, AuditEvent.entity_id, AuditEvent.pilot_id, AuditEvent.actor)
            .where(AuditEvent.entity == "lesson_evidence")
            .order_by(col(AuditEvent.id))
        ).all()
        assert session.get(LessonEvidence, against) is None
    assert [e[0] for e in events] == ["create", "create", "create", "delete"]
    # Every evidence event is kept under the lesson's own pilot (P0), whichever pilot it cites:
    # a cited pilot may belong to another organisation, whose history must not show it.
    assert events[-1][1:] == (against, ids["P0"], ACTOR.name)
    assert {e[2] for e in events} == {ids["P0"]}


def test_the_status_filter_keeps_the_lessons_with_that_status(engine, three_pilots):
    ids = three_pilots
    sides = {
        "emerging": [(0, "supports")],
        "supported": [(0, "supports"), (1, "supports")],
        "contested": [(0, "supports"), (2, "contradicts")],
        "rejected": [(1, "contradicts")],
    }
    made: dict[str, set[int]] = {status: set() for status in LESSON_STATUSES}
    with session_scope(engine) as session:
        for copy in range(2):
            for status, evidence in sides.items():
                lesson = propose(
                    session,
                    ids["P0"],
                    f"Les {copy} die {status} moet zijn",
                    evidence=[EvidenceInput(ids[f"P{i}"], stance) for i, stance in evidence],
                )
                made[status].add(lesson.id)
    assert set(LESSON_STATUSES) == set(sides)
    for status in LESSON_STATUSES:
        assert found(engine, status=status) == made[status]
        page = search(engine, status=status, limit=1)
        assert (len(page.rows), page.total, page.rows[0].status) == (1, 2, status)
    assert found(engine) == set().union(*made.values())
    assert search(engine, status="onbekend").total == 0


# ------------------------------------------------------------------------------------ search
@pytest.fixture
def shelf(engine) -> dict[str, int]:
    """Four lessons, each from its own pilot, with words and tags the searches look for."""
    lessons = {
        "net": (
            "Netwerkbijeenkomsten werken alleen met een vaste gespreksleider",
            "Families kwamen terug wanneer dezelfde persoon het gesprek leidde.",
            {
                "domain": ["WMO"],
                "target_group": ["ouders"],
                "condition": ["vertrouwen"],
                "intervention_type": ["dorpsondersteuning"],
            },
        ),
        "mentor": (
            "Informele mentoren houden jongeren langer vast dan professionals",
            "De schooluitval daalde pas na een jaar.",
            {
                "domain": ["jeugd"],
                "target_group": ["jeugd"],
                "intervention_type": ["informele_mentor"],
            },
        ),
        "debt": (
            "Een vroeg huisbezoek bij betalingsachterstanden voorkomt schulden",
            "Huishoudens durven pas na het derde bezoek hulp te vragen.",
            {
                "domain": ["schulden"],
                "target_group": ["huishoudens_met_schulden"],
                "intervention_type": ["vroegsignalering_schulden"],
                "obstacle": ["hulp_vragen"],
            },
        ),
        "meet": (
            "Een vast tijdstip in de week houdt de opkomst hoog",
            "",
            {
                "domain": ["wmo"],
                "target_group": ["ouders"],
                "intervention_type": ["netwerkbijeenkomst"],
            },
        ),
    }
    out: dict[str, int] = {}
    with session_scope(engine) as session:
        for i, (key, (statement, explanation, tags)) in enumerate(lessons.items()):
            pilot = new_pilot(session, f"pilot-{i}", f"Pilot {i}", kind="overig")
            lesson = propose(session, pilot.id, statement, explanation=explanation, tags=tags)
            out[key] = lesson.id
    return out


WORD_CASES = [
    # (query, lessons both databases must find) — inflections each way, explanation, labels.
    pytest.param("gespreksleiders", {"net"}, id="plural-query-singular-text"),
    pytest.param("netwerkbijeenkomst", {"net", "meet"}, id="singular-query-plural-text+tag"),
    pytest.param("Families", {"net"}, id="explanation-word"),
    pytest.param("vragen", {"debt"}, id="exact-word-vragen"),
    pytest.param("vraag", {"debt"}, id="vraag-finds-vragen"),
    pytest.param("mentoren", {"mentor"}, id="exact-word-mentoren"),
    pytest.param("mentor", {"mentor"}, id="mentor-finds-mentoren"),
    pytest.param("Network meetings", {"meet"}, id="english-tag-label"),
    pytest.param("Informal mentors", {"mentor"}, id="english-label-informal-mentors"),
    pytest.param("terughoudendheid", {"debt"}, id="obstacle-label"),
    pytest.param("vertrouwen gespreksleider", {"net"}, id="two-words-both-needed"),
    pytest.param("vertrouwen schulden", set(), id="two-words-in-different-lessons"),
    pytest.param("zwembad", set(), id="no-match"),
]


@pytest.mark.parametrize(("query", "expected"), WORD_CASES)
def test_words_find_lessons_by_their_stem_on_both_databases(engine, shelf, query, expected):
    page = search(engine, text=query)
    assert {row.id for row in page.rows} == {shelf[key] for key in expected}
    assert page.total == len(expected)


def test_the_dialects_own_stemming(engine, shelf):
    """Where the databases differ, each does what it says: PostgreSQL matches whole words by
    their Dutch stem (to_tsvector('dutch')); SQLite looks for the stem anywhere in the text, so
    a part of a compound word finds it too."""
    assert found(engine, text="gespreksleider") == {shelf["net"]}
    if engine.dialect.name == "postgresql":
        assert found(engine, text="leider") == set()  # not a word of its own
        assert found(engine, text="families") == {shelf["net"]}
        assert found(engine, text="familie") == set()  # PostgreSQL's stems differ here
        # PostgreSQL's parser reads '_' as a space between words.
        assert found(engine, text="_ouders") == {shelf["net"], shelf["meet"]}
    else:
        assert found(engine, text="leider") == {shelf["net"]}
        assert found(engine, text="familie") == {shelf["net"]}
        # An unescaped '_' would let "_ouders" match " ouders"; escaped it is a character.
        assert found(engine, text="_ouders") == set()


@pytest.mark.parametrize("query", ["%", "_", "%%", "gespreks_eider", "schul_en"])
def test_like_wildcards_in_the_query_are_characters_not_wildcards(engine, shelf, query):
    """'_' and '%' would match any character on SQLite if they reached LIKE unescaped."""
    assert found(engine, text=query) == set()


def test_the_sqlite_patterns_escape_like_wildcards():
    patterns = library.sqlite_patterns("net_werk 100% a\\b")
    assert patterns[0] == "%net\\_werk%"
    assert all(p.count("%") == 2 for p in patterns)  # only the pattern's own two


TAG_CASES = [
    pytest.param({"intervention_type": ("netwerkbijeenkomst",)}, {"meet"}, id="one-value"),
    pytest.param({"target_group": ("jeugd", "ouders")}, {"mentor", "net", "meet"}, id="or-in-kind"),
    pytest.param(
        {"target_group": ("jeugd", "ouders"), "domain": ("wmo",)}, {"net", "meet"}, id="and-kinds"
    ),
    pytest.param(
        {"target_group": ("ouders",), "condition": ("vertrouwen",), "domain": ("wmo", "jeugd")},
        {"net"},
        id="three-kinds",
    ),
    pytest.param({"obstacle": ("hulp_vragen",)}, {"debt"}, id="obstacle"),
    pytest.param({"domain": ("wmo",), "target_group": ("jeugd",)}, set(), id="and-no-match"),
    pytest.param({"target_group": ()}, {"net", "mentor", "debt", "meet"}, id="empty-kind"),
]


@pytest.mark.parametrize(("tags", "expected"), TAG_CASES)
def test_tags_filter_or_within_a_kind_and_across_kinds(engine, shelf, tags, expected):
    assert found(engine, tags=tags) == {shelf[key] for key in expected}


def test_words_and_tags_together(engine, shelf):
    assert found(engine, text="netwerkbijeenkomst") == {shelf["net"], shelf["meet"]}
    both = found(engine, text="netwerkbijeenkomst", tags={"target_group": ("ouders",)})
    assert both == {shelf["net"], shelf["meet"]}
    assert found(
        engine, text="netwerkbijeenkomst", tags={"intervention_type": ("netwerkbijeenkomst",)}
    ) == {shelf["meet"]}
    assert found(engine, text="gespreksleider", tags={"domain": ("jeugd",)}) == set()


def test_rows_carry_tags_and_their_source(engine, shelf):
    (row,) = search(engine, text="huisbezoek").rows
    assert row.id == shelf["debt"] and row.own
    assert (row.pilot_title, row.municipality, row.organisation) == (
        "Pilot 2",
        "Amsterdam",
        "Amsterdam",
    )
    assert row.tags == {
        "domain": ("schulden",),
        "target_group": ("huishoudens_met_schulden",),
        "intervention_type": ("vroegsignalering_schulden",),
        "obstacle": ("hulp_vragen",),
    }
    # Domains are free words, kept in lower case so that "WMO" and "wmo" are one filter value.
    with session_scope(engine, read_only=True) as session:
        options = library.tag_options(session, actor=ACTOR)
    assert options["domain"] == ["jeugd", "schulden", "wmo"]
    assert options["target_group"] == ["huishoudens_met_schulden", "jeugd", "ouders"]


def test_paging_gives_every_match_once_newest_first(engine, three_pilots):
    with session_scope(engine) as session:
        made = [
            propose(session, three_pilots["P0"], f"Les nummer {i} over gespreksleiders").id
            for i in range(7)
        ]
        propose(session, three_pilots["P1"], "Een les over iets heel anders")
    pages = [search(engine, text="gespreksleider", limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [len(p.rows) for p in pages] == [3, 3, 1, 0]
    assert {p.total for p in pages} == {7}
    assert [(p.offset, p.limit) for p in pages] == [(0, 3), (3, 3), (6, 3), (9, 3)]
    listed = [row.id for page in pages for row in page.rows]
    assert listed == sorted(made, reverse=True)  # made in one go: the newest has the highest id


# ----------------------------------------------------------------------- validation and audit
def _counts(session: Session) -> dict[str, int]:
    # The query flushes first, so a row added before a refusal would be counted here.
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Lesson, LessonTag, LessonEvidence, AuditEvent)
    }


Bad = Callable[[dict[str, int]], tuple[dict[str, Any], list[EvidenceInput]]]
GOOD_TAGS = {"intervention_type": ["netwerkbijeenkomst"], "measure": ["contacten"]}
BAD_INPUTS: list[Any] = [
    pytest.param(
        lambda ids: ({"tags": GOOD_TAGS | {"kleur": ["blauw"]}}, []),
        ("tags", "tag_kind", "kleur"),
        id="unknown-tag-kind",
    ),
    pytest.param(
        lambda ids: ({"tags": {"intervention_type": ["netwerkbijeenkomst", "yoga"]}}, []),
        ("tags.intervention_type", "tag_value", "yoga"),
        id="value-outside-vocabulary",
    ),
    pytest.param(
        lambda ids: ({"tags": {"target_group": ["katten"]}}, []),
        ("tags.target_group", "tag_value", "katten"),
        id="unknown-target-group",
    ),
    pytest.param(
        lambda ids: ({"tags": {"measure": ["contacten", "geluk"]}}, []),
        ("tags.measure", "tag_value", "geluk"),
        id="unknown-measure-code",
    ),
    pytest.param(
        lambda ids: (
            {"tags": GOOD_TAGS},
            [EvidenceInput(ids["P0"], "supports"), EvidenceInput(ids["P1"], "misschien")],
        ),
        ("stance", "evidence_stance", "misschien"),
        id="bad-stance-after-a-good-one",
    ),
    pytest.param(
        lambda ids: ({}, [EvidenceInput(ids["P0"], "supports", ids["P1.H1"])]),
        ("hypothesis", "evidence_hypothesis", None),
        id="hypothesis-of-another-pilot",
    ),
    pytest.param(
        lambda ids: ({"statement": "Te kort"}, []),
        ("statement", "string_too_short", None),
        id="statement-too-short",
    ),
]


@pytest.mark.parametrize(("bad", "error"), BAD_INPUTS)
def test_a_bad_lesson_is_refused_whole(engine, three_pilots, bad: Bad, error):
    data, evidence = bad(three_pilots)
    before = row_counts(engine)
    with Session(engine) as session:
        try:
            counts = _counts(session)
            with pytest.raises(ValidationError) as refused:
                propose(session, three_pilots["P0"], evidence=evidence, **data)
            assert _counts(session) == counts  # nothing added, not even a pending row
        finally:
            session.rollback()
    field, code, value = error
    (problem,) = refused.value.errors
    assert (problem.field, problem.code) == (field, code)
    if value is not None:
        assert problem.value == value and value in problem.message("en")
    assert problem.message("nl") != problem.message("en")
    assert row_counts(engine) == before


def test_evidence_from_an_unknown_pilot_is_not_found(engine, three_pilots):
    with session_scope(engine) as session:
        lesson_id = propose(session, three_pilots["P0"]).id
    before = row_counts(engine)
    with pytest.raises(NotFoundError), session_scope(engine) as session:
        library.add_evidence(session, lesson_id, EvidenceInput(999_999, "supports"), actor=ACTOR)
    with pytest.raises(ValidationError), session_scope(engine) as session:
        library.add_evidence(
            session, lesson_id, EvidenceInput(three_pilots["P1"], "ja"), actor=ACTOR
        )
    assert row_counts(engine) == before


def test_update_replaces_tags_when_given_and_refuses_a_stale_version(engine, three_pilots):
    tags = {"intervention_type": ["netwerkbijeenkomst"], "target_group": ["ouders", "jeugd"]}
    with session_scope(engine) as session:
        lesson_id = propose(session, three_pilots["P0"], explanation="Eerste uitleg", tags=tags).id
    with session_scope(engine) as session:
        lesson = library.update_lesson(
            session,
            lesson_id,
            {
                "statement": "Mantelzorgers blijven langer met een vaste contactpersoon",
                "tags": {"target_group": ["mantelzorgers"], "condition": ["aanhaken"]},
            },
            expected_version=1,
            actor=ACTOR,
        )
        assert lesson.version == 2
    # The tags were replaced, the explanation kept, and the search reads the new words.
    with session_scope(engine, read_only=True) as session:
        detail = library.lesson_detail(session, lesson_id, actor=ACTOR)
    assert detail.tags == {"target_group": ("mantelzorgers",), "condition": ("aanhaken",)}
    assert (detail.explanation, detail.version) == ("Eerste uitleg", 2)
    assert found(engine, text="mantelzorgers") == {lesson_id}
    assert found(engine, text="Informal carers") == {lesson_id}  # the new tag's English label
    assert found(engine, text="gespreksleider") == set()
    assert found(engine, tags={"intervention_type": ("netwerkbijeenkomst",)}) == set()

    # A save based on version 1 is refused and changes nothing.
    before = row_counts(engine)
    with pytest.raises(ConflictError) as conflict, session_scope(engine) as session:
        library.update_lesson(
            session,
            lesson_id,
            {"statement": "Een verouderde versie"},
            expected_version=1,
            actor=ACTOR,
        )
    assert (conflict.value.expected_version, conflict.value.current_version) == (1, 2)
    assert row_counts(engine) == before

    # Without tags, the tags stay; an invalid tag is refused whole.
    with session_scope(engine) as session:
        library.update_lesson(
            session, lesson_id, {"explanation": "Tweede uitleg"}, expected_version=2, actor=ACTOR
        )
    with pytest.raises(ValidationError), session_scope(engine) as session:
        library.update_lesson(
            session,
            lesson_id,
            {"tags": {"condition": ["geluk"]}},
            expected_version=3,
            actor=ACTOR,
        )
    with session_scope(engine, read_only=True) as session:
        detail = library.lesson_detail(session, lesson_id, actor=ACTOR)
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "lesson", AuditEvent.entity_id == lesson_id)
            .order_by(col(AuditEvent.id))
        ).all()
    assert detail.tags == {"target_group": ("mantelzorgers",), "condition": ("aanhaken",)}
    assert (detail.explanation, detail.version) == ("Tweede uitleg", 3)
    assert [e.action for e in events] == ["create", "update", "update"]
    assert {e.actor for e in events} == {ACTOR.name}
    assert {e.pilot_id for e in events} == {three_pilots["P0"]}
    created, first, second = events
    assert created.after["statement"] == STATEMENT
    assert created.after["tags"] == tags
    assert first.before["tags"] == tags
    assert first.after["tags"] == {"target_group": ["mantelzorgers"], "condition": ["aanhaken"]}
    assert first.after["version"] == 2 and first.before["version"] == 1
    assert second.before["explanation"] == "Eerste uitleg"
    assert second.after["explanation"] == "Tweede uitleg"
    assert second.after["tags"] == first.after["tags"]
    assert all("search_text" not in (e.after or {}) | (e.before or {}) for e in events)


# ------------------------------------------------------------------------------ pooled view
WIGGLE = (0.0, 2.0, -1.0, 3.0, -2.0, 1.0, -3.0, 1.5)


def monthly(
    measure: str, before: float, after: float, spread: float, months: int = 8
) -> pd.DataFrame:
    """Monthly values around ``before`` and ``after`` (the pilots start on 2021-01-01)."""
    start = pd.Timestamp(2021, 1, 1) - pd.DateOffset(months=months)
    periods = pd.date_range(start, periods=2 * months, freq="MS")
    values = [
        (before if i < months else after) + spread * WIGGLE[i % len(WIGGLE)]
        for i in range(2 * months)
    ]
    return pd.DataFrame({"measure": measure, "period": periods, "value": values})


@pytest.fixture
def pool_world(engine) -> dict[str, Any]:
    """Pilots with analysed "contacten" hypotheses: three of type netwerkbijeenkomst (one of
    them with a non-primary H1 on another design), one of that type on another measure only,
    two informal-mentor pilots and one without a type."""
    prepost = {"H1": {"design": "prepost"}}
    spec: list[tuple[str, str, str, dict[str, dict[str, Any]], tuple[float, float, float]]] = [
        ("n1", "netwerkbijeenkomst", "contacten", prepost, (100, 80, 1.0)),
        (
            "n2",
            "netwerkbijeenkomst",
            "contacten",
            {"H1": {"design": "its", "is_primary": False}, "H2": {"design": "prepost"}},
            (100, 92, 2.0),
        ),
        ("n3", "netwerkbijeenkomst", "contacten", prepost, (100, 85, 1.5)),
        (
            "n4",
            "netwerkbijeenkomst",
            "wachttijd",
            {"H1": {"measure_code": "wachttijd"}},
            (50, 45, 1.0),
        ),
        ("m1", "informele_mentor", "contacten", prepost, (100, 90, 1.0)),
        ("m2", "informele_mentor", "contacten", prepost, (100, 95, 1.0)),
        ("x1", "", "contacten", prepost, (100, 70, 1.0)),
    ]
    ids: dict[str, Any] = {}
    with session_scope(engine) as session:
        factories.measure(session, "contacten")
        factories.measure(session, "wachttijd", name="Wachttijd in dagen", unit="dagen")
        for slug, kind, measure, hypotheses, (before, after, spread) in spec:
            pilot = new_pilot(session, f"pilot-{slug}", f"Pilot {slug.upper()}", kind=kind)
            ids[slug] = pilot.id
            for code, overrides in hypotheses.items():
                h = factories.hypothesis(session, pilot.id, code, **overrides)
                ids[f"{slug}.{code}"] = h.id
            frame = monthly(measure, before, after, spread)
            store_measurement_frame(session, pilot.id, frame, source="test", actor=ACTOR)
            refresh_verdicts(session, pilot.id)
    return ids


def _stored(session: Session, hypothesis_id: int) -> dict[str, Any]:
    return (
        session.exec(
            select(HypothesisVerdict).where(HypothesisVerdict.hypothesis_id == hypothesis_id)
        )
        .one()
        .result_json
    )


def test_the_pooled_view_is_pool_effects_on_the_stored_analyses(engine, pool_world):
    ids = pool_world
    chosen = [("n1", "H1"), ("n2", "H2"), ("n3", "H1")]  # n2: its primary H2, not H1
    with session_scope(engine, read_only=True) as session:
        view = library.pooled_evidence(session, "contacten", "netwerkbijeenkomst", actor=ACTOR)
        results = [_stored(session, ids[f"{slug}.{code}"]) for slug, code in chosen]
        not_chosen = _stored(session, ids["n2.H1"])
        titles = {p.id: p.title for p in session.exec(select(Pilot))}
    assert [(p.pilot_id, p.hypothesis_code) for p in view.pilots] == [
        (ids[slug], code) for slug, code in chosen
    ]
    assert {(p.own, p.source) for p in view.pilots} == {(True, "analysis")}
    assert (view.measure_code, view.kind, view.scale) == ("contacten", "continuous", "difference")
    # The other hypothesis of n2 really is another analysis (else "primary first" proves nothing).
    assert not_chosen["design"] == "its" and not_chosen["estimate"] != results[1]["estimate"]
    assert all(r["design"] == "prepost" and r["se"] is not None for r in results)

    studies = [
        study_from_result(f"{titles[ids[slug]]} (Amsterdam)", result)
        for (slug, _), result in zip(chosen, results, strict=True)
    ]
    assert view.result == pool_effects(studies)
    assert view.result.status == "pooled" and view.result.k == 3
    assert [s.estimate for s in view.result.studies] == [r["estimate"] for r in results]

    # The same numbers from statsmodels' DerSimonian–Laird on the stored estimates and SEs.
    fit = combine_effects(
        np.array([r["estimate"] for r in results]),
        np.array([r["se"] for r in results]) ** 2,
        method_re="dl",
    )
    assert fit.tau2 > 0  # the pilots differ, so the random-effects part is really tested
    reference = fit.summary_frame().loc["random effect"]
    assert view.result.estimate == pytest.approx(reference["eff"], rel=1e-9)
    assert view.result.se == pytest.approx(reference["sd_eff"], rel=1e-9)
    assert (view.result.ci_low, view.result.ci_high) == pytest.approx(
        (reference["ci_low"], reference["ci_upp"]), rel=1e-9
    )
    assert view.result.tau2 == pytest.approx(fit.tau2, rel=1e-9)


def test_too_few_pilots_say_how_many_more_and_other_groups_stay_apart(engine, pool_world):
    ids = pool_world
    with session_scope(engine, read_only=True) as session:
        mentors = library.pooled_evidence(session, "contacten", "informele_mentor", actor=ACTOR)
        waiting = library.pooled_evidence(session, "wachttijd", "netwerkbijeenkomst", actor=ACTOR)
        groups = library.pool_groups(session, actor=ACTOR)
        only = library.pool_groups(session, actor=ACTOR, measures=["wachttijd"])
        with pytest.raises(NotFoundError):
            library.pooled_evidence(session, "geluk", "netwerkbijeenkomst", actor=ACTOR)
    assert (mentors.result.status, mentors.result.k, mentors.result.needed) == ("too_few", 2, 1)
    assert mentors.result.estimate is None
    assert [p.pilot_id for p in mentors.pilots] == [ids["m1"], ids["m2"]]
    assert (waiting.result.status, waiting.result.needed) == ("too_few", 2)
    assert [p.pilot_id for p in waiting.pilots] == [ids["n4"]]
    name = "Eén-op-één-contacten per maand"
    assert groups == [
        PoolGroup("contacten", name, "netwerkbijeenkomst", 3),
        PoolGroup("contacten", name, "informele_mentor", 2),
        PoolGroup("wachttijd", "Wachttijd in dagen", "netwerkbijeenkomst", 1),
    ]  # the pilot without an intervention type is in no group
    assert only == [groups[-1]]


def test_a_lesson_shows_its_evidence_results_and_its_pools(engine, pool_world):
    ids = pool_world
    with session_scope(engine) as session:
        lesson_id = propose(
            session,
            ids["n1"],
            tags={"measure": ["contacten"], "intervention_type": ["netwerkbijeenkomst"]},
            evidence=[
                EvidenceInput(ids["n1"], "supports", ids["n1.H1"], "daling van 20"),
                EvidenceInput(ids["m2"], "contradicts", ids["m2.H1"]),
                EvidenceInput(ids["n3"], "supports"),
            ],
        ).id
    with session_scope(engine, read_only=True) as session:
        detail = library.lesson_detail(session, lesson_id, actor=ACTOR)
        stored = {
            h: session.exec(
                select(HypothesisVerdict).where(HypothesisVerdict.hypothesis_id == ids[h])
            ).one()
            for h in ("n1.H1", "m2.H1")
        }
    first, without_hypothesis = detail.supporting
    (against,) = detail.contradicting
    assert detail.status == "contested"
    for view, key in ((first, "n1.H1"), (against, "m2.H1")):
        row = stored[key]
        assert (view.hypothesis_code, view.measure_code, view.own) == ("H1", "contacten", True)
        assert (view.verdict, view.estimate, view.ci_low, view.ci_high) == (
            row.verdict,
            row.estimate,
            row.ci_low,
            row.ci_high,
        )
    assert first.note == "daling van 20" and first.pilot_slug == "pilot-n1"
    assert (without_hypothesis.hypothesis_code, without_hypothesis.estimate) == (None, None)
    assert detail.pools == (
        PoolGroup("contacten", "Eén-op-één-contacten per maand", "netwerkbijeenkomst", 3),
    )


def test_suggestions_turn_the_pilots_verdicts_into_tags_and_evidence(engine, pool_world):
    ids = pool_world
    with session_scope(engine, read_only=True) as session:
        tags, evidence = library.lesson_suggestions(session, ids["n2"], actor=ACTOR)
        verdicts = {
            h.code: v.verdict
            for h, v in session.exec(
                select(Hypothesis, HypothesisVerdict)
                .join(HypothesisVerdict, col(HypothesisVerdict.hypothesis_id) == Hypothesis.id)
                .where(Hypothesis.pilot_id == ids["n2"])
            )
        }
    assert tags == {
        "domain": ["wmo", "jeugd"],
        "measure": ["contacten"],
        "intervention_type": ["netwerkbijeenkomst"],
    }
    side = {
        "supported": "supports",
        "partly_supported": "supports",
        "contrary": "contradicts",
        "no_meaningful_effect": "contradicts",
    }
    expected = [
        EvidenceInput(ids["n2"], side[verdicts[code]], ids[f"n2.{code}"])
        for code in ("H1", "H2")
        if verdicts[code] in side
    ]
    assert expected and evidence == expected


def test_the_status_filter_sends_the_matches_as_a_subquery_not_one_bind_per_lesson(
    engine, three_pilots
):
    """Thousands of matching lessons must not become thousands of bind parameters (PostgreSQL
    takes at most 65,535, SQLite 32,766): the evidence of the matches is read with the search
    itself as a subquery. Here 30 lessons: no statement binds anywhere near 30 values."""
    from sqlalchemy import event

    ids = three_pilots
    with session_scope(engine) as session:
        for n in range(30):
            propose(
                session,
                ids["P0"],
                statement=f"Les nummer {n} over netwerkbijeenkomsten en buren",
                evidence=[EvidenceInput(ids["P0"], "supports")],
            )
    sizes: list[int] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sizes.append(len(parameters) if hasattr(parameters, "__len__") else 0)

    event.listen(engine, "before_cursor_execute", count)
    try:
        page = search(engine, status="emerging", limit=5)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert page.total == 30 and len(page.rows) == 5
    assert max(sizes) < 30, sizes
