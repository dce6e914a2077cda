"""The message catalogue is complete in both languages, and numbers follow the language."""

from __future__ import annotations

import importlib
import string

import pytest

import tracker.errors  # the error.* texts it shows must be complete too
import tracker.ui.messages
from tracker import i18n
from tracker.ui.formatting import format_number

KEYS = sorted(i18n.MESSAGES)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_ui_texts_are_in_the_catalogue():
    assert set(tracker.ui.messages.MESSAGES) <= set(i18n.MESSAGES)


@pytest.mark.parametrize("key", KEYS)
def test_every_message_has_dutch_and_english(key):
    entry = i18n.MESSAGES[key]
    assert set(entry) == set(i18n.LANGUAGES)
    assert all(entry[lang].strip() for lang in i18n.LANGUAGES)


@pytest.mark.parametrize("key", KEYS)
def test_both_languages_use_the_same_placeholders(key):
    entry = i18n.MESSAGES[key]
    assert placeholders(entry["nl"]) == placeholders(entry["en"])


def test_reloading_the_ui_texts_is_harmless():
    # Streamlit re-imports a module that changed on disk while the app runs.
    importlib.reload(tracker.ui.messages)


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (0, "nl", 0, "0"),
        (999, "nl", 0, "999"),
        (1234, "nl", 0, "1.234"),
        (1234, "en", 0, "1,234"),
        (1234567.891, "nl", 2, "1.234.567,89"),
        (1234567.891, "en", 2, "1,234,567.89"),
        (-0.5, "nl", 1, "-0,5"),
        (None, "nl", 0, ""),
    ],
)
def test_numbers_use_the_separators_of_the_language(value, lang, decimals, expected):
    assert format_number(value, lang, decimals=decimals) == expected
