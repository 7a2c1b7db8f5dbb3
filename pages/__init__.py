"""The desk's page scripts (one per ``permissions.PAGE_ROLES`` key), and ``pages._ui``: the helpers they share.

A package only so that ``pages._ui`` can be imported. Streamlit 1.67 registers every ``pages/*.py`` as a page
(even ``_name.py``) until a session calls ``st.navigation``, skipping only dot-files and ``__init__.py`` and never
looking into sub-folders; so this file and ``pages/_ui/`` are never pages (tested in ``tests/desk/test_access.py``
and, on a real server, in ``tests/e2e``).
"""
