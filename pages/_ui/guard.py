"""The check at the top of every page: who is signed in, and may they see this page?

Every page calls :func:`guard` first, because with a ``pages/`` folder Streamlit runs a page script on a cold
deep link before any ``st.navigation`` call. Nothing below the guard runs for a refused visitor.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from sopkit import sop
from sopkit.permissions import can_see
from sopkit.schema import User

from . import nav, session, signin
from .session import Snapshot, t


@dataclass(frozen=True)
class Ctx:
    user: User
    lang: str
    snap: Snapshot


def sidebar(user: User | None) -> None:
    with st.sidebar:
        if user is not None:
            nav.menu(user)
            st.divider()
        st.selectbox("Bahasa / Language", ("id", "en"), key=session.LANG_KEY,
                     format_func=lambda v: {"id": "Bahasa Indonesia", "en": "English"}[v])
        if user is not None:
            roles = ", ".join(sop.ROLE_TITLES[r][0 if session.lang() == "id" else 1] for r in user.roles)
            st.caption(t("guard.signed_in_as", name=user.name or user.email, roles=roles))
            if st.button(t("guard.sign_out"), key="w_sign_out"):
                signin.sign_out()


def guard(page: str) -> Ctx:
    user = session.current_user()
    sidebar(user)
    if user is None:
        signin.form()
        st.stop()
    if not can_see(user, page):
        st.error(t("guard.refused"))
        st.stop()
    session.show_flash()
    return Ctx(user, session.lang(), session.snapshot())
