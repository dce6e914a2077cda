"""The proposed recommendation: a documented rule from the verdicts of the hypotheses.

The rule looks at the primary hypotheses (all hypotheses when none is primary) and takes the
first branch that applies:

1. ``contrary_only`` — some primary verdict is *contrary* and none is supported or partly
   supported → **stoppen**: the pilot works against what it set out to do.
2. ``contrary_mixed`` — some primary verdict is *contrary*, another is (partly) supported →
   **bijstellen**: keep what works, change what backfires.
3. ``all_supported`` — every primary verdict is *supported* and no hypothesis at all (primary
   or secondary) is contrary → **opschalen**.
4. ``mostly_open`` — more than half of the primary verdicts are *inconclusive* or
   *insufficient data* → **doorgaan met meten**: too early to decide.
5. ``no_effect`` — every primary verdict is *no meaningful effect* → **stoppen**: the pilot
   measurably does not bring the change that was hoped for.
6. ``mixed`` — anything else (partly supported, some without effect, some open) →
   **bijstellen**.

Without any hypothesis the proposal is **doorgaan met meten** (``no_hypotheses``). The officer
confirms the proposal or chooses another with a reason; the report shows both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RULES", "Proposal", "propose"]

OPEN = ("inconclusive", "insufficient_data")
IMPROVED = ("supported", "partly_supported")

# Branch → proposal, in the order they are checked.
RULES: dict[str, str] = {
    "no_hypotheses": "doorgaan_met_meten",
    "contrary_only": "stoppen",
    "contrary_mixed": "bijstellen",
    "all_supported": "opschalen",
    "mostly_open": "doorgaan_met_meten",
    "no_effect": "stoppen",
    "mixed": "bijstellen",
}


@dataclass(frozen=True)
class Proposal:
    recommendation: str
    rule: str


def propose(verdicts: Sequence[tuple[str, bool]]) -> Proposal:
    """``verdicts``: (verdict, is_primary) per hypothesis."""

    def rule(name: str) -> Proposal:
        return Proposal(RULES[name], name)

    if not verdicts:
        return rule("no_hypotheses")
    primary = [v for v, is_primary in verdicts if is_primary] or [v for v, _ in verdicts]
    if "contrary" in primary:
        return rule("contrary_mixed" if any(v in IMPROVED for v in primary) else "contrary_only")
    if all(v == "supported" for v in primary) and all(v != "contrary" for v, _ in verdicts):
        return rule("all_supported")
    if sum(v in OPEN for v in primary) * 2 > len(primary):
        return rule("mostly_open")
    if all(v == "no_meaningful_effect" for v in primary):
        return rule("no_effect")
    return rule("mixed")
