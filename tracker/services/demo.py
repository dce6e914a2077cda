"""The demonstration pilots and lessons: load ``experiments/*.toml`` with their CSVs, then
``data/demo/lessons.toml``, once.

``load_demo`` is idempotent: a pilot whose slug is already in the database is skipped and
reported as already present, and so is a lesson whose statement the demo organisation already
has, so ``make setup`` can run it every time. Everything it loads is fictitious (the files say
so at the top; see data/demo/README.md).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from tracker import i18n
from tracker.config import PROJECT_ROOT
from tracker.errors import FieldError, ValidationError, field_error
from tracker.io import pilot_file as pf
from tracker.models import Lesson, LessonStance, Role
from tracker.services import accounts, hypotheses, library, organisations, pilot_files, pilots
from tracker.services.access import Actor
from tracker.services.verdicts import refresh_verdicts
from tracker.vocabulary import TagKind, tag_values

DEMO_COMMENT = "Fictieve demonstratiegegevens — geen echte personen of organisaties"
EXPERIMENTS_DIR = "experiments"
DEMO_DATA_DIR = "data/demo"
# The demo lessons for the learning library, loaded after the pilots they are drawn from.
LESSONS_FILE = "lessons.toml"

# The fictitious organisation that owns every demo pilot and account (each pilot keeps its own
# municipality): one portfolio that the demo accounts of every role can see.
DEMO_ORGANISATION = {"name": "Demo-organisatie (fictief)", "cbs_code": "GM9999"}
# (e-mail, name, role, password). The passwords are public on purpose: the login page shows
# them, but only while the database holds the demo pilots (``demo_loaded``).
DEMO_USERS: tuple[tuple[str, str, Role, str], ...] = (
    ("officer@demo.proeftuin.example", "Demo beleidsmedewerker", Role.officer, "proeftuin-officer"),
    ("manager@demo.proeftuin.example", "Demo manager", Role.manager, "proeftuin-manager"),
    ("analyst@demo.proeftuin.example", "Demo analist", Role.analyst, "proeftuin-analyst"),
    ("admin@demo.proeftuin.example", "Demo beheerder", Role.admin, "proeftuin-admin"),
)


i18n.register(
    {
        "error.demo_lesson_pilot": {
            "nl": "'{value}' is geen demonstratiepilot in experiments/; bekend zijn: {known}",
            "en": "'{value}' is not a demonstration pilot in experiments/; known are: {known}",
        },
        "error.demo_lesson_hypothesis": {
            "nl": "pilot {pilot} heeft geen hypothese '{value}'; wel: {known}",
            "en": "pilot {pilot} has no hypothesis '{value}'; it has: {known}",
        },
    }
)


@dataclass(frozen=True)
class DemoEvidence:
    """One pilot (and hypothesis) behind a demo lesson, as the lessons file names it."""

    pilot: str  # slug
    stance: str  # LessonStance
    hypothesis: str | None = None  # code
    note: str = ""


@dataclass(frozen=True)
class DemoLesson:
    """One lesson of ``data/demo/lessons.toml``."""

    statement: str
    explanation: str
    pilot: str  # slug of the pilot it was drawn from
    tags: dict[str, tuple[str, ...]]
    evidence: tuple[DemoEvidence, ...]


@dataclass(frozen=True)
class DemoPilotResult:
    """What happened to one demo pilot file."""

    file: str
    slug: str
    status: str  # "loaded" | "already present"
    pilot_id: int
    hypotheses: int = 0
    measurements: int = 0

    def summary(self, lang: str = "nl") -> str:
        if self.status == "loaded":
            if lang == "en":
                return (
                    f"{self.slug}: loaded ({self.hypotheses} hypotheses, "
                    f"{self.measurements} measurements)"
                )
            return (
                f"{self.slug}: geladen ({self.hypotheses} hypothesen, {self.measurements} metingen)"
            )
        return f"{self.slug}: already present" if lang == "en" else f"{self.slug}: al aanwezig"


@dataclass(frozen=True)
class DemoLoadReport:
    pilots: tuple[DemoPilotResult, ...] = field(default_factory=tuple)
    users_created: int = 0
    lessons_loaded: int = 0
    lessons_skipped: int = 0  # their statement was already in the demo organisation

    @property
    def loaded(self) -> int:
        return sum(1 for p in self.pilots if p.status == "loaded")

    @property
    def skipped(self) -> int:
        return sum(1 for p in self.pilots if p.status != "loaded")

    def to_dict(self) -> dict[str, Any]:
        return {
            "pilots": [asdict(p) for p in self.pilots],
            "users_created": self.users_created,
            "loaded": self.loaded,
            "skipped": self.skipped,
            "lessons_loaded": self.lessons_loaded,
            "lessons_skipped": self.lessons_skipped,
        }

    def summary(self, lang: str = "nl") -> str:
        if lang == "en":
            return (
                f"Demo: {self.loaded} pilots loaded, {self.skipped} already present; "
                f"{self.lessons_loaded} lessons loaded, {self.lessons_skipped} already present; "
                f"{self.users_created} demo users created."
            )
        return (
            f"Demo: {self.loaded} pilots geladen, {self.skipped} al aanwezig; "
            f"{self.lessons_loaded} lessen geladen, {self.lessons_skipped} al aanwezig; "
            f"{self.users_created} demogebruikers aangemaakt."
        )


def demo_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The demo pilot files, in name order (the order they are loaded in)."""
    return sorted((root / EXPERIMENTS_DIR).glob("*.toml"))


def demo_loaded(session: Session, *, root: Path = PROJECT_ROOT) -> bool:
    """True when every pilot in ``experiments/`` is in the database (and there is at least one)."""
    slugs = [pf.slug_of(path) for path in demo_files(root)]
    if not slugs:
        return False
    return all(s is not None and pilots.find_pilot_by_slug(session, s) for s in slugs)


def ensure_demo_users(session: Session, *, actor: Actor) -> int:
    """The demo organisation and one account per role, with the demo passwords. Returns the
    number of accounts created (an existing demo account without a password gets its own)."""
    org = organisations.get_or_create_organisation(
        session, name=DEMO_ORGANISATION["name"], cbs_code=DEMO_ORGANISATION["cbs_code"], actor=actor
    )
    assert org.id is not None
    created = 0
    for email, name, role, password in DEMO_USERS:
        user = organisations.get_user_by_email(session, email)
        if user is None:
            created += 1
            organisations.get_or_create_user(
                session,
                organisation_id=org.id,
                email=email,
                display_name=name,
                role=role,
                actor=actor,
                password_hash=accounts.hash_password(password),
            )
        elif user.password_hash is None:
            accounts.set_password(session, email, password, actor=actor)
    return created


# ------------------------------------------------------------------------------------ lessons
_LESSON_KEYS = ("statement", "explanation", "pilot", "tags", "evidence")
_EVIDENCE_KEYS = ("pilot", "hypothesis", "stance", "note")


class _Problems:
    """Every problem of one lessons file, each named by file and key (``lessons[2].tags``)."""

    def __init__(self, source: str):
        self.source = source
        self.errors: list[FieldError] = []

    def add(self, where: str, code: str, value: Any = None, **params: Any) -> None:
        self.errors.append(field_error(f"{self.source}: {where}", code, value, **params))

    def keys(self, table: Mapping[str, Any], where: str, allowed: Sequence[str]) -> None:
        for key in table:
            if key not in allowed:
                at = f"{where}.{key}" if where else key
                self.add(at, "file_key_unknown", key, expected=", ".join(allowed))

    def text(self, table: Mapping[str, Any], key: str, where: str, *, required: bool) -> str:
        if key not in table:
            if required:
                self.add(f"{where}.{key}", "file_key_missing")
            return ""
        value = table[key]
        if not isinstance(value, str):
            self.add(f"{where}.{key}", "file_type", value, expected="text")
            return ""
        return value.strip()

    def tables(self, table: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add(f"{where}{key}", "file_type", value, expected=f"[[{key}]] tables")
            return []
        return value


def read_lessons(path: Path, pilot_files_read: Sequence[pf.PilotFile]) -> list[DemoLesson]:
    """The lessons of ``path``, checked against the demo pilot files they refer to.

    Everything that can be checked without the database is checked here, before anything is
    stored: keys, types, pilot slugs and hypothesis codes (against the pilot files), tag kinds
    and values (the vocabulary; measures against the pilot files' codebook), stances and
    statements that occur twice. Raises ValidationError naming the file, the lesson
    (``lessons[2]``) and the key of every problem.
    """
    problems = _Problems(path.name)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError.single(path.name, "file_syntax", None, detail=str(exc)) from None
    by_slug = {p.slug: p for p in pilot_files_read}
    known_pilots = ", ".join(sorted(by_slug))
    measures = tuple(sorted({m.code for p in pilot_files_read for m in p.measures}))
    problems.keys(document, "", ("lessons",))
    if "lessons" not in document:
        problems.add("lessons", "file_key_missing")

    def pilot_slug(table: Mapping[str, Any], where: str) -> str:
        slug = problems.text(table, "pilot", where, required=True)
        if slug and slug not in by_slug:
            problems.add(f"{where}.pilot", "demo_lesson_pilot", slug, known=known_pilots)
        return slug

    lessons: list[DemoLesson] = []
    seen: set[str] = set()
    for n, table in enumerate(problems.tables(document, "lessons", ""), 1):
        where = f"lessons[{n}]"
        problems.keys(table, where, _LESSON_KEYS)
        statement = problems.text(table, "statement", where, required=True)
        if statement and statement in seen:
            problems.add(f"{where}.statement", "file_duplicate", statement)
        seen.add(statement)
        explanation = problems.text(table, "explanation", where, required=False)
        source = pilot_slug(table, where)
        tags: dict[str, tuple[str, ...]] = {}
        raw_tags = table.get("tags", {})
        if not isinstance(raw_tags, dict):
            problems.add(f"{where}.tags", "file_type", raw_tags, expected="a [lessons.tags] table")
            raw_tags = {}
        for kind, values in raw_tags.items():
            if kind not in TagKind.__members__:
                problems.add(
                    f"{where}.tags.{kind}", "tag_kind", kind, known=", ".join(TagKind.__members__)
                )
                continue
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                problems.add(
                    f"{where}.tags.{kind}", "file_type", values, expected="a list of texts"
                )
                continue
            allowed = measures if kind == TagKind.measure else tag_values(kind)
            for value in values:
                if allowed is not None and value not in allowed:
                    problems.add(
                        f"{where}.tags.{kind}",
                        "tag_value",
                        value,
                        kind=i18n.t(f"vocab.kind.{kind}", "nl"),
                        known=", ".join(allowed),
                    )
            tags[kind] = tuple(values)
        evidence = []
        for m, item in enumerate(problems.tables(table, "evidence", f"{where}."), 1):
            at = f"{where}.evidence[{m}]"
            problems.keys(item, at, _EVIDENCE_KEYS)
            slug = pilot_slug(item, at)
            code = problems.text(item, "hypothesis", at, required=False) or None
            if code and slug in by_slug:
                codes = [h.code for h in by_slug[slug].hypotheses]
                if code not in codes:
                    problems.add(
                        f"{at}.hypothesis",
                        "demo_lesson_hypothesis",
                        code,
                        pilot=slug,
                        known=", ".join(codes),
                    )
            stance = problems.text(item, "stance", at, required=True)
            if stance and stance not in LessonStance.__members__:
                problems.add(f"{at}.stance", "evidence_stance", stance)
            note = problems.text(item, "note", at, required=False)
            evidence.append(DemoEvidence(slug, stance, code, note))
        lessons.append(
            DemoLesson(
                statement=statement,
                explanation=explanation,
                pilot=source,
                tags=tags,
                evidence=tuple(evidence),
            )
        )
    if problems.errors:
        raise ValidationError(problems.errors)
    return lessons


def _store_lessons(
    session: Session, lessons: Sequence[DemoLesson], *, source: str, actor: Actor
) -> tuple[int, int]:
    """Propose each lesson whose statement its organisation does not have yet, with its
    evidence. Returns (loaded, skipped). The pilots must be in the database."""
    loaded = skipped = 0
    for n, lesson in enumerate(lessons, 1):
        pilot = pilots.find_pilot_by_slug(session, lesson.pilot)
        assert pilot is not None and pilot.id is not None  # read_lessons checked the slug
        present = session.exec(
            select(Lesson.id).where(
                Lesson.organisation_id == pilot.organisation_id,
                Lesson.statement == lesson.statement,
            )
        ).first()
        if present is not None:
            skipped += 1
            continue
        evidence = []
        for item in lesson.evidence:
            linked = pilots.find_pilot_by_slug(session, item.pilot)
            assert linked is not None and linked.id is not None
            hypothesis = (
                hypotheses.find_hypothesis(session, linked.id, item.hypothesis)
                if item.hypothesis
                else None
            )
            evidence.append(
                library.EvidenceInput(
                    pilot_id=linked.id,
                    stance=item.stance,
                    hypothesis_id=hypothesis.id if hypothesis is not None else None,
                    note=item.note,
                )
            )
        data = {
            "statement": lesson.statement,
            "explanation": lesson.explanation,
            "pilot_id": pilot.id,
            "tags": {kind: list(values) for kind, values in lesson.tags.items()},
        }
        try:
            library.propose_lesson(session, data, actor=actor, evidence=evidence)
        except ValidationError as exc:
            # What only the service checks (a statement too short, say): still name the file,
            # the lesson and the key.
            raise ValidationError(
                [
                    FieldError(
                        f"{source}: lessons[{n}].{e.field}",
                        e.code,
                        e.message_nl,
                        e.message_en,
                        e.value,
                    )
                    for e in exc.errors
                ]
            ) from None
        loaded += 1
    return loaded, skipped


def load_demo(
    session: Session,
    *,
    actor: Actor,
    root: Path = PROJECT_ROOT,
    progress: Callable[[DemoPilotResult], None] | None = None,
) -> DemoLoadReport:
    """Load every ``experiments/*.toml`` with its measurement CSV, skipping pilots present,
    then the lessons of ``data/demo/lessons.toml`` (when there is one), skipping lessons whose
    statement the demo organisation already has.

    Runs in the caller's transaction: when one file is refused, nothing is kept. The lessons
    file is checked against the pilot files before anything is stored. ``progress`` is called
    after each pilot (the CLI prints a line). Every loaded pilot ends with a stored verdict per
    hypothesis (``tracker.services.verdicts``).
    """
    files = [(path, pf.read(path)) for path in demo_files(root)]
    lessons_path = root / DEMO_DATA_DIR / LESSONS_FILE
    lessons = read_lessons(lessons_path, [p for _, p in files]) if lessons_path.is_file() else []
    users = ensure_demo_users(session, actor=actor)
    results = []
    for path, pilot in files:
        existing = pilots.find_pilot_by_slug(session, pilot.slug)
        if existing is not None:
            assert existing.id is not None
            result = DemoPilotResult(path.name, pilot.slug, "already present", existing.id)
        else:
            csv = pilot_files.data_path(pilot, path, root=root)
            imported = pilot_files.import_pilot(session, pilot, actor=actor, source=path.name)
            rows = (
                pilot_files.import_measurement_file(session, imported.pilot_id, csv, actor=actor)
                if csv is not None
                else 0
            )
            if not rows:
                # An import that stores rows refreshes the verdicts itself; without data the
                # pilot's hypotheses still get their (insufficient_data) rows.
                refresh_verdicts(session, imported.pilot_id)
            result = DemoPilotResult(
                path.name, pilot.slug, "loaded", imported.pilot_id, imported.hypotheses, rows
            )
        results.append(result)
        if progress is not None:
            progress(result)
    loaded, skipped = _store_lessons(session, lessons, source=lessons_path.name, actor=actor)
    return DemoLoadReport(
        pilots=tuple(results),
        users_created=users,
        lessons_loaded=loaded,
        lessons_skipped=skipped,
    )
