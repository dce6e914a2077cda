"""SQLModel tables and their Create/Update families.

The families follow the SQLModel docs and the full-stack FastAPI template: ``XBase`` holds the
fields a person supplies, ``XCreate``/``XUpdate`` validate input, and ``X(table=True)`` adds what
the system owns (ids, versions, timestamps, hashes). Alembic migrations create the schema; a test
checks that these models and the migrations agree.

Times are timezone-aware UTC; enums are stored as plain strings (no native PostgreSQL enum
types, so that adding a value is not a migration).
"""

import datetime as dt
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, Column, Index, MetaData, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from tracker.codes import AREA_CODE, GM_CODE, MEASURE_CODE, SLUG
from tracker.vocabulary import INTERVENTION_TYPES

# Stable constraint names so that migrations are identical on SQLite and PostgreSQL.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> datetime:
    """Now, timezone-aware in UTC (SQLModel's UTCDateTime stores it so on both databases)."""
    return datetime.now(UTC)


class Role(StrEnum):
    officer = "officer"
    manager = "manager"
    analyst = "analyst"
    admin = "admin"


class PilotStatus(StrEnum):
    concept = "concept"
    baseline = "baseline"
    running = "running"
    evaluating = "evaluating"
    closed = "closed"


class MeasureKind(StrEnum):
    continuous = "continuous"
    proportion = "proportion"
    count = "count"


class BetterDirection(StrEnum):
    higher = "higher"
    lower = "lower"


class ExpectedDirection(StrEnum):
    increase = "increase"
    decrease = "decrease"
    no_change = "no_change"


class EffectType(StrEnum):
    absolute = "absolute"
    relative = "relative"


class Design(StrEnum):
    auto = "auto"
    prepost = "prepost"
    its = "its"
    did = "did"
    spc = "spc"


class Group(StrEnum):
    pilot = "pilot"
    comparison = "comparison"


class InterventionStatus(StrEnum):
    planned = "planned"
    delivered = "delivered"
    cancelled = "cancelled"


class ObservationKind(StrEnum):
    cause = "cause"
    unforeseen_effect = "unforeseen_effect"
    obstacle = "obstacle"
    quote = "quote"
    decision = "decision"
    comment = "comment"  # a reader's remark (managers may comment; see services.access)


def _intervention_type(value: str) -> str:
    if value and value not in INTERVENTION_TYPES:
        raise PydanticCustomError(
            "intervention_type",
            "{value} is not a known intervention type ({known})",
            {"value": value, "known": ", ".join(INTERVENTION_TYPES)},
        )
    return value


def _check(pattern: re.Pattern[str], value: str, code: str) -> str:
    if not pattern.fullmatch(value):
        raise PydanticCustomError(code, "{value} has the wrong form", {"value": value})
    return value


# --------------------------------------------------------------------------- organisation, user
class Organisation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    cbs_code: str = Field(max_length=6, unique=True, description="CBS gemeentecode, GM####")
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    # "user" is reserved in PostgreSQL.
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    email: str = Field(max_length=320, unique=True)
    display_name: str = Field(max_length=200)
    role: Role = Field(default=Role.officer, sa_type=String(20))
    password_hash: str | None = Field(default=None, max_length=500)
    is_active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Sign-in: failures since the last success and, after too many, no attempt before this time.
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- measure (codebook)
class MeasureBase(SQLModel):
    code: str = Field(max_length=63, description="Short stable identifier, e.g. verwijzingen_jgz")
    name: str = Field(min_length=1, max_length=200)
    definition: str = Field(default="", max_length=4000)
    unit: str = Field(default="", max_length=100)
    kind: MeasureKind = Field(sa_type=String(20))
    better_direction: BetterDirection = Field(sa_type=String(10))
    source: str = Field(default="", max_length=500)

    @field_validator("code")
    @classmethod
    def _code_form(cls, v: str) -> str:
        return _check(MEASURE_CODE, v, "measure_code")


class MeasureCreate(MeasureBase):
    pass


class MeasureUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    definition: str | None = Field(default=None, max_length=4000)
    unit: str | None = Field(default=None, max_length=100)
    better_direction: BetterDirection | None = None
    source: str | None = Field(default=None, max_length=500)


class Measure(MeasureBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=63, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- pilot
class PilotBase(SQLModel):
    slug: str = Field(max_length=80, description="Stable identifier used in files and URLs")
    title: str = Field(min_length=3, max_length=200)
    aim: str = Field(default="", max_length=4000)
    municipality: str = Field(min_length=1, max_length=200)
    municipality_code: str = Field(max_length=6)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Each area: {"code": "WK036301", "name": "...", "group": "pilot" | "comparison"}.
    areas: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    partners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    strategy: str = Field(default="", max_length=200)
    # One of tracker.vocabulary.INTERVENTION_TYPES ("" = not stated): what pools the pilots.
    intervention_type: str = Field(default="", max_length=60)
    baseline_start: dt.date
    intervention_start: dt.date
    evaluation_end: dt.date
    status: PilotStatus = Field(default=PilotStatus.concept, sa_type=String(20))

    @field_validator("slug")
    @classmethod
    def _slug_form(cls, v: str) -> str:
        return _check(SLUG, v, "slug")

    @field_validator("municipality_code")
    @classmethod
    def _gm_form(cls, v: str) -> str:
        return _check(GM_CODE, v, "gm_code")

    @field_validator("intervention_type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        return _intervention_type(v)

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        if not v:
            raise PydanticCustomError("domains_empty", "at least one domain is required")
        return v

    @field_validator("areas")
    @classmethod
    def _areas(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for area in v:
            _check(AREA_CODE, str(area.get("code", "")), "area_code")
            if area.get("group", "pilot") not in ("pilot", "comparison"):
                raise PydanticCustomError("area_group", "group must be pilot or comparison")
        return v

    @model_validator(mode="after")
    def _phase_order(self):
        if not (self.baseline_start < self.intervention_start <= self.evaluation_end):
            raise PydanticCustomError(
                "phase_order",
                "baseline start < intervention start <= evaluation end is required",
            )
        return self


class PilotCreate(PilotBase):
    owner_email: str | None = None


class PilotUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=3, max_length=200)
    aim: str | None = Field(default=None, max_length=4000)
    domains: list[str] | None = None
    areas: list[dict[str, Any]] | None = None
    partners: list[str] | None = None
    strategy: str | None = Field(default=None, max_length=200)
    intervention_type: str | None = Field(default=None, max_length=60)
    baseline_start: dt.date | None = None
    intervention_start: dt.date | None = None
    evaluation_end: dt.date | None = None
    status: PilotStatus | None = None

    @field_validator("intervention_type")
    @classmethod
    def _known_type(cls, v: str | None) -> str | None:
        return None if v is None else _intervention_type(v)


class Pilot(PilotBase, table=True):
    __table_args__ = (
        # The pooled view asks for the pilots of one intervention type.
        Index("ix_pilot_intervention_type", "intervention_type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id")
    version: int = Field(default=1, description="Optimistic lock: bumped on every save")
    # Shared with other organisations (its facts, published reports and results, read-only in
    # their library); None = not shared. See tracker.services.sharing.
    shared_at: datetime | None = Field(default=None, index=True)
    shared_by: str = Field(default="", max_length=320)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PilotMember(SQLModel, table=True):
    """A colleague in a pilot's team: may edit it, enter data and publish, like its owner."""

    __tablename__ = "pilot_member"
    __table_args__ = (UniqueConstraint("pilot_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- hypothesis
class HypothesisBase(SQLModel):
    code: str = Field(min_length=1, max_length=20, description="Label within the pilot, e.g. H1")
    if_text: str = Field(min_length=3, max_length=2000, description="Als we …")
    then_text: str = Field(min_length=3, max_length=2000, description="dan …")
    because_text: str = Field(min_length=3, max_length=2000, description="omdat …")
    expected_direction: ExpectedDirection = Field(sa_type=String(10))
    min_effect: float = Field(ge=0, description="Minimal meaningful effect δ")
    min_effect_type: EffectType = Field(default=EffectType.absolute, sa_type=String(10))
    design: Design = Field(default=Design.auto, sa_type=String(10))
    comparison_group: str = Field(default="", max_length=200)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    is_primary: bool = True


class HypothesisCreate(HypothesisBase):
    measure_code: str


class HypothesisUpdate(SQLModel):
    if_text: str | None = Field(default=None, min_length=3, max_length=2000)
    then_text: str | None = Field(default=None, min_length=3, max_length=2000)
    because_text: str | None = Field(default=None, min_length=3, max_length=2000)
    measure_code: str | None = None
    expected_direction: ExpectedDirection | None = None
    min_effect: float | None = Field(default=None, ge=0)
    min_effect_type: EffectType | None = None
    design: Design | None = None
    comparison_group: str | None = Field(default=None, max_length=200)
    alpha: float | None = Field(default=None, gt=0, lt=0.5)
    is_primary: bool | None = None


class Hypothesis(HypothesisBase, table=True):
    __table_args__ = (UniqueConstraint("pilot_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    registered_at: datetime | None = None
    content_hash: str | None = Field(default=None, max_length=64)
    registered_late: bool = False
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @property
    def is_locked(self) -> bool:
        return self.registered_at is not None


# Fields of a registered hypothesis that an amendment may change.
AMENDABLE_FIELDS = (
    "if_text",
    "then_text",
    "because_text",
    "expected_direction",
    "min_effect",
    "min_effect_type",
    "design",
    "comparison_group",
    "alpha",
    "is_primary",
)


class AmendmentCreate(SQLModel):
    field: str
    new_value: str
    reason: str = Field(min_length=10, max_length=2000)

    @field_validator("field")
    @classmethod
    def _amendable(cls, v: str) -> str:
        if v not in AMENDABLE_FIELDS:
            raise PydanticCustomError("not_amendable", "{field} cannot be amended", {"field": v})
        return v


class Amendment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    hypothesis_id: int = Field(foreign_key="hypothesis.id", index=True)
    field: str = Field(max_length=40)
    old_value: str = Field(max_length=2000)
    new_value: str = Field(max_length=2000)
    reason: str = Field(max_length=2000)
    author: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- measurements
class Measurement(SQLModel, table=True):
    """One aggregate per pilot × measure × period × area × group. Never data about a person."""

    __table_args__ = (
        # Leads with pilot/measure/period: serves a pilot's series of one measure.
        UniqueConstraint("pilot_id", "measure_id", "period", "area", "group"),
        # A pilot's latest period in one index seek (the portfolio's freshness column).
        Index("ix_measurement_pilot_period", "pilot_id", "period"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id")
    measure_id: int = Field(foreign_key="measure.id")
    period: dt.date
    area: str = Field(default="", max_length=20)
    group: Group = Field(default=Group.pilot, sa_type=String(12))
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    count: float | None = None
    exposure: float | None = None
    source: str = Field(default="", max_length=500)
    entered_by: str = Field(default="", max_length=320)
    entered_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- interventions, journal
class InterventionBase(SQLModel):
    date: dt.date
    kind: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=4000)
    status: InterventionStatus = Field(default=InterventionStatus.delivered, sa_type=String(12))
    planned_date: dt.date | None = None


class InterventionCreate(InterventionBase):
    pass


class Intervention(InterventionBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    created_by: str = Field(default="", max_length=320)
    created_at: datetime = Field(default_factory=utcnow)


class ObservationBase(SQLModel):
    date: dt.date
    kind: ObservationKind = Field(sa_type=String(20))
    text: str = Field(min_length=3, max_length=8000)


class ObservationCreate(ObservationBase):
    hypothesis_code: str | None = None
    intervention_title: str | None = None


class Observation(ObservationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    hypothesis_id: int | None = Field(default=None, foreign_key="hypothesis.id")
    intervention_id: int | None = Field(default=None, foreign_key="intervention.id")
    author: str = Field(default="", max_length=320)
    created_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- report, audit
class Report(SQLModel, table=True):
    """A published lessons-learned report: version ``number`` of the pilot's report, frozen.

    ``content`` is the canonical JSON of ``tracker.reports.model.ReportModel`` (the facts and
    numbers, the officer's texts, the recommendation); ``content_hash`` its SHA-256. Published
    rows are never updated: a new publication is a new row with the next number.
    """

    __table_args__ = (UniqueConstraint("pilot_id", "number", name="uq_report_pilot_number"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    number: int = Field(default=1, description="1, 2, … per pilot")
    language: str = Field(default="nl", max_length=5)
    content: str = Field(sa_type=Text)
    content_hash: str = Field(max_length=64)
    published_by: str = Field(max_length=320)
    published_at: datetime = Field(default_factory=utcnow)


class ReportDraft(SQLModel, table=True):
    """What the officer wrote for the next publication (``tracker.reports.model.ReportDraft`` as
    JSON), one row per pilot, versioned so that two editors cannot overwrite each other."""

    __tablename__ = "report_draft"

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", unique=True)
    content: str = Field(sa_type=Text)
    version: int = 1
    updated_by: str = Field(default="", max_length=320)
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """Append-only log of every write; each event stores the hash of the previous one."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=320)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    pilot_id: int | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


# --------------------------------------------------------------------------- stored verdicts
class HypothesisVerdict(SQLModel, table=True):
    """The latest analysis of one hypothesis, stored so that overviews need not re-analyse.

    Derived data: ``tracker.services.verdicts.refresh_verdicts`` rewrites a pilot's rows from
    ``analyze_pilot``; ``result_json`` is the full ``AnalysisResult.to_dict("nl")``.
    """

    __tablename__ = "hypothesis_verdict"

    hypothesis_id: int = Field(foreign_key="hypothesis.id", primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    verdict: str = Field(sa_type=String(30))
    design: str | None = Field(default=None, sa_type=String(10))
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    result_json: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    computed_at: datetime = Field(default_factory=utcnow)


# --------------------------------------------------------------------------- lessons (library)
class LessonStance(StrEnum):
    supports = "supports"
    contradicts = "contradicts"


LESSON_SEARCH_VECTOR = "to_tsvector('dutch', search_text)"


class LessonBase(SQLModel):
    statement: str = Field(min_length=10, max_length=500, description="The lesson in a sentence")
    explanation: str = Field(default="", max_length=4000)


class LessonCreate(LessonBase):
    pilot_id: int = Field(description="The pilot whose report the lesson was drawn from")
    # kind (tracker.vocabulary.TagKind) -> values
    tags: dict[str, list[str]] = Field(default_factory=dict)


class LessonUpdate(SQLModel):
    statement: str | None = Field(default=None, min_length=10, max_length=500)
    explanation: str | None = Field(default=None, max_length=4000)
    tags: dict[str, list[str]] | None = None


class Lesson(LessonBase, table=True):
    """A lesson drawn from a pilot's report. Its status is not stored: it follows from the
    evidence the reader may see (``tracker.analysis.lesson_status``)."""

    __table_args__ = (
        # Full-text search with Dutch stemming, PostgreSQL only (SQLite searches with LIKE). The
        # expression is the one tracker.services.library searches with.
        Index(
            "ix_lesson_search",
            text(LESSON_SEARCH_VECTOR),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    # Statement, explanation and tag words (nl and en), lower case: what full-text search reads.
    # PostgreSQL indexes to_tsvector('dutch', search_text) (migration 0006).
    search_text: str = Field(default="", sa_type=Text)
    created_by: str = Field(max_length=320)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    version: int = 1


class LessonTag(SQLModel, table=True):
    __tablename__ = "lesson_tag"
    __table_args__ = (
        UniqueConstraint("lesson_id", "kind", "value"),
        # Filtering by a tag: the lessons with kind = value, from the index alone.
        Index("ix_lesson_tag_kind_value", "kind", "value", "lesson_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lesson.id")
    kind: str = Field(sa_type=String(20))
    value: str = Field(max_length=100)


class LessonEvidence(SQLModel, table=True):
    """A pilot (and, when named, its hypothesis) that supports or contradicts a lesson."""

    __tablename__ = "lesson_evidence"
    __table_args__ = (Index("ix_lesson_evidence_lesson_pilot", "lesson_id", "pilot_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lesson_id: int = Field(foreign_key="lesson.id")
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    hypothesis_id: int | None = Field(default=None, foreign_key="hypothesis.id")
    stance: LessonStance = Field(sa_type=String(12))
    note: str = Field(default="", max_length=2000)
    added_by: str = Field(max_length=320)
    added_at: datetime = Field(default_factory=utcnow)
