"""The manager's portfolio overview: every pilot with its phase, verdict mix and freshness.

Built for a thousand pilots with millions of measurements: two queries (pilots with their
owners, latest period and last data entry, each an index seek per pilot; hypotheses per
pilot and stored verdict), whatever the number of pilots. It reads the
verdicts that ``tracker.services.verdicts`` stored and runs no analysis.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import String, case, func, type_coerce
from sqlmodel import Session, col, select

from tracker.analysis.verdict import INSUFFICIENT_DATA, VERDICTS
from tracker.models import AuditEvent, Hypothesis, HypothesisVerdict, Measurement, Pilot, User
from tracker.services import access
from tracker.services.access import Actor

# Freshness: monthly data, so one missed month plus some slack.
OVERDUE_DAYS = 62

PREPARATION = "preparation"
BASELINE = "baseline"
INTERVENTION = "intervention"
EVALUATION_DONE = "evaluation_done"
PHASES = (PREPARATION, BASELINE, INTERVENTION, EVALUATION_DONE)


@dataclass(frozen=True)
class PortfolioFilter:
    """Which pilots to show. Every field empty (the default) means all pilots."""

    municipalities: tuple[str, ...] = ()  # municipality names
    domains: tuple[str, ...] = ()  # a pilot matches when any of its domains is chosen
    statuses: tuple[str, ...] = ()  # PilotStatus values
    strategies: tuple[str, ...] = ()


class PortfolioRow(NamedTuple):
    """One pilot in the overview.

    ``verdicts`` counts the pilot's hypotheses per stored verdict (only verdicts that occur, in
    the order of ``tracker.analysis.verdict.VERDICTS``); a hypothesis that was never analysed
    counts as ``insufficient_data``, so the counts add up to ``n_hypotheses``. ``last_entry`` is
    the (UTC) date the latest measurement was entered, ``last_period`` the latest period
    measured; both None without measurements.

    A named tuple, not a frozen dataclass: just as immutable, and the overview makes a
    thousand of them on every run, at a third of the cost.
    """

    pilot_id: int
    slug: str
    title: str
    municipality: str
    municipality_code: str
    domains: tuple[str, ...]
    strategy: str
    status: str
    phase: str
    owner: str
    n_hypotheses: int
    verdicts: dict[str, int]
    last_entry: dt.date | None
    last_period: dt.date | None
    overdue: bool
    baseline_start: dt.date
    intervention_start: dt.date
    evaluation_end: dt.date
    late_registrations: int = 0  # hypotheses registered only after the intervention started

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, domains as a list."""
        data = self._asdict()
        data["domains"] = list(self.domains)
        data["verdicts"] = dict(self.verdicts)
        for name in (
            "last_entry",
            "last_period",
            "baseline_start",
            "intervention_start",
            "evaluation_end",
        ):
            value = data[name]
            data[name] = value.isoformat() if value is not None else None
        return data


def phase_of(
    today: dt.date,
    *,
    baseline_start: dt.date,
    intervention_start: dt.date,
    evaluation_end: dt.date,
) -> str:
    """Where the pilot is on ``today`` by its dates (its status is set by hand, this is not).

    preparation before the baseline start; baseline before the intervention start;
    intervention up to and including the evaluation end; evaluation_done after it.
    """
    if today < baseline_start:
        return PREPARATION
    if today < intervention_start:
        return BASELINE
    if today <= evaluation_end:
        return INTERVENTION
    return EVALUATION_DONE


def is_overdue(
    today: dt.date, *, phase: str, baseline_start: dt.date, last_period: dt.date | None
) -> bool:
    """The freshness warning: a pilot that should be measuring and has no recent data.

    Only in the baseline and intervention phases. True when the latest period is more than
    ``OVERDUE_DAYS`` before ``today``, or, without any measurement, when ``today`` is more than
    ``OVERDUE_DAYS`` after the baseline start.
    """
    if phase not in (BASELINE, INTERVENTION):
        return False
    since = last_period if last_period is not None else baseline_start
    return (today - since).days > OVERDUE_DAYS


def _domains(stored: str | list[str] | None, parsed: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """A pilot's domains from the JSON column read as text (SQLite), each distinct text parsed
    once; PostgreSQL's driver hands over the parsed list itself."""
    if stored is None:
        return ()
    if not isinstance(stored, str):
        return tuple(stored)
    domains = parsed.get(stored)
    if domains is None:
        domains = parsed[stored] = tuple(json.loads(stored) or ())  # JSON null: none
    return domains


_KNOWN = frozenset(VERDICTS)


def _ordered(counts: Mapping[str, int]) -> dict[str, int]:
    """Non-zero counts, known verdicts in their fixed order, unknown ones after them by name."""
    ordered = {v: counts[v] for v in VERDICTS if counts.get(v)}
    if len(ordered) < len(counts):  # zeros, or verdicts this version does not know
        for v in sorted(v for v in counts if v not in _KNOWN and counts[v]):
            ordered[v] = counts[v]
    return ordered


class _VerdictMixes:
    """``_ordered`` for many pilots: most share one of a few mixes, each put in order once
    (every row still gets a dict of its own)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[tuple[str, int], ...], dict[str, int]] = {}

    def __call__(self, counts: Mapping[str, int]) -> dict[str, int]:
        key = tuple(counts.items())
        mix = self._seen.get(key)
        if mix is None:
            mix = self._seen[key] = _ordered(counts)
        return dict(mix)


def _conditions(filters: PortfolioFilter, organisation_id: int | None) -> list[Any]:
    """The filters SQL applies (domains, a JSON list, are applied afterwards in Python)."""
    conditions: list[Any] = []
    if organisation_id is not None:
        conditions.append(col(Pilot.organisation_id) == organisation_id)
    if filters.municipalities:
        conditions.append(col(Pilot.municipality).in_(filters.municipalities))
    if filters.statuses:
        conditions.append(col(Pilot.status).in_(filters.statuses))
    if filters.strategies:
        conditions.append(col(Pilot.strategy).in_(filters.strategies))
    return conditions


def _restricted(query: Any, pilot_id_column: Any, conditions: list[Any]) -> Any:
    """``query`` limited to the pilots that pass ``conditions`` (no join when there are none)."""
    if not conditions:
        return query
    return query.join(Pilot, col(Pilot.id) == pilot_id_column).where(*conditions)


def portfolio(
    session: Session,
    filters: PortfolioFilter = PortfolioFilter(),
    *,
    actor: Actor,
    today: dt.date | None = None,
) -> list[PortfolioRow]:
    """The pilots of the actor's organisation that pass ``filters`` (a system actor: all).

    Sorted by municipality, then title (case-insensitive, the same on every database). Issues
    two queries however many pilots there are; verdicts are the stored ones (see
    ``tracker.services.verdicts``), so a pilot changed since its last refresh shows its older
    verdicts. ``today`` (default: the system date) decides phase and freshness.
    """
    today = today or dt.date.today()
    conditions = _conditions(filters, access.visible_organisation(actor))
    # Per-pilot subqueries, each one index seek: a GROUP BY over all measurements would read
    # every row (2 million in the benchmark) to find 1,000 maxima.
    last_period = (
        select(func.max(Measurement.period))
        .where(col(Measurement.pilot_id) == col(Pilot.id))
        .correlate(Pilot)
        .scalar_subquery()
    )
    # When data were last entered: the latest audit event of a measurement write (import, form,
    # grid), which every such write appends.
    last_entry = (
        select(func.max(AuditEvent.at))
        .where(col(AuditEvent.pilot_id) == col(Pilot.id), col(AuditEvent.entity) == "measurement")
        .correlate(Pilot)
        .scalar_subquery()
    )
    # Core execution (the session's connection and transaction): these are rows of values, and
    # the ORM's handling of them costs a millisecond per query at a thousand pilots.
    connection = session.connection()
    pilots = connection.execute(
        select(
            Pilot.id,
            Pilot.slug,
            Pilot.title,
            Pilot.municipality,
            Pilot.municipality_code,
            # As stored (text on SQLite): parsed by _domains below.
            type_coerce(Pilot.domains, String).label("domains"),
            Pilot.strategy,
            Pilot.status,
            Pilot.baseline_start,
            Pilot.intervention_start,
            Pilot.evaluation_end,
            User.display_name,
            last_entry.label("last_entry"),
            last_period.label("last_period"),
        )
        .outerjoin(User, col(User.id) == col(Pilot.owner_id))
        .where(*conditions)
    ).all()
    parsed: dict[str, tuple[str, ...]] = {}  # many pilots share a few lists: each parsed once
    wanted_domains = set(filters.domains)
    if wanted_domains:
        pilots = [p for p in pilots if wanted_domains.intersection(_domains(p[5], parsed))]
    if not pilots:
        return []

    # Hypotheses per pilot and stored verdict in one query, with how many were registered
    # late. A hypothesis never analysed has no verdict row (NULL): it counts as insufficient
    # data, so a pilot's counts add up to its number of hypotheses.
    n_late: dict[int, int] = {}
    verdicts: dict[int, dict[str, int]] = {}
    for pilot_id, verdict, count, late in connection.execute(
        _restricted(
            select(
                Hypothesis.pilot_id,
                HypothesisVerdict.verdict,
                func.count(),
                func.sum(case((col(Hypothesis.registered_late).is_(True), 1), else_=0)),
            )
            .outerjoin(
                HypothesisVerdict, col(HypothesisVerdict.hypothesis_id) == col(Hypothesis.id)
            )
            .group_by(col(Hypothesis.pilot_id), col(HypothesisVerdict.verdict)),
            col(Hypothesis.pilot_id),
            conditions,
        )
    ).all():  # fetched at once: row by row costs twice as much
        n_late[pilot_id] = n_late.get(pilot_id, 0) + int(late or 0)
        counts = verdicts.setdefault(pilot_id, {})
        verdict = INSUFFICIENT_DATA if verdict is None else verdict
        counts[verdict] = counts.get(verdict, 0) + count
    # A thousand rows on every run of the overview: plain tuples and dicts below, no Counter,
    # since this loop costs as much as the queries above when written the obvious way.
    mixes = _VerdictMixes()
    rows = []
    for (
        pilot_id,
        slug,
        title,
        municipality,
        municipality_code,
        domains,
        strategy,
        status,
        baseline_start,
        intervention_start,
        evaluation_end,
        owner,
        entered,
        latest_period,
    ) in pilots:
        phase = phase_of(
            today,
            baseline_start=baseline_start,
            intervention_start=intervention_start,
            evaluation_end=evaluation_end,
        )
        mix = mixes(verdicts.get(pilot_id, {}))
        domains = _domains(domains, parsed)
        rows.append(
            PortfolioRow(  # positional, in field order: keywords cost a dict per row
                pilot_id,
                slug,
                title,
                municipality,
                municipality_code,
                domains,
                strategy,
                str(status),
                phase,
                owner or "",
                sum(mix.values()),
                mix,
                entered.date() if entered is not None else None,
                latest_period,
                is_overdue(
                    today, phase=phase, baseline_start=baseline_start, last_period=latest_period
                ),
                baseline_start,
                intervention_start,
                evaluation_end,
                n_late.get(pilot_id, 0),
            )
        )
    rows.sort(key=lambda r: (r.municipality.casefold(), r.title.casefold(), r.pilot_id))
    return rows


def matches(row: PortfolioRow, filters: PortfolioFilter) -> bool:
    """Whether ``row`` passes ``filters`` (the same rule as :func:`portfolio`'s queries), for
    narrowing an already loaded portfolio without asking the database again."""
    return (
        (not filters.municipalities or row.municipality in filters.municipalities)
        and (not filters.domains or bool(set(filters.domains) & set(row.domains)))
        and (not filters.statuses or row.status in filters.statuses)
        and (not filters.strategies or row.strategy in filters.strategies)
    )


def options_of(rows: Sequence[PortfolioRow]) -> dict[str, list[str]]:
    """The filter choices present in loaded rows (as :func:`filter_options`, without a query)."""
    return {
        "municipalities": sorted({r.municipality for r in rows}),
        "domains": sorted({d for r in rows for d in r.domains}),
        "statuses": sorted({r.status for r in rows}),
        "strategies": sorted({r.strategy for r in rows if r.strategy}),
    }


def filter_options(session: Session, *, actor: Actor) -> dict[str, list[str]]:
    """The values each filter can take: what the actor's pilots hold, distinct and sorted.

    Keys "municipalities", "domains", "statuses", "strategies". Empty strategies (a pilot
    without one) are left out. One query.
    """
    query = access.only_visible(
        select(Pilot.municipality, Pilot.domains, Pilot.status, Pilot.strategy),
        actor,
        Pilot.organisation_id,
    )
    municipalities: set[str] = set()
    domains: set[str] = set()
    statuses: set[str] = set()
    strategies: set[str] = set()
    for municipality, pilot_domains, status, strategy in session.exec(query):
        municipalities.add(municipality)
        domains.update(pilot_domains or ())
        statuses.add(str(status))
        if strategy:
            strategies.add(strategy)
    return {
        "municipalities": sorted(municipalities),
        "domains": sorted(domains),
        "statuses": sorted(statuses),
        "strategies": sorted(strategies),
    }


def verdict_mix_by_domain(rows: Sequence[PortfolioRow]) -> dict[str, dict[str, int]]:
    """domain → verdict → number of hypotheses, over ``rows``; domains sorted.

    A pilot with several domains counts in each of them (once per domain). A domain whose
    pilots have no hypotheses maps to an empty dict.
    """
    # Pilots share a few combinations of domains and verdicts: add up each combination once.
    combinations = Counter((row.domains, tuple(row.verdicts.items())) for row in rows)
    mix: dict[str, dict[str, int]] = {}
    for (domains, verdicts), pilots in combinations.items():
        for domain in _unique(domains):
            counts = mix.setdefault(domain, {})
            for verdict, n in verdicts:
                counts[verdict] = counts.get(verdict, 0) + n * pilots
    return {domain: _ordered(mix[domain]) for domain in sorted(mix)}


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
