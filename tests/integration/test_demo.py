"""The seven demonstration pilots and the demo lessons: what the files promise, and
`tracker demo load`.

The loading tests run on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set. The
verdict-mix tests do not use the analysis engine: they recompute, independently and simply,
whether the demo data say what they were made to say (also what the lessons claim of them).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from argon2 import PasswordHasher
from scipy import stats
from sqlmodel import col, func, select
from typer.testing import CliRunner

from tests.db_helpers import migrated_sqlite_url, row_counts
from tests.factories import ACTOR
from tracker.cli import app
from tracker.db import session_scope
from tracker.errors import ValidationError
from tracker.io import pilot_file as pf
from tracker.models import (
    AuditEvent,
    Hypothesis,
    LessonEvidence,
    Measurement,
    Organisation,
    Pilot,
    Role,
    User,
)
from tracker.services import audit, hypotheses
from tracker.services.demo import (
    DEMO_COMMENT,
    DEMO_ORGANISATION,
    DEMO_USERS,
    demo_files,
    demo_loaded,
    load_demo,
    read_lessons,
)
from tracker.services.library import LessonQuery, lesson_detail, pooled_evidence, search_lessons
from tracker.services.pilots import find_pilot_by_slug
from tracker.services.verdicts import stored_verdicts

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FILES = demo_files(PROJECT_ROOT)
DOCS = {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in FILES}
CSV_HEADER = "measure,period,area,group,value,numerator,denominator,count,exposure,source"
LESSONS_PATH = PROJECT_ROOT / "data" / "demo" / "lessons.toml"
LESSONS = tomllib.loads(LESSONS_PATH.read_text(encoding="utf-8"))["lessons"]
NETWORK_PILOTS = {
    "netwerkbijeenkomsten-utrecht",
    "netwerkbijeenkomsten-utrecht-zuidwest",
    "netwerkbijeenkomsten-amsterdam-noord",
}
# What the stored analysis says of every demo hypothesis after `tracker demo load`. The demo
# data were drawn to give these (the independent checks below recompute the gist without the
# analysis engine); a change here means the demo tells another story than data/demo/README.md.
VERDICTS = {
    "dorpsondersteuning-aa-en-hunze": {"H1": "supported", "H2": "inconclusive", "H3": "supported"},
    "generalist-wijkteam-apeldoorn": {"H1": "supported", "H2": "inconclusive", "H3": "supported"},
    "informele-mentoren-rotterdam": {"H1": "contrary", "H2": "supported"},
    "netwerkbijeenkomsten-amsterdam-noord": {
        "H1": "no_meaningful_effect",
        "H2": "supported",
        "H3": "inconclusive",
    },
    "netwerkbijeenkomsten-utrecht": {"H1": "supported", "H2": "supported", "H3": "inconclusive"},
    "netwerkbijeenkomsten-utrecht-zuidwest": {
        "H1": "supported",
        "H2": "supported",
        "H3": "inconclusive",
    },
    "pedagogisch-collectief-amsterdam": {"H1": "no_meaningful_effect", "H2": "inconclusive"},
}
# The status each demo lesson gets from its evidence (tracker.analysis.lesson_status).
LESSON_STATUSES = {
    "Netwerkbijeenkomsten verminderen de uren professionele ondersteuning per cliënt": (
        "contested"
    ),
    "Netwerkbijeenkomsten vergroten het aandeel cliënten met informele steun in hun plan": (
        "supported"
    ),
    "Een generalist met de specialisten in het eigen wijkteam verkort de tijd tot de start van "
    "de ondersteuning": "emerging",
    "Informele mentoren verlagen binnen een jaar het aantal verwijzingen naar specialistische "
    "jeugdhulp": "rejected",
}


def data_of(doc: dict) -> pd.DataFrame:
    frame = pd.read_csv(PROJECT_ROOT / doc["data"], dtype={"area": str, "source": str})
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


# --------------------------------------------------------------------------- what the files hold
def test_there_are_seven_demo_pilots_each_with_its_csv():
    assert len(FILES) == 7
    assert sorted(d["slug"] for d in DOCS.values()) == sorted(VERDICTS)
    for doc in DOCS.values():
        assert (PROJECT_ROOT / doc["data"]).is_file()


def test_three_pilots_in_two_municipalities_share_a_measure_and_the_intervention_type():
    network = {
        stem: doc
        for stem, doc in DOCS.items()
        if doc.get("intervention_type") == "netwerkbijeenkomst"
    }
    assert set(network) == NETWORK_PILOTS
    assert {d["municipality_code"] for d in network.values()} == {"GM0344", "GM0363"}
    for doc in network.values():
        measures = {h["measure"] for h in doc["hypotheses"]}
        assert {"uren_ondersteuning_per_client", "aandeel_informele_steun"} <= measures
    # Every demo pilot names its intervention type, each from the vocabulary.
    assert all(pf.read(path).intervention_type for path in FILES)


def test_the_amsterdam_noord_journal_names_its_rotating_conversation_leaders():
    texts = " ".join(
        o["text"] for o in DOCS["netwerkbijeenkomsten-amsterdam-noord"]["observations"]
    )
    assert "wisselende gespreksleiders" in texts
    zuidwest = DOCS["netwerkbijeenkomsten-utrecht-zuidwest"]
    assert "vaste gespreksleider" in zuidwest["aim"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_file_says_it_is_fictitious(path):
    assert path.read_text(encoding="utf-8").startswith(f"# {DEMO_COMMENT}\n")
    csv_text = (PROJECT_ROOT / DOCS[path.stem]["data"]).read_text(encoding="utf-8")
    assert csv_text.startswith(CSV_HEADER + "\n")
    assert {row["source"] for row in csv.DictReader(csv_text.splitlines())} == {"fictief (demo)"}


def test_the_readme_says_the_data_are_fictitious():
    readme = (PROJECT_ROOT / "data" / "demo" / "README.md").read_text(encoding="utf-8")
    assert DEMO_COMMENT in readme
    for stem in DOCS:
        assert f"`{stem}.csv`" in readme, stem
    assert "`lessons.toml`" in readme


def test_the_lessons_file_says_it_is_fictitious_and_reads_against_the_pilot_files():
    assert LESSONS_PATH.read_text(encoding="utf-8").startswith(f"# {DEMO_COMMENT}\n")
    lessons = read_lessons(LESSONS_PATH, [pf.read(path) for path in FILES])
    assert [lesson.statement for lesson in lessons] == list(LESSON_STATUSES)
    assert all(lesson.explanation and lesson.evidence for lesson in lessons)


@pytest.mark.parametrize("stem", sorted(DOCS))
def test_area_codes_have_the_cbs_form_of_their_municipality(stem):
    doc = DOCS[stem]
    digits = doc["municipality_code"][2:]
    assert re.fullmatch(r"GM\d{4}", doc["municipality_code"])
    for area in doc["areas"]:
        assert re.fullmatch(rf"WK{digits}\d{{2}}|BU{digits}\d{{4}}", area["code"]), area
    assert {a["group"] for a in doc["areas"]} == {"pilot", "comparison"}


@pytest.mark.parametrize("stem", sorted(DOCS))
def test_each_pilot_has_hypotheses_on_different_kinds_of_measures(stem):
    doc = DOCS[stem]
    kinds = {m["code"]: m["kind"] for m in doc["measures"]}
    assert 2 <= len(doc["hypotheses"]) <= 3
    assert len({kinds[h["measure"]] for h in doc["hypotheses"]}) == len(doc["hypotheses"])
    for h in doc["hypotheses"]:
        assert h["if_text"].startswith("Als ")
        assert h["then_text"].startswith("dan ")
        assert h["because_text"].startswith("omdat ")


def test_the_demo_pilots_together_use_every_kind_and_share_codebook_entries():
    used: dict[str, set[str]] = {}
    kinds = set()
    for stem, doc in DOCS.items():
        for m in doc["measures"]:
            used.setdefault(m["code"], set()).add(stem)
            kinds.add(m["kind"])
    assert kinds == {"continuous", "proportion", "count"}
    assert any(len(pilots) > 1 for pilots in used.values())


@pytest.mark.parametrize("stem", sorted(DOCS))
def test_each_pilot_has_baseline_and_follow_up_months_in_both_groups(stem):
    doc, frame = DOCS[stem], data_of(DOCS[stem])
    start = pd.Timestamp(doc["intervention_start"])
    assert (frame["period"].dt.day == 1).all()
    assert frame["period"].nunique() >= 24
    for h in doc["hypotheses"]:
        rows = frame[frame["measure"] == h["measure"]]
        for group in ("pilot", "comparison"):
            periods = rows.loc[rows["group"] == group, "period"]
            assert (periods < start).sum() >= 12 and (periods >= start).sum() >= 12, (h, group)


@pytest.mark.parametrize("stem", sorted(DOCS))
def test_each_pilot_logs_interventions_and_every_kind_of_journal_entry(stem):
    doc = DOCS[stem]
    kinds = {o["kind"] for o in doc["observations"]}
    assert kinds == {"cause", "unforeseen_effect", "obstacle", "quote", "decision"}
    assert any(
        i["status"] == "cancelled" or i.get("planned_date", i["date"]) < i["date"]
        for i in doc["interventions"]
    )
    assert all("planned_date" in i for i in doc["interventions"])


def test_registration_is_before_the_start_except_one_visibly_late_hypothesis():
    late = []
    for stem, doc in DOCS.items():
        start = doc["intervention_start"]
        for h in doc["hypotheses"]:
            before = h["registered_at"].date() < start
            assert before != h["registered_late"], (stem, h["code"])
            if h["registered_late"]:
                late.append((stem, h["code"]))
    assert len(late) == 1


def test_one_amendment_with_a_reason_exists():
    amendments = [
        a for doc in DOCS.values() for h in doc["hypotheses"] for a in h.get("amendments", [])
    ]
    assert len(amendments) >= 1
    assert all(len(a["reason"]) >= 10 for a in amendments)


def test_the_generator_reproduces_the_committed_files(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "generate_demo", PROJECT_ROOT / "scripts" / "generate_demo.py"
    )
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "generate_demo", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    written = module.generate(tmp_path)
    assert len(written) == 14
    for path in written:
        relative = path.relative_to(tmp_path)
        assert path.read_bytes() == (PROJECT_ROOT / relative).read_bytes(), relative


# --------------------------------------------------------------------------- the verdict mix
@dataclass(frozen=True)
class Check:
    pilot: str
    hypothesis: str
    kind: str
    improvement: float  # in the expected direction; negative = against
    delta: float  # the minimal meaningful effect, on the same scale
    p: float


def independent_checks() -> list[Check]:
    """Difference-in-differences per month: (pilot − comparison) after vs. before, Welch t-test.

    Per month and group: mean value (continuous), pooled numerator/denominator (proportion),
    pooled count per 1,000 exposure (count). A relative δ is taken against the pilot group's
    baseline level.
    """
    checks = []
    for stem, doc in DOCS.items():
        frame = data_of(doc)
        start = pd.Timestamp(doc["intervention_start"])
        kinds = {m["code"]: m["kind"] for m in doc["measures"]}
        for h in doc["hypotheses"]:
            kind = kinds[h["measure"]]
            rows = frame[frame["measure"] == h["measure"]]

            def level(group: str, rows=rows, kind=kind) -> pd.Series:
                by = rows[rows["group"] == group].groupby("period")
                if kind == "continuous":
                    return by["value"].mean()
                if kind == "proportion":
                    return by["numerator"].sum() / by["denominator"].sum()
                return by["count"].sum() / by["exposure"].sum() * 1000

            pilot = level("pilot")
            gap = pilot - level("comparison")
            after = gap.index >= start
            change = gap[after].mean() - gap[~after].mean()
            sign = -1.0 if h["expected_direction"] == "decrease" else 1.0
            delta = h["min_effect"]
            if h["min_effect_type"] == "relative":
                delta = delta / 100 * abs(pilot[pilot.index < start].mean())
            p = stats.ttest_ind(gap[after], gap[~after], equal_var=False).pvalue
            checks.append(Check(stem, h["code"], kind, sign * change, delta, float(p)))
    return checks


CHECKS = independent_checks()


def test_at_least_one_hypothesis_is_clearly_supported():
    assert [c for c in CHECKS if c.improvement >= c.delta and c.p < 0.01]


def test_at_least_one_hypothesis_goes_clearly_against_the_expectation():
    assert [c for c in CHECKS if c.improvement < 0 and c.p < 0.01]


def test_at_least_one_hypothesis_shows_no_real_change():
    assert [c for c in CHECKS if c.p > 0.2]


def test_a_fixed_conversation_leader_is_the_informative_contrast():
    """Zuidwest (one fixed leader) clearly lowers the hours of support; Amsterdam-Noord
    (rotating leaders) hardly changes them, while both raise the share with informal help."""
    by = {(c.pilot, c.hypothesis): c for c in CHECKS}
    fixed = by["netwerkbijeenkomsten-utrecht-zuidwest", "H1"]
    rotating = by["netwerkbijeenkomsten-amsterdam-noord", "H1"]
    assert fixed.improvement >= fixed.delta and fixed.p < 0.01
    assert abs(rotating.improvement) < rotating.delta / 2 and rotating.p > 0.2
    for pilot in NETWORK_PILOTS:
        informal = by[pilot, "H2"]
        assert informal.improvement >= informal.delta and informal.p < 0.01, pilot


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson["statement"][:40])
def test_the_evidence_of_every_lesson_says_what_the_data_say(lesson):
    """Independently of the analysis engine: a supporting pilot's hypothesis clearly improved,
    a contradicting one's stayed well short of the expected change (or went against it)."""
    by = {(c.pilot, c.hypothesis): c for c in CHECKS}
    for item in lesson["evidence"]:
        check = by[item["pilot"], item["hypothesis"]]
        if item["stance"] == "supports":
            assert check.improvement > 0 and check.p < 0.01, item
        else:
            assert check.improvement < check.delta / 2, item


def test_the_journal_records_an_unforeseen_effect():
    assert any(o["kind"] == "unforeseen_effect" for d in DOCS.values() for o in d["observations"])


# --------------------------------------------------------------------------- loading
def audit_trail(engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        return [
            (e.id, e.hash) for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))
        ]


def test_loading_the_demo_creates_seven_pilots_with_their_data(engine):
    lines = []
    with session_scope(engine) as session:
        assert not demo_loaded(session, root=PROJECT_ROOT)
        report = load_demo(session, actor=ACTOR, root=PROJECT_ROOT, progress=lines.append)
    assert (report.loaded, report.skipped, report.users_created) == (7, 0, 4)
    assert (report.lessons_loaded, report.lessons_skipped) == (4, 0)
    assert [r.status for r in lines] == ["loaded"] * 7
    with session_scope(engine) as session:
        assert demo_loaded(session, root=PROJECT_ROOT)
        for result in report.pilots:
            rows = session.exec(
                select(func.count()).where(Measurement.pilot_id == result.pilot_id)
            ).one()
            expected = (
                len((PROJECT_ROOT / DOCS[Path(result.file).stem]["data"]).read_text().splitlines())
                - 1
            )
            assert rows == result.measurements == expected
        registered = session.exec(select(Hypothesis)).all()
        assert len(registered) == sum(len(d["hypotheses"]) for d in DOCS.values())
        assert all(hypotheses.verify_registration(session, h) for h in registered)
        assert sum(h.registered_late for h in registered) == 1
        assert audit.verify_chain(session).ok


def test_there_is_one_demo_user_per_role_with_its_demo_password(engine):
    with session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    with session_scope(engine) as session:
        users = session.exec(select(User).order_by(col(User.email))).all()
        trail = session.exec(select(AuditEvent)).all()
        # One fictitious organisation holds every demo pilot and account.
        organisations = session.exec(
            select(Organisation.cbs_code, Organisation.name)
            .distinct()
            .join(Pilot, col(Pilot.organisation_id) == col(Organisation.id))
        ).all()
        user_organisations = {u.organisation_id for u in users}
        demo_organisation = session.exec(
            select(Organisation.id).where(Organisation.cbs_code == DEMO_ORGANISATION["cbs_code"])
        ).one()
    assert organisations == [(DEMO_ORGANISATION["cbs_code"], DEMO_ORGANISATION["name"])]
    assert DEMO_ORGANISATION["cbs_code"] == "GM9999"
    assert user_organisations == {demo_organisation}
    demo = {u.email: u for u in users if u.email.endswith("@demo.proeftuin.example")}
    assert {str(u.role) for u in demo.values()} == {r.value for r in Role}
    assert set(demo) == {email for email, _, _, _ in DEMO_USERS}
    for email, _, _, password in DEMO_USERS:
        stored = demo[email].password_hash
        assert stored is not None and stored.startswith("$argon2id$"), email
        assert PasswordHasher().verify(stored, password)
        # The hash never enters the audit trail.
        assert all(stored not in json.dumps([e.before, e.after]) for e in trail), email


def test_loading_the_demo_twice_changes_nothing(engine):
    with session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    counts, trail = row_counts(engine), audit_trail(engine)
    assert (counts["lesson"], counts["lesson_evidence"]) == (
        len(LESSONS),
        sum(len(lesson["evidence"]) for lesson in LESSONS),
    )
    with session_scope(engine) as session:
        again = load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    assert (again.loaded, again.skipped, again.users_created) == (0, 7, 0)
    assert (again.lessons_loaded, again.lessons_skipped) == (0, 4)
    assert [p.summary("en").endswith("already present") for p in again.pilots] == [True] * 7
    assert again.summary("en") == (
        "Demo: 0 pilots loaded, 7 already present; 0 lessons loaded, 4 already present; "
        "0 demo users created."
    )
    assert again.summary("nl") == (
        "Demo: 0 pilots geladen, 7 al aanwezig; 0 lessen geladen, 4 al aanwezig; "
        "0 demogebruikers aangemaakt."
    )
    assert row_counts(engine) == counts
    assert audit_trail(engine) == trail


def test_every_demo_hypothesis_gets_its_designed_verdict(engine):
    with session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    with session_scope(engine) as session:
        found = {}
        for slug in VERDICTS:
            pilot = find_pilot_by_slug(session, slug)
            codes = {h.id: h.code for h in hypotheses.list_hypotheses(session, pilot.id)}
            stored = stored_verdicts(session, pilot.id)
            found[slug] = {codes[h]: v.verdict for h, v in stored.items()}
    assert found == VERDICTS


def test_the_demo_lessons_are_loaded_with_their_status_and_evidence(engine):
    with session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    with session_scope(engine) as session:
        page = search_lessons(session, LessonQuery(limit=50), actor=ACTOR)
        assert page.total == len(LESSONS)
        assert {row.statement: row.status for row in page.rows} == LESSON_STATUSES
        by_statement = {row.statement: row.id for row in page.rows}
        for lesson in LESSONS:
            detail = lesson_detail(session, by_statement[lesson["statement"]], actor=ACTOR)
            assert detail.explanation == lesson["explanation"].strip()
            assert detail.pilot_title == DOCS[lesson["pilot"]]["title"]
            assert detail.organisation == DEMO_ORGANISATION["name"]
            assert detail.tags == {k: tuple(v) for k, v in lesson["tags"].items()}
            shown = [
                (v.pilot_slug, v.hypothesis_code, v.stance, v.note)
                for v in detail.supporting + detail.contradicting
            ]
            expected = [
                (e["pilot"], e["hypothesis"], e["stance"], e["note"]) for e in lesson["evidence"]
            ]
            assert sorted(shown) == sorted(expected)
            # The stance agrees with the stored verdict of the hypothesis it names.
            for view in detail.supporting:
                assert view.verdict in ("supported", "partly_supported"), view
            for view in detail.contradicting:
                assert view.verdict in ("contrary", "no_meaningful_effect"), view
        # The search finds a lesson by a Dutch word form it does not contain ("wijkteam").
        found = search_lessons(session, LessonQuery(text="wijkteams"), actor=ACTOR)
        assert [row.status for row in found.rows] == ["emerging"]


def test_the_three_network_meeting_pilots_are_pooled(engine):
    with session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    with session_scope(engine) as session:
        hours, informal = (
            pooled_evidence(session, measure, "netwerkbijeenkomst", actor=ACTOR)
            for measure in ("uren_ondersteuning_per_client", "aandeel_informele_steun")
        )
    for view in (hours, informal):
        assert (view.result.status, view.result.k) == ("pooled", 3)
        assert {p.slug for p in view.pilots} == NETWORK_PILOTS
        assert {p.municipality for p in view.pilots} == {"Utrecht", "Amsterdam"}
    # The hours differ between the pilots (fixed or rotating conversation leaders); the share
    # with informal help rose alike everywhere.
    assert hours.result.i2 > 0.5 > informal.result.i2
    assert hours.result.estimate < 0 < informal.result.estimate


def test_a_refused_demo_file_leaves_nothing_behind(engine, tmp_path):
    (tmp_path / "experiments").mkdir()
    (tmp_path / "data" / "demo").mkdir(parents=True)
    for path in FILES[:2]:
        (tmp_path / "experiments" / path.name).write_bytes(path.read_bytes())
        data = DOCS[path.stem]["data"]
        (tmp_path / data).write_bytes((PROJECT_ROOT / data).read_bytes())
    # The second pilot's CSV has a row with a measure the codebook does not know.
    broken = tmp_path / DOCS[FILES[1].stem]["data"]
    broken.write_text(broken.read_text() + "onbekend,2017-01-01,,pilot,1,,,,,x\n")
    before = row_counts(engine)
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=tmp_path)
    assert {e.field for e in caught.value.errors} == {"data"}
    assert "onbekend" in caught.value.message("en")
    assert row_counts(engine) == before


LESSON_TEXT = f"""# {DEMO_COMMENT}

[[lessons]]
statement = "Netwerkbijeenkomsten vergroten het aandeel cliënten met informele steun"
explanation = "Uit Overvecht."
pilot = "netwerkbijeenkomsten-utrecht"

[lessons.tags]
domain = ["wmo"]
intervention_type = ["netwerkbijeenkomst"]
measure = ["aandeel_informele_steun"]
condition = ["aanhaken"]

[[lessons.evidence]]
pilot = "netwerkbijeenkomsten-utrecht"
hypothesis = "H2"
stance = "supports"
note = "Het aandeel steeg."

[[lessons.evidence]]
pilot = "informele-mentoren-rotterdam"
stance = "contradicts"
"""
SECOND_LESSON = """
[[lessons]]
statement = "Informele mentoren verlagen de verwijzingen naar specialistische jeugdhulp niet"
pilot = "informele-mentoren-rotterdam"

[[lessons.evidence]]
pilot = "informele-mentoren-rotterdam"
hypothesis = "H1"
stance = "supports"
"""


def small_root(tmp_path: Path, lessons: str) -> Path:
    """A project root with two demo pilots (Utrecht, Rotterdam) and the given lessons file."""
    (tmp_path / "experiments").mkdir(exist_ok=True)
    (tmp_path / "data" / "demo").mkdir(parents=True, exist_ok=True)
    for stem in ("netwerkbijeenkomsten-utrecht", "informele-mentoren-rotterdam"):
        path = PROJECT_ROOT / "experiments" / f"{stem}.toml"
        (tmp_path / "experiments" / path.name).write_bytes(path.read_bytes())
        data = DOCS[stem]["data"]
        (tmp_path / data).write_bytes((PROJECT_ROOT / data).read_bytes())
    (tmp_path / "data" / "demo" / "lessons.toml").write_text(lessons, encoding="utf-8")
    return tmp_path


def test_a_lesson_added_to_the_file_later_is_loaded_and_the_others_skipped(engine, tmp_path):
    root = small_root(tmp_path, LESSON_TEXT)
    with session_scope(engine) as session:
        first = load_demo(session, actor=ACTOR, root=root)
    assert (first.loaded, first.lessons_loaded, first.lessons_skipped) == (2, 1, 0)
    (root / "data" / "demo" / "lessons.toml").write_text(
        LESSON_TEXT + SECOND_LESSON, encoding="utf-8"
    )
    with session_scope(engine) as session:
        second = load_demo(session, actor=ACTOR, root=root)
    assert (second.loaded, second.lessons_loaded, second.lessons_skipped) == (0, 1, 1)
    with session_scope(engine) as session:
        statuses = {
            row.statement: row.status
            for row in search_lessons(session, LessonQuery(), actor=ACTOR).rows
        }
        evidence = session.exec(select(func.count()).select_from(LessonEvidence)).one()
    assert statuses == {
        "Netwerkbijeenkomsten vergroten het aandeel cliënten met informele steun": "contested",
        "Informele mentoren verlagen de verwijzingen naar specialistische jeugdhulp niet": (
            "emerging"
        ),
    }
    assert evidence == 3


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        (
            ('stance = "supports"', 'stance = "steunt"'),
            "lessons.toml: lessons[1].evidence[1].stance",
            "evidence_stance",
        ),
        (
            (
                'pilot = "netwerkbijeenkomsten-utrecht"\n\n[lessons.tags]',
                'pilot = "elders"\n\n[lessons.tags]',
            ),
            "lessons.toml: lessons[1].pilot",
            "demo_lesson_pilot",
        ),
        (
            ('hypothesis = "H2"', 'hypothesis = "H7"'),
            "lessons.toml: lessons[1].evidence[1].hypothesis",
            "demo_lesson_hypothesis",
        ),
        (
            ('condition = ["aanhaken"]', 'condition = ["geluk"]'),
            "lessons.toml: lessons[1].tags.condition",
            "tag_value",
        ),
        (
            ('measure = ["aandeel_informele_steun"]', 'measure = ["tevredenheid"]'),
            "lessons.toml: lessons[1].tags.measure",
            "tag_value",
        ),
        (
            ('domain = ["wmo"]', 'domein = ["wmo"]'),
            "lessons.toml: lessons[1].tags.domein",
            "tag_kind",
        ),
        (
            ('explanation = "Uit Overvecht."', 'uitleg = "Uit Overvecht."'),
            "lessons.toml: lessons[1].uitleg",
            "file_key_unknown",
        ),
        (
            ('statement = "Netwerk', 'statement = 3\nx = "Netwerk'),
            "lessons.toml: lessons[1].statement",
            "file_type",
        ),
        (("[[lessons]]\nstatement", "[[lessons]\nstatement"), "lessons.toml", "file_syntax"),
    ],
    ids=[
        "stance",
        "pilot",
        "hypothesis",
        "condition",
        "measure",
        "tag kind",
        "unknown key",
        "type",
        "syntax",
    ],
)
def test_a_bad_lessons_file_is_refused_naming_file_lesson_and_key(
    engine, tmp_path, change, field, code
):
    old, new = change
    assert LESSON_TEXT.count(old) == 1
    root = small_root(tmp_path, LESSON_TEXT.replace(old, new))
    before = row_counts(engine)
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=root)
    assert (field, code) in {(e.field, e.code) for e in caught.value.errors}
    assert caught.value.message("nl").startswith("lessons.toml")
    assert row_counts(engine) == before


def test_a_statement_twice_in_the_lessons_file_is_refused(engine, tmp_path):
    twice = LESSON_TEXT + LESSON_TEXT.split("\n", 1)[1]
    root = small_root(tmp_path, twice)
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=root)
    assert [(e.field, e.code) for e in caught.value.errors] == [
        ("lessons.toml: lessons[2].statement", "file_duplicate")
    ]


def test_a_lesson_the_service_refuses_leaves_nothing_behind_not_even_the_pilots(engine, tmp_path):
    # Only the service knows a statement needs ten characters: the pilots are stored by then,
    # and must go with the refused lesson.
    short = LESSON_TEXT.replace(
        "Netwerkbijeenkomsten vergroten het aandeel cliënten met informele steun", "Te kort"
    )
    root = small_root(tmp_path, short)
    before = row_counts(engine)
    with pytest.raises(ValidationError) as caught, session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=root)
    assert [e.field for e in caught.value.errors] == ["lessons.toml: lessons[1].statement"]
    assert row_counts(engine) == before


def test_the_cli_loads_the_demo_once_and_lists_the_pilots(tmp_path):
    url = migrated_sqlite_url(tmp_path / "cli.db")
    env = {
        "TRACKER_DATABASE_URL": url,
        "TRACKER_ACTOR": "cli@test.example",
        "TRACKER_LANGUAGE": "en",
    }
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "load"], env=env)
    assert first.exit_code == 0, first.output
    assert first.stdout.count(": loaded (") == 7
    assert "7 pilots loaded, 0 already present; 4 lessons loaded, 0 already present" in (
        first.stdout
    )
    second = runner.invoke(app, ["demo", "load"], env=env)
    assert second.exit_code == 0, second.output
    assert second.stdout.count(": already present") == 7
    assert "0 lessons loaded, 4 already present" in second.stdout
    listed = runner.invoke(app, ["pilots", "list", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    pilots = json.loads(listed.stdout)
    assert len(pilots) == 7
    assert all(p["hypotheses"] > 0 and p["measurements"] > 0 for p in pilots)
    assert sorted(p["slug"] for p in pilots) == sorted(d["slug"] for d in DOCS.values())
