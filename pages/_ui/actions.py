"""Run one workflow action from a button callback and report the outcome in the user's language.

The item passed in is the one the page *showed* (captured when the button was drawn), so if someone else changed
it meanwhile the store refuses with StaleWrite instead of acting on content the user never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from sopkit.permissions import Forbidden
from sopkit.schema import Item
from sopkit.store.base import StaleWrite, StoreError
from sopkit.text import BadText
from sopkit.workflow import (
    LOG_CHECKED_ACTIONS,
    ChecksFailed,
    InvalidInput,
    MakerChecker,
    NoteRequired,
    NotHolder,
    WorkflowError,
    WrongState,
)

from . import session
from .session import t

_ERROR_KEYS: tuple[tuple[type[Exception], str], ...] = (
    (StaleWrite, "error.stale"),
    (Forbidden, "error.forbidden"),
    (NoteRequired, "error.note_required"),
    (MakerChecker, "error.maker_checker"),
    (NotHolder, "error.not_holder"),
    (WrongState, "error.wrong_state"),
    (ChecksFailed, "creator.fix_first"),
    (InvalidInput, "error.invalid"),
    (WorkflowError, "error.workflow"),
    (StoreError, "error.store"),
)


def run(action: str, fn: Callable[..., Item], *args: Any, done_key: str = "done.saved", **kwargs: Any) -> Item | None:
    try:
        item = fn(*args, **kwargs)
    except tuple(cls for cls, _ in _ERROR_KEYS) as e:
        key = next(k for cls, k in _ERROR_KEYS if isinstance(e, cls))
        if isinstance(e, StaleWrite | ChecksFailed):  # a stale write explains itself; failed checks are listed
            detail = ""  # on the page, in the user's language
        elif isinstance(e, BadText):  # says which field and character, in the user's language
            detail = " " + e.translated(session.lang())
        else:
            detail = f" ({e})"
        session.flash("error", t(key) + detail)
        if isinstance(e, StaleWrite):
            session.after_write(e.item_id)  # show what the other user changed
        return None
    session.after_write(item.id)
    session.flash("success", t(done_key, id=item.id))
    return item


def on_click(action: str, item: Item, **extra: Any) -> None:
    """Callback for a step button: ``extra`` names the session-state keys whose values the action needs."""
    desk = session.desk()
    user = session.current_user()
    if user is None:
        session.flash("error", t("error.forbidden"))
        return
    values: dict[str, Any] = {name: st.session_state.get(key, "") for name, key in extra.items()}
    if action in LOG_CHECKED_ACTIONS:
        values["log"] = session.item_log(item)
    fn = getattr(desk, action)
    run(action, fn, user, item, done_key=f"done.{action}", **values)
