"""Sharing between municipalities: what another organisation may read of a shared pilot.

An organisation marks a pilot as shared (``share_pilot``; the pilot's team or an admin, and only
once a report is published). From then on people of *other* organisations see, read-only and in
the library only:

- the pilot's facts (title, aim, municipality, domains, intervention type, phase dates);
- its published reports, as published, except the journal (the observations) and the names of
  people (owner, publisher, authors of amendments read as the organisation) — the report's own
  words stay, the journal excerpts do not;
- the results in those reports (the pooled view reads them), after small-number protection:
  a result whose level rests on one data point of a measure that lost a cell loses its levels
  and effects, and chart points of periods that lost a cell are left out
  (``tracker.io.suppression``, threshold ``TRACKER_EXPORT_SUPPRESS_BELOW``).

Never: drafts, unpublished analyses, the measurements themselves, the journal, the team. The
pilot's own organisation keeps reading everything as before (``tracker.services.access``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from tracker import i18n
from tracker.errors import ValidationError
from tracker.io.suppression import protect_result
from tracker.models import Organisation, Pilot, Report, utcnow
from tracker.reports.model import Line, Outcome, ReportModel
from tracker.services import audit
from tracker.services.access import AccessDenied, Action, Actor, visible_organisation
from tracker.services.common import sha256_hex, snapshot
from tracker.services.exports import small_number_periods
from tracker.services.pilots import checked_pilot, get_pilot
from tracker.services.reports import ReportIntegrityError, published_report
from tracker.services.versioning import guarded_update

__all__ = [
    "PublishedResult",
    "SharedReport",
    "is_own",
    "latest_published_results",
    "readable_pilot",
    "share_pilot",
    "shared_report",
    "shared_report_view",
    "visible_pilots",
]

i18n.register(
    {
        "error.share_unpublished": {
            "nl": "Publiceer eerst een lessenrapport: andere gemeenten zien alleen wat "
            "gepubliceerd is.",
            "en": "Publish a lessons report first: other municipalities see only what is "
            "published.",
        },
    }
)


def visible_pilots(actor: Actor) -> Any:
    """SQL condition on ``pilot``: the pilots whose library entries the actor may read (own
    organisation, or shared by another). A system actor reads everything."""
    organisation = visible_organisation(actor)
    if organisation is None:
        return col(Pilot.id).is_not(None)
    return or_(col(Pilot.organisation_id) == organisation, col(Pilot.shared_at).is_not(None))


def is_own(actor: Actor, pilot: Pilot) -> bool:
    """Whether the pilot belongs to the actor's organisation (a system actor owns all)."""
    return actor.is_system or pilot.organisation_id == actor.organisation_id


def readable_pilot(session: Session, pilot_id: int, actor: Actor) -> Pilot:
    """A pilot the actor may read in the library: own organisation, or shared by another.
    Anything else is refused as if it belonged to another organisation (AccessDenied)."""
    pilot = get_pilot(session, pilot_id)
    if is_own(actor, pilot) or pilot.shared_at is not None:
        return pilot
    assert actor.role is not None
    raise AccessDenied("organisation", actor.role, Action.view)


def share_pilot(
    session: Session, pilot_id: int, *, shared: bool, expected_version: int, actor: Actor
) -> Pilot:
    """Share the pilot with other organisations (``shared=True``) or stop sharing it.

    Sharing needs a published report (what others read is what was published). Audited; a
    stale ``expected_version`` raises ConflictError like any other save of the pilot.
    """
    pilot = checked_pilot(session, pilot_id, actor, Action.share_pilot)
    if shared:
        published = session.exec(select(Report.id).where(Report.pilot_id == pilot_id)).first()
        if published is None:
            raise ValidationError.single("shared", "share_unpublished", pilot.slug)
    before = snapshot(pilot)
    values: dict[str, Any] = (
        {"shared_at": utcnow().replace(microsecond=0), "shared_by": actor.name}
        if shared
        else {"shared_at": None, "shared_by": ""}
    )
    guarded_update(
        session,
        Pilot,
        pilot,
        entity="pilot",
        expected_version=expected_version,
        values=values | {"updated_at": utcnow()},
    )
    audit.record(
        session,
        actor=actor,
        action="share" if shared else "unshare",
        entity="pilot",
        entity_id=pilot.id,
        pilot_id=pilot.id,
        before=before,
        after=snapshot(pilot),
    )
    return pilot


def _protected_outcome(outcome: Outcome, lost: set[str] | None) -> Outcome:
    if not lost:
        return outcome
    lines = tuple(
        Line(line.key, tuple(p for p in line.points if p[0][:10] not in lost))
        for line in outcome.lines
    )
    result = protect_result(outcome.result, measure_lost=True)
    if not result.get("suppressed"):
        return dataclasses.replace(outcome, lines=lines)
    # The sentences were written from the numbers just left out: they go too, and so does δ.
    return dataclasses.replace(
        outcome, result=result, lines=lines, summary_nl="", summary_en="", min_effect=None
    )


def _as_read_by_others(
    model: ReportModel, pilot_id: int, lost: dict[tuple[int, str], set[str]], organisation: str
) -> ReportModel:
    """A published report as another organisation reads it: no journal, protected results, and
    no people: the owner, the publisher and the authors of amendments become the organisation."""
    frozen = {(pilot_id, s.measure_code): set(s.periods) for s in model.small_numbers}
    # What was small when the report was published stays hidden, and so does what is small now.
    lost = {key: lost.get(key, set()) | frozen.get(key, set()) for key in {*lost, *frozen}}
    publication = model.publication
    if publication is not None:
        publication = dataclasses.replace(publication, published_by=organisation)
    return dataclasses.replace(
        model,
        pilot=dataclasses.replace(model.pilot, owner=organisation),
        hypotheses=tuple(
            dataclasses.replace(
                h,
                amendments=tuple(dataclasses.replace(a, author=organisation) for a in h.amendments),
            )
            for h in model.hypotheses
        ),
        observations=(),
        outcomes=tuple(
            _protected_outcome(o, lost.get((pilot_id, o.measure_code))) for o in model.outcomes
        ),
        exploratory=tuple(
            _protected_outcome(o, lost.get((pilot_id, o.measure_code))) for o in model.exploratory
        ),
        publication=publication,
    )


def _organisation_names(session: Session, pilots: list[Pilot]) -> dict[int, str]:
    ids = {p.organisation_id for p in pilots}
    rows = session.exec(select(Organisation).where(col(Organisation.id).in_(ids))).all()
    return {o.id: o.name for o in rows}  # type: ignore[misc]


def shared_report(
    session: Session, pilot_id: int, *, actor: Actor, number: int | None = None
) -> ReportModel:
    """A published report (default the latest) as the actor may read it.

    Own organisation: the report as published (``reports.published_report``). Another
    organisation's shared pilot: without the journal, and with small-number protection on its
    results and chart points. Not shared, or nothing published: AccessDenied / NotFoundError.
    """
    pilot = readable_pilot(session, pilot_id, actor)
    model = published_report(session, pilot_id, number)
    if is_own(actor, pilot):
        return model
    organisation = _organisation_names(session, [pilot])[pilot.organisation_id]
    return _as_read_by_others(model, pilot_id, small_number_periods(session, [pilot]), organisation)


@dataclass(frozen=True)
class PublishedResult:
    """One hypothesis' result as its pilot's latest report published it (protected for
    readers of another organisation)."""

    code: str
    measure_code: str
    is_primary: bool
    result: dict[str, Any]


def _latest_reports(session: Session, ids: list[int]) -> list[Report]:
    latest = (
        select(Report.pilot_id, func.max(Report.number).label("number"))
        .where(col(Report.pilot_id).in_(ids))
        .group_by(Report.pilot_id)
        .subquery()
    )
    return list(
        session.exec(
            select(Report).join(
                latest,
                and_(
                    col(Report.pilot_id) == latest.c.pilot_id,
                    col(Report.number) == latest.c.number,
                ),
            )
        ).all()
    )


def _one_point(result: dict[str, Any]) -> bool:
    return (result.get("n_before") or 0) <= 1 or (result.get("n_after") or 0) <= 1


def latest_published_results(
    session: Session, pilots: list[Pilot], *, actor: Actor
) -> dict[int, list[PublishedResult]]:
    """Per readable pilot with a publication, the results of its latest report, protected as
    ``shared_report`` protects them, without rebuilding the whole report: the pooled view
    reads hundreds of them. Only results that rest on one data point can lose numbers
    (``protect_result``), so only their pilots' measurements are read."""
    readable = {p.id: p for p in pilots if is_own(actor, p) or p.shared_at is not None}
    if not readable:
        return {}
    out: dict[int, list[PublishedResult]] = {}
    pending: list[tuple[int, int]] = []  # (pilot id, index) to check against current data
    for row in _latest_reports(session, list(readable)):  # type: ignore[arg-type]
        if sha256_hex(row.content) != row.content_hash:
            raise ReportIntegrityError(str(row.pilot_id), row.number)
        content = json.loads(row.content)
        own = is_own(actor, readable[row.pilot_id])
        frozen = {n["measure_code"] for n in content.get("small_numbers") or ()}
        results = out.setdefault(row.pilot_id, [])
        for outcome in content["outcomes"]:
            result = outcome["result"]
            if not own and _one_point(result):
                if outcome["measure_code"] in frozen:
                    result = protect_result(result, measure_lost=True)
                else:
                    pending.append((row.pilot_id, len(results)))
            results.append(
                PublishedResult(
                    outcome["code"], outcome["measure_code"], bool(outcome["is_primary"]), result
                )
            )
    if pending:
        lost = small_number_periods(session, [readable[pilot_id] for pilot_id, _ in pending])
        for pilot_id, index in pending:
            item = out[pilot_id][index]
            if (pilot_id, item.measure_code) in lost:
                out[pilot_id][index] = dataclasses.replace(
                    item, result=protect_result(item.result, measure_lost=True)
                )
    return out


@dataclass(frozen=True)
class SharedReport:
    """What the library's shared-report view shows: the report as the reader may read it,
    and the pilot it belongs to."""

    model: ReportModel
    own: bool
    slug: str
    title: str
    organisation: str


def shared_report_view(session: Session, pilot_id: int, *, actor: Actor) -> SharedReport:
    """``shared_report`` with the pilot's slug, title and organisation (same refusals)."""
    pilot = readable_pilot(session, pilot_id, actor)
    model = shared_report(session, pilot_id, actor=actor)
    return SharedReport(
        model=model,
        own=is_own(actor, pilot),
        slug=pilot.slug,
        title=pilot.title,
        organisation=_organisation_names(session, [pilot]).get(pilot.organisation_id, ""),
    )
