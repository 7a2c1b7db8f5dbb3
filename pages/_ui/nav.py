"""The menu, built per user from the one permission table (``permissions.pages_for``)."""

from __future__ import annotations

import re

import streamlit as st

from sopkit.permissions import PAGE_ROLES, pages_for
from sopkit.schema import Item, User
from sopkit.workflow import waiting_counts

from .session import t

#: Page key (``permissions.PAGE_ROLES``) → script. Every key has a file and every file a key (tested).
PAGE_FILES: dict[str, str] = {key: f"pages/{key}.py" for key in PAGE_ROLES}
ICONS: dict[str, str] = {
    "home": ":material/home:", "officer": ":material/travel_explore:", "creator": ":material/edit_note:",
    "supervisor": ":material/fact_check:", "administrator": ":material/verified:",
    "publisher": ":material/publish:", "item": ":material/article:", "compliance": ":material/monitoring:",
    "admin": ":material/admin_panel_settings:", "about": ":material/info:",
    "notifications": ":material/notifications:",
}
HIDDEN = frozenset({"item"})  # reached from links, not listed


def label(key: str, counts: dict[str, int]) -> str:
    """A menu entry's words: the page's name and, when items wait on the user there, how many (``Beranda (3)``)."""
    n = counts.get(key, 0)
    return f"{t(f'page.{key}')} ({n})" if n else t(f"page.{key}")


def menu(user: User, items: tuple[Item, ...] = ()) -> None:
    """The sidebar menu: links to exactly the pages ``permissions.pages_for`` gives this user, each with the number
    of items waiting on the user there."""
    counts = waiting_counts(items, user)
    for key in pages_for(user):
        if key not in HIDDEN:
            st.page_link(PAGE_FILES[key], label=label(key, counts), icon=ICONS[key])


#: Streamlit lays the sidebar over the page below this width (its ``md`` breakpoint).
PHONE_MAX_PX = 768
_CLOSE_ON_PHONE = (
    "<script>(() => { if (window.__sopkitMenuCloses) return; window.__sopkitMenuCloses = true;"
    " document.addEventListener('click', (e) => {"
    "  const link = e.target.closest('[data-testid=stSidebar] a[data-testid=stPageLink-NavLink]');"
    f"  if (!link || window.innerWidth >= {PHONE_MAX_PX}) return;"
    "  const close = document.querySelector('[data-testid=stSidebarCollapseButton] button');"
    "  if (close) setTimeout(() => close.click(), 0);"
    " }, true); })();</script>")


def close_on_phone() -> None:
    """On a phone the sidebar covers the page, and Streamlit closes it after a choice only in its own page list
    (off here, see config.toml), not after an ``st.page_link``. This one listener (installed once per browser tab)
    presses the sidebar's own collapse button when a menu link is chosen on a narrow screen."""
    st.html(_CLOSE_ON_PHONE, unsafe_allow_javascript=True)


def pages() -> list[st.Page]:
    """Every page, for everyone: each URL reaches its script, whose guard signs the visitor in (then the same URL
    runs) or says in the user's language that the page is not for their role. Leaving a page out would make
    Streamlit answer its URL with an English "Page not found" and drop the link's target. The menu (:func:`menu`)
    still lists only the user's pages, and ``st.Page`` visibility is not access control: the guard is."""
    return [
        st.Page(PAGE_FILES[key], title=t(f"page.{key}"), icon=ICONS[key], url_path=key, default=key == "home",
                visibility="hidden" if key in HIDDEN else "visible")
        for key in PAGE_ROLES
    ]


_SLUG = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def unknown_path(pages: list[st.Page]) -> str | None:
    """The path of this run's URL when no page has it (a mistyped or outdated link), else None.

    Streamlit answers such a URL with an English "Page not found" box and runs the home page; registering one
    more hidden page under that very path lets the desk say it in the user's language instead. Streamlit has no
    public catch-all, so this reads the page name the browser asked for from the run's page manager; if that
    internal attribute ever goes away it returns None and Streamlit's own box shows again (tested)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    manager = getattr(ctx, "pages_manager", None)
    if getattr(manager, "intended_page_script_hash", None):
        return None  # a page link or switch_page: always to a registered page
    name = str(getattr(manager, "intended_page_name", "") or "").strip("/")
    known = {p.url_path for p in pages} | {PAGE_FILES[k].removeprefix("pages/").removesuffix(".py") for k in PAGE_FILES}
    if not name or name in known or not _SLUG.match(name):
        return None
    return name
