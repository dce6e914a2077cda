"""The portfolio overview: stored verdicts, phases, freshness and filters, in a few queries.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import event
from sqlmodel import select

from tests import factories
from tests.import_helpers import write
from tracker.db import session_scope
from tracker.models import Pilot, Role
from tracker.services import hypotheses, organisations, pilots
from tracker.services.access import Actor
from tracker.services.analysis import analyze_pilot
from tracker.services.demo import load_demo
from tracker.services.hypotheses import list_hypotheses
from tracker.services.measurements import import_measurements, store_measurement_frame
from tracker.services.portfolio import (
    OVERDUE_DAYS,
    PortfolioFilter,
    PortfolioRow,
    filter_options,
    matches,
    options_of,
    portfolio,
    verdict_mix_by_domain,
)
from tracker.services.verdicts import refresh_verdicts, stored_verdicts

ACTOR = factories.ACTOR
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# factories.pilot: baseline 2020-01-01, intervention 2021-01-01, evaluation end 2022-12-31.
BASELINE = dt.date(2020, 1, 1)
INTERVENTION = dt.date(2021, 1, 1)
EVALUATION_END = dt.date(2022, 12, 31)
TODAY = dt.date(2022, 3, 1)


def one_row(engine, **kwargs: Any) -> PortfolioRow:
    with session_scope(engine) as session:
        [row] = portfolio(session, actor=ACTOR, **kwargs)
    return row


def store(engine, pilot_id: int, periods: list[dt.date], measure: str = "contacten") -> None:
    """One pilot-group value per period, through the bulk store (no refresh of its own)."""
    frame = pd.DataFrame({"measure": measure, "period": pd.to_datetime(periods), "value": 1.0})
    with session_scope(engine) as session:
        store_measurement_frame(session, pilot_id, frame, source="test", actor=ACTOR)


@pytest.fixture
def bare_pilot(engine) -> int:
    """The factory pilot with one hypothesis, no measurements, never analysed."""
    with session_scope(engine) as session:
        factories.measure(session, "contacten")
        pilot = factories.pilot(session)
        assert pilot.id is not None
        factories.hypothesis(session, pilot.id, "H1")
        return pilot.id


# --------------------------------------------------------------------------- verdicts and data
MONTHS = pd.date_range("2020-01-01", "2021-12-01", freq="MS")
WIGGLE = (0.0, 2.0, -1.0, 3.0, -2.0, 1.0)
CSV = "period,measure,value\n" + "".join(
    f"{p:%Y-%m-%d},contacten,{(100 if p.year == 2020 else 80) + WIGGLE[i % 6]}\n"
    for i, p in enumerate(MONTHS)
)


def test_a_pilot_never_analysed_counts_its_hypotheses_as_insufficient_data(engine, bare_pilot):
    with session_scope(engine) as session:
        factories.hypothesis(session, bare_pilot, "H2")
    row = one_row(engine, today=TODAY)
    assert (row.n_hypotheses, row.verdicts) == (2, {"insufficient_data": 2})
    assert (row.last_entry, row.last_period) == (None, None)


def test_late_registrations_are_counted_per_pilot(engine, bare_pilot):
    with session_scope(engine) as session:
        factories.hypothesis(session, bare_pilot, "H2")
        hypotheses.register_hypotheses(session, bare_pilot, actor=ACTOR, registered_late=True)
        factories.hypothesis(session, bare_pilot, "H3")  # a draft: not (yet) late
    row = one_row(engine, today=TODAY)
    assert (row.n_hypotheses, row.late_registrations) == (3, 2)


def test_an_import_shows_up_as_the_new_verdict_mix_and_freshness(engine, bare_pilot, tmp_path):
    with session_scope(engine) as session:
        factories.measure(session, "wachttijd", name="Wachttijd in dagen", unit="dagen")
        factories.hypothesis(session, bare_pilot, "H2", measure_code="wachttijd")
        factories.hypothesis(session, bare_pilot, "H3", expected_direction="increase")
    before = one_row(engine, today=TODAY)
    assert before.verdicts == {"insufficient_data": 3}

    day_before = dt.datetime.now(dt.UTC).date()
    with session_scope(engine) as session:
        report = import_measurements(session, bare_pilot, write(tmp_path, CSV), actor=ACTOR)
        assert report.ok
    day_after = dt.datetime.now(dt.UTC).date()

    with session_scope(engine) as session:
        expected = Counter(a.result.verdict for a in analyze_pilot(session, bare_pilot))
    row = one_row(engine, today=TODAY)
    assert row.verdicts == dict(expected)
    assert expected["insufficient_data"] == 1  # H2 has no data; H1 and H3 are decided
    assert row.n_hypotheses == 3
    assert row.last_period == dt.date(2021, 12, 1)
    assert row.last_entry in (day_before, day_after)


def test_verdicts_are_listed_in_the_fixed_verdict_order(engine, bare_pilot, tmp_path):
    with session_scope(engine) as session:
        factories.hypothesis(session, bare_pilot, "H2", expected_direction="increase")
        factories.hypothesis(session, bare_pilot, "H3", measure_code="contacten", min_effect=90.0)
        import_measurements(session, bare_pilot, write(tmp_path, CSV), actor=ACTOR)
    row = one_row(engine, today=TODAY)
    order = ["supported", "partly_supported", "contrary", "no_meaningful_effect", "inconclusive"]
    order.append("insufficient_data")
    assert list(row.verdicts) == [v for v in order if v in row.verdicts]
    assert len(row.verdicts) >= 2


def test_a_hypothesis_added_after_the_last_refresh_counts_as_insufficient_data(
    engine, bare_pilot, tmp_path
):
    with session_scope(engine) as session:
        import_measurements(session, bare_pilot, write(tmp_path, CSV), actor=ACTOR)
        [analysed] = stored_verdicts(session, bare_pilot).values()
        factories.hypothesis(session, bare_pilot, "H2")
    row = one_row(engine, today=TODAY)
    assert analysed.verdict != "insufficient_data"
    assert row.verdicts == {analysed.verdict: 1, "insufficient_data": 1}


def test_the_owner_is_shown_by_display_name(engine):
    with session_scope(engine) as session:
        org = factories.organisation(session)
        organisations.get_or_create_user(
            session,
            organisation_id=org.id,
            email="eigenaar@gemeente.example",
            display_name="Fatima de Vries",
            actor=ACTOR,
        )
        factories.pilot(session, owner_email="eigenaar@gemeente.example")
        factories.pilot(session, slug="zonder-eigenaar", title="Zonder eigenaar")
    with session_scope(engine) as session:
        owners = {r.slug: r.owner for r in portfolio(session, actor=ACTOR, today=TODAY)}
    assert owners == {"netwerk-noord": "Fatima de Vries", "zonder-eigenaar": ""}


# --------------------------------------------------------------------------- phase
@pytest.mark.parametrize(
    ("today", "phase"),
    [
        (BASELINE - dt.timedelta(days=1), "preparation"),
        (BASELINE, "baseline"),
        (INTERVENTION - dt.timedelta(days=1), "baseline"),
        (INTERVENTION, "intervention"),
        (EVALUATION_END, "intervention"),
        (EVALUATION_END + dt.timedelta(days=1), "evaluation_done"),
    ],
)
def test_the_phase_follows_the_pilots_dates(engine, bare_pilot, today, phase):
    assert one_row(engine, today=today).phase == phase


def test_today_defaults_to_the_system_date(engine, bare_pilot):
    # The factory pilot ended in 2022.
    assert one_row(engine).phase == "evaluation_done"


# --------------------------------------------------------------------------- freshness
def days(n: int, after: dt.date) -> dt.date:
    return after + dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("today", "periods", "overdue"),
    [
        # Baseline phase without any measurement: overdue once past baseline start + 62 days.
        (days(OVERDUE_DAYS, BASELINE), [], False),
        (days(OVERDUE_DAYS + 1, BASELINE), [], True),
        # Intervention phase: the latest period counts, not the first.
        (
            days(OVERDUE_DAYS, dt.date(2021, 6, 1)),
            [dt.date(2021, 5, 1), dt.date(2021, 6, 1)],
            False,
        ),
        (days(OVERDUE_DAYS + 1, dt.date(2021, 6, 1)), [dt.date(2021, 6, 1)], True),
        (dt.date(2020, 6, 15), [dt.date(2020, 5, 1)], False),
        # Outside the measuring phases nothing is overdue.
        (BASELINE - dt.timedelta(days=1), [], False),
        (dt.date(2023, 6, 1), [dt.date(2021, 6, 1)], False),
        (dt.date(2023, 6, 1), [], False),
    ],
)
def test_overdue_warns_about_missing_recent_data(engine, bare_pilot, today, periods, overdue):
    if periods:
        store(engine, bare_pilot, periods)
    row = one_row(engine, today=today)
    assert row.overdue is overdue
    assert row.last_period == (max(periods) if periods else None)


# --------------------------------------------------------------------------- filters
PILOTS = {
    # slug: (title, municipality, code, domains, status, strategy)
    "buurtteams": ("Buurtteams", "Amsterdam", "GM0363", ["wmo", "jeugd"], "running",
                   "netwerkversterking"),
    "armoede": ("Armoedeaanpak", "Utrecht", "GM0344", ["schuldhulp"], "baseline",
                "vroegsignalering"),
    "jongerenwerk": ("jongerenwerk op school", "Amsterdam", "GM0363", ["jeugd", "onderwijs"],
                     "closed", "vroegsignalering"),
    "alleen-wonen": ("Alleen wonen", "Rotterdam", "GM0599", ["wonen"], "running", ""),
}  # fmt: skip


@pytest.fixture
def several(engine) -> dict[str, int]:
    with session_scope(engine) as session:
        ids = {}
        for slug, (title, municipality, code, domains, status, strategy) in PILOTS.items():
            pilot = factories.pilot(
                session,
                slug=slug,
                title=title,
                municipality=municipality,
                municipality_code=code,
                domains=domains,
                status=status,
                strategy=strategy,
            )
            ids[slug] = pilot.id
        return ids


def slugs(
    engine, filters: PortfolioFilter = PortfolioFilter(), *, actor: Actor = ACTOR
) -> list[str]:
    with session_scope(engine) as session:
        return [r.slug for r in portfolio(session, filters, actor=actor, today=TODAY)]


def manager_of(organisation_id: int | None) -> Actor:
    """A signed-in manager of that organisation: sees only its pilots."""
    return Actor(name="m@gemeente.example", role=Role.manager, organisation_id=organisation_id)


def test_rows_are_sorted_by_municipality_then_title_ignoring_case(engine, several):
    assert slugs(engine) == ["buurtteams", "jongerenwerk", "alleen-wonen", "armoede"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (PortfolioFilter(municipalities=("Amsterdam",)), ["buurtteams", "jongerenwerk"]),
        (
            PortfolioFilter(municipalities=("Utrecht", "Amsterdam")),
            ["buurtteams", "jongerenwerk", "armoede"],
        ),
        (PortfolioFilter(statuses=("running",)), ["buurtteams", "alleen-wonen"]),
        (PortfolioFilter(statuses=("evaluating",)), []),
        (PortfolioFilter(strategies=("vroegsignalering",)), ["jongerenwerk", "armoede"]),
        (PortfolioFilter(strategies=("",)), ["alleen-wonen"]),
        # Domains: a pilot matches when any of its domains is chosen.
        (PortfolioFilter(domains=("jeugd",)), ["buurtteams", "jongerenwerk"]),
        (PortfolioFilter(domains=("wmo",)), ["buurtteams"]),
        (PortfolioFilter(domains=("onderwijs", "wonen")), ["jongerenwerk", "alleen-wonen"]),
        (PortfolioFilter(domains=("sport",)), []),
        # Combined: every filter must hold.
        (
            PortfolioFilter(municipalities=("Amsterdam",), strategies=("vroegsignalering",)),
            ["jongerenwerk"],
        ),
        (PortfolioFilter(domains=("jeugd",), statuses=("running",)), ["buurtteams"]),
        (PortfolioFilter(municipalities=("Utrecht",), domains=("jeugd",)), []),
        (
            PortfolioFilter(
                municipalities=("Amsterdam", "Rotterdam"),
                domains=("jeugd", "wonen"),
                statuses=("running", "closed"),
                strategies=("netwerkversterking", ""),
            ),
            ["buurtteams", "alleen-wonen"],
        ),
    ],
)
def test_filters(engine, several, filters, expected):
    assert slugs(engine, filters) == expected


@pytest.mark.parametrize(
    "filters",
    [
        PortfolioFilter(),
        PortfolioFilter(municipalities=("Amsterdam",)),
        PortfolioFilter(domains=("onderwijs", "wonen")),
        PortfolioFilter(statuses=("running",), strategies=("",)),
        PortfolioFilter(municipalities=("Utrecht", "Amsterdam"), domains=("jeugd",)),
    ],
)
def test_filtering_loaded_rows_gives_what_the_filtered_query_gives(engine, several, filters):
    with session_scope(engine) as session:
        everything = portfolio(session, actor=ACTOR)
        assert [r for r in everything if matches(r, filters)] == portfolio(
            session, filters, actor=ACTOR
        )
        assert options_of(everything) == filter_options(session, actor=ACTOR)


def test_the_organisation_limits_the_rows(engine, several):
    with session_scope(engine) as session:
        other = factories.organisation(session, code="GM0014", name="Groningen")
        amsterdam = factories.organisation(session)
        pilots.create_pilot(
            session,
            {
                "slug": "groningen-eigen",
                "title": "Eigen kracht Groningen",
                "municipality": "Groningen",
                "municipality_code": "GM0014",
                "domains": ["wmo"],
                "baseline_start": BASELINE,
                "intervention_start": INTERVENTION,
                "evaluation_end": EVALUATION_END,
            },
            organisation_id=other.id,
            actor=ACTOR,
        )
        assert filter_options(session, actor=manager_of(other.id))["municipalities"] == [
            "Groningen"
        ]
    assert slugs(engine, actor=manager_of(other.id)) == ["groningen-eigen"]
    assert slugs(engine, actor=manager_of(amsterdam.id)) == [
        "buurtteams",
        "jongerenwerk",
        "alleen-wonen",
        "armoede",
    ]
    assert len(slugs(engine)) == 5


def test_filter_options_list_the_values_present(engine, several):
    with session_scope(engine) as session:
        options = filter_options(session, actor=ACTOR)
    assert options == {
        "municipalities": ["Amsterdam", "Rotterdam", "Utrecht"],
        "domains": ["jeugd", "onderwijs", "schuldhulp", "wmo", "wonen"],
        "statuses": ["baseline", "closed", "running"],
        "strategies": ["netwerkversterking", "vroegsignalering"],
    }


def test_filter_options_of_an_empty_database_are_empty(engine):
    with session_scope(engine) as session:
        assert filter_options(session, actor=ACTOR) == {
            "municipalities": [],
            "domains": [],
            "statuses": [],
            "strategies": [],
        }
        assert portfolio(session, actor=ACTOR) == []


def test_a_row_carries_the_pilots_own_fields(engine, several):
    with session_scope(engine) as session:
        [row] = portfolio(
            session, PortfolioFilter(municipalities=("Utrecht",)), actor=ACTOR, today=TODAY
        )
    assert row == PortfolioRow(
        pilot_id=several["armoede"],
        slug="armoede",
        title="Armoedeaanpak",
        municipality="Utrecht",
        municipality_code="GM0344",
        domains=("schuldhulp",),
        strategy="vroegsignalering",
        status="baseline",
        phase="intervention",
        owner="",
        n_hypotheses=0,
        verdicts={},
        last_entry=None,
        last_period=None,
        overdue=True,
        baseline_start=BASELINE,
        intervention_start=INTERVENTION,
        evaluation_end=EVALUATION_END,
    )
    assert json.loads(json.dumps(row.to_dict()))["baseline_start"] == "2020-01-01"


# --------------------------------------------------------------------------- verdict mix
def row(domains: tuple[str, ...], verdicts: dict[str, int]) -> PortfolioRow:
    return PortfolioRow(
        pilot_id=1,
        slug="x",
        title="x",
        municipality="x",
        municipality_code="GM0001",
        domains=domains,
        strategy="",
        status="running",
        phase="intervention",
        owner="",
        n_hypotheses=sum(verdicts.values()),
        verdicts=verdicts,
        last_entry=None,
        last_period=None,
        overdue=False,
        baseline_start=BASELINE,
        intervention_start=INTERVENTION,
        evaluation_end=EVALUATION_END,
    )


def test_the_verdict_mix_counts_a_multi_domain_pilot_in_each_domain():
    rows = [
        row(("wmo", "jeugd"), {"supported": 2, "contrary": 1}),
        row(("jeugd",), {"supported": 1, "insufficient_data": 1}),
        row(("wonen", "wonen"), {"inconclusive": 1}),  # a repeated domain counts once
        row(("sport",), {}),
    ]
    assert verdict_mix_by_domain(rows) == {
        "jeugd": {"supported": 3, "contrary": 1, "insufficient_data": 1},
        "sport": {},
        "wmo": {"supported": 2, "contrary": 1},
        "wonen": {"inconclusive": 1},
    }
    assert list(verdict_mix_by_domain(rows)) == ["jeugd", "sport", "wmo", "wonen"]
    assert verdict_mix_by_domain([]) == {}


def test_the_verdict_mix_of_the_demo_portfolio_adds_up(engine):
    with session_scope(engine) as session:
        load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    with session_scope(engine) as session:
        rows = portfolio(session, actor=ACTOR, today=TODAY)
    mix = verdict_mix_by_domain(rows)
    for domain, counts in mix.items():
        assert sum(counts.values()) == sum(r.n_hypotheses for r in rows if domain in r.domains)
    assert sum(sum(c.values()) for c in mix.values()) == sum(
        r.n_hypotheses * len(set(r.domains)) for r in rows
    )


# --------------------------------------------------------------------------- the demo
def test_the_demo_load_gives_every_hypothesis_its_analysed_verdict(engine):
    with session_scope(engine) as session:
        report = load_demo(session, actor=ACTOR, root=PROJECT_ROOT)
    assert report.loaded == 7
    with session_scope(engine) as session:
        for result in report.pilots:
            hypotheses = {h.code: h.id for h in list_hypotheses(session, result.pilot_id)}
            stored = stored_verdicts(session, result.pilot_id)
            assert set(stored) == set(hypotheses.values()), result.slug
            analyses = analyze_pilot(session, result.pilot_id)
            analysed = {hypotheses[a.code]: a.result.verdict for a in analyses}
            assert {h: v.verdict for h, v in stored.items()} == analysed, result.slug
        rows = portfolio(session, actor=ACTOR, today=TODAY)
    assert len(rows) == 7
    assert all(sum(r.verdicts.values()) == r.n_hypotheses > 0 for r in rows)
    assert all(r.last_entry is not None and r.last_period is not None for r in rows)
    # The demo was made to show a mix: more than one kind of verdict across the portfolio.
    assert len({v for r in rows for v in r.verdicts}) >= 3


# --------------------------------------------------------------------------- query count
def add_pilots(engine, n: int, *, start: int = 0) -> None:
    """``n`` more pilots, each with two hypotheses and three measurements; every other one
    analysed. Pilots ``start`` … ``start + n - 1``; the first call also adds the measure."""
    frame = pd.DataFrame(
        {
            "measure": "contacten",
            "period": pd.to_datetime(["2020-01-01", "2020-02-01", "2021-03-01"]),
            "value": [1.0, 2.0, 3.0],
        }
    )
    with session_scope(engine) as session:
        if start == 0:
            factories.measure(session, "contacten")
        for i in range(start, start + n):
            pilot = factories.pilot(
                session,
                slug=f"pilot-{i:03d}",
                municipality=f"Gemeente {i % 4}",
                domains=["wmo", "jeugd"] if i % 2 else ["wonen"],
                strategy=f"strategie {i % 3}",
            )
            assert pilot.id is not None
            factories.hypothesis(session, pilot.id, "H1")
            factories.hypothesis(session, pilot.id, "H2", is_primary=False)
            store_measurement_frame(session, pilot.id, frame, source="test", actor=ACTOR)
            if i % 2:
                refresh_verdicts(session, pilot.id)


def statements_of_portfolio(engine, filters: PortfolioFilter) -> tuple[list[str], int]:
    """The SQL statements one ``portfolio`` call sends, and the number of rows it returns."""
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    with session_scope(engine, read_only=True) as session:
        session.exec(select(Pilot.id)).first()  # the transaction has begun before we count
        event.listen(engine, "before_cursor_execute", count)
        try:
            rows = portfolio(session, filters, actor=ACTOR, today=TODAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return sent, len(rows)


@pytest.mark.parametrize(
    "filters",
    [
        PortfolioFilter(),
        PortfolioFilter(municipalities=("Gemeente 1", "Gemeente 3"), domains=("jeugd",)),
    ],
    ids=["all", "filtered"],
)
def test_portfolio_sends_the_same_two_queries_for_3_or_30_pilots(engine, filters):
    add_pilots(engine, 3)
    few, n_few = statements_of_portfolio(engine, filters)
    add_pilots(engine, 27, start=3)
    many, n_many = statements_of_portfolio(engine, filters)
    assert n_many > n_few > 0
    assert len(few) == len(many) == 2, many
    assert all(s.lstrip().upper().startswith("SELECT") for s in many)
