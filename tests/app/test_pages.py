"""The working pages, run by AppTest against a real database: overview with filters, the pilot
page's tabs (register, amend, upload with errors and success, analysis), the new-pilot flow,
the codebook (the export page: test_export_page.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlmodel import select

from tests import factories
from tests.app_helpers import account_email, open_page
from tracker.db import session_scope
from tracker.models import Amendment, Hypothesis, Measure, Measurement, Pilot
from tracker.services import hypotheses
from tracker.services.access import system
from tracker.services.measurements import import_measurements
from tracker.services.verdicts import refresh_verdicts

PILOT_PAGE = "pages/pilot.py"


def monthly_csv(n: int = 36, jump: float = -8.0) -> str:
    rng = np.random.default_rng(3)
    periods = [dt.date(2020 + m // 12, m % 12 + 1, 1) for m in range(n)]
    lines = ["period,value"]
    for p in periods:
        value = 50 + (jump if p >= dt.date(2021, 1, 1) else 0) + rng.normal(0, 1.5)
        lines.append(f"{p.isoformat()},{value:.2f}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def world(engine, app_db, tmp_path) -> dict[str, int]:
    """Two pilots in two municipalities; Noord has registered hypotheses and 36 months of data."""
    with session_scope(engine) as session:
        factories.measure(session)
        noord = factories.pilot(session)
        factories.hypothesis(session, noord.id, "H1")
        hypotheses.register_hypotheses(
            session, noord.id, actor=factories.ACTOR, registered_late=True
        )
        zuid = factories.pilot(
            session,
            slug="mentoren-zuid",
            title="Mentoren Zuid",
            municipality="Utrecht",
            municipality_code="GM0344",
            domains=["jeugd"],
            strategy="mentoring",
            status="baseline",
        )
        factories.hypothesis(session, zuid.id, "H1")
        path = tmp_path / "noord.csv"
        path.write_text(monthly_csv())
        report = import_measurements(
            session, noord.id, path, measure_code="contacten", actor=factories.ACTOR
        )
        assert report.ok, report.errors
        refresh_verdicts(session, zuid.id)
    return {"noord": noord.id, "zuid": zuid.id}


# --- overview --------------------------------------------------------------------------------


def test_overview_lists_every_pilot_with_phase_verdicts_and_a_shareable_link(world):
    at = open_page()
    table = at.dataframe[0].value
    assert list(table["title"]) == ["Netwerkbijeenkomsten Noord", "Mentoren Zuid"]
    assert list(table["open"]) == [
        "pilot?pilot=netwerk-noord&lang=nl",
        "pilot?pilot=mentoren-zuid&lang=nl",
    ]
    noord = table.iloc[0]
    assert noord["municipality"] == "Amsterdam"
    assert noord["status"] == "lopend"
    assert noord["verdicts"] == "1 ondersteund"
    zuid = table.iloc[1]
    assert zuid["verdicts"] == "1 onvoldoende gegevens"
    assert len(at.get("plotly_chart")) == 2  # verdicts by domain, timeline


@pytest.mark.parametrize(
    ("key", "choice", "titles"),
    [
        ("gemeente", ["Utrecht"], ["Mentoren Zuid"]),
        ("domein", ["wmo"], ["Netwerkbijeenkomsten Noord"]),
        ("status", ["baseline"], ["Mentoren Zuid"]),
        ("strategie", ["netwerkversterking"], ["Netwerkbijeenkomsten Noord"]),
    ],
)
def test_each_filter_narrows_the_overview(world, key, choice, titles):
    at = open_page()
    at.multiselect(key=key).set_value(choice).run()
    assert list(at.dataframe[0].value["title"]) == titles
    assert "1 van 2 pilots" in [c.value for c in at.caption]


def test_a_filter_in_the_address_opens_the_overview_filtered(world):
    at = open_page(gemeente="Utrecht")
    assert at.multiselect(key="gemeente").value == ["Utrecht"]
    assert list(at.dataframe[0].value["title"]) == ["Mentoren Zuid"]


def test_filters_that_match_nothing_say_so(world):
    at = open_page()
    at.multiselect(key="gemeente").set_value(["Utrecht"]).run()
    at.multiselect(key="status").set_value(["running"]).run()
    assert not at.dataframe
    assert any("Geen pilots voldoen" in i.value for i in at.info)


# --- pilot page ------------------------------------------------------------------------------


def test_a_shared_link_opens_the_pilot_and_its_tab(world):
    at = open_page(PILOT_PAGE, pilot="mentoren-zuid", tab="Metingen")
    assert [t.value for t in at.title] == ["Mentoren Zuid"]
    assert at.selectbox(key="pilot-choice").value == "mentoren-zuid"
    assert [tab.label for tab in at.tabs] == [
        "Opzet",
        "Metingen",
        "Interventies",
        "Logboek",
        "Analyse",
        "Lessen",
        "Geschiedenis",
    ]
    assert at.session_state["tab"] == "Metingen"


def test_an_unknown_pilot_in_the_address_is_explained(world):
    at = open_page(PILOT_PAGE, pilot="bestaat-niet")
    assert any("bestaat-niet" in w.value for w in at.warning)


def test_register_locks_the_hypotheses(world, engine):
    at = open_page(PILOT_PAGE, pilot="mentoren-zuid")
    at.button(key="register").click().run()
    assert not at.exception
    with session_scope(engine) as session:
        [h] = session.exec(select(Hypothesis).where(Hypothesis.pilot_id == world["zuid"])).all()
        assert h.registered_at is not None and h.content_hash
        assert h.registered_late  # the factory pilot started in 2021


def _amend(at, reason: str, hypothesis_id: int = 1):
    at.selectbox(key=f"amend-field-{hypothesis_id}").select("then_text")
    at.text_input(key=f"amend-value-{hypothesis_id}").input(
        "dan daalt het aantal contacten met het wijkteam sterk"
    )
    at.text_area(key=f"amend-reason-{hypothesis_id}").input(reason)
    at.button(key=f"amend-save-{hypothesis_id}").click()
    return at.run()


def test_amend_records_the_change_beside_the_original(world, engine):
    at = _amend(open_page(PILOT_PAGE, pilot="netwerk-noord"), "Nieuwe inzichten uit de evaluatie")
    assert not at.error, [e.value for e in at.error]
    with session_scope(engine) as session:
        [a] = session.exec(select(Amendment)).all()
        assert a.field == "then_text"
        assert a.reason == "Nieuwe inzichten uit de evaluatie"
    markdown = " ".join(m.value for m in at.markdown)
    assert "Wijzigingen na vastleggen" in markdown
    assert "dan daalt het aantal één-op-één-contacten" in markdown  # the original stays


def test_amend_with_too_short_a_reason_is_refused_and_saves_nothing(world, engine):
    at = _amend(open_page(PILOT_PAGE, pilot="netwerk-noord"), "kort")
    assert at.error
    with session_scope(engine) as session:
        assert session.exec(select(Amendment)).all() == []


def _upload(at, name: str, text: str, button: str):
    at.file_uploader(key="upload").set_value((name, text.encode(), "text/csv"))
    at.run()
    at.button(key=button).click()
    return at.run()


def test_upload_with_errors_shows_each_row_and_saves_nothing(world, engine):
    with session_scope(engine) as session:
        before = len(session.exec(select(Measurement)).all())
    broken = "period,value\n2022-01-01,12\n2022-13-01,14\n2022-03-01,veel\n"
    at = _upload(
        open_page(PILOT_PAGE, pilot="mentoren-zuid", tab="Metingen"),
        "kapot.csv",
        broken,
        "upload-save",
    )
    assert any("2 fout(en) in kapot.csv" in e.value for e in at.error)
    errors = at.dataframe[-1].value
    assert list(errors["Rij"]) == [3, 4]
    assert list(errors["Kolom"]) == ["period", "value"]
    with session_scope(engine) as session:
        assert len(session.exec(select(Measurement)).all()) == before


def test_upload_dry_run_checks_without_saving_then_save_stores_everything(world, engine):
    good = "period,value\n2020-01-01,12\n2020-02-01,14\n2020-03-01,13\n"
    at = _upload(
        open_page(PILOT_PAGE, pilot="mentoren-zuid", tab="Metingen"),
        "goed.csv",
        good,
        "upload-check",
    )
    assert any("3 rijen zijn in orde" in s.value for s in at.success)
    with session_scope(engine) as session:
        stored = session.exec(select(Measurement).where(Measurement.pilot_id == world["zuid"]))
        assert stored.all() == []
    at.button(key="upload-save").click().run()
    assert any("3 metingen toegevoegd" in s.value for s in at.success)
    with session_scope(engine) as session:
        stored = session.exec(select(Measurement).where(Measurement.pilot_id == world["zuid"]))
        assert sorted(m.value for m in stored.all()) == [12, 13, 14]


def test_analysis_tab_gives_the_verdict_in_words_and_charts(world):
    at = open_page(PILOT_PAGE, pilot="netwerk-noord", tab="Analyse")
    text = " ".join(m.value for m in at.markdown)
    assert "Ondersteund." in text
    assert len(at.get("plotly_chart")) == 2  # forest plot and the H1 series


def test_pilot_page_in_english(world):
    at = open_page(PILOT_PAGE, pilot="netwerk-noord", lang="en")
    assert [tab.label for tab in at.tabs] == [
        "Set-up",
        "Measurements",
        "Interventions",
        "Journal",
        "Analysis",
        "Lessons",
        "History",
    ]
    assert any("**If we**" in m.value for m in at.markdown)


def test_text_people_typed_is_shown_as_typed_never_run(world, engine):
    """HTML, images and links in a journal note or a pilot's aim reach the page escaped:
    Streamlit's Markdown shows them as text (no fetch of an outside address, no script)."""
    from tracker.services import journal

    note = '<img src=x onerror="alert(1)"> ![p](https://tracker.example/p.png) **vet**'
    with session_scope(engine) as session:
        journal.add_observation(
            session,
            world["noord"],
            {"date": dt.date(2021, 3, 1), "kind": "quote", "text": note},
            actor=factories.ACTOR,
        )
        pilot = session.get(Pilot, world["noord"])
        pilot.aim = "[klik hier](javascript:alert(1)) <script>alert(2)</script>"
        session.add(pilot)
    at = open_page(PILOT_PAGE, pilot="netwerk-noord", tab="Logboek")
    [shown] = [m.value for m in at.markdown if "onerror" in m.value]
    assert '\\<img src=x onerror="alert(1)">' in shown
    assert "!\\[p\\](https://tracker.example/p.png)" in shown
    assert "\\*\\*vet\\*\\*" in shown
    setup = open_page(PILOT_PAGE, pilot="netwerk-noord")
    assert any(
        m.value == "\\[klik hier\\](javascript:alert(1)) \\<script>alert(2)\\</script>"
        for m in setup.markdown
    )


# --- lessons ---------------------------------------------------------------------------------


def test_lessons_tab_shows_the_report_and_offers_every_format(world):
    at = open_page(PILOT_PAGE, pilot="netwerk-noord", tab="Lessen")
    text = " ".join(m.value for m in at.markdown)
    for heading in ("1. Wat we verwachtten", "3. Wat er gebeurde", "8. Aanbeveling"):
        assert heading in text
    assert "H1 · Eén-op-één-contacten per maand: ondersteund" in text
    assert len(at.get("image")) == 1  # the H1 chart
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["PDF", "Word (DOCX)", "Webpagina (HTML)", "Markdown"]
    assert at.selectbox(key="lessons-version").value == 0  # the draft: nothing published


def test_lessons_override_needs_a_reason_then_publishing_freezes_a_version(world, engine):
    from tracker.models import Report, ReportDraft

    at = open_page(PILOT_PAGE, pilot="netwerk-noord", tab="Lessen")
    proposed = at.radio(key="lessons-f-rec").value
    other = "stoppen" if proposed != "stoppen" else "opschalen"
    at.radio(key="lessons-f-rec").set_value(other)
    at.button(key="lessons-save").click().run()
    assert "recommendation_reason" in " ".join(e.value for e in at.error)
    with session_scope(engine) as session:
        assert session.exec(select(ReportDraft)).first() is None  # nothing saved

    at.text_area(key="lessons-f-reason").input("De wethouder wil eerst een tweede wijk.")
    at.checkbox(key="lessons-f-obst-geen_mandaat").check()
    at.button(key="lessons-save").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "Concept opgeslagen." in [s.value for s in at.success]
    text = " ".join(m.value for m in at.markdown)
    assert "De beleidsmedewerker wijkt af van het voorstel" in text
    assert "Geen mandaat voor generalisten" in text

    at.button(key="lessons-publish").click().run()
    assert not at.exception and not at.error
    assert "Versie 1 is gepubliceerd." in [s.value for s in at.success]
    assert at.selectbox(key="lessons-version").value == 1
    with session_scope(engine) as session:
        [row] = session.exec(select(Report)).all()
    # Published by the signed-in account, not a configured name.
    assert (row.number, row.published_by) == (1, account_email("admin"))
    assert row.content_hash in " ".join(i.value for i in at.info)
    # A published version is read, not edited (the library form below it is not the report's).
    assert not [a for a in at.get("text_area") if a.key.startswith("lessons-f-")]


def test_a_stale_draft_save_is_refused_and_keeps_the_newer_draft(world, engine):
    from tracker.reports.model import Narrative
    from tracker.reports.model import ReportDraft as Draft
    from tracker.services.reports import get_draft, save_draft

    at = open_page(PILOT_PAGE, pilot="netwerk-noord", tab="Lessen")
    with session_scope(engine) as session:  # someone else saves first
        save_draft(
            session,
            world["noord"],
            Draft(narrative=Narrative(summary="Van een collega")),
            expected_version=0,
            actor=system("collega@example.org"),
        )
    at.text_area(key="lessons-f-summary").input("Van mij")
    at.button(key="lessons-save").click().run()
    assert at.error  # the conflict is shown
    with session_scope(engine) as session:
        draft, version = get_draft(session, world["noord"])
    assert (draft.narrative.summary, version) == ("Van een collega", 1)


# --- new pilot -------------------------------------------------------------------------------


def test_new_pilot_flow_registers_a_pilot_with_locked_hypotheses(app_db, engine):
    with session_scope(engine) as session:
        factories.measure(session)
    at = open_page("pages/new_pilot.py")
    at.text_input[0].input("Buurtcirkels Oost")
    at.text_input[1].input("Amsterdam")
    at.text_input[2].input("GM0363")
    at.multiselect[0].select("Wmo")
    at.date_input[0].set_value(dt.date(2026, 1, 1))
    at.date_input[1].set_value(dt.date(2027, 1, 1))
    at.date_input[2].set_value(dt.date(2027, 12, 31))
    at.button[0].click().run()
    assert not at.error, [e.value for e in at.error]
    assert "Stap 2 van 3" in at.get("progress")[0].proto.text
    at.text_area(key="np-if").input("we buurtcirkels starten")
    at.text_area(key="np-then").input("daalt het aantal contacten met het wijkteam")
    at.text_area(key="np-because").input("bewoners elkaar helpen")
    at.number_input(key="np-delta").set_value(10.0)
    at.button(key="np-add").click().run()
    assert not at.error, [e.value for e in at.error]
    at.button(key="np-next-1").click().run()
    at.button(key="np-register").click().run()
    assert any("Buurtcirkels Oost" in s.value for s in at.success)
    with session_scope(engine) as session:
        pilot = session.exec(select(Pilot).where(Pilot.slug == "buurtcirkels-oost")).one()
        [h] = session.exec(select(Hypothesis).where(Hypothesis.pilot_id == pilot.id)).all()
        assert h.is_locked and h.if_text == "we buurtcirkels starten"


def test_new_pilot_flow_refuses_wrong_codes_and_stays_on_the_step(app_db):
    at = open_page("pages/new_pilot.py")
    at.text_input[0].input("Buurtcirkels Oost")
    at.text_input[1].input("Amsterdam")
    at.text_input[2].input("0363")
    at.multiselect[0].select("Wmo")
    at.button[0].click().run()
    assert at.error
    assert "Stap 1 van 3" in at.get("progress")[0].proto.text


# --- codebook ---------------------------------------------------------------------


def test_codebook_lists_measures_and_adds_one(world, engine):
    at = open_page("pages/codebook.py")
    assert list(at.dataframe[0].value["code"]) == ["contacten"]
    at.text_input(key="codebook-code").input("eenzaamheid")
    at.text_input(key="codebook-name").input("Eenzaamheidsscore")
    at.button[0].click().run()
    assert list(at.dataframe[0].value["code"]) == ["contacten", "eenzaamheid"]
    with session_scope(engine) as session:
        assert session.exec(select(Measure).where(Measure.code == "eenzaamheid")).one()


def test_only_the_open_tab_is_built(world):
    setup = open_page(PILOT_PAGE, pilot="netwerk-noord")
    assert not setup.get("plotly_chart")  # the analysis tab's charts are not made
    assert not setup.file_uploader
    analysis = open_page(PILOT_PAGE, pilot="netwerk-noord", tab="Analyse")
    assert analysis.get("plotly_chart")
    assert not any("**Als we**" in m.value for m in analysis.markdown)  # set-up is not built


def test_the_timeline_asks_for_a_filter_when_too_many_pilots_are_shown(world, monkeypatch):
    from tracker.ui import portfolio_view

    monkeypatch.setattr(portfolio_view, "TIMELINE_MAX_PILOTS", 1)
    at = open_page()
    assert len(at.get("plotly_chart")) == 1  # verdicts by domain only
    assert any("hoogstens 1 pilots" in c.value for c in at.caption)
    at.multiselect(key="gemeente").set_value(["Utrecht"]).run()
    assert len(at.get("plotly_chart")) == 2
