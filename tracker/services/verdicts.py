"""Stored verdicts: the latest analysis of every hypothesis, kept so overviews need not analyse.

The portfolio overview reads a thousand pilots at once; running ``analyze_pilot`` for each
would take minutes. Instead the writes that add measurements call ``refresh_verdicts`` in their
own transaction (``import_measurements``, and so ``load_demo``), and readers use the
``hypothesis_verdict`` rows. Other changes (a new hypothesis, an amendment, new phase dates)
leave the stored rows as they were until the pilot's next refresh.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from tracker.models import HypothesisVerdict, utcnow
from tracker.services import audit
from tracker.services.access import Action, Actor
from tracker.services.analysis import analyze_pilot
from tracker.services.hypotheses import list_hypotheses
from tracker.services.pilots import checked_pilot

# First key of the PostgreSQL advisory lock that serializes refreshes of one pilot (the second
# key is the pilot id). Any fixed 32-bit number; "verd".
REFRESH_LOCK_KEY = 0x76657264


def _wait_for_other_refreshes(session: Session, pilot_id: int) -> None:
    """Hold the pilot's refresh lock until this transaction ends.

    Two PostgreSQL transactions (read committed) refreshing the same pilot would both find no
    row for a hypothesis and both insert one; the second would fail on the primary key. After
    the lock, this transaction's next statements see what the other one committed. SQLite needs
    nothing: every transaction there holds the write lock (BEGIN IMMEDIATE, see tracker.db).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key, :pilot_id)"),
            {"key": REFRESH_LOCK_KEY, "pilot_id": pilot_id},
        )


def _number(value: Any) -> float | None:
    """A plain float for a float column; None for missing, NaN and infinities."""
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def refresh_verdicts(session: Session, pilot_id: int) -> list[HypothesisVerdict]:
    """Analyse the pilot now and store one verdict row per hypothesis, replacing older rows.

    Runs ``analyze_pilot`` (amendments applied, Holm across the primary hypotheses) inside the
    caller's transaction. A hypothesis without (enough) data gets a row with verdict
    ``insufficient_data``: the analysis returns such a result instead of raising. Rows of
    hypotheses the pilot no longer has are removed.

    No audit event is recorded: the rows are derived data, recomputed from audited data (the
    measurements, hypotheses and amendments) and replaceable at any time.

    Returns the pilot's rows, in hypothesis-code order. Raises NotFoundError for an unknown
    pilot.
    """
    _wait_for_other_refreshes(session, pilot_id)
    analyses = analyze_pilot(session, pilot_id)
    ids = {h.code: h.id for h in list_hypotheses(session, pilot_id)}
    existing = stored_verdicts(session, pilot_id)
    now = utcnow()
    rows = []
    for analysis in analyses:
        hypothesis_id = ids[analysis.code]
        assert hypothesis_id is not None
        result = analysis.result.to_dict("nl")
        values = {
            "pilot_id": pilot_id,
            "verdict": analysis.result.verdict,
            "design": analysis.result.design,
            "estimate": _number(result["estimate"]),
            "ci_low": _number(result["ci_low"]),
            "ci_high": _number(result["ci_high"]),
            "p_value": _number(result["p_value"]),
            "p_adjusted": _number(result["p_adjusted"]),
            "result_json": result,
            "computed_at": now,
        }
        row = existing.pop(hypothesis_id, None)
        if row is None:
            row = HypothesisVerdict(hypothesis_id=hypothesis_id, **values)
            session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
        rows.append(row)
    for stale in existing.values():
        session.delete(stale)
    session.flush()
    return rows


def stored_verdicts(session: Session, pilot_id: int) -> dict[int, HypothesisVerdict]:
    """The pilot's stored verdict rows, keyed by hypothesis id (empty when never analysed)."""
    rows = session.exec(
        select(HypothesisVerdict)
        .where(HypothesisVerdict.pilot_id == pilot_id)
        .order_by(col(HypothesisVerdict.hypothesis_id))
    )
    return {row.hypothesis_id: row for row in rows}


def rerun_analysis(session: Session, pilot_id: int, *, actor: Actor) -> list[HypothesisVerdict]:
    """Run the pilot's analyses again and store their verdicts: the analyst's "run analyses".

    Needed after changes that do not refresh by themselves (a new hypothesis, new phase
    dates). One audit event says who ran it and the verdicts it stored.
    """
    checked_pilot(session, pilot_id, actor, Action.run_analysis)
    rows = refresh_verdicts(session, pilot_id)
    audit.record(
        session,
        actor=actor,
        action="rerun_analysis",
        entity="pilot",
        entity_id=pilot_id,
        pilot_id=pilot_id,
        after={"verdicts": {str(r.hypothesis_id): r.verdict for r in rows}},
    )
    return rows
