"""The five demonstration pilots: what the files promise, and `tracker demo load`.

The loading tests run on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set. The
verdict-mix test does not use the analysis engine: it recomputes, independently and simply,
whether the demo data say what they were made to say.
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
from tracker.models import AuditEvent, Hypothesis, Measurement, Organisation, Pilot, Role, User
from tracker.services import audit, hypotheses
from tracker.services.demo import (
    DEMO_COMMENT,
    DEMO_ORGANISATION,
    DEMO_USERS,
    demo_files,
    demo_loaded,
    load_demo,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FILES = demo_files(PROJECT_ROOT)
DOCS = {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in FILES}
CSV_HEADER = "measure,period,area,group,value,numerator,denominator,count,exposure,source"


def data_of(doc: dict) -> pd.DataFrame:
    frame = pd.read_csv(PROJECT_ROOT / doc["data"], dtype={"area": str, "source": str})
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


# --------------------------------------------------------------------------- what the files hold
def test_there_are_five_demo_pilots_each_with_its_csv():
    assert len(FILES) == 5
    for doc in DOCS.values():
        assert (PROJECT_ROOT / doc["data"]).is_file()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_file_says_it_is_fictitious(path):
    assert path.read_text(encoding="utf-8").startswith(f"# {DEMO_COMMENT}\n")
    csv_text = (PROJECT_ROOT / DOCS[path.stem]["data"]).read_text(encoding="utf-8")
    assert csv_text.startswith(CSV_HEADER + "\n")
    assert {row["source"] for row in csv.DictReader(csv_text.splitlines())} == {"fictief (demo)"}


def test_the_readme_says_the_data_are_fictitious():
    readme = (PROJECT_ROOT / "data" / "demo" / "README.md").read_text(encoding="utf-8")
    assert DEMO_COMMENT in readme


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
    assert len(written) == 10
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


def test_the_journal_records_an_unforeseen_effect():
    assert any(o["kind"] == "unforeseen_effect" for d in DOCS.values() for o in d["observations"])


# --------------------------------------------------------------------------- loading
def audit_trail(engine) -> list[tuple[int, str]]:
    with session_scope(engine) as session:
        return [
            (e.id, e.hash) for e in session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))
        ]


def test_loading_the_demo_creates_five_pilots_with_their_data(engine):
    lines = []
    with session_scope(engine) as session:
        assert not demo_loaded(session, root=PROJECT_ROOT)
        report = load_demo(session, actor=ACTOR, root=PROJECT_ROOT, progress=lines.append)
    assert (report.loaded, report.skipped, report.users_created) == (5, 0, 4)
    assert [r.status for r in lines] == ["loaded"] * 5
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
    with session_scope(engine) as session:
        again = load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    assert (again.loaded, again.skipped, again.users_created) == (0, 5, 0)
    assert [p.summary("en").endswith("already present") for p in again.pilots] == [True] * 5
    assert row_counts(engine) == counts
    assert audit_trail(engine) == trail


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
    assert first.stdout.count(": loaded (") == 5
    second = runner.invoke(app, ["demo", "load"], env=env)
    assert second.exit_code == 0, second.output
    assert second.stdout.count(": already present") == 5
    listed = runner.invoke(app, ["pilots", "list", "--format", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    pilots = json.loads(listed.stdout)
    assert len(pilots) == 5
    assert all(p["hypotheses"] > 0 and p["measurements"] > 0 for p in pilots)
    assert sorted(p["slug"] for p in pilots) == sorted(d["slug"] for d in DOCS.values())
