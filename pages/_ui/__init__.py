"""Streamlit helpers shared by the pages: session, guard, sign-in, widgets. Imported as ``pages._ui``.

Why a sub-package of ``pages/`` is safe: Streamlit 1.67 registers every ``pages/*.py`` as a page (even
``_name.py``; only dot-files and ``__init__.py`` are skipped) until a session calls ``st.navigation``, but it globs
``pages/*.py`` only and never looks into sub-folders, so nothing in ``pages/_ui/`` can be opened as a page, not
even by the first visitor of a freshly started server (tested in ``tests/desk/test_access.py`` and ``tests/e2e``).
"""
