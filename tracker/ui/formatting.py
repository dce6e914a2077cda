"""Numbers in the reader's language (pure: no streamlit, no database).

Dutch writes 1.234,5 and English 1,234.5; the browser's own locale is not used, because the
reader chooses the language in the app.
"""

from __future__ import annotations

_NL_SEPARATORS = str.maketrans({",": ".", ".": ","})


def format_number(value: float | int | None, lang: str, *, decimals: int = 0) -> str:
    """``value`` with a thousands separator and ``decimals`` decimals; ``None`` becomes ''."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.translate(_NL_SEPARATORS) if lang == "nl" else text
