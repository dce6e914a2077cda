"""The learning library: lessons drawn from pilots, the evidence behind them, pooled effects.

- A lesson (``propose_lesson``) is a short statement drawn from a pilot's report, tagged with
  the shared vocabulary (``tracker.vocabulary``) and linked to pilots — and, when named, their
  hypotheses — that support or contradict it (``add_evidence``). Its status is never typed in:
  it follows from the distinct pilots on each side that the *reader* may see
  (``tracker.analysis.lesson_status``), so a reader of another gemeente never learns from a
  status what an unshared pilot showed.
- ``search_lessons`` lists, filters (tags, status) and searches the lessons the actor may read:
  those of their own organisation, and those drawn from pilots another organisation shared.
  Full text uses PostgreSQL's Dutch stemming (``to_tsvector('dutch', …)``, GIN-indexed); on
  SQLite each word is reduced to its Dutch Snowball stem and looked for with LIKE.
- ``pooled_evidence`` pools, for one codebook measure and one intervention type, the pilots'
  estimates (``tracker.analysis.pooling``): the stored analysis for pilots of the actor's own
  organisation, the latest published report (protected) for shared pilots of others.

Who may do what: reading follows the organisation and sharing rules above; proposing a lesson
needs ``propose_lesson`` on its pilot (the pilot's team, or an admin); adding evidence or
editing a lesson needs that role in the lesson's organisation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer
from sqlalchemy import false, or_, text
from sqlmodel import Session, col, func, select

from tracker import i18n
from tracker.analysis.lesson_status import lesson_status
from tracker.analysis.pooling import SCALES, PooledResult, pool_effects, study_from_result
from tracker.errors import NotFoundError, ValidationError, field_error
from tracker.models import (
    LESSON_SEARCH_VECTOR,
    Hypothesis,
    HypothesisVerdict,
    Lesson,
    LessonCreate,
    LessonEvidence,
    LessonStance,
    LessonTag,
    LessonUpdate,
    Measure,
    Organisation,
    Pilot,
    utcnow,
)
from tracker.services import access, audit
from tracker.services.access import Action, Actor
from tracker.services.common import snapshot, validate
from tracker.services.pilots import checked_pilot
from tracker.services.sharing import (
    is_own,
    latest_published_results,
    readable_pilot,
    visible_pilots,
)
from tracker.services.versioning import check_version, guarded_update
from tracker.vocabulary import TagKind, tag_label, tag_values

__all__ = [
    "EvidenceInput",
    "EvidenceView",
    "LessonDetail",
    "LessonPage",
    "LessonQuery",
    "LessonRow",
    "PoolGroup",
    "PooledPilot",
    "PooledView",
    "add_evidence",
    "lesson_detail",
    "lesson_suggestions",
    "pool_groups",
    "pooled_evidence",
    "propose_lesson",
    "remove_evidence",
    "search_lessons",
    "update_lesson",
]

PAGE_SIZE = 25

i18n.register(
    {
        "entity.lesson": {"nl": "les", "en": "lesson"},
        "entity.lesson_evidence": {"nl": "onderbouwing", "en": "evidence"},
        "error.tag_kind": {
            "nl": "'{value}' is geen soort label; kies uit {known}",
            "en": "'{value}' is not a kind of tag; choose from {known}",
        },
        "error.tag_value": {
            "nl": "'{value}' is geen bekend label voor {kind}; kies uit {known}",
            "en": "'{value}' is not a known tag for {kind}; choose from {known}",
        },
        "error.evidence_hypothesis": {
            "nl": "hypothese {value} hoort niet bij de gekozen pilot",
            "en": "hypothesis {value} does not belong to the chosen pilot",
        },
        "error.evidence_stance": {
            "nl": "'{value}' moet 'supports' (ondersteunt) of 'contradicts' (weerspreekt) zijn",
            "en": "'{value}' must be 'supports' or 'contradicts'",
        },
    }
)


# ------------------------------------------------------------------------------ input and views
@dataclass(frozen=True)
class EvidenceInput:
    pilot_id: int
    stance: str  # LessonStance
    hypothesis_id: int | None = None
    note: str = ""


@dataclass(frozen=True)
class LessonQuery:
    """What the library page asks: words, tags (kind -> any of these values), a status."""

    text: str = ""
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    status: str = ""
    limit: int = PAGE_SIZE
    offset: int = 0


@dataclass(frozen=True)
class LessonRow:
    id: int
    statement: str
    status: str
    supporting: int  # distinct pilots the reader may see
    contradicting: int
    pilot_title: str  # the pilot it was drawn from
    municipality: str
    organisation: str
    own: bool  # of the reader's organisation
    tags: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class LessonPage:
    rows: tuple[LessonRow, ...]
    total: int  # lessons matching, before paging
    offset: int
    limit: int


@dataclass(frozen=True)
class EvidenceView:
    id: int
    pilot_id: int
    pilot_slug: str
    pilot_title: str
    municipality: str
    organisation: str
    own: bool
    stance: str
    note: str
    hypothesis_code: str | None
    measure_code: str | None
    verdict: str | None  # from the stored analysis (own) or the latest published report
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    estimate_is_relative: bool = False


@dataclass(frozen=True)
class LessonDetail:
    id: int
    statement: str
    explanation: str
    status: str
    version: int
    own: bool
    organisation: str
    pilot_id: int
    pilot_title: str
    created_by: str
    tags: dict[str, tuple[str, ...]]
    supporting: tuple[EvidenceView, ...]
    contradicting: tuple[EvidenceView, ...]
    pools: tuple[PoolGroup, ...]  # measure × intervention type groups the lesson is tagged with


@dataclass(frozen=True)
class PoolGroup:
    measure_code: str
    measure_name: str
    intervention_type: str
    pilots: int  # pilots the reader may see with a hypothesis on this measure and type


@dataclass(frozen=True)
class PooledPilot:
    pilot_id: int
    slug: str
    title: str
    municipality: str
    own: bool
    hypothesis_code: str
    source: str  # "analysis" (own organisation, current) | "report" (latest published, protected)


@dataclass(frozen=True)
class PooledView:
    measure_code: str
    measure_name: str
    unit: str
    kind: str
    intervention_type: str
    scale: str  # "difference" | "log_ratio"
    result: PooledResult
    pilots: tuple[PooledPilot, ...]


# ---------------------------------------------------------------------------------- search text
_STEMMER = snowballstemmer.stemmer("dutch")
_WORD = re.compile(r"\w+(?:-\w+)*")


def words_of(query: str) -> list[str]:
    """The words of a search box, lower case."""
    return _WORD.findall(query.casefold())


def sqlite_patterns(query: str) -> list[str]:
    """LIKE patterns for SQLite: each word's Dutch Snowball stem (``netwerkbijeenkomsten`` →
    ``netwerkbijeenkomst``), with LIKE's own wildcards escaped."""
    out = []
    for word in words_of(query):
        stem = _STEMMER.stemWord(word) or word
        stem = stem.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        out.append(f"%{stem}%")
    return out


def _search_text(
    statement: str,
    explanation: str,
    tags: dict[str, list[str]],
    pilot: Pilot,
    *,
    dialect: str = "postgresql",
) -> str:
    parts = [statement, explanation, pilot.title, pilot.municipality]
    for kind, values in tags.items():
        for value in values:
            parts += [value.replace("_", " ")] + [
                tag_label(kind, value, lang) for lang in ("nl", "en")
            ]
    words = " ".join(p for p in parts if p).casefold()
    if dialect == "postgresql":
        return words  # to_tsvector('dutch', …) stems the words itself
    # SQLite looks for the stem of each searched word in this text (``sqlite_patterns``). A
    # stem is not always part of its word (vragen → vraag, mentoren → mentoor, metingen →
    # meet), so the text carries those stems too: "vragen" and "vraag" then both find it.
    stems = dict.fromkeys(
        stem for word in words_of(words) if (stem := _STEMMER.stemWord(word)) not in word
    )
    return " ".join([words, *stems])


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# --------------------------------------------------------------------------------- validation
def _clean_tags(session: Session, tags: dict[str, Iterable[str]]) -> dict[str, list[str]]:
    errors = []
    out: dict[str, list[str]] = {}
    for kind, values in tags.items():
        if kind not in TagKind.__members__:
            errors.append(
                field_error("tags", "tag_kind", kind, known=", ".join(TagKind.__members__))
            )
            continue
        allowed = tag_values(kind)
        if kind == TagKind.measure:
            allowed = tuple(session.exec(select(Measure.code)).all())
        cleaned: list[str] = []
        for raw in values:
            value = raw.strip().casefold() if kind == TagKind.domain else raw.strip()
            if not value or value in cleaned:
                continue
            if allowed is not None and value not in allowed:
                errors.append(
                    field_error(
                        f"tags.{kind}",
                        "tag_value",
                        value,
                        kind=i18n.t(f"vocab.kind.{kind}", "nl"),
                        known=", ".join(allowed[:12]) + (" …" if len(allowed) > 12 else ""),
                    )
                )
                continue
            cleaned.append(value[:100])
        if cleaned:
            out[kind] = cleaned
    if errors:
        raise ValidationError(errors)
    return out


def _store_tags(session: Session, lesson_id: int, tags: dict[str, list[str]]) -> None:
    for kind, values in tags.items():
        for value in values:
            session.add(LessonTag(lesson_id=lesson_id, kind=kind, value=value))


def _tags_of(session: Session, lesson_ids: Sequence[int]) -> dict[int, dict[str, tuple[str, ...]]]:
    out: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if lesson_ids:
        rows = session.exec(
            select(LessonTag.lesson_id, LessonTag.kind, LessonTag.value)
            .where(col(LessonTag.lesson_id).in_(lesson_ids))
            .order_by(col(LessonTag.id))
        ).all()
        for lesson_id, kind, value in rows:
            out[lesson_id][kind].append(value)
    return {lesson_id: {k: tuple(v) for k, v in kinds.items()} for lesson_id, kinds in out.items()}


def _lesson_for_writing(session: Session, lesson_id: int, actor: Actor) -> Lesson:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFoundError("lesson", lesson_id)
    access.require(session, actor, Action.propose_lesson)
    access.require_organisation(actor, lesson.organisation_id, Action.propose_lesson)
    return lesson


def _checked_evidence(session: Session, item: EvidenceInput, actor: Actor) -> EvidenceInput:
    if item.stance not in LessonStance.__members__:
        raise ValidationError.single("stance", "evidence_stance", item.stance)
    pilot = readable_pilot(session, item.pilot_id, actor)
    if item.hypothesis_id is not None:
        hypothesis = session.get(Hypothesis, item.hypothesis_id)
        if hypothesis is None or hypothesis.pilot_id != pilot.id:
            raise ValidationError.single("hypothesis", "evidence_hypothesis", item.hypothesis_id)
    return item


def _insert_evidence(
    session: Session, lesson: Lesson, item: EvidenceInput, actor: Actor
) -> LessonEvidence:
    row = LessonEvidence(
        lesson_id=lesson.id,  # type: ignore[arg-type]
        pilot_id=item.pilot_id,
        hypothesis_id=item.hypothesis_id,
        stance=LessonStance(item.stance),
        note=item.note.strip()[:2000],
        added_by=actor.name,
    )
    # Under the lesson's own pilot: the evidence pilot may belong to another organisation, whose
    # history tab must not show this organisation's people and notes.
    return audit.insert(
        session, row, entity="lesson_evidence", actor=actor, pilot_id=lesson.pilot_id
    )


# ------------------------------------------------------------------------------------ writing
def _lesson_snapshot(lesson: Lesson, tags: dict[str, list[str]]) -> dict[str, Any]:
    """What the audit trail keeps of a lesson: its row with its tags, without the search text
    (derived from the rest)."""
    data = (snapshot(lesson) or {}) | {"tags": tags}
    data.pop("search_text", None)
    return data


def propose_lesson(
    session: Session,
    data: LessonCreate | dict[str, Any],
    *,
    actor: Actor,
    evidence: Sequence[EvidenceInput] = (),
) -> Lesson:
    """A new lesson drawn from ``data.pilot_id``'s report, with its tags and first evidence.

    Needs ``propose_lesson`` on that pilot (its team or an admin). Evidence may name any pilot
    the actor may read (own organisation or shared). All or nothing: a bad tag, stance or
    hypothesis raises ValidationError and nothing is stored.
    """
    valid = validate(LessonCreate, data)
    pilot = checked_pilot(session, valid.pilot_id, actor, Action.propose_lesson)
    tags = _clean_tags(session, valid.tags)
    checked = [_checked_evidence(session, item, actor) for item in evidence]
    lesson = Lesson(
        statement=valid.statement.strip(),
        explanation=valid.explanation.strip(),
        organisation_id=pilot.organisation_id,
        pilot_id=pilot.id,  # type: ignore[arg-type]
        search_text=_search_text(
            valid.statement, valid.explanation, tags, pilot, dialect=_dialect(session)
        ),
        created_by=actor.name,
    )
    session.add(lesson)
    session.flush()
    assert lesson.id is not None
    _store_tags(session, lesson.id, tags)
    after = _lesson_snapshot(lesson, tags)
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="lesson",
        entity_id=lesson.id,
        pilot_id=pilot.id,
        after=after,
    )
    for item in checked:
        _insert_evidence(session, lesson, item, actor)
    return lesson


def update_lesson(
    session: Session,
    lesson_id: int,
    changes: LessonUpdate | dict[str, Any],
    *,
    expected_version: int,
    actor: Actor,
) -> Lesson:
    """Change the statement, explanation or tags; a stale version raises ConflictError."""
    lesson = _lesson_for_writing(session, lesson_id, actor)
    valid = validate(LessonUpdate, changes)
    check_version("lesson", lesson, expected_version)
    pilot = session.get(Pilot, lesson.pilot_id)
    assert pilot is not None
    current = {k: list(v) for k, v in _tags_of(session, [lesson_id]).get(lesson_id, {}).items()}
    tags = _clean_tags(session, valid.tags) if valid.tags is not None else current
    statement = (valid.statement or lesson.statement).strip()
    explanation = (
        valid.explanation if valid.explanation is not None else lesson.explanation
    ).strip()
    before = _lesson_snapshot(lesson, current)
    guarded_update(
        session,
        Lesson,
        lesson,
        entity="lesson",
        expected_version=expected_version,
        values={
            "statement": statement,
            "explanation": explanation,
            "search_text": _search_text(
                statement, explanation, tags, pilot, dialect=_dialect(session)
            ),
            "updated_at": utcnow(),
        },
    )
    if valid.tags is not None:
        for row in session.exec(select(LessonTag).where(LessonTag.lesson_id == lesson_id)):
            session.delete(row)
        session.flush()
        _store_tags(session, lesson_id, tags)
    after = _lesson_snapshot(lesson, tags)
    audit.record(
        session,
        actor=actor,
        action="update",
        entity="lesson",
        entity_id=lesson_id,
        pilot_id=lesson.pilot_id,
        before=before,
        after=after,
    )
    return lesson


def add_evidence(
    session: Session, lesson_id: int, item: EvidenceInput, *, actor: Actor
) -> LessonEvidence:
    """Link a pilot (and its hypothesis) that supports or contradicts the lesson."""
    lesson = _lesson_for_writing(session, lesson_id, actor)
    return _insert_evidence(session, lesson, _checked_evidence(session, item, actor), actor)


def remove_evidence(session: Session, evidence_id: int, *, actor: Actor) -> None:
    row = session.get(LessonEvidence, evidence_id)
    if row is None:
        raise NotFoundError("lesson_evidence", evidence_id)
    lesson = _lesson_for_writing(session, row.lesson_id, actor)
    before = snapshot(row)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="delete",
        entity="lesson_evidence",
        entity_id=evidence_id,
        pilot_id=lesson.pilot_id,
        before=before,
    )


# ------------------------------------------------------------------------------------ reading
def _visible_lessons(actor: Actor) -> Any:
    """Lessons of the actor's organisation, and lessons drawn from a pilot another
    organisation shared (a condition on ``lesson`` joined to its ``pilot``)."""
    organisation = access.visible_organisation(actor)
    if organisation is None:
        return col(Lesson.id).is_not(None)
    return or_(col(Lesson.organisation_id) == organisation, col(Pilot.shared_at).is_not(None))


def _stances(
    session: Session, lesson_ids: Sequence[int], actor: Actor, among: Any = None
) -> dict[int, tuple[set[int], set[int]]]:
    """Per lesson the distinct pilots the actor may see on each side."""
    out: dict[int, tuple[set[int], set[int]]] = {i: (set(), set()) for i in lesson_ids}
    if not lesson_ids:
        return out
    rows = session.exec(
        select(LessonEvidence.lesson_id, LessonEvidence.pilot_id, LessonEvidence.stance)
        .join(Pilot, col(Pilot.id) == LessonEvidence.pilot_id)
        .where(
            # ``among``: the select the ids came from. Thousands of matches are then one
            # subquery, not thousands of bind parameters (PostgreSQL takes at most 65,535).
            col(LessonEvidence.lesson_id).in_(among if among is not None else lesson_ids),
            visible_pilots(actor),
        )
    ).all()
    for lesson_id, pilot_id, stance in rows:
        if lesson_id in out:
            out[lesson_id][0 if stance == LessonStance.supports else 1].add(pilot_id)
    return out


def _filtered(session: Session, query: LessonQuery, actor: Actor) -> Any:
    """The select of the ids of the lessons the actor may read that match ``query``."""
    statement = (
        select(Lesson.id)
        .join(Pilot, col(Pilot.id) == Lesson.pilot_id)
        .where(_visible_lessons(actor))
    )
    if query.text.strip():
        if _dialect(session) == "postgresql":
            statement = statement.where(
                text(
                    f"{LESSON_SEARCH_VECTOR.replace('search_text', 'lesson.search_text')} "
                    "@@ websearch_to_tsquery('dutch', :words)"
                ).bindparams(words=query.text.strip())
            )
        else:
            patterns = sqlite_patterns(query.text)
            if not patterns:
                # Only signs, no words ("%", "?"): nothing matches, as on PostgreSQL, rather
                # than every lesson.
                statement = statement.where(false())
            for pattern in patterns:
                statement = statement.where(col(Lesson.search_text).like(pattern, escape="\\"))
    for kind, values in query.tags.items():
        if values:
            statement = statement.where(
                col(Lesson.id).in_(
                    select(LessonTag.lesson_id).where(
                        LessonTag.kind == kind, col(LessonTag.value).in_(list(values))
                    )
                )
            )
    return statement


def _filtered_ids(session: Session, query: LessonQuery, actor: Actor) -> list[int]:
    statement = _filtered(session, query, actor).order_by(
        col(Lesson.updated_at).desc(), col(Lesson.id).desc()
    )
    return list(session.exec(statement).all())  # type: ignore[arg-type]


def search_lessons(session: Session, query: LessonQuery, *, actor: Actor) -> LessonPage:
    """The lessons the actor may read that match ``query``, newest first, one page of them."""
    access.require(session, actor, Action.view)
    ids = _filtered_ids(session, query, actor)
    if query.status:
        stances = _stances(session, ids, actor, among=_filtered(session, query, actor))
        ids = [i for i in ids if lesson_status(*stances[i]) == query.status]
    page_ids = ids[query.offset : query.offset + query.limit]
    stances = _stances(session, page_ids, actor)
    tags = _tags_of(session, page_ids)
    rows = session.exec(
        select(Lesson, Pilot.title, Pilot.municipality, Organisation.name)
        .join(Pilot, col(Pilot.id) == Lesson.pilot_id)
        .join(Organisation, col(Organisation.id) == Lesson.organisation_id)
        .where(col(Lesson.id).in_(page_ids))
    ).all()
    by_id = {row[0].id: row for row in rows}
    out = []
    for lesson_id in page_ids:
        lesson, title, municipality, organisation = by_id[lesson_id]
        pro, contra = stances[lesson_id]
        out.append(
            LessonRow(
                id=lesson_id,
                statement=lesson.statement,
                status=lesson_status(pro, contra),
                supporting=len(pro),
                contradicting=len(contra),
                pilot_title=title,
                municipality=municipality,
                organisation=organisation,
                own=actor.is_system or lesson.organisation_id == actor.organisation_id,
                tags=tags.get(lesson_id, {}),
            )
        )
    return LessonPage(tuple(out), total=len(ids), offset=query.offset, limit=query.limit)


def tag_options(session: Session, *, actor: Actor) -> dict[str, list[str]]:
    """Per tag kind, the values used on lessons the actor may read (for the filters)."""
    rows = session.exec(
        select(LessonTag.kind, LessonTag.value)
        .join(Lesson, col(Lesson.id) == LessonTag.lesson_id)
        .join(Pilot, col(Pilot.id) == Lesson.pilot_id)
        .where(_visible_lessons(actor))
        .distinct()
    ).all()
    out: dict[str, list[str]] = defaultdict(list)
    for kind, value in rows:
        out[kind].append(value)
    return {kind: sorted(values) for kind, values in out.items()}


def _results_of(
    session: Session, pairs: Sequence[tuple[Pilot, Hypothesis]], actor: Actor
) -> dict[int, tuple[dict[str, Any] | None, str]]:
    """Per hypothesis id, the result the actor may read, and where it comes from: the stored
    analysis for the own organisation, the latest published report (protected) otherwise."""
    out: dict[int, tuple[dict[str, Any] | None, str]] = {}
    own_ids = [h.id for p, h in pairs if is_own(actor, p)]
    if own_ids:
        for verdict in session.exec(
            select(HypothesisVerdict).where(col(HypothesisVerdict.hypothesis_id).in_(own_ids))
        ):
            out[verdict.hypothesis_id] = (verdict.result_json, "analysis")
    others = {p.id: p for p, h in pairs if not is_own(actor, p)}
    published = latest_published_results(session, list(others.values()), actor=actor)
    for pilot, hypothesis in pairs:
        if pilot.id in others:
            found = {r.code: r for r in published.get(pilot.id, [])}  # type: ignore[arg-type]
            if hypothesis.code in found:
                item = found[hypothesis.code]
                # The measure as published rides along in the result (a draft may move since).
                out[hypothesis.id] = (  # type: ignore[index]
                    item.result | {"measure_code": item.measure_code},
                    "report",
                )
    return out


def lesson_detail(session: Session, lesson_id: int, *, actor: Actor) -> LessonDetail:
    """A lesson with the evidence the actor may see, split by side, and the pooled groups of
    its measure × intervention type tags. Unknown or unreadable: NotFoundError/AccessDenied."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFoundError("lesson", lesson_id)
    source = readable_pilot(session, lesson.pilot_id, actor)
    if not is_own(actor, source) and lesson.organisation_id != source.organisation_id:
        raise NotFoundError("lesson", lesson_id)  # pragma: no cover - lessons follow their pilot
    organisation = session.get(Organisation, lesson.organisation_id)
    rows = session.exec(
        select(LessonEvidence, Pilot, Organisation.name)
        .join(Pilot, col(Pilot.id) == LessonEvidence.pilot_id)
        .join(Organisation, col(Organisation.id) == Pilot.organisation_id)
        .where(LessonEvidence.lesson_id == lesson_id, visible_pilots(actor))
        .order_by(col(LessonEvidence.id))
    ).all()
    hypothesis_ids = [e.hypothesis_id for e, _, _ in rows if e.hypothesis_id is not None]
    hypotheses = {
        h.id: h
        for h in session.exec(select(Hypothesis).where(col(Hypothesis.id).in_(hypothesis_ids)))
    }
    measures = dict(session.exec(select(Measure.id, Measure.code)).all())  # type: ignore[call-overload]
    results = _results_of(
        session,
        [(p, hypotheses[e.hypothesis_id]) for e, p, _ in rows if e.hypothesis_id in hypotheses],
        actor,
    )
    views = []
    for evidence, pilot, organisation_name in rows:
        hypothesis = hypotheses.get(evidence.hypothesis_id)  # type: ignore[arg-type]
        result = results.get(hypothesis.id)[0] if hypothesis and hypothesis.id in results else None  # type: ignore[index]
        if hypothesis is not None and result is None and not is_own(actor, pilot):
            # Another organisation's hypothesis that its published report does not hold: not
            # even its code and measure are shown (they are not published).
            hypothesis = None
        result = result or {}
        views.append(
            EvidenceView(
                id=evidence.id,  # type: ignore[arg-type]
                pilot_id=pilot.id,
                pilot_slug=pilot.slug,
                pilot_title=pilot.title,
                municipality=pilot.municipality,
                organisation=organisation_name,
                own=is_own(actor, pilot),
                stance=str(evidence.stance),
                note=evidence.note,
                hypothesis_code=hypothesis.code if hypothesis else None,
                measure_code=(
                    result.get("measure_code") or measures.get(hypothesis.measure_id)
                    if hypothesis
                    else None
                ),
                verdict=result.get("verdict"),
                estimate=result.get("estimate"),
                ci_low=result.get("ci_low"),
                ci_high=result.get("ci_high"),
                estimate_is_relative=bool(result.get("estimate_is_relative")),
            )
        )
    pro = {v.pilot_id for v in views if v.stance == LessonStance.supports}
    contra = {v.pilot_id for v in views if v.stance == LessonStance.contradicts}
    tags = _tags_of(session, [lesson_id]).get(lesson_id, {})
    pools = tuple(
        group
        for group in pool_groups(session, actor=actor, measures=tags.get(TagKind.measure, ()))
        if group.intervention_type in tags.get(TagKind.intervention_type, ())
    )
    own_lesson = actor.is_system or lesson.organisation_id == actor.organisation_id
    return LessonDetail(
        id=lesson_id,
        statement=lesson.statement,
        explanation=lesson.explanation,
        status=lesson_status(pro, contra),
        version=lesson.version,
        own=own_lesson,
        organisation=organisation.name if organisation else "",
        pilot_id=lesson.pilot_id,
        pilot_title=source.title,
        # Another organisation's people are not named: the organisation proposed it.
        created_by=lesson.created_by if own_lesson else (organisation.name if organisation else ""),
        tags=tags,
        supporting=tuple(v for v in views if v.stance == LessonStance.supports),
        contradicting=tuple(v for v in views if v.stance == LessonStance.contradicts),
        pools=pools,
    )


# ------------------------------------------------------------------------------------- pooling
def pool_groups(session: Session, *, actor: Actor, measures: Sequence[str] = ()) -> list[PoolGroup]:
    """Every codebook measure × intervention type that readable pilots share, with how many
    pilots each has (largest first); ``measures`` limits it to those codes."""
    access.require(session, actor, Action.view)
    statement = (
        select(
            Measure.code,
            Measure.name,
            Pilot.intervention_type,
            func.count(func.distinct(Pilot.id)),
        )
        .join(Hypothesis, col(Hypothesis.pilot_id) == Pilot.id)
        .join(Measure, col(Measure.id) == Hypothesis.measure_id)
        .where(Pilot.intervention_type != "", visible_pilots(actor))
        .group_by(Measure.code, Measure.name, Pilot.intervention_type)
    )
    if measures:
        statement = statement.where(col(Measure.code).in_(list(measures)))
    rows = session.exec(statement).all()  # type: ignore[call-overload]
    groups = [PoolGroup(code, name, kind, int(n)) for code, name, kind, n in rows]
    return sorted(groups, key=lambda g: (-g.pilots, g.measure_code, g.intervention_type))


def pooled_evidence(
    session: Session, measure_code: str, intervention_type: str, *, actor: Actor
) -> PooledView:
    """The random-effects pooled effect of one measure across the readable pilots of one
    intervention type (one hypothesis per pilot: the primary one, then the first by code).

    The own organisation's pilots give the stored analysis of their hypotheses as they are
    now. Another organisation's shared pilot gives the results of its latest published report
    (protected, ``sharing.shared_report``), its hypothesis chosen among those that report
    holds: one added or made primary since stays unseen until it is published.
    Fewer than three usable pilots: ``result.status == "too_few"`` with how many more are
    needed, never an error. Unknown measure: NotFoundError.
    """
    access.require(session, actor, Action.view)
    measure = session.exec(select(Measure).where(Measure.code == measure_code)).first()
    if measure is None:
        raise NotFoundError("measure", measure_code)
    pairs_all = session.exec(
        select(Pilot, Hypothesis)
        .join(Hypothesis, col(Hypothesis.pilot_id) == Pilot.id)
        .where(
            Hypothesis.measure_id == measure.id,
            Pilot.intervention_type == intervention_type,
            visible_pilots(actor),
        )
        .order_by(col(Pilot.id), col(Hypothesis.is_primary).desc(), col(Hypothesis.code))
    ).all()
    own: list[tuple[Pilot, Hypothesis]] = []
    others: dict[int, Pilot] = {}
    for pilot, hypothesis in pairs_all:
        assert pilot.id is not None
        if is_own(actor, pilot):
            own.append((pilot, hypothesis))
        else:
            others[pilot.id] = pilot
    # (pilot, hypothesis code, result, source) per pilot id
    chosen: dict[int, tuple[Pilot, str, dict[str, Any] | None, str]] = {}
    analysed = _results_of(session, own, actor)
    # Per own pilot the first hypothesis (primary first, then by code) that has a result.
    for pilot, hypothesis in own:
        result, source = analysed.get(hypothesis.id, (None, "analysis"))  # type: ignore[arg-type]
        if pilot.id not in chosen or chosen[pilot.id][2] is None:  # type: ignore[index]
            chosen[pilot.id] = (pilot, hypothesis.code, result, source)  # type: ignore[index]
    published = latest_published_results(session, list(others.values()), actor=actor)
    for pilot_id, pilot in others.items():
        outcomes = sorted(
            (o for o in published.get(pilot_id, []) if o.measure_code == measure.code),
            key=lambda o: (not o.is_primary, o.code),
        )
        if outcomes:
            chosen[pilot_id] = (pilot, outcomes[0].code, outcomes[0].result, "report")
    studies, pilots = [], []
    for pilot_id in sorted(chosen):
        pilot, code, result, source = chosen[pilot_id]
        if result is None:
            continue
        label = f"{pilot.title} ({pilot.municipality})"
        studies.append(study_from_result(label, result, SCALES[str(measure.kind)]))
        pilots.append(
            PooledPilot(
                pilot_id=pilot_id,
                slug=pilot.slug,
                title=pilot.title,
                municipality=pilot.municipality,
                own=is_own(actor, pilot),
                hypothesis_code=code,
                source=source,
            )
        )
    return PooledView(
        measure_code=measure.code,
        measure_name=measure.name,
        unit=measure.unit,
        kind=str(measure.kind),
        intervention_type=intervention_type,
        scale=SCALES[str(measure.kind)],
        result=pool_effects(studies),
        pilots=tuple(pilots),
    )


# ------------------------------------------------------------------------- proposing from a pilot
def lesson_suggestions(
    session: Session, pilot_id: int, *, actor: Actor
) -> tuple[dict[str, list[str]], list[EvidenceInput]]:
    """What a lesson from this pilot's report starts with: its domains, intervention type and
    measures as tags, and each hypothesis with a clear verdict as evidence (supported or
    partly supported: supports; contrary or no meaningful effect: contradicts)."""
    pilot = checked_pilot(session, pilot_id, actor, Action.view)
    hypotheses = list(session.exec(select(Hypothesis).where(Hypothesis.pilot_id == pilot_id)))
    codes = dict(session.exec(select(Measure.id, Measure.code)).all())  # type: ignore[call-overload]
    verdicts = {
        v.hypothesis_id: v.verdict
        for v in session.exec(
            select(HypothesisVerdict).where(HypothesisVerdict.pilot_id == pilot_id)
        )
    }
    tags: dict[str, list[str]] = {
        TagKind.domain: [d.casefold() for d in pilot.domains],
        TagKind.measure: sorted({codes[h.measure_id] for h in hypotheses}),
    }
    if pilot.intervention_type:
        tags[TagKind.intervention_type] = [pilot.intervention_type]
    evidence = []
    for h in sorted(hypotheses, key=lambda h: h.code):
        verdict = verdicts.get(h.id)  # type: ignore[arg-type]
        if verdict in ("supported", "partly_supported"):
            evidence.append(EvidenceInput(pilot_id, "supports", h.id))
        elif verdict in ("contrary", "no_meaningful_effect"):
            evidence.append(EvidenceInput(pilot_id, "contradicts", h.id))
    return tags, evidence
