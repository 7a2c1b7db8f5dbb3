"""Entry script: every page is registered for everyone, and each page's own guard decides (``pages._ui.guard``).

So any URL — a page, an item (``/item?id=…``), a queue — opens that page: signed out, its guard shows the sign-in
form and then the same URL; signed in without the role, it says so and offers the home page. The menu lists only
the user's pages (``permissions.pages_for``). See the note on the ``pages/`` folder in ``pages/__init__.py``.
"""

import streamlit as st

from pages._ui import guard, identity, nav, session

st.set_page_config(page_title="SOP Konten · Dishub Kalbar", page_icon=":material/campaign:", layout="wide")

pages = nav.pages()
unknown = nav.unknown_path(pages)
if unknown:  # a mistyped or outdated link: our own page, in the user's language, instead of Streamlit's box
    def _not_found(path: str = unknown) -> None:
        guard.sidebar(session.current_user())
        guard.not_found(path)

    pages.append(st.Page(_not_found, title=session.t("guard.not_found_title"), url_path=unknown, visibility="hidden"))
pg = st.navigation(pages, position="hidden")  # the menu is drawn by pages._ui.guard (see config.toml)
if identity.oidc_enabled() and pg.url_path == "" and session.current_user() is not None:
    target = identity.next_page()  # back from the provider (it always returns to /): open the linked page
    if target:
        st.switch_page(nav.PAGE_FILES[target[0]], query_params=target[1])
pg.run()
