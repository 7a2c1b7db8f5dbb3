"""Streamlit helpers shared by the pages: session, guard, sign-in, widgets.

They live here, not in ``pages/``: Streamlit 1.67 registers every ``pages/*.py`` (even ``_name.py``; only
dot-files and ``__init__.py`` are skipped) as a page until a session calls ``st.navigation``. Sub-folders of
``pages/`` are not scanned, but a package beside the app keeps the rule obvious.
"""
