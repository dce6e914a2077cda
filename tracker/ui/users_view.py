"""Gebruikers: an administrator manages the accounts of their organisation."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from tracker.i18n import register, t
from tracker.models import Role
from tracker.services import accounts
from tracker.ui.data import actor, read, write

register(
    {
        "ui.users.intro": {
            "nl": "De accounts van uw organisatie. Een rol bepaalt wat iemand mag: "
            "beleidsmedewerkers maken en vullen hun eigen pilots, managers lezen en reageren, "
            "analisten lezen, exporteren en analyseren, beheerders beheren alles binnen de "
            "organisatie.",
            "en": "Your organisation's accounts. A role decides what someone may do: policy "
            "officers create and fill their own pilots, managers read and comment, analysts "
            "read, export and analyse, administrators manage everything in the organisation.",
        },
        "ui.users.table": {"nl": "Accounts", "en": "Accounts"},
        "ui.users.col.email": {"nl": "E-mailadres", "en": "E-mail address"},
        "ui.users.col.name": {"nl": "Naam", "en": "Name"},
        "ui.users.col.role": {"nl": "Rol", "en": "Role"},
        "ui.users.col.active": {"nl": "Actief", "en": "Active"},
        "ui.users.col.password": {"nl": "Wachtwoord", "en": "Password"},
        "ui.users.col.last": {"nl": "Laatst ingelogd", "en": "Last signed in"},
        "ui.users.yes": {"nl": "ja", "en": "yes"},
        "ui.users.no": {"nl": "nee", "en": "no"},
        "ui.users.sso_only": {"nl": "alleen SSO", "en": "SSO only"},
        "ui.users.add": {"nl": "Account toevoegen", "en": "Add an account"},
        "ui.users.password": {
            "nl": "Eerste wachtwoord (minstens 12 tekens; leeg: alleen inloggen via SSO)",
            "en": "First password (at least 12 characters; empty: single sign-on only)",
        },
        "ui.users.added": {"nl": "Account {email} toegevoegd.", "en": "Account {email} added."},
        "ui.users.change": {"nl": "Rol of status wijzigen", "en": "Change role or status"},
        "ui.users.who": {"nl": "Account", "en": "Account"},
        "ui.users.set_role": {"nl": "Rol opslaan", "en": "Save role"},
        "ui.users.disable": {"nl": "Uitschakelen", "en": "Disable"},
        "ui.users.enable": {"nl": "Weer inschakelen", "en": "Enable again"},
        "ui.users.saved": {"nl": "Opgeslagen.", "en": "Saved."},
    }
)


def _role_label(role: str, lang: str) -> str:
    return t(f"access.role.{role}", lang)


def users_section(lang: str) -> None:
    st.markdown(t("ui.users.intro", lang))
    who = actor()
    users = read(lambda s: accounts.list_users(s, actor=who))
    yes, no = t("ui.users.yes", lang), t("ui.users.no", lang)
    frame = pd.DataFrame(
        {
            t("ui.users.col.email", lang): [u.email for u in users],
            t("ui.users.col.name", lang): [u.display_name for u in users],
            t("ui.users.col.role", lang): [_role_label(str(u.role), lang) for u in users],
            t("ui.users.col.active", lang): [yes if u.is_active else no for u in users],
            t("ui.users.col.password", lang): [
                yes if u.password_hash else t("ui.users.sso_only", lang) for u in users
            ],
            t("ui.users.col.last", lang): [
                u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "–"
                for u in users
            ],
        }
    )
    st.dataframe(frame, hide_index=True, key="users-table", alt=t("ui.users.table", lang))
    roles = [r.value for r in Role]

    with st.expander(t("ui.users.add", lang)), st.form("users-add"):
        email = st.text_input(t("ui.users.col.email", lang), key="users-add-email")
        name = st.text_input(t("ui.users.col.name", lang), key="users-add-name")
        role = st.selectbox(
            t("ui.users.col.role", lang),
            roles,
            format_func=lambda r: _role_label(r, lang),
            key="users-add-role",
        )
        password = st.text_input(
            t("ui.users.password", lang), type="password", key="users-add-password"
        )
        if st.form_submit_button(t("ui.users.add", lang)):
            added = write(
                lambda s: accounts.add_user(
                    s,
                    email=email,
                    display_name=name,
                    role=role,
                    password=password or None,
                    actor=who,
                )
            )
            if added is not None:
                st.success(t("ui.users.added", lang, email=added.email))
                st.rerun()

    if not users:
        return
    st.subheader(t("ui.users.change", lang))
    by_email = {u.email: u for u in users}
    chosen = st.selectbox(t("ui.users.who", lang), list(by_email), key="users-who")
    user = by_email[chosen]
    new_role = st.selectbox(
        t("ui.users.col.role", lang),
        roles,
        index=roles.index(str(user.role)),
        format_func=lambda r: _role_label(r, lang),
        key=f"users-role-{user.id}",
    )
    left, right = st.columns(2)
    if left.button(t("ui.users.set_role", lang), key="users-set-role"):
        saved = write(
            lambda s: accounts.set_role(
                s, user.email, new_role, actor=who, expected_version=user.version
            )
        )
        if saved is not None:
            st.success(t("ui.users.saved", lang))
            st.rerun()
    label = "ui.users.disable" if user.is_active else "ui.users.enable"
    if right.button(t(label, lang), key="users-toggle"):
        saved = write(
            lambda s: accounts.set_active(
                s, user.email, not user.is_active, actor=who, expected_version=user.version
            )
        )
        if saved is not None:
            st.success(t("ui.users.saved", lang))
            st.rerun()
