"""`tracker users add|list|set-role|disable|enable|set-password`: accounts on the server.

The CLI acts with the database's own rights (a system actor), so this is also how the first
administrator of an organisation is made. Passwords are asked for twice without echo, or read
from standard input with ``--password-stdin`` (for scripts); only their Argon2id hash is kept.
"""

from __future__ import annotations

import sys

import typer
from sqlmodel import select

from tracker.cli.common import (
    FORMAT_OPTION,
    OutputFormat,
    actor,
    console,
    fail,
    language,
    print_rows,
    report_errors,
    transaction,
)
from tracker.i18n import register, t
from tracker.models import Organisation, Role
from tracker.services import accounts, organisations

app = typer.Typer(help="Accounts: add, list, change role, disable.", no_args_is_help=True)

register(
    {
        "cli.users.added": {
            "nl": "Account {email} ({role}) toegevoegd aan {organisation}.",
            "en": "Account {email} ({role}) added to {organisation}.",
        },
        "cli.users.no_org": {
            "nl": "Er is geen organisatie met CBS-code {code}; geef ook --organisation-name om "
            "haar aan te maken.",
            "en": "There is no organisation with CBS code {code}; also give --organisation-name "
            "to create it.",
        },
        "cli.users.mismatch": {
            "nl": "De wachtwoorden zijn niet gelijk; er is niets opgeslagen.",
            "en": "The passwords differ; nothing was saved.",
        },
        "cli.users.role_set": {
            "nl": "{email} is nu {role}.",
            "en": "{email} is now {role}.",
        },
        "cli.users.disabled": {
            "nl": "{email} is uitgeschakeld en kan niet meer inloggen.",
            "en": "{email} is disabled and can no longer sign in.",
        },
        "cli.users.enabled": {
            "nl": "{email} kan weer inloggen.",
            "en": "{email} can sign in again.",
        },
        "cli.users.password_set": {
            "nl": "Nieuw wachtwoord voor {email} opgeslagen.",
            "en": "New password for {email} saved.",
        },
    }
)

ROLE_HELP = "officer, manager, analyst or admin."
LIST_COLUMNS = ("email", "name", "role", "organisation", "active", "password", "last_login")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("Wachtwoord / password", hide_input=True)
    second = typer.prompt("Nog eens / again", hide_input=True)
    if first != second:
        fail(t("cli.users.mismatch", language()))
    return first


@app.command("add")
@report_errors
def add(
    email: str = typer.Argument(..., help="E-mail address (the sign-in name)."),
    name: str = typer.Option(..., "--name", help="Name as colleagues see it."),
    role: Role = typer.Option(..., "--role", help=ROLE_HELP),
    organisation: str = typer.Option(
        ..., "--organisation", help="CBS code of the organisation (gemeente), e.g. GM0363."
    ),
    organisation_name: str | None = typer.Option(
        None, "--organisation-name", help="Creates the organisation when it does not exist."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    sso_only: bool = typer.Option(
        False, "--sso-only", help="No password: the account signs in through single sign-on."
    ),
) -> None:
    """Add an account (and, with --organisation-name, its organisation)."""
    lang = language()
    password = None if sso_only else _password(password_stdin)
    with transaction() as session:
        org = session.exec(
            select(Organisation).where(Organisation.cbs_code == organisation)
        ).first()
        if org is None:
            if organisation_name is None:
                fail(t("cli.users.no_org", lang, code=organisation))
            org = organisations.get_or_create_organisation(
                session, name=organisation_name, cbs_code=organisation, actor=actor()
            )
        user = accounts.add_user(
            session,
            email=email,
            display_name=name,
            role=role,
            organisation_id=org.id,
            password=password,
            actor=actor(),
        )
        message = t(
            "cli.users.added",
            lang,
            email=user.email,
            role=t(f"access.role.{role.value}", lang),
            organisation=f"{org.name} ({org.cbs_code})",
        )
    console.print(message, highlight=False)


@app.command("list")
@report_errors
def list_(
    organisation: str | None = typer.Option(
        None, "--organisation", help="Only this organisation (CBS code)."
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """List accounts: e-mail, name, role, organisation, active, password or SSO, last sign-in."""
    with transaction() as session:
        codes = dict(session.exec(select(Organisation.id, Organisation.cbs_code)).all())
        rows = [
            {
                "email": u.email,
                "name": u.display_name,
                "role": str(u.role),
                "organisation": codes.get(u.organisation_id, ""),
                "active": u.is_active,
                "password": u.password_hash is not None,
                "last_login": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in accounts.list_users(session, actor=actor())
        ]
    if organisation is not None:
        rows = [r for r in rows if r["organisation"] == organisation]
    print_rows(rows, LIST_COLUMNS, fmt, title="Accounts")


@app.command("set-role")
@report_errors
def set_role(
    email: str = typer.Argument(..., help="The account's e-mail address."),
    role: Role = typer.Argument(..., help=ROLE_HELP),
) -> None:
    """Give an account another role (the organisation's last active admin keeps theirs)."""
    lang = language()
    with transaction() as session:
        user = accounts.set_role(session, email, role, actor=actor())
        email = user.email
    console.print(
        t("cli.users.role_set", lang, email=email, role=t(f"access.role.{role.value}", lang)),
        highlight=False,
    )


@app.command("disable")
@report_errors
def disable(email: str = typer.Argument(..., help="The account's e-mail address.")) -> None:
    """Disable an account: it can no longer sign in, and an open session ends at its next click."""
    with transaction() as session:
        email = accounts.set_active(session, email, False, actor=actor()).email
    console.print(t("cli.users.disabled", language(), email=email), highlight=False)


@app.command("enable")
@report_errors
def enable(email: str = typer.Argument(..., help="The account's e-mail address.")) -> None:
    """Let a disabled account sign in again."""
    with transaction() as session:
        email = accounts.set_active(session, email, True, actor=actor()).email
    console.print(t("cli.users.enabled", language(), email=email), highlight=False)


@app.command("set-password")
@report_errors
def set_password(
    email: str = typer.Argument(..., help="The account's e-mail address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
) -> None:
    """Set a new password (it also ends a lock-out after failed attempts)."""
    password = _password(password_stdin)
    with transaction() as session:
        email = accounts.set_password(session, email, password, actor=actor()).email
    console.print(t("cli.users.password_set", language(), email=email), highlight=False)
