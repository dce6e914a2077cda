"""Integrity checks: the audit chain, registered hypotheses and published reports.

Everything the app locks carries a hash: each audit event the hash of the one before it
(``tracker.services.audit``), each registered hypothesis the hash of its registered content,
each published report the SHA-256 of its frozen content. ``check_integrity`` recomputes them
all, so a change made outside the app (an UPDATE in the database) is found and named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from tracker.models import Hypothesis, Pilot, Report
from tracker.services.audit import verify_chain
from tracker.services.common import sha256_hex
from tracker.services.hypotheses import verify_registration

__all__ = ["IntegrityReport", "check_integrity"]


@dataclass(frozen=True)
class IntegrityReport:
    events: int
    first_broken_event: int | None
    hypotheses: int
    changed_hypotheses: tuple[str, ...] = field(default=())  # "slug/H1"
    reports: int = 0
    changed_reports: tuple[str, ...] = field(default=())  # "slug #2"

    @property
    def ok(self) -> bool:
        return (
            self.first_broken_event is None
            and not self.changed_hypotheses
            and not self.changed_reports
        )


def check_integrity(session: Session) -> IntegrityReport:
    chain = verify_chain(session)
    slugs = dict(session.exec(select(Pilot.id, Pilot.slug)).all())
    registered = session.exec(
        select(Hypothesis)
        .where(col(Hypothesis.registered_at).is_not(None))
        .order_by(col(Hypothesis.pilot_id), col(Hypothesis.code))
    ).all()
    changed_hypotheses = tuple(
        f"{slugs.get(h.pilot_id, h.pilot_id)}/{h.code}"
        for h in registered
        if not verify_registration(session, h)
    )
    reports = session.exec(select(Report).order_by(col(Report.pilot_id), col(Report.number))).all()
    changed_reports = tuple(
        f"{slugs.get(r.pilot_id, r.pilot_id)} #{r.number}"
        for r in reports
        if sha256_hex(r.content) != r.content_hash
    )
    return IntegrityReport(
        events=chain.events,
        first_broken_event=chain.first_broken_id,
        hypotheses=len(registered),
        changed_hypotheses=changed_hypotheses,
        reports=len(reports),
        changed_reports=changed_reports,
    )
