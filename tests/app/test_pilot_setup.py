"""The pilot's intervention type and sharing state in the app: chosen in the new-pilot form and
shown in its review, shown on the pilot page's set-up tab (with the sharing date), and changed
there by whoever may edit the pilot. AppTest against a real database (SQLite, and PostgreSQL
when ``TEST_DATABASE_URL`` is set)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from tests import factories
from tests.app_helpers import open_page
from tracker.db import session_scope
from tracker.models import Pilot
from tracker.services.pilots import update_pilot
from tracker.services.reports import publish_report
from tracker.services.sharing import share_pilot
from tracker.vocabulary import INTERVENTION_TYPES, intervention_type_label

PILOT_PAGE = "pages/pilot.py"
NEW_PILOT = "pages/new_pilot.py"
TYPE_KEY = "np-intervention-type"


def _labels(lang: str) -> list[str]:
    """The select's options as the reader sees them: "not stated" first, then the list."""
    none = "niet opgegeven" if lang == "nl" else "not stated"
    return [none, *(intervention_type_label(code, lang) for code in INTERVENTION_TYPES)]


def _fill_context(at, title: str = "Buurtcirkels Oost"):
    at.text_input[0].input(title)
    at.text_input[1].input("Amsterdam")
    at.text_input[2].input("GM0363")
    at.multiselect[0].select("Wmo")
    at.date_input[0].set_value(dt.date(2026, 1, 1))
    at.date_input[1].set_value(dt.date(2027, 1, 1))
    at.date_input[2].set_value(dt.date(2027, 12, 31))
    return at


def _add_hypothesis(at):
    at.text_area(key="np-if").input("we buurtcirkels starten")
    at.text_area(key="np-then").input("daalt het aantal contacten met het wijkteam")
    at.text_area(key="np-because").input("bewoners elkaar helpen")
    at.number_input(key="np-delta").set_value(10.0)
    at.button(key="np-add").click().run()
    assert not at.error, [e.value for e in at.error]
    return at


def _stored(engine, slug: str) -> Pilot:
    with session_scope(engine, read_only=True) as session:
        return session.exec(select(Pilot).where(Pilot.slug == slug)).one()


# --- new pilot -------------------------------------------------------------------------------


def test_the_new_pilot_form_offers_the_intervention_types_and_saves_the_choice(app_db, engine):
    with session_scope(engine) as session:
        factories.measure(session)
    at = _fill_context(open_page(NEW_PILOT))
    select_type = at.selectbox(key=TYPE_KEY)
    assert select_type.label == "Soort interventie"
    assert select_type.options == _labels("nl")
    assert select_type.value == ""  # not stated until chosen
    assert "naast andere pilots van dezelfde soort" in select_type.help
    select_type.select("informele_mentor")
    at.button[0].click().run()
    assert not at.error, [e.value for e in at.error]
    assert "Stap 2 van 3" in at.get("progress")[0].proto.text

    # Back to the first step: the choice is still there.
    at.button(key="np-back-1").click().run()
    assert at.selectbox(key=TYPE_KEY).value == "informele_mentor"
    at.button[0].click().run()

    _add_hypothesis(at)
    at.button(key="np-next-1").click().run()
    assert "Stap 3 van 3" in at.get("progress")[0].proto.text
    review = "\n".join(m.value for m in at.markdown)
    assert "**Soort interventie:** Informele mentoren" in review
    at.button(key="np-register").click().run()
    assert any("Buurtcirkels Oost" in s.value for s in at.success)
    assert _stored(engine, "buurtcirkels-oost").intervention_type == "informele_mentor"


def test_a_new_pilot_without_a_type_says_so_in_the_review_and_stores_none(app_db, engine):
    with session_scope(engine) as session:
        factories.measure(session)
    at = _fill_context(open_page(NEW_PILOT), "Buurtcirkels West")
    at.button[0].click().run()
    _add_hypothesis(at)
    at.button(key="np-next-1").click().run()
    assert "**Soort interventie:** niet opgegeven" in "\n".join(m.value for m in at.markdown)
    at.button(key="np-register").click().run()
    assert _stored(engine, "buurtcirkels-west").intervention_type == ""


def test_the_new_pilot_form_in_english(app_db):
    at = open_page(NEW_PILOT, lang="en")
    select_type = at.selectbox(key=TYPE_KEY)
    assert (select_type.label, select_type.options) == ("Intervention type", _labels("en"))
    assert "other pilots of the same type" in select_type.help


# --- pilot page ------------------------------------------------------------------------------


@pytest.fixture
def pilots(engine, app_db) -> dict[str, int]:
    """Noord: a type, a published report and shared (through the services); Zuid: neither."""
    with session_scope(engine) as session:
        factories.measure(session)
        noord = factories.pilot(session, intervention_type="netwerkbijeenkomst")
        factories.hypothesis(session, noord.id)
        publish_report(session, noord.id, actor=factories.ACTOR)
        share_pilot(
            session, noord.id, shared=True, expected_version=noord.version, actor=factories.ACTOR
        )
        zuid = factories.pilot(session, slug="mentoren-zuid", title="Mentoren Zuid")
    return {"noord": noord.id, "zuid": zuid.id}


def _overview(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _date(day: dt.datetime, lang: str) -> str:
    return day.strftime("%d-%m-%Y") if lang == "nl" else day.strftime("%Y-%m-%d")


def test_the_overview_shows_the_type_beside_the_strategy_and_since_when_it_is_shared(
    pilots, engine
):
    shared_at = _stored(engine, "netwerk-noord").shared_at
    assert shared_at is not None
    at = open_page(PILOT_PAGE, pilot="netwerk-noord")
    assert (
        "**Strategie:** netwerkversterking · **Soort interventie:** Netwerkbijeenkomsten"
        in _overview(at)
    )
    assert [c.value for c in at.caption if "Gedeeld" in c.value] == [
        f"Gedeeld met andere gemeenten sinds {_date(shared_at, 'nl')}."
    ]
    english = open_page(PILOT_PAGE, pilot="netwerk-noord", lang="en")
    assert "**Intervention type:** Network meetings" in _overview(english)
    assert f"Shared with other municipalities since {_date(shared_at, 'en')}." in [
        c.value for c in english.caption
    ]


def test_a_pilot_without_type_or_sharing_says_not_stated_and_nothing_about_sharing(pilots):
    at = open_page(PILOT_PAGE, pilot="mentoren-zuid")
    assert "**Soort interventie:** niet opgegeven" in _overview(at)
    assert not [c.value for c in at.caption if "Gedeeld" in c.value]


def test_whoever_may_edit_the_pilot_changes_its_type_on_the_set_up_tab(pilots, engine):
    key = f"pilot-type-{pilots['zuid']}"
    at = open_page(PILOT_PAGE, pilot="mentoren-zuid")
    assert at.selectbox(key=f"{key}-choice").options == _labels("nl")
    at.selectbox(key=f"{key}-choice").select("pedagogisch_collectief")
    at.button(key=f"{key}-save").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _stored(engine, "mentoren-zuid").intervention_type == "pedagogisch_collectief"
    assert "**Soort interventie:** Pedagogisch collectief" in _overview(at)
    # Back to "not stated".
    at.selectbox(key=f"{key}-choice").select("")
    at.button(key=f"{key}-save").click().run()
    assert _stored(engine, "mentoren-zuid").intervention_type == ""


def test_a_colleague_s_save_in_between_is_refused_and_kept(pilots, engine):
    key = f"pilot-type-{pilots['zuid']}"
    at = open_page(PILOT_PAGE, pilot="mentoren-zuid")
    with session_scope(engine) as session:
        pilot = session.get(Pilot, pilots["zuid"])
        assert pilot is not None
        update_pilot(
            session,
            pilot.id,  # type: ignore[arg-type]
            {"intervention_type": "informele_zorg"},
            expected_version=pilot.version,
            actor=factories.ACTOR,
        )
    at.selectbox(key=f"{key}-choice").select("overig")
    at.button(key=f"{key}-save").click().run()
    [error] = [e.value for e in at.error]
    assert error.startswith("iemand anders heeft deze pilot (") and "niet opgeslagen" in error
    assert _stored(engine, "mentoren-zuid").intervention_type == "informele_zorg"
    # The facts show the colleague's choice; saving again, knowingly, goes through.
    assert "**Soort interventie:** Informele zorgnetwerken" in _overview(at)
    at.button(key=f"{key}-save").click().run()
    assert not at.error
    assert _stored(engine, "mentoren-zuid").intervention_type == "overig"


def test_a_manager_sees_the_type_but_cannot_change_it(pilots):
    at = open_page(PILOT_PAGE, role="manager", pilot="netwerk-noord")
    assert "**Soort interventie:** Netwerkbijeenkomsten" in _overview(at)
    key = f"pilot-type-{pilots['noord']}-choice"
    assert key not in [s.key for s in at.selectbox]
