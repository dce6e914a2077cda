"""`tracker users add|list|set-role|disable|enable|set-password` on a real, migrated database.

Every test runs on real SQLite, and on PostgreSQL when ``TEST_DATABASE_URL`` is set: the CLI
gets the test database's URL through ``TRACKER_DATABASE_URL``.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from argon2 import PasswordHasher
from rich.console import Console
from sqlmodel import col, select
from typer.testing import CliRunner

import tracker.cli.common
import tracker.cli.users
from tests.db_helpers import row_counts
from tracker.cli import app
from tracker.db import session_scope
from tracker.models import AuditEvent, Organisation, User
from tracker.services import accounts

PASSWORD = "correct paard batterij"
NEW_PASSWORD = "nietje hecht boom lamp"
EVA, PIET = "eva@gemeente.example", "piet@utrecht.example"
T0 = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture
def cli(engine, monkeypatch):
    """Run `tracker users …` against the test database; returns the result."""
    monkeypatch.setenv("TRACKER_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TRACKER_ACTOR", "cli-test")
    monkeypatch.delenv("TRACKER_LANGUAGE", raising=False)

    def run(*args: str, input: str | None = None, lang: str | None = None):
        env = {"TRACKER_LANGUAGE": lang} if lang else None
        return runner.invoke(app, ["users", *args], input=input, env=env)

    return run


def flat(text: str) -> str:
    """Rich wraps long lines at the console width; compare the words."""
    return " ".join(text.split())


def add_eva(cli, *extra: str):
    result = cli(
        "add", EVA, "--name", "Eva de Vries", "--role", "admin", "--organisation", "GM0363",
        "--organisation-name", "Amsterdam", "--password-stdin", *extra,
        input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result


def add_piet(cli, role: str = "officer"):
    result = cli(
        "add", PIET, "--name", "Piet Jansen", "--role", role, "--organisation", "GM0344",
        "--organisation-name", "Utrecht", "--sso-only",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return result


def stored(engine, email: str = EVA) -> User:
    with session_scope(engine, read_only=True) as s:
        return s.exec(select(User).where(User.email == email)).one()


def sign_in(engine, password: str, email: str = EVA, now: dt.datetime = T0):
    with session_scope(engine) as s:
        return accounts.sign_in(s, email, password, now=now)


def listed(cli, *extra: str) -> list[dict]:
    result = cli("list", "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- add
def test_add_creates_the_organisation_and_an_account_with_an_argon2id_hash(cli, engine):
    result = add_eva(cli)
    assert (
        result.stdout
        == "Account eva@gemeente.example (beheerder) toegevoegd aan Amsterdam (GM0363).\n"
    )
    eva = stored(engine)
    assert (eva.display_name, eva.role, eva.is_active) == ("Eva de Vries", "admin", True)
    assert eva.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(eva.password_hash, PASSWORD)
    with session_scope(engine, read_only=True) as s:
        org = s.exec(select(Organisation)).one()
        trail = s.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert (org.id, org.name, org.cbs_code) == (eva.organisation_id, "Amsterdam", "GM0363")
    assert [(e.actor, e.action, e.entity) for e in trail] == [
        ("cli-test", "create", "organisation"),
        ("cli-test", "create", "user"),
    ]
    assert all("argon2" not in json.dumps(e.after) for e in trail)
    assert sign_in(engine, PASSWORD).ok


def test_add_to_an_existing_organisation_needs_no_name(cli, engine):
    add_eva(cli)
    result = cli(
        "add", "Jan@Gemeente.example", "--name", "Jan", "--role", "analyst",
        "--organisation", "GM0363", "--sso-only",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert flat(result.stdout) == (
        "Account jan@gemeente.example (analist) toegevoegd aan Amsterdam (GM0363)."
    )
    jan = stored(engine, "jan@gemeente.example")
    assert (jan.organisation_id, jan.role, jan.password_hash) == (
        stored(engine).organisation_id,
        "analyst",
        None,
    )


def test_add_refuses_an_unknown_organisation_without_its_name(cli, engine):
    before = row_counts(engine)
    result = cli(
        "add", EVA, "--name", "Eva", "--role", "officer", "--organisation", "GM0999",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.stdout == ""
    assert flat(result.stderr) == (
        "Fout: Er is geen organisatie met CBS-code GM0999; geef ook --organisation-name om "
        "haar aan te maken."
    )
    assert row_counts(engine) == before


def test_add_in_english(cli, engine):
    result = cli(
        "add", EVA, "--name", "Eva", "--role", "officer", "--organisation", "GM0999",
        "--sso-only", lang="en",
    )  # fmt: skip
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        "Error: There is no organisation with CBS code GM0999; also give --organisation-name "
        "to create it."
    )


@pytest.mark.parametrize(
    ("args", "password_input", "message"),
    [
        (["--password-stdin"], "kort\n", "password: een wachtwoord heeft minstens 12 tekens"),
        (
            [],
            f"{PASSWORD}\n{NEW_PASSWORD}\n",
            "De wachtwoorden zijn niet gelijk; er is niets opgeslagen.",
        ),
    ],
    ids=["too-short", "typed-twice-differently"],
)
def test_add_refuses_a_bad_password_and_stores_nothing(cli, engine, args, password_input, message):
    add_eva(cli)
    before = row_counts(engine)
    result = cli(
        "add", "jan@gemeente.example", "--name", "Jan", "--role", "officer",
        "--organisation", "GM0363", *args, input=password_input,
    )  # fmt: skip
    assert result.exit_code == 1
    assert message in flat(result.stderr)
    assert row_counts(engine) == before


def test_add_refuses_an_address_that_has_an_account(cli, engine):
    add_eva(cli)
    before = row_counts(engine)
    result = cli(
        "add", "EVA@gemeente.example", "--name", "Eva 2", "--role", "officer",
        "--organisation", "GM0363", "--sso-only",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "eva@gemeente.example" in result.stderr.lower()
    assert row_counts(engine) == before


def test_the_password_prompt_asks_twice(cli, engine):
    result = cli(
        "add", EVA, "--name", "Eva", "--role", "admin", "--organisation", "GM0363",
        "--organisation-name", "Amsterdam", input=f"{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # not echoed
    assert sign_in(engine, PASSWORD).ok


# --------------------------------------------------------------------------- list
def test_list_as_json(cli, engine):
    add_eva(cli)
    add_piet(cli, role="manager")
    assert sign_in(engine, PASSWORD).ok
    assert listed(cli) == [
        {
            "email": EVA,
            "name": "Eva de Vries",
            "role": "admin",
            "organisation": "GM0363",
            "active": True,
            "password": True,
            "last_login": "2025-03-01T10:00:00+00:00",
        },
        {
            "email": PIET,
            "name": "Piet Jansen",
            "role": "manager",
            "organisation": "GM0344",
            "active": True,
            "password": False,
            "last_login": None,
        },
    ]
    assert [u["email"] for u in listed(cli, "--organisation", "GM0344")] == [PIET]
    assert listed(cli, "--organisation", "GM0999") == []


def test_list_as_a_table(cli, engine, monkeypatch):
    wide = Console(width=200)  # the console's own width (80 without a terminal) would wrap
    monkeypatch.setattr(tracker.cli.common, "console", wide)
    monkeypatch.setattr(tracker.cli.users, "console", wide)
    add_eva(cli)
    result = cli("list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "Accounts"

    def cells(line: str, bar: str) -> list[str]:
        return [cell.strip() for cell in line.split(bar)[1:-1]]

    assert cells(lines[2], "┃") == [
        "email", "name", "role", "organisation", "active", "password", "last_login"
    ]  # fmt: skip
    assert cells(lines[4], "│") == [EVA, "Eva de Vries", "admin", "GM0363", "True", "True", "None"]


# --------------------------------------------------------------------------- changes
def test_set_role(cli, engine):
    add_eva(cli)
    add_piet(cli)
    result = cli("set-role", "Piet@Utrecht.example", "analyst")
    assert result.exit_code == 0, result.output
    assert result.stdout == "piet@utrecht.example is nu analist.\n"
    assert (stored(engine, PIET).role, stored(engine, PIET).version) == ("analyst", 2)
    assert [u["role"] for u in listed(cli, "--organisation", "GM0344")] == ["analyst"]


def test_set_role_keeps_the_last_admin(cli, engine):
    add_eva(cli)
    before = row_counts(engine)
    result = cli("set-role", EVA, "officer")
    assert result.exit_code == 1
    assert flat(result.stderr) == (
        "Fout: role: 'eva@gemeente.example' is de laatste actieve beheerder van de "
        "organisatie; maak eerst iemand anders beheerder"
    )
    assert row_counts(engine) == before
    assert stored(engine).role == "admin"
    assert cli("disable", EVA).exit_code == 1
    assert stored(engine).is_active is True


def test_disable_refuses_sign_in_and_enable_allows_it_again(cli, engine):
    add_eva(cli)
    result = cli(
        "add", "jan@gemeente.example", "--name", "Jan", "--role", "officer",
        "--organisation", "GM0363", "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = cli("disable", "jan@gemeente.example")
    assert result.exit_code == 0, result.output
    assert result.stdout == "jan@gemeente.example is uitgeschakeld en kan niet meer inloggen.\n"
    refused = sign_in(engine, PASSWORD, "jan@gemeente.example")
    assert (refused.ok, refused.code) == (False, "wrong")
    assert [u["active"] for u in listed(cli) if u["email"] == "jan@gemeente.example"] == [False]
    with session_scope(engine) as s:
        assert accounts.sso_sign_in(s, "jan@gemeente.example").code == "sso_unknown"

    result = cli("enable", "jan@gemeente.example")
    assert result.exit_code == 0, result.output
    assert result.stdout == "jan@gemeente.example kan weer inloggen.\n"
    assert sign_in(engine, PASSWORD, "jan@gemeente.example", now=T0 + dt.timedelta(1)).ok


def test_set_password_from_standard_input(cli, engine):
    add_eva(cli)
    result = cli("set-password", EVA, "--password-stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Nieuw wachtwoord voor eva@gemeente.example opgeslagen.\n"
    assert sign_in(engine, PASSWORD).code == "wrong"
    assert sign_in(engine, NEW_PASSWORD).ok
    assert PasswordHasher().verify(stored(engine).password_hash, NEW_PASSWORD)
    with session_scope(engine, read_only=True) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "set_password")).one()
    assert event.actor == "cli-test" and "argon2" not in json.dumps([event.before, event.after])


def test_set_password_refuses_a_short_one(cli, engine):
    add_eva(cli)
    before = stored(engine).password_hash
    result = cli("set-password", EVA, "--password-stdin", input="kort\n")
    assert result.exit_code == 1
    assert "password: een wachtwoord heeft minstens 12 tekens" in flat(result.stderr)
    assert stored(engine).password_hash == before


@pytest.mark.parametrize(
    ("args", "password_input"),
    [
        (("set-role", "niemand@gemeente.example", "analyst"), None),
        (("disable", "niemand@gemeente.example"), None),
        (("enable", "niemand@gemeente.example"), None),
        (("set-password", "niemand@gemeente.example", "--password-stdin"), NEW_PASSWORD + "\n"),
    ],
    ids=["set-role", "disable", "enable", "set-password"],
)
def test_an_unknown_address_is_an_error_that_names_it(cli, engine, args, password_input):
    add_eva(cli)
    before = row_counts(engine)
    result = cli(*args, input=password_input)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert flat(result.stderr) == "Fout: gebruiker 'niemand@gemeente.example' niet gevonden"
    assert row_counts(engine) == before
