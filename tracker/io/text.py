"""Text from people, made inert where it is shown or exported.

- :func:`inert_markdown`: user text placed inside Markdown (the app's pages, the Markdown
  report) is shown as typed: no links, images, HTML, emphasis or headings of its own. A
  journal note like ``![x](https://tracker.example/pixel.png)`` would otherwise make every
  reader's browser fetch that address.
- :func:`inert_cell`: a text cell of a CSV export that a spreadsheet would run as a formula
  (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``
  (OWASP, "CSV injection"); numbers are not text cells and stay as they are. A text that
  already starts with ``'`` gets one more, so that :func:`restore_cell` can undo it exactly
  (an export read back into Proeftuin gives the text as typed).
"""

from __future__ import annotations

import re

__all__ = ["ESCAPED_STARTS", "FORMULA_STARTS", "inert_cell", "inert_markdown", "restore_cell"]

# What lets text become something else than text: links and images need "[" and "]", HTML
# needs "<" before a letter, "/", "!" or "?" (a lone "< 0,001" is text), emphasis and code
# "*", "_" and "`", tables "|"; and at the start of a
# line "#", ">", "-", "+", "=" and "1." make headings, quotes and lists. Parentheses, "!" and
# the like only mean something after one of these, so they stay as they are (the Markdown
# report stays readable as plain text).
_INLINE = re.compile(r"([\\`*_\[\]|]|<(?=[A-Za-z/!?]))")
_BLOCK_MARK = re.compile(r"^(\s*)([#>+=-])", flags=re.M)
_LIST_NUMBER = re.compile(r"^(\s*\d+)([.)])", flags=re.M)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The first characters that get a leading "'": the formula starts and the quote itself.
ESCAPED_STARTS = (*FORMULA_STARTS, "'")


def inert_markdown(text: str, *, block: bool = True) -> str:
    """``text`` escaped so that Markdown shows it literally (backslash escapes, which the
    renderer removes: the reader sees exactly what was typed).

    ``block=False`` for text that Markdown never reads as the start of a block (a heading's
    text after its ``#``, a table cell): only the inline marks are escaped there.
    """
    escaped = _INLINE.sub(r"\\\1", text)
    if not block:
        return escaped
    escaped = _BLOCK_MARK.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)
    # "1. item" would become a list: escape the punctuation (a digit cannot be escaped).
    return _LIST_NUMBER.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def inert_cell(text: str) -> str:
    """A spreadsheet text cell that cannot start a formula."""
    return "'" + text if text.startswith(ESCAPED_STARTS) else text


def restore_cell(text: str) -> str:
    """The text as typed, from a cell :func:`inert_cell` wrote (its one leading ``'`` off)."""
    return text[1:] if text.startswith("'") else text
