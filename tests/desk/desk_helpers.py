"""Small AppTest helpers: the demo accounts' e-mails, find a button by its label, open a page, read messages.

(Named ``desk_helpers``, not ``helpers``/``conftest``: test folders without ``__init__.py`` share one module
namespace, so the name must be unique in the whole test tree.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from streamlit.testing.v1 import AppTest

from sopkit.i18n import t
from sopkit.timeutil import AGENCY_TZ

ROOT = Path(__file__).resolve().parents[2]


def email_for(role: str) -> str:
    return f"{role}@demo.test"


def session_now() -> dt.datetime:
    return dt.datetime.now(AGENCY_TZ).replace(microsecond=0)


def open_page(at: AppTest, page: str) -> AppTest:
    from pages._ui.nav import PAGE_FILES

    at.switch_page(PAGE_FILES[page]).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, key: str, **values: str):  # type: ignore[no-untyped-def]
    """The one button whose label is the catalogue text ``key``."""
    label = t(key, **values)
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, f"{len(found)} buttons labelled {label!r}: {[b.label for b in at.button]}"
    return found[0]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def successes(at: AppTest) -> list[str]:
    return [e.value for e in at.success]
