"""The menu, built per user from the one permission table (``permissions.pages_for``)."""

from __future__ import annotations

import streamlit as st

from sopkit.permissions import PAGE_ROLES, pages_for
from sopkit.schema import User

from .session import t

#: Page key (``permissions.PAGE_ROLES``) → script. Every key has a file and every file a key (tested).
PAGE_FILES: dict[str, str] = {key: f"pages/{key}.py" for key in PAGE_ROLES}
ICONS: dict[str, str] = {
    "home": ":material/home:", "officer": ":material/travel_explore:", "creator": ":material/edit_note:",
    "supervisor": ":material/fact_check:", "administrator": ":material/verified:",
    "publisher": ":material/publish:", "item": ":material/article:", "compliance": ":material/monitoring:",
    "admin": ":material/admin_panel_settings:", "about": ":material/info:",
}
HIDDEN = frozenset({"item"})  # reached from links, not listed


def menu(user: User) -> None:
    """The sidebar menu: links to exactly the pages ``permissions.pages_for`` gives this user."""
    for key in pages_for(user):
        if key not in HIDDEN:
            st.page_link(PAGE_FILES[key], label=t(f"page.{key}"), icon=ICONS[key])


def pages(user: User | None) -> list[st.Page]:
    return [
        st.Page(PAGE_FILES[key], title=t(f"page.{key}"), icon=ICONS[key], url_path=key, default=key == "home",
                visibility="hidden" if key in HIDDEN else "visible")
        for key in pages_for(user)
    ]
