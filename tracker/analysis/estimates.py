"""The small shared types of the analysis package."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Estimate:
    """One estimated quantity with its uncertainty (None where a method has no such number)."""

    estimate: float
    se: float | None
    ci_low: float
    ci_high: float
    p_value: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": _clean(self.estimate),
            "se": _clean(self.se),
            "ci_low": _clean(self.ci_low),
            "ci_high": _clean(self.ci_high),
            "p_value": _clean(self.p_value),
        }


def _clean(value: Any) -> Any:
    """JSON-safe floats: NaN and infinities become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class InsufficientData(Exception):
    """The data cannot support the requested analysis; says what is missing.

    ``code`` is stable (used in results and tests); the messages are plain language.
    """

    def __init__(self, code: str, message_nl: str, message_en: str):
        super().__init__(message_en)
        self.code = code
        self.message_nl = message_nl
        self.message_en = message_en
