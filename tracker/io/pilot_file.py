"""A pilot as a file: ``experiments/<slug>.toml`` ⇄ plain dataclasses.

Pure: no database. :func:`dumps` writes a fixed layout (fixed key order, one table per item,
TOML datetimes with their UTC offset) so that the same pilot always gives the same bytes;
:func:`loads` reads it back and says exactly which key is wrong when it cannot. The services
in ``tracker.services.pilot_files`` turn this structure into database rows and back.

Layout (format_version 1)::

    format_version = 1
    slug = "…"            # then the other pilot fields, owner_email and data (optional)
    [organisation]        # name, code
    [[areas]]             # code, name, group (pilot | comparison)
    [[measures]]          # the codebook entries the hypotheses use
    [[hypotheses]]        # text, expectation and registration state (registered_at, hash)
    [[hypotheses.amendments]]
    [[interventions]]
    [[observations]]

Measurements are not in the file; ``data`` names the CSV that holds them, relative to the
repository root (or to the TOML file itself).
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.errors import FieldError, ValidationError, field_error
from tracker.i18n import MESSAGES as i18n_messages
from tracker.i18n import register
from tracker.vocabulary import INTERVENTION_TYPES

FORMAT_VERSION = 1

# The allowed values of the model enums (tracker.models), repeated here because this module
# stays free of the database layer; a unit test keeps both lists equal.
PILOT_STATUSES = ("concept", "baseline", "running", "evaluating", "closed")
AREA_GROUPS = ("pilot", "comparison")
MEASURE_KINDS = ("continuous", "proportion", "count")
BETTER_DIRECTIONS = ("higher", "lower")
EXPECTED_DIRECTIONS = ("increase", "decrease", "no_change")
EFFECT_TYPES = ("absolute", "relative")
DESIGNS = ("auto", "prepost", "its", "did", "spc")
INTERVENTION_STATUSES = ("planned", "delivered", "cancelled")
OBSERVATION_KINDS = ("cause", "unforeseen_effect", "obstacle", "quote", "decision", "comment")

MESSAGES: dict[str, dict[str, str]] = {
    "error.file_syntax": {
        "nl": "het bestand is geen geldige TOML: {detail}",
        "en": "the file is not valid TOML: {detail}",
    },
    "error.file_key_missing": {
        "nl": "verplichte sleutel ontbreekt",
        "en": "required key is missing",
    },
    "error.file_key_unknown": {
        "nl": "onbekende sleutel (tikfout?); toegestaan zijn: {expected}",
        "en": "unknown key (typo?); allowed are: {expected}",
    },
    "error.file_type": {
        "nl": "verwacht {expected}, gevonden '{value}'",
        "en": "expected {expected}, found '{value}'",
    },
    "error.file_format_version": {
        "nl": "format_version {value} wordt niet ondersteund; deze versie leest {expected}",
        "en": "format_version {value} is not supported; this version reads {expected}",
    },
    "error.file_timezone": {
        "nl": "'{value}' heeft geen tijdzone; schrijf bijvoorbeeld 2017-06-01T10:00:00+00:00",
        "en": "'{value}' has no time zone; write for example 2017-06-01T10:00:00+00:00",
    },
    "error.file_unknown_reference": {
        "nl": "'{value}' staat niet in [{expected}] van dit bestand",
        "en": "'{value}' is not in [{expected}] of this file",
    },
    "error.file_duplicate": {
        "nl": "'{value}' komt meer dan één keer voor",
        "en": "'{value}' occurs more than once",
    },
    "error.file_registration": {
        "nl": "registered_at en content_hash horen samen: geef ze allebei of geen van beide",
        "en": "registered_at and content_hash belong together: give both or neither",
    },
}
# Streamlit re-imports a changed module while the app runs; registering the same texts
# again is harmless, a clash with another module's texts is not.
register({k: v for k, v in MESSAGES.items() if i18n_messages.get(k) != v})


# --------------------------------------------------------------------------- the structure
@dataclass(frozen=True)
class OrganisationEntry:
    name: str
    code: str


@dataclass(frozen=True)
class AreaEntry:
    code: str
    name: str = ""
    group: str = "pilot"


@dataclass(frozen=True)
class MeasureEntry:
    code: str
    name: str
    kind: str
    better_direction: str
    definition: str = ""
    unit: str = ""
    source: str = ""


@dataclass(frozen=True)
class AmendmentEntry:
    field: str
    old_value: str
    new_value: str
    reason: str
    author: str
    created_at: dt.datetime


@dataclass(frozen=True)
class HypothesisEntry:
    code: str
    measure: str
    if_text: str
    then_text: str
    because_text: str
    expected_direction: str
    min_effect: float
    min_effect_type: str = "absolute"
    design: str = "auto"
    comparison_group: str = ""
    alpha: float = 0.05
    is_primary: bool = True
    registered_at: dt.datetime | None = None
    registered_late: bool = False
    content_hash: str | None = None
    amendments: tuple[AmendmentEntry, ...] = ()


@dataclass(frozen=True)
class InterventionEntry:
    date: dt.date
    kind: str
    title: str
    description: str = ""
    status: str = "delivered"
    planned_date: dt.date | None = None


@dataclass(frozen=True)
class ObservationEntry:
    date: dt.date
    kind: str
    text: str
    hypothesis: str | None = None
    intervention: str | None = None


@dataclass(frozen=True)
class PilotFile:
    """One pilot: definition, codebook entries, hypotheses, interventions and journal."""

    slug: str
    title: str
    municipality: str
    municipality_code: str
    baseline_start: dt.date
    intervention_start: dt.date
    evaluation_end: dt.date
    organisation: OrganisationEntry
    aim: str = ""
    domains: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    strategy: str = ""
    intervention_type: str = ""  # tracker.vocabulary.INTERVENTION_TYPES; "" = not stated
    status: str = "concept"
    owner_email: str | None = None
    data: str | None = None
    areas: tuple[AreaEntry, ...] = ()
    measures: tuple[MeasureEntry, ...] = ()
    hypotheses: tuple[HypothesisEntry, ...] = ()
    interventions: tuple[InterventionEntry, ...] = ()
    observations: tuple[ObservationEntry, ...] = ()
    format_version: int = FORMAT_VERSION

    def measure(self, code: str) -> MeasureEntry | None:
        return next((m for m in self.measures if m.code == code), None)


# --------------------------------------------------------------------------- writing
def _string(value: str) -> str:
    """A TOML basic string; text with line breaks becomes a multi-line basic string."""
    multiline = "\n" in value
    out = []
    for char in value:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\n" if multiline else "\\n")
        elif char == "\t":
            out.append("\\t")
        elif char == "\r":
            out.append("\\r")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    body = "".join(out)
    # A line break right after the opening quotes is dropped by TOML readers.
    return f'"""\n{body}"""' if multiline else f'"{body}"'


def _datetime(value: dt.datetime) -> str:
    if value.utcoffset() is None:
        raise ValueError(f"datetime without time zone: {value!r}")
    return value.astimezone(dt.UTC).isoformat()


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return repr(value)
    if isinstance(value, dt.datetime):
        return _datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to a pilot file")


def _lines(pairs: list[tuple[str, Any]]) -> list[str]:
    # Optional values are left out (TOML has no null).
    return [f"{key} = {_literal(value)}" for key, value in pairs if value is not None]


def _block(header: str, pairs: list[tuple[str, Any]]) -> list[str]:
    return [header, *_lines(pairs)]


def dumps(pilot: PilotFile, *, comment: str | None = None) -> str:
    """The pilot as TOML text, always in the same layout and key order.

    ``comment`` is written as ``#`` lines at the top (for example the label on demonstration
    data); it is not part of the pilot and :func:`loads` ignores it.
    """
    blocks: list[list[str]] = []
    head = [f"# {line}".rstrip() for line in comment.splitlines()] if comment else []
    head += _lines(
        [
            ("format_version", pilot.format_version),
            ("slug", pilot.slug),
            ("title", pilot.title),
            ("aim", pilot.aim),
            ("municipality", pilot.municipality),
            ("municipality_code", pilot.municipality_code),
            ("domains", list(pilot.domains)),
            ("partners", list(pilot.partners)),
            ("strategy", pilot.strategy),
            ("intervention_type", pilot.intervention_type or None),
            ("status", pilot.status),
            ("baseline_start", pilot.baseline_start),
            ("intervention_start", pilot.intervention_start),
            ("evaluation_end", pilot.evaluation_end),
            ("owner_email", pilot.owner_email),
            ("data", pilot.data),
        ]
    )
    blocks.append(head)
    blocks.append(
        _block(
            "[organisation]", [("name", pilot.organisation.name), ("code", pilot.organisation.code)]
        )
    )
    for area in pilot.areas:
        blocks.append(
            _block("[[areas]]", [("code", area.code), ("name", area.name), ("group", area.group)])
        )
    for m in pilot.measures:
        blocks.append(
            _block(
                "[[measures]]",
                [
                    ("code", m.code),
                    ("name", m.name),
                    ("definition", m.definition),
                    ("unit", m.unit),
                    ("kind", m.kind),
                    ("better_direction", m.better_direction),
                    ("source", m.source),
                ],
            )
        )
    for h in pilot.hypotheses:
        blocks.append(
            _block(
                "[[hypotheses]]",
                [
                    ("code", h.code),
                    ("measure", h.measure),
                    ("if_text", h.if_text),
                    ("then_text", h.then_text),
                    ("because_text", h.because_text),
                    ("expected_direction", h.expected_direction),
                    ("min_effect", float(h.min_effect)),
                    ("min_effect_type", h.min_effect_type),
                    ("design", h.design),
                    ("comparison_group", h.comparison_group),
                    ("alpha", float(h.alpha)),
                    ("is_primary", h.is_primary),
                    ("registered_at", h.registered_at),
                    ("registered_late", h.registered_late),
                    ("content_hash", h.content_hash),
                ],
            )
        )
        for a in h.amendments:
            blocks.append(
                _block(
                    "[[hypotheses.amendments]]",
                    [
                        ("field", a.field),
                        ("old_value", a.old_value),
                        ("new_value", a.new_value),
                        ("reason", a.reason),
                        ("author", a.author),
                        ("created_at", a.created_at),
                    ],
                )
            )
    for i in pilot.interventions:
        blocks.append(
            _block(
                "[[interventions]]",
                [
                    ("date", i.date),
                    ("planned_date", i.planned_date),
                    ("status", i.status),
                    ("kind", i.kind),
                    ("title", i.title),
                    ("description", i.description),
                ],
            )
        )
    for o in pilot.observations:
        blocks.append(
            _block(
                "[[observations]]",
                [
                    ("date", o.date),
                    ("kind", o.kind),
                    ("hypothesis", o.hypothesis),
                    ("intervention", o.intervention),
                    ("text", o.text),
                ],
            )
        )
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def write(pilot: PilotFile, path: Path, *, comment: str | None = None) -> None:
    """Write :func:`dumps` to ``path`` as UTF-8 with Unix line ends."""
    path.write_bytes(dumps(pilot, comment=comment).encode("utf-8"))


# --------------------------------------------------------------------------- reading
class _Reader:
    """Typed access to one TOML table, collecting every problem with its key path."""

    def __init__(self, table: Mapping[str, Any], path: str, errors: list[FieldError]):
        self.table, self.path, self.errors = table, path, errors
        self.seen: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, code: str, value: Any = None, **params: Any) -> None:
        self.errors.append(field_error(self._name(key), code, value, **params))

    def _get(
        self, key: str, check: Callable[[Any], bool], expected: str, required: bool, default: Any
    ) -> Any:
        self.seen.add(key)
        if key not in self.table:
            if required:
                self.error(key, "file_key_missing")
            return default
        value = self.table[key]
        if not check(value):
            self.error(key, "file_type", value, expected=expected)
            return default
        return value

    def text(self, key: str, *, required: bool = True, default: str = "") -> str:
        return self._get(key, lambda v: isinstance(v, str), "text", required, default)

    def optional_text(self, key: str) -> str | None:
        return self._get(key, lambda v: isinstance(v, str), "text", False, None)

    def choice(self, key: str, choices: tuple[str, ...], *, default: str | None = None) -> str:
        value = self.text(key, required=default is None, default=default or choices[0])
        if value not in choices:
            # An allowed "" means "leave the key out": not a word to offer in the message.
            self.error(key, "enum", value, expected=", ".join(c for c in choices if c))
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        def check(v: Any) -> bool:
            return isinstance(v, list) and all(isinstance(x, str) for x in v)

        return tuple(self._get(key, check, "a list of texts", False, []))

    def number(self, key: str, *, required: bool = True, default: float = 0.0) -> float:
        def check(v: Any) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

        return float(self._get(key, check, "a number", required, default))

    def flag(self, key: str, *, default: bool) -> bool:
        return self._get(key, lambda v: isinstance(v, bool), "true or false", False, default)

    def date(self, key: str, *, required: bool = True) -> dt.date | None:
        def check(v: Any) -> bool:
            return isinstance(v, dt.date) and not isinstance(v, dt.datetime)

        return self._get(key, check, "a date (yyyy-mm-dd)", required, None)

    def moment(self, key: str, *, required: bool = True) -> dt.datetime | None:
        value = self._get(
            key,
            lambda v: isinstance(v, dt.datetime),
            "a date-time with offset (2017-06-01T10:00:00+00:00)",
            required,
            None,
        )
        if value is None:
            return None
        if value.utcoffset() is None:
            self.error(key, "file_timezone", value)
            return None
        return value.astimezone(dt.UTC)

    def tables(self, key: str) -> list[_Reader]:
        def check(v: Any) -> bool:
            return isinstance(v, list) and all(isinstance(x, dict) for x in v)

        items = self._get(key, check, f"[[{key}]] tables", False, [])
        return [_Reader(t, f"{self._name(key)}[{n}]", self.errors) for n, t in enumerate(items, 1)]

    def table_(self, key: str) -> _Reader:
        value = self._get(key, lambda v: isinstance(v, dict), f"a [{key}] table", True, {})
        return _Reader(value, self._name(key), self.errors)

    def done(self) -> None:
        """Report keys nobody asked for: almost always a typo that would otherwise be lost."""
        allowed = ", ".join(sorted(self.seen))
        for key in self.table:
            if key not in self.seen:
                self.error(key, "file_key_unknown", key, expected=allowed)


def _read_amendment(r: _Reader) -> AmendmentEntry:
    entry = AmendmentEntry(
        field=r.text("field"),
        old_value=r.text("old_value"),
        new_value=r.text("new_value"),
        reason=r.text("reason"),
        author=r.text("author"),
        created_at=r.moment("created_at"),  # type: ignore[arg-type]
    )
    r.done()
    return entry


def _read_hypothesis(r: _Reader) -> HypothesisEntry:
    entry = HypothesisEntry(
        code=r.text("code"),
        measure=r.text("measure"),
        if_text=r.text("if_text"),
        then_text=r.text("then_text"),
        because_text=r.text("because_text"),
        expected_direction=r.choice("expected_direction", EXPECTED_DIRECTIONS),
        min_effect=r.number("min_effect"),
        min_effect_type=r.choice("min_effect_type", EFFECT_TYPES, default="absolute"),
        design=r.choice("design", DESIGNS, default="auto"),
        comparison_group=r.text("comparison_group", required=False),
        alpha=r.number("alpha", required=False, default=0.05),
        is_primary=r.flag("is_primary", default=True),
        registered_at=r.moment("registered_at", required=False),
        registered_late=r.flag("registered_late", default=False),
        content_hash=r.optional_text("content_hash"),
        amendments=tuple(_read_amendment(a) for a in r.tables("amendments")),
    )
    if ("registered_at" in r.table) != ("content_hash" in r.table):
        r.error("registered_at", "file_registration")
    r.done()
    return entry


def _read_pilot(root: _Reader) -> PilotFile:
    version = root._get(
        "format_version",
        lambda v: isinstance(v, int) and not isinstance(v, bool),
        "a whole number",
        True,
        None,
    )
    if version is not None and version != FORMAT_VERSION:
        # Another version's keys mean something else: stop before reading them.
        root.error("format_version", "file_format_version", version, expected=FORMAT_VERSION)
        raise ValidationError(root.errors)
    slug = root.text("slug")
    title = root.text("title")
    aim = root.text("aim", required=False)
    municipality = root.text("municipality")
    municipality_code = root.text("municipality_code")
    domains = root.texts("domains")
    partners = root.texts("partners")
    strategy = root.text("strategy", required=False)
    intervention_type = root.choice("intervention_type", ("", *INTERVENTION_TYPES), default="")
    status = root.choice("status", PILOT_STATUSES, default="concept")
    baseline_start = root.date("baseline_start")
    intervention_start = root.date("intervention_start")
    evaluation_end = root.date("evaluation_end")
    owner_email = root.optional_text("owner_email")
    data = root.optional_text("data")
    org = root.table_("organisation")
    organisation = OrganisationEntry(name=org.text("name"), code=org.text("code"))
    org.done()

    areas = []
    for r in root.tables("areas"):
        areas.append(
            AreaEntry(
                code=r.text("code"),
                name=r.text("name", required=False),
                group=r.choice("group", AREA_GROUPS, default="pilot"),
            )
        )
        r.done()
    measures = []
    for r in root.tables("measures"):
        measures.append(
            MeasureEntry(
                code=r.text("code"),
                name=r.text("name"),
                definition=r.text("definition", required=False),
                unit=r.text("unit", required=False),
                kind=r.choice("kind", MEASURE_KINDS),
                better_direction=r.choice("better_direction", BETTER_DIRECTIONS),
                source=r.text("source", required=False),
            )
        )
        r.done()
    hypotheses = [_read_hypothesis(r) for r in root.tables("hypotheses")]
    interventions = []
    for r in root.tables("interventions"):
        interventions.append(
            InterventionEntry(
                date=r.date("date"),  # type: ignore[arg-type]
                planned_date=r.date("planned_date", required=False),
                status=r.choice("status", INTERVENTION_STATUSES, default="delivered"),
                kind=r.text("kind"),
                title=r.text("title"),
                description=r.text("description", required=False),
            )
        )
        r.done()
    observations = []
    for r in root.tables("observations"):
        observations.append(
            ObservationEntry(
                date=r.date("date"),  # type: ignore[arg-type]
                kind=r.choice("kind", OBSERVATION_KINDS),
                hypothesis=r.optional_text("hypothesis"),
                intervention=r.optional_text("intervention"),
                text=r.text("text"),
            )
        )
        r.done()

    pilot = PilotFile(
        format_version=FORMAT_VERSION,
        slug=slug,
        title=title,
        aim=aim,
        municipality=municipality,
        municipality_code=municipality_code,
        domains=domains,
        partners=partners,
        strategy=strategy,
        intervention_type=intervention_type,
        status=status,
        baseline_start=baseline_start,  # type: ignore[arg-type]
        intervention_start=intervention_start,  # type: ignore[arg-type]
        evaluation_end=evaluation_end,  # type: ignore[arg-type]
        owner_email=owner_email,
        data=data,
        organisation=organisation,
        areas=tuple(areas),
        measures=tuple(measures),
        hypotheses=tuple(hypotheses),
        interventions=tuple(interventions),
        observations=tuple(observations),
    )
    root.done()
    _check_references(pilot, root.errors)
    return pilot


def _check_references(pilot: PilotFile, errors: list[FieldError]) -> None:
    """Codes must be unique and every link must point at something in the same file."""

    def dupes(kind: str, keys: list[str]) -> None:
        seen: set[str] = set()
        for n, key in enumerate(keys, 1):
            if key in seen:
                errors.append(field_error(f"{kind}[{n}]", "file_duplicate", key))
            seen.add(key)

    dupes("areas", [a.code for a in pilot.areas])
    dupes("measures", [m.code for m in pilot.measures])
    dupes("hypotheses", [h.code for h in pilot.hypotheses])
    measure_codes = {m.code for m in pilot.measures}
    for n, h in enumerate(pilot.hypotheses, 1):
        if h.measure not in measure_codes:
            errors.append(
                field_error(
                    f"hypotheses[{n}].measure",
                    "file_unknown_reference",
                    h.measure,
                    expected="measures",
                )
            )
    hypothesis_codes = {h.code for h in pilot.hypotheses}
    titles = {i.title for i in pilot.interventions}
    for n, o in enumerate(pilot.observations, 1):
        if o.hypothesis is not None and o.hypothesis not in hypothesis_codes:
            errors.append(
                field_error(
                    f"observations[{n}].hypothesis",
                    "file_unknown_reference",
                    o.hypothesis,
                    expected="hypotheses",
                )
            )
        if o.intervention is not None and o.intervention not in titles:
            errors.append(
                field_error(
                    f"observations[{n}].intervention",
                    "file_unknown_reference",
                    o.intervention,
                    expected="interventions",
                )
            )


def loads(text: str, *, source: str = "") -> PilotFile:
    """Parse a pilot file. Every problem is reported at once, each with its key path.

    Raises
    ------
    tracker.errors.ValidationError
        The text is not TOML, or keys are missing, unknown, of the wrong type or refer to
        something the file does not contain. ``source`` (a file name) prefixes each field.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError.single(
            source or "file", "file_syntax", None, detail=str(exc)
        ) from None
    errors: list[FieldError] = []
    try:
        pilot = _read_pilot(_Reader(document, "", errors))
    except ValidationError:
        pilot = None
    if errors:
        if source:
            errors = [
                FieldError(f"{source}: {e.field}", e.code, e.message_nl, e.message_en, e.value)
                for e in errors
            ]
        raise ValidationError(errors)
    assert pilot is not None
    return pilot


def read(path: Path) -> PilotFile:
    """Read a pilot file (UTF-8); errors name the file and the key."""
    return loads(path.read_text(encoding="utf-8"), source=path.name)


def slug_of(path: Path) -> str | None:
    """Only the slug of a pilot file, or None when the file has none (cheap, no validation)."""
    try:
        value = tomllib.loads(path.read_text(encoding="utf-8")).get("slug")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value if isinstance(value, str) else None


__all__ = [
    "FORMAT_VERSION",
    "AmendmentEntry",
    "AreaEntry",
    "HypothesisEntry",
    "InterventionEntry",
    "MeasureEntry",
    "ObservationEntry",
    "OrganisationEntry",
    "PilotFile",
    "dumps",
    "loads",
    "read",
    "slug_of",
    "write",
]
