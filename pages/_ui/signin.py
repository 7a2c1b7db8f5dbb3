"""Sign-in: OIDC (``st.login``) when the secrets configure it, else the local accounts of ``sopkit.auth``."""

from __future__ import annotations

import streamlit as st

from sopkit.auth import AuthError, authenticate

from . import session
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
        st.session_state[session.AUTH_KEY] = user.email
    session.after_write(users=True)  # the failure count or its reset changed the Users table


def form() -> None:
    st.title(t("signin.title"))
    session.show_flash()
    if session.oidc_enabled():
        if st.button(t("signin.oidc"), key="w_login_oidc", type="primary"):
            st.login()
        if session.signed_in_email():
            st.error(t("signin.no_account"))
        return
    with st.form("w_login"):
        st.text_input(t("signin.email"), key="w_login_email")
        st.text_input(t("signin.password"), type="password", key="w_login_password")
        st.form_submit_button(t("signin.submit"), type="primary", on_click=_submit)


def sign_out() -> None:
    st.session_state.pop(session.AUTH_KEY, None)
    if session.oidc_enabled():
        st.logout()
    st.rerun()


def page() -> None:
    """The only page of a visitor who is not signed in."""
    form()
