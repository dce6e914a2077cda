"""User text made inert: Markdown that shows what was typed, spreadsheet cells that never run."""

from __future__ import annotations

import pytest

from tracker.io.text import inert_cell, inert_markdown, restore_cell


@pytest.mark.parametrize(
    ("typed", "escaped"),
    [
        ("![p](https://tracker.example/p.png)", "!\\[p\\](https://tracker.example/p.png)"),
        ("[klik](javascript:alert(1))", "\\[klik\\](javascript:alert(1))"),
        ("<script>alert(1)</script>", "\\<script>alert(1)\\</script>"),
        ('<img src=x onerror="alert(1)">', '\\<img src=x onerror="alert(1)">'),
        ("<!-- verborgen -->", "\\<!-- verborgen -->"),
        ("p < 0,001 en 3 > 2", "p < 0,001 en 3 > 2"),
        ("**vet** en _schuin_ en `code`", "\\*\\*vet\\*\\* en \\_schuin\\_ en \\`code\\`"),
        ("# geen kop", "\\# geen kop"),
        ("> geen citaat", "\\> geen citaat"),
        ("- geen lijst\n+ ook niet", "\\- geen lijst\n\\+ ook niet"),
        ("1. geen genummerde lijst", "1\\. geen genummerde lijst"),
        ("a | b", "a \\| b"),
        ("C:\\pad", "C:\\\\pad"),
        # Ordinary Dutch text is left alone: the Markdown report stays readable.
        (
            "Van 42 naar 35 per maand (−17%), 95%-interval: −25% tot −9%.",
            "Van 42 naar 35 per maand (−17%), 95%-interval: −25% tot −9%.",
        ),
    ],
)
def test_markdown_shows_what_was_typed(typed, escaped):
    assert inert_markdown(typed) == escaped


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6 12345678", "'+31 6 12345678"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tverborgen", "'\tverborgen"),
        ("\rregel", "'\rregel"),
        ("gewoon", "gewoon"),
        ("a=1", "a=1"),
        ("", ""),
        # A leading quote gets one more, so that reading the export back is exact.
        ("'al geciteerd", "''al geciteerd"),
        ("'=1+1", "''=1+1"),
    ],
)
def test_a_cell_that_would_start_a_formula_gets_a_quote(cell, shown):
    assert inert_cell(cell) == shown
    assert restore_cell(shown) == cell
