"""Signing in and out, session expiry, and the guard every page starts with.

The session holds only the signed-in user's id and the time of their last action. Every run
reads the user again, so a role change or a disabled account takes effect at the next click,
and a session idle for longer than ``TRACKER_SESSION_TIMEOUT_MINUTES`` is signed out with a
message. Single sign-on uses Streamlit's ``st.login`` (OpenID Connect) when an ``[auth]``
section is configured in ``.streamlit/secrets.toml``; the proven e-mail address is matched
to a user row, which holds the role.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from tracker.i18n import register, t
from tracker.io.text import inert_markdown
from tracker.models import User, utcnow
from tracker.services import accounts, demo
from tracker.services.access import Action, Actor, actor_for, may
from tracker.ui.data import read, write
from tracker.ui.language import current_language

USER_KEY = "proeftuin_user_id"
ACTIVITY_KEY = "proeftuin_last_activity"
NOTICE_KEY = "proeftuin_signin_notice"
ACTOR_KEY = "proeftuin_actor"  # this run's actor, set by the page guard (tracker.ui.data.actor)
# Set by the router when it has just read the account in this run; the page guard takes it
# (once) instead of reading the account a second time.
CHECKED_KEY = "proeftuin_checked_this_run"

register(
    {
        "ui.login.title": {"nl": "Inloggen bij Proeftuin", "en": "Sign in to Proeftuin"},
        "ui.login.intro": {
            "nl": "Proeftuin bewaart de pilots van uw organisatie. Log in met het account dat "
            "uw beheerder voor u heeft aangemaakt.",
            "en": "Proeftuin holds your organisation's pilots. Sign in with the account your "
            "administrator created for you.",
        },
        "ui.login.email": {"nl": "E-mailadres", "en": "E-mail address"},
        "ui.login.password": {"nl": "Wachtwoord", "en": "Password"},
        "ui.login.submit": {"nl": "Inloggen", "en": "Sign in"},
        "ui.login.sso": {
            "nl": "Inloggen met uw organisatieaccount",
            "en": "Sign in with your organisation account",
        },
        "ui.login.or": {
            "nl": "of met e-mailadres en wachtwoord:",
            "en": "or with e-mail and password:",
        },
        "ui.login.expired": {
            "nl": "U was langer dan {minutes} minuten niet actief en bent daarom uitgelogd. Log "
            "opnieuw in om verder te gaan.",
            "en": "You were inactive for more than {minutes} minutes and have been signed out. "
            "Sign in again to continue.",
        },
        "ui.login.signed_out": {"nl": "U bent uitgelogd.", "en": "You have been signed out."},
        "ui.login.disabled": {
            "nl": "Uw account is uitgeschakeld of bestaat niet meer; u bent uitgelogd.",
            "en": "Your account has been disabled or removed; you have been signed out.",
        },
        "ui.login.demo": {
            "nl": "**Demonstratieaccounts.** Deze database bevat de fictieve demopilots. Log in "
            "met een van deze accounts om elke rol te bekijken:",
            "en": "**Demonstration accounts.** This database holds the fictitious demo pilots. "
            "Sign in with one of these accounts to see each role:",
        },
        "ui.login.demo.col.role": {"nl": "Rol", "en": "Role"},
        "ui.login.demo.col.email": {"nl": "E-mailadres", "en": "E-mail address"},
        "ui.login.demo.col.password": {"nl": "Wachtwoord", "en": "Password"},
        "ui.login.refused": {
            "nl": "Deze pagina is niet beschikbaar voor uw rol ({role}). Vraag een beheerder "
            "van uw organisatie als u hier toegang toe nodig heeft.",
            "en": "This page is not available to your role ({role}). Ask an administrator of "
            "your organisation if you need access.",
        },
        "ui.account.signed_in": {
            "nl": "Ingelogd als **{name}** ({role})",
            "en": "Signed in as **{name}** ({role})",
        },
        "ui.account.logout": {"nl": "Uitloggen", "en": "Sign out"},
    }
)


def sso_configured() -> bool:
    """Whether ``.streamlit/secrets.toml`` has an ``[auth]`` section for ``st.login``."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _sso_identity() -> str | None:
    """The e-mail address the identity provider proved, if someone signed in through it."""
    if st.user.get("is_logged_in") is True:
        email = st.user.get("email")
        return str(email) if email else None
    return None


def _start_session(user: User) -> None:
    st.session_state[USER_KEY] = user.id
    st.session_state[ACTIVITY_KEY] = utcnow()
    st.session_state.pop(NOTICE_KEY, None)


def sign_out(notice: str | None = "ui.login.signed_out") -> None:
    """Forget the signed-in user (and the identity provider's session, if any)."""
    for key in (USER_KEY, ACTIVITY_KEY, ACTOR_KEY, CHECKED_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice
    if _sso_identity() is not None:
        st.logout()


def current_user() -> User | None:
    """The signed-in, active user; expires idle sessions and signs in SSO identities."""
    user_id = st.session_state.get(USER_KEY)
    now = utcnow()
    if user_id is None:
        email = _sso_identity()
        if email is None:
            return None
        outcome = write(lambda s: accounts.sso_sign_in(s, email))
        if outcome is None or not outcome.ok:
            if outcome is not None:
                st.session_state[NOTICE_KEY] = outcome.message(current_language())
            return None
        _start_session(outcome.user)
        return outcome.user
    last = st.session_state.get(ACTIVITY_KEY)
    if not isinstance(last, dt.datetime) or accounts.session_expired(last, now):
        sign_out("ui.login.expired")
        return None
    user = read(lambda s: accounts.active_user(s, int(user_id)))
    if user is None:
        sign_out("ui.login.disabled")
        return None
    st.session_state[ACTIVITY_KEY] = now
    return user


def current_actor() -> Actor | None:
    user = current_user()
    return actor_for(user) if user is not None else None


def require_page(action: Action = Action.view) -> Actor:
    """Start of every page: the signed-in actor, else the sign-in form and the end of the page
    (after signing in, the same address opens: a shared link survives the sign-in).

    A page that is not in a role's navigation can still be opened by its address; this is
    what refuses it there (the services refuse again underneath).
    """
    lang = current_language()
    checked = st.session_state.pop(CHECKED_KEY, False)
    actor = st.session_state.get(ACTOR_KEY) if checked else None
    if actor is None:
        st.session_state.pop(ACTOR_KEY, None)
        actor = current_actor()
    if actor is None:
        login_page()
        st.stop()
    if not may(None, actor, action):
        role = t(f"access.role.{actor.role}", lang)
        st.error(t("ui.login.refused", lang, role=role), icon=":material/block:")
        st.stop()
    st.session_state[ACTOR_KEY] = actor
    return actor


def _notice(lang: str) -> None:
    notice = st.session_state.get(NOTICE_KEY)
    if not notice:
        return
    if notice == "ui.login.expired":
        from tracker.config import load_settings

        minutes = load_settings().session_timeout_minutes
        st.warning(t(notice, lang, minutes=minutes), icon=":material/timer_off:")
    elif notice.startswith("ui."):
        st.info(t(notice, lang), icon=":material/info:")
    else:  # a message already in the reader's language (an unknown SSO address)
        st.error(notice, icon=":material/error:")


def _demo_accounts(lang: str) -> None:
    if not read(demo.demo_loaded):
        return
    with st.container(border=True):
        st.markdown(t("ui.login.demo", lang))
        st.table(
            {
                t("ui.login.demo.col.role", lang): [
                    t(f"access.role.{role}", lang) for _, _, role, _ in demo.DEMO_USERS
                ],
                t("ui.login.demo.col.email", lang): [e for e, _, _, _ in demo.DEMO_USERS],
                t("ui.login.demo.col.password", lang): [p for _, _, _, p in demo.DEMO_USERS],
            }
        )


def login_page() -> None:
    """The sign-in page: single sign-on when configured, else (or also) e-mail and password."""
    lang = current_language()
    st.title(t("ui.login.title", lang))
    _notice(lang)
    st.markdown(t("ui.login.intro", lang))
    if sso_configured():
        st.button(t("ui.login.sso", lang), on_click=st.login, type="primary", key="login-sso")
        st.caption(t("ui.login.or", lang))
    with st.form("login", enter_to_submit=True):
        email = st.text_input(t("ui.login.email", lang), key="login-email", autocomplete="username")
        password = st.text_input(
            t("ui.login.password", lang),
            type="password",
            key="login-password",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(t("ui.login.submit", lang), type="primary")
    if submitted:
        outcome = write(lambda s: accounts.sign_in(s, email, password))
        if outcome is not None and outcome.ok:
            _start_session(outcome.user)
            st.rerun()
        elif outcome is not None:
            st.error(outcome.message(lang), icon=":material/error:")
    _demo_accounts(lang)


def checked_this_run(actor: Actor) -> None:
    """The router read the account at the start of this run: the page need not read it again."""
    st.session_state[ACTOR_KEY] = actor
    st.session_state[CHECKED_KEY] = True


def account_box(actor: Actor, user: User, lang: str) -> None:
    """Who is signed in, with a sign-out button, in the sidebar."""
    role = t(f"access.role.{actor.role}", lang)
    name = inert_markdown(user.display_name, block=False)  # the name is typed text
    st.sidebar.markdown(t("ui.account.signed_in", lang, name=name, role=role))
    st.sidebar.button(t("ui.account.logout", lang), on_click=sign_out, key="logout")
