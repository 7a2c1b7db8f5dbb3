"""Sign-in: OIDC (``st.login``) when the secrets configure it, else the local accounts of ``sopkit.auth``.

The form is drawn by the guard of whatever page was asked for, so after signing in the same URL (page and item)
simply runs again: a link opened while signed out lands where it pointed.
"""

from __future__ import annotations

import streamlit as st

from sopkit.auth import AuthError, authenticate

from . import identity, session
from .session import t


def _submit() -> None:
    email = str(st.session_state.get("w_login_email", "")).strip().lower()
    password = str(st.session_state.get("w_login_password", ""))
    st.session_state["w_login_password"] = ""
    try:
        user = authenticate(session.store(), email, password)
    except AuthError as e:
        session.flash("error", t(e.code))
    else:
        identity.signed_in(user)
    session.after_write(users=True)  # the failure count or its reset changed the Users table


def form(page: str = "home") -> None:
    st.title(t("signin.title"))
    reason = identity.refused_reason()
    if reason:
        st.error(t(reason))
    session.show_flash()
    if page != "home":
        st.caption(t("signin.then", page=t(f"page.{page}")))
    if identity.oidc_enabled():
        identity.remember_page(page)  # now, not on the click: the cookie is written after this run
        if st.button(t("signin.oidc"), key="w_login_oidc", type="primary"):
            st.login()
        return
    with st.form("w_login"):
        st.text_input(t("signin.email"), key="w_login_email", autocomplete="username")
        st.text_input(t("signin.password"), type="password", key="w_login_password",
                      autocomplete="current-password")
        st.form_submit_button(t("signin.submit"), type="primary", on_click=_submit)


def sign_out() -> None:
    identity.sign_out()
    if identity.oidc_enabled():
        st.logout()  # the browser goes to the provider's sign-out and back: no rerun, it could race that redirect
        return
    st.rerun()
