"""Lessons reports: build the report of a pilot, keep the officer's draft, publish versions.

``build_report`` reads everything the report needs in the caller's transaction (pilot,
hypotheses as registered with their amendments, interventions, journal, the analysis of every
hypothesis, exploratory measures and the officer's draft) into a pure
:class:`tracker.reports.model.ReportModel`. ``publish_report`` freezes that model: its canonical
JSON and SHA-256 go into a new ``report`` row with the next number, with who and when; later
measurements do not touch it. ``published_report`` reads a version back and checks its hash.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from tracker.analysis.engine import AnalysisSpec, analyze
from tracker.errors import (
    ConflictError,
    NotFoundError,
    TrackerError,
    ValidationError,
    field_error,
)
from tracker.i18n import t
from tracker.models import (
    Measure,
    Measurement,
    Pilot,
    Report,
    User,
    utcnow,
)
from tracker.models import (
    ReportDraft as DraftRow,
)
from tracker.reports.model import (
    CONDITION_ASSESSMENTS,
    CONDITIONS,
    OBSTACLES,
    RECOMMENDATIONS,
    AmendmentFacts,
    HypothesisFacts,
    InterventionFacts,
    Line,
    ObservationFacts,
    Outcome,
    PilotFacts,
    Publication,
    Recommendation,
    ReportDraft,
    ReportModel,
    SmallNumbers,
    from_dict,
    result_record,
)
from tracker.reports.recommendation import propose
from tracker.services import audit
from tracker.services.access import Action, Actor
from tracker.services.analysis import HypothesisAnalysis, analyze_pilot, measurement_frame
from tracker.services.common import sha256_hex, snapshot
from tracker.services.exports import small_number_periods
from tracker.services.hypotheses import list_amendments, list_hypotheses
from tracker.services.journal import list_interventions, list_observations
from tracker.services.pilots import checked_pilot, get_pilot
from tracker.services.versioning import save_versioned

__all__ = [
    "MIN_REASON_LENGTH",
    "build_report",
    "get_draft",
    "list_reports",
    "publish_report",
    "published_report",
    "save_draft",
]

MIN_REASON_LENGTH = 10  # as for amendments: a reason is a sentence, not "ok"
EXPLORATORY_VERDICTS = ("supported", "partly_supported", "contrary")


# ------------------------------------------------------------------------------- the draft
def get_draft(session: Session, pilot_id: int) -> tuple[ReportDraft, int]:
    """The officer's draft and its version (0: nothing saved yet, an empty draft)."""
    row = session.exec(select(DraftRow).where(DraftRow.pilot_id == pilot_id)).first()
    if row is None:
        return ReportDraft(), 0
    return from_dict(ReportDraft, json.loads(row.content)), row.version


def _check_draft(draft: ReportDraft, proposed: str) -> None:
    errors = []
    for c in draft.conditions:
        if c.code not in CONDITIONS:
            errors.append(("conditions", "report_condition", c.code))
        elif c.assessment not in CONDITION_ASSESSMENTS:
            errors.append(("conditions", "report_assessment", c.assessment))
    for o in draft.obstacles:
        if o.code not in OBSTACLES:
            errors.append(("obstacles", "report_obstacle", o.code))
    if draft.recommendation and draft.recommendation not in RECOMMENDATIONS:
        errors.append(("recommendation", "report_recommendation", draft.recommendation))
    elif (
        draft.recommendation
        and draft.recommendation != proposed
        and len(draft.recommendation_reason.strip()) < MIN_REASON_LENGTH
    ):
        errors.append(("recommendation_reason", "report_reason", draft.recommendation_reason))
    if errors:
        raise ValidationError([field_error(name, code, value) for name, code, value in errors])


def save_draft(
    session: Session,
    pilot_id: int,
    draft: ReportDraft,
    *,
    expected_version: int,
    actor: Actor,
) -> int:
    """Store the draft if nobody saved one since ``expected_version``; returns the new version.

    An override of the proposed recommendation needs a reason of at least
    ``MIN_REASON_LENGTH`` characters (the proposal follows from the current verdicts).
    """
    pilot = checked_pilot(session, pilot_id, actor, Action.publish_report)
    _check_draft(draft, _proposal(analyze_pilot(session, pilot.id)).recommendation)
    content = json.dumps(dataclasses.asdict(draft), sort_keys=True, ensure_ascii=False)
    row = session.exec(select(DraftRow).where(DraftRow.pilot_id == pilot_id)).first()
    if row is None:
        if expected_version != 0:
            raise ConflictError("report_draft", pilot.slug, expected_version, 0)
        row = DraftRow(pilot_id=pilot_id, content=content, version=1, updated_by=actor.name)
        try:
            # Two first saves at once: the unique pilot_id lets one in; the other is a stale
            # save like any other (PostgreSQL reports it here; SQLite serialises writers, so
            # there the second one finds the row and fails the version check instead).
            with session.begin_nested():
                audit.insert(session, row, entity="report_draft", actor=actor, pilot_id=pilot_id)
        except IntegrityError:
            raise ConflictError("report_draft", pilot.slug, expected_version, 1) from None
        return 1
    save_versioned(
        session,
        DraftRow,
        row,
        entity="report_draft",
        expected_version=expected_version,
        values={"content": content, "updated_by": actor.name},
        actor=actor,
        pilot_id=pilot_id,
    )
    return row.version


# ------------------------------------------------------------------------------- building
def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat(timespec="seconds")
    return value.isoformat()


def _points(frame: pd.DataFrame) -> tuple[tuple[str, float], ...]:
    out = []
    for period, value in zip(frame["period"], frame["value"], strict=True):
        number = float(value)
        if math.isfinite(number):
            out.append((pd.Timestamp(period).date().isoformat(), number))
    return tuple(out)


def _lines(data: pd.DataFrame | None, kind: str, details: dict[str, Any], design: str | None):
    """The chart lines of an outcome: observed groups, and the analysis' own lines (the its
    model and counterfactual for continuous and proportion measures, the spc centre and
    limits). Counts are left without model lines: the model's expected counts are on another
    scale than the plotted rates (see tracker.charts._add_its)."""
    from tracker.charts import period_series

    lines: list[Line] = []
    if data is not None and len(data):
        series = period_series(data, kind)
        for group in ("pilot", "comparison"):
            rows = series[series["group"] == group]
            if len(rows):
                lines.append(Line(group, _points(rows)))
    if design == "its" and kind != "count":
        points = details.get("counterfactual") or []
        for key in ("fitted", "counterfactual"):
            values = tuple(
                (str(p["period"])[:10], float(p[key]))
                for p in points
                if p.get(key) is not None and math.isfinite(float(p[key]))
            )
            if values:
                lines.append(Line(key, values))
    if design == "spc":
        for key in ("center", "lower", "upper"):
            values = tuple(
                (str(p["period"])[:10], float(p[key]))
                for p in details.get("points") or []
                if p.get(key) is not None and math.isfinite(float(p[key]))
            )
            if values:
                lines.append(Line(key, values))
    return tuple(lines)


def _outcome(
    a: HypothesisAnalysis,
    measure: Measure,
    *,
    min_effect: float | None,
    min_effect_type: str,
    exploratory: bool = False,
) -> Outcome:
    details = a.result.to_dict("nl")["details"]
    return Outcome(
        code=a.code,
        measure_code=measure.code,
        measure_name=measure.name,
        unit=measure.unit,
        kind=str(measure.kind),
        is_primary=a.is_primary,
        result=result_record(a.result),
        lines=_lines(a.data, str(measure.kind), details, a.result.design),
        exploratory=exploratory,
        summary_nl=a.result.summary("nl"),
        summary_en=a.result.summary("en"),
        min_effect=min_effect,
        min_effect_type=min_effect_type,
    )


def _exploratory(
    session: Session, pilot_id: int, intervention: dt.date, measured: set[int]
) -> list[Outcome]:
    """Measures with data in this pilot but no hypothesis, that changed clearly.

    Each is analysed as the engine would with design ``auto``, the expected direction set to
    the measure's better direction and δ = 0: "clearly" means the interval of the change lies
    on one side of zero (verdict supported or contrary at δ = 0).
    """
    ids = session.exec(
        select(Measurement.measure_id).where(Measurement.pilot_id == pilot_id).distinct()
    ).all()
    out = []
    for measure_id in sorted(set(ids) - measured):
        measure = session.get(Measure, measure_id)
        assert measure is not None
        data = measurement_frame(session, pilot_id, measure_id)
        spec = AnalysisSpec(
            intervention=intervention,
            kind=str(measure.kind),
            design="auto",
            expect="increase" if str(measure.better_direction) == "higher" else "decrease",
            min_effect=0.0,
            better=str(measure.better_direction),
        )
        result = analyze(data, spec)
        if result.verdict in EXPLORATORY_VERDICTS:
            analysis = HypothesisAnalysis(measure.code, measure.code, False, result, data)
            out.append(
                _outcome(
                    analysis, measure, min_effect=0.0, min_effect_type="absolute", exploratory=True
                )
            )
    return out


def _proposal(analyses: list[HypothesisAnalysis]):
    return propose([(a.result.verdict, a.is_primary) for a in analyses])


def build_report(
    session: Session,
    pilot_id: int,
    *,
    today: dt.date | None = None,
    draft: ReportDraft | None = None,
) -> ReportModel:
    """The report of the pilot as it stands now (``draft``: the stored one unless given)."""
    pilot = get_pilot(session, pilot_id)
    owner = session.get(User, pilot.owner_id) if pilot.owner_id else None
    hypotheses = list_hypotheses(session, pilot_id)
    measures = {h.measure_id: session.get(Measure, h.measure_id) for h in hypotheses}
    hypothesis_facts = []
    for h in hypotheses:
        measure = measures[h.measure_id]
        assert measure is not None
        hypothesis_facts.append(
            HypothesisFacts(
                code=h.code,
                measure_code=measure.code,
                measure_name=measure.name,
                unit=measure.unit,
                kind=str(measure.kind),
                if_text=h.if_text,
                then_text=h.then_text,
                because_text=h.because_text,
                expected_direction=str(h.expected_direction),
                min_effect=float(h.min_effect),
                min_effect_type=str(h.min_effect_type),
                design=str(h.design),
                is_primary=bool(h.is_primary),
                registered_at=_iso(h.registered_at),
                registered_late=bool(h.registered_late),
                amendments=tuple(
                    AmendmentFacts(
                        a.field, a.old_value, a.new_value, a.reason, a.author, _iso(a.created_at)
                    )
                    for a in list_amendments(session, h.id)  # type: ignore[arg-type]
                ),
            )
        )
    interventions = list_interventions(session, pilot_id)
    titles = {i.id: i.title for i in interventions}
    codes = {h.id: h.code for h in hypotheses}
    observations = tuple(
        ObservationFacts(
            date=o.date.isoformat(),
            kind=str(o.kind),
            text=o.text,
            hypothesis_code=codes.get(o.hypothesis_id),
            intervention_title=titles.get(o.intervention_id),
            author=o.author,
        )
        for o in list_observations(session, pilot_id)
    )
    analyses = analyze_pilot(session, pilot_id)
    by_code = {h.code: h for h in hypotheses}
    outcomes = [
        _outcome(
            a,
            measures[by_code[a.code].measure_id],  # type: ignore[arg-type]
            min_effect=a.min_effect,
            min_effect_type=a.min_effect_type,
        )
        for a in analyses
    ]
    exploratory = tuple(_exploratory(session, pilot_id, pilot.intervention_start, set(measures)))
    if draft is None:
        draft, _ = get_draft(session, pilot_id)
    proposal = _proposal(analyses)
    chosen = draft.recommendation or proposal.recommendation
    return ReportModel(
        pilot=PilotFacts(
            slug=pilot.slug,
            title=pilot.title,
            aim=pilot.aim,
            municipality=pilot.municipality,
            municipality_code=pilot.municipality_code,
            domains=tuple(pilot.domains),
            areas=tuple(
                f"{a.get('name') or a['code']} ({a['code']}, {a.get('group', 'pilot')})"
                for a in pilot.areas
            ),
            partners=tuple(pilot.partners),
            strategy=pilot.strategy,
            status=str(pilot.status),
            owner=owner.display_name if owner else "",
            baseline_start=pilot.baseline_start.isoformat(),
            intervention_start=pilot.intervention_start.isoformat(),
            evaluation_end=pilot.evaluation_end.isoformat(),
        ),
        as_of=(today or dt.date.today()).isoformat(),
        hypotheses=tuple(hypothesis_facts),
        interventions=tuple(
            InterventionFacts(
                date=i.date.isoformat(),
                planned_date=_iso(i.planned_date),
                kind=i.kind,
                title=i.title,
                description=i.description,
                status=str(i.status),
            )
            for i in interventions
        ),
        observations=observations,
        outcomes=tuple(outcomes),
        exploratory=exploratory,
        draft=draft,
        recommendation=Recommendation(
            proposed=proposal.recommendation,
            rule=proposal.rule,
            chosen=chosen,
            reason=draft.recommendation_reason,
        ),
        small_numbers=small_numbers(session, pilot),
    )


def small_numbers(session: Session, pilot: Pilot) -> tuple[SmallNumbers, ...]:
    """Per measure of the pilot, the periods whose cells the export's small-number protection
    leaves out (``TRACKER_EXPORT_SUPPRESS_BELOW``): frozen with a publication, so that what
    another organisation may not see stays hidden when the data change later."""
    lost = small_number_periods(session, [pilot])
    return tuple(
        SmallNumbers(measure, tuple(sorted(periods)))
        for (_, measure), periods in sorted(lost.items())
    )


# ---------------------------------------------------------------------------- publishing
def publish_report(
    session: Session,
    pilot_id: int,
    *,
    actor: Actor,
    language: str = "nl",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    expected_draft_version: int | None = None,
    seen_proposal: str | None = None,
) -> Report:
    """Freeze the report as it stands (stored draft included) as the next numbered version.

    ``expected_draft_version``: the draft the publisher looked at; a draft saved since then by
    someone else is refused (ConflictError) rather than published unseen. ``seen_proposal``:
    the recommendation the rule proposed on the publisher's screen; when new data changed the
    proposal since, publishing is refused, so that nobody "confirms" a proposal they never saw.
    Two publications at once get different numbers or one is refused; never the same number.
    """
    pilot = checked_pilot(session, pilot_id, actor, Action.publish_report)
    draft, draft_version = get_draft(session, pilot_id)
    if expected_draft_version is not None and draft_version != expected_draft_version:
        raise ConflictError("report_draft", pilot.slug, expected_draft_version, draft_version)
    model = build_report(session, pilot_id, today=today, draft=draft)
    _check_draft(model.draft, model.recommendation.proposed)
    if seen_proposal is not None and seen_proposal != model.recommendation.proposed:
        raise ValidationError(
            [field_error("recommendation", "report_proposal_changed", seen_proposal)]
        )
    content = model.content_json()
    number = (
        session.exec(select(func.max(Report.number)).where(Report.pilot_id == pilot_id)).one() or 0
    ) + 1
    row = Report(
        pilot_id=pilot_id,
        number=number,
        language="en" if language == "en" else "nl",
        content=content,
        content_hash=sha256_hex(content),
        published_by=actor.name,
        published_at=(now or utcnow()).replace(microsecond=0),
    )
    try:
        with session.begin_nested():  # a concurrent publication took this number first
            session.add(row)
            session.flush()
    except IntegrityError:
        raise ConflictError("report", pilot.slug, number - 1, number) from None
    # The audit event holds the hash, not the (long) content: the row itself is never updated.
    after = {k: v for k, v in (snapshot(row) or {}).items() if k != "content"}
    audit.record(
        session,
        actor=actor,
        action="publish",
        entity="report",
        entity_id=row.id,
        pilot_id=pilot_id,
        after=after,
    )
    return row


def list_reports(session: Session, pilot_id: int) -> list[Report]:
    """The pilot's published versions, newest first."""
    return list(
        session.exec(
            select(Report).where(Report.pilot_id == pilot_id).order_by(col(Report.number).desc())
        )
    )


class ReportIntegrityError(TrackerError):
    """A published report's content no longer matches its hash: it was changed in the database."""

    def __init__(self, pilot: str, number: int):
        self.pilot, self.number = pilot, number
        super().__init__(f"report {number} of pilot {pilot}: content does not match its SHA-256")

    def message(self, lang: str = "nl") -> str:
        return t("error.report_integrity", lang, pilot=self.pilot, number=self.number)


def published_report(session: Session, pilot_id: int, number: int | None = None) -> ReportModel:
    """Version ``number`` (default: the latest) as it was published, with its stamp.

    Raises NotFoundError when there is no such version and ReportIntegrityError when the
    stored content does not match its SHA-256.
    """
    query = select(Report).where(Report.pilot_id == pilot_id)
    if number is None:
        query = query.order_by(col(Report.number).desc()).limit(1)
    else:
        query = query.where(Report.number == number)
    row = session.exec(query).first()
    if row is None:
        raise NotFoundError("report", number if number is not None else "latest")
    return report_model(row)


def report_model(row: Report) -> ReportModel:
    """A stored publication as its model, with its stamp; ReportIntegrityError when the
    content does not match its SHA-256."""
    if sha256_hex(row.content) != row.content_hash:
        raise ReportIntegrityError(str(row.pilot_id), row.number)
    return ReportModel.from_content_json(
        row.content,
        Publication(
            number=row.number,
            published_by=row.published_by,
            published_at=_iso(row.published_at) or "",
            sha256=row.content_hash,
            language=row.language,
        ),
    )
