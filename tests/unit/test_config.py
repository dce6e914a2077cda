"""One settings object, read from ``TRACKER_*`` environment variables, each one documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tracker.config import (
    DEFAULT_DB_PATH,
    PROJECT_ROOT,
    Settings,
    documented_settings,
    env_name,
    load_settings,
)

README = PROJECT_ROOT / "README.md"
FIELDS = [f.name for f in dataclasses.fields(Settings)]


# --------------------------------------------------------------------------- defaults
@pytest.mark.parametrize(
    ("setting", "default"),
    [
        ("database_url", f"sqlite:///{DEFAULT_DB_PATH}"),
        ("sqlite_busy_timeout_ms", "30000"),
        ("language", "nl"),
        ("actor", ""),
        ("import_max_bytes", str(200 * 1024 * 1024)),
        ("session_timeout_minutes", "30"),
        ("login_lockout_after", "5"),
        ("login_lockout_seconds", "60"),
    ],
)
def test_a_setting_that_is_not_in_the_environment_has_its_default(setting, default):
    assert getattr(load_settings({}), setting) == default


def test_the_default_database_is_sqlite_under_data():
    settings = load_settings({})
    assert settings.database_url.startswith("sqlite:///")
    assert Path(settings.database_url.removeprefix("sqlite:///")) == (
        PROJECT_ROOT / "data" / "proeftuin.db"
    )


def test_numbers_are_available_as_integers():
    settings = load_settings({})
    assert (settings.busy_timeout_ms, settings.max_import_bytes) == (30000, 209_715_200)


# --------------------------------------------------------------------------- the environment
@pytest.mark.parametrize(
    ("variable", "value", "setting"),
    [
        ("TRACKER_DATABASE_URL", "postgresql+psycopg://u:p@db/proeftuin", "database_url"),
        ("TRACKER_SQLITE_BUSY_TIMEOUT_MS", "250", "sqlite_busy_timeout_ms"),
        ("TRACKER_LANGUAGE", "en", "language"),
        ("TRACKER_ACTOR", "beheer@gemeente.example", "actor"),
        ("TRACKER_IMPORT_MAX_BYTES", "1024", "import_max_bytes"),
        ("TRACKER_SESSION_TIMEOUT_MINUTES", "15", "session_timeout_minutes"),
        ("TRACKER_LOGIN_LOCKOUT_AFTER", "3", "login_lockout_after"),
        ("TRACKER_LOGIN_LOCKOUT_SECONDS", "120", "login_lockout_seconds"),
    ],
)
def test_a_tracker_variable_sets_its_setting(variable, value, setting):
    assert getattr(load_settings({variable: value}), setting) == value


def test_environment_values_reach_the_integer_views():
    settings = load_settings(
        {"TRACKER_SQLITE_BUSY_TIMEOUT_MS": "250", "TRACKER_IMPORT_MAX_BYTES": "1024"}
    )
    assert (settings.busy_timeout_ms, settings.max_import_bytes) == (250, 1024)


def test_the_process_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("TRACKER_LANGUAGE", "en")
    assert load_settings().language == "en"


@pytest.mark.parametrize(
    "environ",
    [{"LANGUAGE": "en"}, {"tracker_language": "en"}, {"TRACKER_LANGUAGE_X": "en"}],
    ids=["no prefix", "lower case", "other name"],
)
def test_other_variables_are_ignored(environ):
    assert load_settings(environ).language == "nl"


def test_settings_cannot_be_changed_after_loading():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_settings({}).language = "en"  # type: ignore[misc]


# --------------------------------------------------------------------------- documentation
def test_every_setting_is_documented_with_its_variable_default_and_help():
    documented = documented_settings()
    assert [variable for variable, _, _ in documented] == [env_name(f) for f in FIELDS]
    for (variable, default, help_text), name in zip(documented, FIELDS, strict=True):
        assert variable == "TRACKER_" + name.upper()
        assert default == getattr(Settings(), name)
        assert len(help_text) > 20, f"{variable} needs a help text that explains it"


def readme_table_rows() -> list[str]:
    if not README.exists():
        return []
    return [
        line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("|")
    ]


@pytest.mark.parametrize("variable", [env_name(f) for f in FIELDS])
def test_every_setting_is_in_the_readme_settings_table(variable):
    """EXPECTATION ON THE README (written by the lead): README.md has a Markdown table row for
    every setting, naming its TRACKER_* variable. This fails until that table exists."""
    rows = [row for row in readme_table_rows() if variable in row]
    assert rows, f"README.md has no settings-table row for {variable}"
