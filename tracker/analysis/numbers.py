"""Numbers for people: decimal comma in Dutch, three significant digits for small values."""

from __future__ import annotations

import math


def format_number(value: float | None, lang: str = "nl", digits: int = 3) -> str:
    """1234.5 → '1.234,5' (nl) / '1,234.5' (en); 0.002468 → '0,00247'; minus sign '−'."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, min(8, digits - 1 - magnitude))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang != "en":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text.replace("-", "−")


def format_signed(value: float | None, lang: str = "nl", digits: int = 3) -> str:
    text = format_number(value, lang, digits)
    return "+" + text if value is not None and value > 0 else text


def format_percent(value: float | None, lang: str = "nl", signed: bool = True) -> str:
    """A fraction as a percentage: 0.173 → '+17%' (two significant digits, at least whole)."""
    if value is None or not math.isfinite(value):
        return "–"
    pct = 100 * value
    text = format_number(pct, lang, 2) if abs(pct) < 10 else format_number(round(pct), lang, 6)
    if signed and value > 0:
        text = "+" + text
    return f"{text}%"
