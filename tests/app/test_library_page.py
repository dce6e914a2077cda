"""The library page and the library sections of a pilot's Lessen tab, run by AppTest against a
real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).

The data is built through the services: three pilots of the test organisation (Amsterdam) with
the same measure and intervention type, so that they pool; one of them (Noord, owned by the
test officer) has a published report and is shared, the others are not. Three lessons: one from
Noord with evidence on both sides, one from Oost (unshared), one from West.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from tests import factories
from tests.app_helpers import (
    APP,
    OTHER_ORGANISATION,
    TEST_ORGANISATION,
    TIMEOUT,
    account_email,
    open_page,
    sign_in,
)
from tracker.analysis.numbers import format_percent
from tracker.analysis.pooling import Study, pool_effects
from tracker.db import session_scope
from tracker.models import Lesson, LessonEvidence, LessonTag, Pilot
from tracker.services import hypotheses, library, sharing
from tracker.services.journal import add_observation
from tracker.services.library import EvidenceInput
from tracker.services.measurements import store_measurement_frame
from tracker.services.reports import publish_report
from tracker.services.verdicts import refresh_verdicts
from tracker.ui import library_view

LIBRARY = "pages/library.py"
PILOT_PAGE = "pages/pilot.py"
ACTOR = factories.ACTOR
OTHER = OTHER_ORGANISATION[1]  # Utrecht: another organisation
JOURNAL_SECRET = "Vertrouwelijk: wethouder twijfelt"

L1 = "Netwerkbijeenkomsten verminderen herhaalde contacten alleen met een vaste gespreksleider"
L2 = "Informele mentoren houden jongeren langer vast dan een wijkteam alleen"
L3 = "Een vaste contactpersoon bij vroegsignalering van schulden voorkomt uitval"


def monthly(jump: float, seed: int) -> pd.DataFrame:
    """36 months of 'contacten' around 50, ``jump`` lower from the start of 2021."""
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2020-01-01", periods=36, freq="MS")
    values = [
        50 + (jump if p >= pd.Timestamp(2021, 1, 1) else 0) + rng.normal(0, 1.5) for p in periods
    ]
    return pd.DataFrame({"measure": "contacten", "period": periods, "value": values})


@pytest.fixture
def world(engine, app_db) -> dict[str, Any]:
    with session_scope(engine) as session:
        factories.measure(session)
        ids: dict[str, Any] = {}
        for name, jump, seed in (("noord", -8.0, 3), ("oost", -6.0, 4), ("west", -1.0, 5)):
            pilot = factories.pilot(
                session,
                slug=f"netwerk-{name}",
                title=f"Netwerkbijeenkomsten {name.title()}",
                intervention_type="netwerkbijeenkomst",
                # The test officer owns Noord: they may share it and propose lessons from it.
                **({"owner_email": account_email("officer")} if name == "noord" else {}),
            )
            hypothesis = factories.hypothesis(session, pilot.id, "H1")
            hypotheses.register_hypotheses(session, pilot.id, actor=ACTOR, registered_late=True)
            store_measurement_frame(
                session, pilot.id, monthly(jump, seed), source="test", actor=ACTOR
            )
            refresh_verdicts(session, pilot.id)
            ids[name] = pilot.id
            ids[f"{name}.H1"] = hypothesis.id
        add_observation(
            session,
            ids["noord"],
            {"date": "2021-03-01", "kind": "cause", "text": JOURNAL_SECRET},
            actor=ACTOR,
        )
        publish_report(session, ids["noord"], actor=ACTOR, today=dt.date(2023, 1, 31))
        noord = session.get(Pilot, ids["noord"])
        sharing.share_pilot(
            session, ids["noord"], shared=True, expected_version=noord.version, actor=ACTOR
        )
        lessons = [
            (
                "noord",
                L1,
                {
                    "domain": ["wmo"],
                    "intervention_type": ["netwerkbijeenkomst"],
                    "measure": ["contacten"],
                },
                [("noord", "supports"), ("oost", "supports"), ("west", "contradicts")],
            ),
            (
                "oost",
                L2,
                {"target_group": ["jeugd"], "intervention_type": ["informele_mentor"]},
                [("oost", "supports")],
            ),
            (
                "west",
                L3,
                {"intervention_type": ["vroegsignalering_schulden"]},
                [("west", "contradicts")],
            ),
        ]
        for key, (source, statement, tags, evidence) in zip(
            ("L1", "L2", "L3"), lessons, strict=True
        ):
            lesson = library.propose_lesson(
                session,
                {"statement": statement, "pilot_id": ids[source], "tags": tags},
                actor=ACTOR,
                evidence=[
                    EvidenceInput(ids[p], stance, ids[f"{p}.H1"], note=f"notitie {p}")
                    for p, stance in evidence
                ],
            )
            ids[key] = lesson.id
    return ids


def open_as(
    page: str, *, role: str = "admin", organisation: str = TEST_ORGANISATION[1], **query: str
) -> AppTest:
    """The app signed in with ``role`` of ``organisation``, on ``page``, no exceptions."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    sign_in(at, account_email(role, organisation))
    at.query_params.update(query)
    at.run()
    at.switch_page(page)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def statements(at: AppTest) -> list[str]:
    """The lessons listed, by their heading."""
    return [m.value[4:] for m in at.markdown if m.value.startswith("### ")]


def texts(at: AppTest) -> str:
    return "\n".join(
        [m.value for m in at.markdown]
        + [c.value for c in at.caption]
        + [i.value for i in at.info]
        + [e.value for e in at.error]
    )


def page_links(at: AppTest) -> list[tuple[str, str]]:
    return [(link.proto.label, link.proto.query_string) for link in at.get("page_link")]


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_each_lesson_with_status_counts_and_source(world):
    at = open_page(LIBRARY)
    assert [t.value for t in at.title] == ["Bibliotheek"]
    assert sorted(statements(at)) == sorted([L1, L2, L3])
    text = texts(at)
    assert "Status: **omstreden** · ondersteund door 2 pilot(s) · weersproken door 1" in text
    assert "Status: **verworpen** · ondersteund door 0 pilot(s) · weersproken door 1" in text
    assert "Uit de pilot Netwerkbijeenkomsten Noord (Amsterdam)" in text
    assert "gedeeld door" not in text  # all three are the reader's own
    assert "Lessen 1 tot en met 3 van 3" in text
    assert ("Les openen", f"lesson={world['L1']}&lang=nl") in page_links(at)


def test_search_narrows_the_list(world):
    at = open_page(LIBRARY)
    at.text_input(key="q").input("gespreksleider")
    run(at)
    assert statements(at) == [L1]
    at.text_input(key="q").input("mentoren jongeren")
    run(at)
    assert statements(at) == [L2]
    at.text_input(key="q").input("zwembad")
    run(at)
    assert statements(at) == []
    assert "Geen lessen voldoen" in texts(at)


def test_a_search_in_the_address_opens_the_list_searched(world):
    at = open_page(LIBRARY, q="schulden")
    assert at.text_input(key="q").value == "schulden"
    assert statements(at) == [L3]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("tag_target_group", ["jeugd"], [L2]),
        ("tag_intervention_type", ["netwerkbijeenkomst", "vroegsignalering_schulden"], [L1, L3]),
        ("tag_measure", ["contacten"], [L1]),
        ("tag_domain", ["wmo"], [L1]),
    ],
)
def test_a_tag_filter_narrows_the_list(world, key, value, expected):
    at = open_page(LIBRARY)
    at.multiselect(key=key).set_value(value)
    run(at)
    assert sorted(statements(at)) == sorted(expected)


def test_tag_options_are_labelled_in_words(world):
    at = open_page(LIBRARY)
    box = at.multiselect(key="tag_intervention_type")
    assert box.options == [
        "Informele mentoren",
        "Netwerkbijeenkomsten",
        "Vroegsignalering van schulden",
    ]
    assert at.multiselect(key="tag_measure").options == [
        "Eén-op-één-contacten per maand (contacten)"
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("contested", [L1]), ("rejected", [L3]), ("emerging", [L2]), ("supported", [])],
)
def test_the_status_filter_narrows_the_list(world, status, expected):
    at = open_page(LIBRARY)
    radio = at.radio(key="lesstatus")
    assert radio.options == ["alle", "opkomend", "ondersteund", "omstreden", "verworpen"]
    radio.set_value(status)
    run(at)
    assert statements(at) == expected


def test_the_status_rules_are_explained_in_words(world):
    at = open_page(LIBRARY)
    captions = list(at.radio(key="lesstatus").proto.captions)
    assert "Twee of meer pilots ondersteunen de les en geen enkele weerspreekt haar." in captions
    assert len(captions) == 5


def test_a_status_in_the_address_opens_the_list_filtered(world):
    at = open_page(LIBRARY, lesstatus="verworpen")
    assert at.radio(key="lesstatus").value == "rejected"
    assert statements(at) == [L3]


def test_the_list_pages_by_25_with_the_total(world, engine):
    with session_scope(engine) as session:
        for i in range(24):
            library.propose_lesson(
                session,
                {
                    "statement": f"Extra les nummer {i:02d} over buurtkamers",
                    "pilot_id": world["west"],
                },
                actor=ACTOR,
            )
    at = open_page(LIBRARY)
    assert len(statements(at)) == 25
    assert "Lessen 1 tot en met 25 van 27" in texts(at)
    pager = at.get("pagination")[0]
    assert pager.proto.num_pages == 2
    pager.set_value(2)
    run(at)
    assert len(statements(at)) == 2
    assert "Lessen 26 tot en met 27 van 27" in texts(at)
    # A new search starts on its first page again.
    at.text_input(key="q").input("buurtkamers")
    run(at)
    assert len(statements(at)) == 24
    assert "Lessen 1 tot en met 24 van 24" in texts(at)
    # The page is in the address: a link opens the same page.
    at = open_page(LIBRARY, pagina="2")
    assert at.get("pagination")[0].value == 2
    assert "Lessen 26 tot en met 27 van 27" in texts(at)


# --- one lesson ------------------------------------------------------------------------------


def test_a_lesson_shows_both_sides_and_the_pooled_effect_of_three_pilots(world):
    at = open_page(LIBRARY, lesson=str(world["L1"]))
    assert [t.value for t in at.title] == [L1]
    assert "**Status: omstreden.** Minstens één pilot ondersteunt de les" in texts(at)
    supporting, contradicting, table = (frame.value for frame in at.dataframe)
    assert list(supporting["pilot"]) == ["Netwerkbijeenkomsten Noord", "Netwerkbijeenkomsten Oost"]
    assert list(supporting["open"]) == [
        "pilot?pilot=netwerk-noord&lang=nl",
        "pilot?pilot=netwerk-oost&lang=nl",
    ]
    assert list(contradicting["pilot"]) == ["Netwerkbijeenkomsten West"]
    assert list(contradicting["note"]) == ["notitie west"]
    assert list(supporting["hypothesis"]) == ["H1 (contacten)", "H1 (contacten)"]
    assert set(supporting["verdict"]) <= {"ondersteund", "deels ondersteund"}
    assert "95%-interval" in supporting["estimate"].iloc[0]
    assert "," in supporting["estimate"].iloc[0]  # a decimal comma in Dutch
    assert len(at.get("plotly_chart")) == 1
    text = texts(at)
    assert "Samen laten 3 pilots een effect zien van −" in text
    assert "In een volgende pilot verwachten we een effect tussen" in text
    assert "I² = " in text and "τ² = " in text
    # The chart's text alternative: one row per pilot and the pooled effect, with weights.
    assert len(table) == 4
    assert table["Gewicht"].iloc[-1] == "100%"


def test_another_organisation_sees_the_shared_lesson_only_and_read_only(world):
    at = open_as(LIBRARY, role="officer", organisation=OTHER)
    assert statements(at) == [L1]
    assert "gedeeld door Amsterdam" in texts(at)
    assert "Status: **opkomend** · ondersteund door 1 pilot(s) · weersproken door 0" in texts(at)

    at = open_as(LIBRARY, role="officer", organisation=OTHER, lesson=str(world["L1"]))
    supporting = at.dataframe[0].value
    # Only the shared pilot; its link is its shared report, not the pilot page.
    assert list(supporting["open"]) == [f"bibliotheek?shared={world['noord']}&lang=nl"]
    assert "Geen pilots die u mag zien." in texts(at)  # the contradicting pilot is not shared
    assert "Nog 2 pilot(s) nodig voor een gepoold effect" in texts(at)
    # Nothing to change here: the only button is signing out.
    assert [b.key for b in at.button] == ["logout"] and not at.text_area

    at = open_as(LIBRARY, role="officer", organisation=OTHER, lesson=str(world["L2"]))
    assert [e.value for e in at.error] == [
        "Deze pilot of gebruiker hoort bij een andere organisatie; u heeft er geen toegang toe."
    ]
    assert not at.dataframe


def test_an_unknown_lesson_is_explained(world):
    at = open_page(LIBRARY, lesson="9999")
    assert len(at.error) == 1 and "9999" in at.error[0].value
    at = open_page(LIBRARY, lesson="abc")
    assert "'abc' in het adres is geen nummer" in at.warning[0].value


# --- pooled effects --------------------------------------------------------------------------


def test_the_pooled_tab_lists_the_groups_and_opens_one_from_the_address(world):
    at = open_page(LIBRARY, measure="contacten", type="netwerkbijeenkomst")
    groups = at.dataframe[0].value
    assert list(groups["Indicator"]) == ["Eén-op-één-contacten per maand (contacten)"]
    assert list(groups["Soort interventie"]) == ["Netwerkbijeenkomsten"]
    assert list(groups["Aantal pilots"]) == [3]
    assert len(at.get("plotly_chart")) == 1
    assert "Samen laten 3 pilots" in texts(at)
    assert at.selectbox(key="pool-group").value == 0


def test_choosing_a_group_puts_it_in_the_address(world, engine):
    with session_scope(engine) as session:
        factories.measure(session, code="bereik", name="Bereikte inwoners")
        hypothesis = factories.hypothesis(session, world["west"], "H2", measure_code="bereik")
        assert hypothesis.measure_id is not None
    at = open_page(LIBRARY, tab="Gepoolde effecten")
    choice = at.selectbox(key="pool-group")
    assert choice.options == [
        "Eén-op-één-contacten per maand · Netwerkbijeenkomsten (3 pilot(s))",
        "Bereikte inwoners · Netwerkbijeenkomsten (1 pilot(s))",
    ]
    choice.set_value(1)
    run(at)
    assert at.query_params["measure"] == "bereik"
    assert at.query_params["type"] == "netwerkbijeenkomst"
    assert "Nog 3 pilot(s) nodig voor een gepoold effect" in texts(at)


# --- shared reports --------------------------------------------------------------------------


def test_a_shared_report_is_shown_read_only_without_the_journal(world):
    at = open_as(LIBRARY, role="manager", organisation=OTHER, shared=str(world["noord"]))
    assert [t.value for t in at.title] == ["Netwerkbijeenkomsten Noord"]
    assert (
        "Gedeeld door Amsterdam: alleen gepubliceerde resultaten, kleine aantallen "
        "afgeschermd, zonder logboek." in texts(at)
    )
    assert JOURNAL_SECRET not in texts(at)
    # The pilot's own organisation reads the same report with its journal.
    own = open_page(LIBRARY, shared=str(world["noord"]))
    assert JOURNAL_SECRET in texts(own)
    assert "Gedeeld door" not in texts(own)


def test_an_unshared_pilot_of_another_organisation_is_refused(world):
    at = open_as(LIBRARY, role="admin", organisation=OTHER, shared=str(world["oost"]))
    assert [e.value for e in at.error] == [
        "Deze pilot of gebruiker hoort bij een andere organisatie; u heeft er geen toegang toe."
    ]
    assert not at.title


# --- proposing and sharing from the pilot's Lessen tab ---------------------------------------


def test_a_manager_reads_the_library_but_may_not_propose_or_share(world):
    at = open_page(LIBRARY, role="manager", lesson=str(world["L1"]))
    assert [t.value for t in at.title] == [L1]
    at = open_page(PILOT_PAGE, role="manager", pilot="netwerk-noord", tab="Lessen")
    with pytest.raises(KeyError):
        at.text_area(key="lessons-p-statement")
    with pytest.raises(KeyError):
        at.button(key="lessons-share")


def _lessons_tab(role: str = "officer", pilot: str = "netwerk-noord") -> AppTest:
    return open_page(PILOT_PAGE, role=role, pilot=pilot, tab="Lessen")


def test_the_form_starts_with_the_suggestions_of_the_pilot(world):
    at = _lessons_tab()
    assert at.multiselect(key="lessons-p-tag-intervention_type").value == ["netwerkbijeenkomst"]
    assert at.multiselect(key="lessons-p-tag-measure").value == ["contacten"]
    assert at.multiselect(key="lessons-p-tag-domain").value == ["wmo", "jeugd"]
    h1 = world["noord.H1"]
    box = at.checkbox(key=f"lessons-p-ev-{h1}")
    assert box.value is True  # a clear verdict: suggested
    assert box.label.startswith("H1 meenemen als onderbouwing (uitslag: ")
    assert at.selectbox(key=f"lessons-p-stance-{h1}").value == "supports"


def test_an_officer_proposes_a_lesson_that_appears_in_the_library(world, engine):
    at = _lessons_tab()
    statement = "Een vaste gespreksleider maakt netwerkbijeenkomsten de moeite waard"
    at.text_area(key="lessons-p-statement").input(statement)
    at.text_area(key="lessons-p-explanation").input("Wisselende leiders braken het vertrouwen.")
    at.multiselect(key="lessons-p-tag-target_group").set_value(["ouderen"])
    at.button(key="lessons-p-submit").click()
    run(at)
    assert [s.value for s in at.success] == ["De les staat in de bibliotheek."]
    with session_scope(engine, read_only=True) as session:
        lesson = session.exec(select(Lesson).where(Lesson.statement == statement)).one()
        tags = {
            (tag.kind, tag.value)
            for tag in session.exec(select(LessonTag).where(LessonTag.lesson_id == lesson.id))
        }
        evidence = session.exec(
            select(LessonEvidence).where(LessonEvidence.lesson_id == lesson.id)
        ).all()
    assert lesson.pilot_id == world["noord"]
    assert lesson.created_by == account_email("officer")
    assert {("target_group", "ouderen"), ("measure", "contacten")} <= tags
    assert [(e.hypothesis_id, str(e.stance)) for e in evidence] == [(world["noord.H1"], "supports")]
    assert ("Open de les in de bibliotheek", f"lesson={lesson.id}&lang=nl") in page_links(at)
    # The form is empty again for the next lesson.
    assert at.text_area(key="lessons-p-statement").value == ""

    library_at = open_page(LIBRARY, role="officer", q="vertrouwen")
    assert statements(library_at) == [statement]


def test_a_too_short_lesson_is_refused_with_its_reason_and_nothing_is_stored(world, engine):
    at = _lessons_tab()
    at.text_area(key="lessons-p-statement").input("Kort")
    at.button(key="lessons-p-submit").click()
    run(at)
    assert len(at.error) == 1
    assert "**statement**" in at.error[0].value and "minstens 10 tekens" in at.error[0].value
    with session_scope(engine, read_only=True) as session:
        assert len(session.exec(select(Lesson)).all()) == 3


def test_the_owner_stops_and_starts_sharing(world, engine):
    at = _lessons_tab()
    assert "Gedeeld met andere gemeenten sinds" in texts(at)
    at.button(key="lessons-share").click()
    run(at)
    assert [s.value for s in at.success] == ["De pilot wordt niet meer gedeeld."]
    with session_scope(engine, read_only=True) as session:
        assert session.get(Pilot, world["noord"]).shared_at is None
    assert "Niet gedeeld: alleen uw eigen organisatie ziet deze pilot." in texts(at)
    at.button(key="lessons-share").click()
    run(at)
    with session_scope(engine, read_only=True) as session:
        assert session.get(Pilot, world["noord"]).shared_by == account_email("officer")


def test_sharing_needs_a_published_report(world, engine):
    at = _lessons_tab(role="admin", pilot="netwerk-oost")
    assert at.button(key="lessons-share").disabled
    assert "Delen kan pas als er een gepubliceerd lessenrapport is" in texts(at)


def test_an_officer_outside_the_team_sees_neither_section(world):
    at = _lessons_tab(pilot="netwerk-oost")  # the test officer is not in Oost's team
    with pytest.raises(KeyError):
        at.text_area(key="lessons-p-statement")
    with pytest.raises(KeyError):
        at.button(key="lessons-share")


# --- English ---------------------------------------------------------------------------------


def test_the_library_speaks_english(world):
    at = open_page(LIBRARY, lang="en")
    assert [t.value for t in at.title] == ["Library"]
    assert at.text_input(key="q").label == "Search the lessons"
    assert at.radio(key="lesstatus").options == [
        "all",
        "emerging",
        "supported",
        "contested",
        "rejected",
    ]
    assert "Status: **contested** · supported by 2 pilot(s) · contradicted by 1" in texts(at)
    at = open_page(LIBRARY, lang="en", lesson=str(world["L1"]))
    headers = [h.value for h in at.header]
    assert headers == ["Supported by", "Contradicted by", "What do all pilots say together?"]
    assert "In a next pilot we expect an effect between" in texts(at)
    assert "95% interval" in at.dataframe[0].value["estimate"].iloc[0]


# --- the words under a pooled chart ----------------------------------------------------------


def _view(kind: str, scale: str, studies: list[Study]) -> library.PooledView:
    return library.PooledView(
        measure_code="meldingen",
        measure_name="Meldingen",
        unit="meldingen",
        kind=kind,
        intervention_type="netwerkbijeenkomst",
        scale=scale,
        result=pool_effects(studies),
        pilots=(),
    )


def test_a_pooled_log_rate_ratio_is_also_said_as_a_percentage_change():
    # Three pilots with a rate ratio of about 0.8 (−20%), on the log scale.
    studies = [Study(f"P{i}", math.log(r), 0.05) for i, r in enumerate((0.78, 0.8, 0.82))]
    view = _view("count", "log_ratio", studies)
    nl, prediction, spread = library_view._pooled_sentences(view, "nl")
    pct = format_percent(math.expm1(view.result.estimate), "nl")
    assert pct == "−20%"
    assert f"Dat is een verandering van {pct} (" in nl
    assert nl.startswith("Samen laten 3 pilots een effect zien van −0,223 op de logaritmische")
    assert prediction.startswith("In een volgende pilot verwachten we een effect tussen")
    assert "een verandering tussen −" in prediction
    assert spread.startswith("Verschil tussen de pilots: I² = 0%")
    [en, *_] = library_view._pooled_sentences(view, "en")
    assert "That is a change of −20% (" in en


def test_a_pooled_difference_carries_the_unit_and_too_few_says_how_many_more():
    studies = [Study(f"P{i}", e, 1.0) for i, e in enumerate((-8.0, -6.0, -7.0))]
    [first, *_] = library_view._pooled_sentences(_view("continuous", "difference", studies), "nl")
    assert first.startswith("Samen laten 3 pilots een effect zien van −7 meldingen (95%-interval")
    [only] = library_view._pooled_sentences(_view("continuous", "difference", studies[:1]), "en")
    assert only == (
        "2 more pilot(s) needed for a pooled effect: 1 pilot(s) contribute now, and at least 3 "
        "are needed."
    )
