"""Entry script: the menu holds exactly the pages the signed-in user may see (``permissions.pages_for``).

Each page still guards itself (``pages._ui.guard``): see the note on the ``pages/`` folder in ``pages/__init__.py``.
"""

import streamlit as st

from pages._ui import guard, nav, session, signin

st.set_page_config(page_title="SOP Konten · Dishub Kalbar", page_icon=":material/campaign:", layout="wide")

user = session.current_user()
if user is None:
    def _signin() -> None:
        guard.sidebar(None)
        signin.form()

    pg = st.navigation([st.Page(_signin, title=session.t("signin.title"), url_path="signin")], position="hidden")
else:
    pg = st.navigation(nav.pages(user), position="hidden")  # the menu is drawn by pages._ui.guard (see config.toml)
pg.run()
