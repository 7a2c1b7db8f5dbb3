"""The check at the top of every page: who is signed in, and may they see this page?

Every page calls :func:`guard` first, because with a ``pages/`` folder Streamlit runs a page script on a cold
deep link before any ``st.navigation`` call. Nothing below the guard runs for a refused visitor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

from sopkit import i18n
from sopkit.i18n import role_title
from sopkit.permissions import PAGE_ROLES, can_see
from sopkit.schema import User

from . import cookie, nav, session, signin, widgets
from .session import Snapshot, t


def _end_pages_folder_mode() -> None:
    """Until some session calls ``st.navigation``, a fresh server runs ``pages/*.py`` directly for a deep link
    (its guard then stands alone, see ``pages/__init__.py``) and answers an unknown path with Streamlit's English
    "Page not found". The first guarded page run ends that mode for the whole process, as ``st.navigation``
    would, so from the second request on every URL goes through ``app.py`` (all pages, our own not-found page).
    Streamlit exposes no setting for this; without the attribute nothing changes."""
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False


_end_pages_folder_mode()


@dataclass(frozen=True)
class Ctx:
    user: User
    lang: str
    snap: Snapshot


def sidebar(user: User | None) -> None:
    with st.sidebar:
        if user is not None:
            nav.menu(user, session.snapshot().register.items)
            st.divider()
        st.selectbox("Bahasa / Language", tuple(i18n.TEXTS), key=session.LANG_KEY,
                     format_func=lambda v: i18n.LANG_NAMES.get(v, v))
        if user is not None:
            st.caption(t("guard.signed_in_as", name=user.name or user.email, roles=role_names(user.roles)))
            if st.button(t("guard.sign_out"), key="w_sign_out"):
                signin.sign_out()
        cookie.render()  # last, so the cookie writes' element never shifts the menu's elements
    if user is not None:
        nav.close_on_phone()  # in the page, not the sidebar: a script only, nothing drawn


def role_names(roles: Iterable[str]) -> str:
    """Role codes as staff call them, in the user's language (an unknown code as it is)."""
    return ", ".join(role_title(r, session.lang()) for r in roles)


def refused(user: User, page: str) -> None:
    """A page this user's roles may not see (a shared link, an old bookmark): say so, offer the home page."""
    st.error(t("guard.refused"))
    st.caption(t("guard.refused_page", page=t(f"page.{page}"), roles=role_names(sorted(PAGE_ROLES[page] or ())),
                 mine=role_names(user.roles) or "—"))
    st.page_link(nav.PAGE_FILES["home"], label=t("guard.home"), icon=nav.ICONS["home"])


def not_found(path: str) -> None:
    st.title(t("guard.not_found_title"))
    st.error(t("guard.not_found", path=widgets.escape(f"/{path}")))  # the URL is the visitor's text
    st.page_link(nav.PAGE_FILES["home"], label=t("guard.home"), icon=nav.ICONS["home"])


def guard(page: str) -> Ctx:
    user = session.current_user()
    if user is None:
        signin.form(page)
        sidebar(None)  # after the form: the cookie write the form may ask for (OIDC) is drawn in this run
        st.stop()
    sidebar(user)
    if not can_see(user, page):
        refused(user, page)
        st.stop()
    session.show_flash()
    return Ctx(user, session.lang(), session.snapshot())
