"""The status of a lesson, from the pilots that support or contradict it (pure).

A lesson ("Netwerkbijeenkomsten verminderen herhaalde contacten alleen met een vaste
gespreksleider") is linked to pilots whose results support it or contradict it. Its status
follows from the number of *distinct pilots* on each side, never from a person's opinion:

============ ============================================
emerging     one supporting pilot, none contradicting (or no evidence yet)
supported    two or more supporting pilots, none contradicting
contested    at least one pilot on each side
rejected     contradicted, and no pilot supports it
============ ============================================

A pilot linked on both sides (one hypothesis supports, another contradicts) counts on both.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["LESSON_STATUSES", "lesson_status"]

LESSON_STATUSES = ("emerging", "supported", "contested", "rejected")


def lesson_status(supporting: Iterable[object], contradicting: Iterable[object]) -> str:
    """The status for the pilots (any hashable ids) on each side; duplicates count once."""
    pro, contra = len(set(supporting)), len(set(contradicting))
    if pro and contra:
        return "contested"
    if contra:
        return "rejected"
    if pro >= 2:
        return "supported"
    return "emerging"
