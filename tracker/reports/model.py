"""The facts of a lessons-learned report, before any wording: a frozen, JSON-able dataclass tree.

:func:`tracker.services.reports.build_report` fills a :class:`ReportModel` from the pilot, its
registered hypotheses and amendments, the intervention log, the journal, the analysis results
and what the officer wrote (:class:`ReportDraft`). :mod:`tracker.reports.writer` turns it into
words in Dutch or English. Publishing freezes the model's canonical JSON with its SHA-256, so
a published report can be rendered again, in any format and either language, with exactly the
numbers it had when it was published, however the data change afterwards.

The numbers in :class:`Outcome` are the fields of the :class:`AnalysisResult` that the analysis
page and the results export show (``result_object()`` gives that object back), so the report
cannot disagree with them.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tracker.analysis.result import AnalysisResult, AnalysisWarning

__all__ = [
    "CONDITIONS",
    "CONDITION_ASSESSMENTS",
    "OBSTACLES",
    "RECOMMENDATIONS",
    "SCHEMA_VERSION",
    "AmendmentFacts",
    "ConditionEntry",
    "HypothesisFacts",
    "InterventionFacts",
    "Line",
    "Narrative",
    "ObservationFacts",
    "ObstacleEntry",
    "Outcome",
    "PilotFacts",
    "Publication",
    "Recommendation",
    "ReportDraft",
    "ReportModel",
    "SmallNumbers",
    "from_dict",
    "result_record",
]

SCHEMA_VERSION = 1

# The five conditions for self-organisation the officer reflects on (section 6).
CONDITIONS = (
    "handelingsruimte",
    "aanhaken",
    "sense_of_belonging",
    "begrenzing",
    "vertrouwen",
)
# How far a condition was met, as the officer judges it ("" = not assessed).
CONDITION_ASSESSMENTS = ("", "present", "partly", "absent")
# Obstacles known from the decentralised social domain; "other" takes the officer's own words.
OBSTACLES = (
    "eigen_kracht",
    "hulp_vragen",
    "gescheiden_circuits",
    "geen_mandaat",
    "wantrouwen",
    "landelijke_regels",
    "geen_infrastructuur",
    "risicomijding",
    "other",
)
RECOMMENDATIONS = ("opschalen", "bijstellen", "stoppen", "doorgaan_met_meten")


# ------------------------------------------------------------------------------ the pilot
@dataclass(frozen=True)
class PilotFacts:
    slug: str
    title: str
    aim: str
    municipality: str
    municipality_code: str
    domains: tuple[str, ...]
    areas: tuple[str, ...]  # "Zuidoost (WK020004, pilot)"
    partners: tuple[str, ...]
    strategy: str
    status: str
    owner: str
    baseline_start: str  # ISO dates
    intervention_start: str
    evaluation_end: str


@dataclass(frozen=True)
class AmendmentFacts:
    field: str
    old_value: str
    new_value: str
    reason: str
    author: str
    at: str  # ISO timestamp


@dataclass(frozen=True)
class HypothesisFacts:
    """A hypothesis as registered (the original text), with its amendments beside it."""

    code: str
    measure_code: str
    measure_name: str
    unit: str
    kind: str
    if_text: str
    then_text: str
    because_text: str
    expected_direction: str
    min_effect: float
    min_effect_type: str
    design: str
    is_primary: bool
    registered_at: str | None  # ISO timestamp; None: never registered (not locked)
    registered_late: bool
    amendments: tuple[AmendmentFacts, ...] = ()


@dataclass(frozen=True)
class InterventionFacts:
    date: str
    planned_date: str | None
    kind: str
    title: str
    description: str
    status: str  # planned | delivered | cancelled


@dataclass(frozen=True)
class ObservationFacts:
    date: str
    kind: str  # cause | unforeseen_effect | obstacle | quote | decision
    text: str
    hypothesis_code: str | None = None
    intervention_title: str | None = None
    author: str = ""  # who wrote it in the journal


# ------------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Line:
    """One line of an outcome's chart: ``key`` says what it is (pilot, comparison,
    counterfactual, fitted, center, lower, upper); points are (ISO date, value)."""

    key: str
    points: tuple[tuple[str, float], ...]


def _strict(value: Any) -> Any:
    """JSON-safe and strict: NaN and infinities become None, as in the results export."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_strict(v) for v in value]
    return value


def result_record(result: AnalysisResult) -> dict[str, Any]:
    """Every field of the result except ``details`` (fit internals, kept in the export)."""
    record = {
        f.name: getattr(result, f.name)
        for f in dataclasses.fields(result)
        if f.name not in ("details", "warnings")
    }
    record["warnings"] = [w.to_dict() for w in result.warnings]
    return _strict(json.loads(json.dumps(record, allow_nan=True, default=str)))


@dataclass(frozen=True)
class Outcome:
    """What happened to one measure: the analysis result (as a record) and its chart lines.

    ``code`` is the hypothesis code, or the measure code for an exploratory outcome (a measure
    that moved without a hypothesis about it).
    """

    code: str
    measure_code: str
    measure_name: str
    unit: str
    kind: str
    is_primary: bool
    result: dict[str, Any]
    lines: tuple[Line, ...] = ()
    exploratory: bool = False
    # The plain-language sentence of the result in both languages, written when the report
    # was built: a published report keeps its words even if the wording changes later.
    summary_nl: str = ""
    summary_en: str = ""
    # The δ that was tested (the registration with its amendments applied).
    min_effect: float | None = None
    min_effect_type: str = ""

    def summary(self, lang: str) -> str:
        return self.summary_en if lang == "en" else self.summary_nl

    def result_object(self) -> AnalysisResult:
        """The result back as an object (fields a later version added take their defaults;
        fields it no longer has are left out)."""
        names = {f.name for f in dataclasses.fields(AnalysisResult)}
        data = {k: v for k, v in self.result.items() if k in names}
        warnings = tuple(AnalysisWarning(**w) for w in data.pop("warnings", []))
        data.pop("details", None)
        return AnalysisResult(**data, warnings=warnings, details={})

    @property
    def verdict(self) -> str:
        return str(self.result["verdict"])


# ------------------------------------------------------------------- what the officer writes
@dataclass(frozen=True)
class ConditionEntry:
    code: str  # one of CONDITIONS
    assessment: str = ""  # one of CONDITION_ASSESSMENTS
    text: str = ""


@dataclass(frozen=True)
class ObstacleEntry:
    code: str  # one of OBSTACLES
    text: str = ""


@dataclass(frozen=True)
class Narrative:
    summary: str = ""
    why: str = ""
    unforeseen: str = ""
    next_steps: str = ""


@dataclass(frozen=True)
class ReportDraft:
    """The officer's part of the report, kept between sessions until publication.

    Only what the officer ticked and wrote: conditions with an assessment or text, obstacles
    ticked (with optional words), the narrative, and the choice of recommendation. A choice
    other than the proposed one needs a reason (checked when saving and publishing).
    """

    narrative: Narrative = Narrative()
    conditions: tuple[ConditionEntry, ...] = ()
    obstacles: tuple[ObstacleEntry, ...] = ()
    recommendation: str = ""  # "" = take the proposal
    recommendation_reason: str = ""


@dataclass(frozen=True)
class Recommendation:
    proposed: str  # one of RECOMMENDATIONS, by the documented rule
    rule: str  # which branch of the rule applied (tracker.reports.recommendation.RULES)
    chosen: str  # what the officer confirmed or chose instead
    reason: str = ""  # required when chosen != proposed

    @property
    def overridden(self) -> bool:
        return self.chosen != self.proposed


@dataclass(frozen=True)
class Publication:
    """Who published which version when; not part of the hashed content."""

    number: int
    published_by: str
    published_at: str  # ISO timestamp (UTC)
    sha256: str
    language: str


@dataclass(frozen=True)
class SmallNumbers:
    """The periods of one measure in which a count, numerator or denominator was below the
    small-number threshold when the report was built (``tracker.io.suppression``). Kept in the
    frozen report, so that a shared report stays protected even after the data are corrected."""

    measure_code: str
    periods: tuple[str, ...]  # ISO dates


@dataclass(frozen=True)
class ReportModel:
    pilot: PilotFacts
    as_of: str  # ISO date the data were read
    hypotheses: tuple[HypothesisFacts, ...]
    interventions: tuple[InterventionFacts, ...]
    observations: tuple[ObservationFacts, ...]
    outcomes: tuple[Outcome, ...]
    exploratory: tuple[Outcome, ...]
    draft: ReportDraft
    recommendation: Recommendation
    small_numbers: tuple[SmallNumbers, ...] = ()
    schema_version: int = SCHEMA_VERSION
    publication: Publication | None = field(default=None, compare=False)

    def content(self) -> dict[str, Any]:
        """The frozen content: everything but the publication stamp."""
        data = dataclasses.asdict(self)
        data.pop("publication")
        return data

    def content_json(self) -> str:
        """Canonical JSON of :meth:`content` (sorted keys, no spaces): what the hash covers."""
        return json.dumps(
            _strict(self.content()), sort_keys=True, separators=(",", ":"), allow_nan=False
        )

    @classmethod
    def from_content_json(cls, text: str, publication: Publication | None = None) -> ReportModel:
        model = from_dict(cls, json.loads(text))
        return dataclasses.replace(model, publication=publication)


# ---------------------------------------------------------------------- loading from JSON
T = TypeVar("T")


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value, strict=True))
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return from_dict(hint, value)
    return value


@functools.cache
def _fields_of(cls: type) -> tuple[dict[str, Any], frozenset[str]]:
    # Resolving the hints is most of the time of reading a report back: once per class.
    return typing.get_type_hints(cls), frozenset(f.name for f in dataclasses.fields(cls))


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a (nested) dataclass from ``dataclasses.asdict`` output read back from JSON."""
    hints, known = _fields_of(cls)
    kwargs = {name: _convert(hints[name], value) for name, value in data.items() if name in known}
    return cls(**kwargs)
