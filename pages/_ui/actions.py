"""Run one workflow action from a button callback and report the outcome in the user's language.

The item passed in is the one the page *showed* (captured when the button was drawn), so if someone else changed
it meanwhile the store refuses with StaleWrite instead of acting on content the user never saw.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import streamlit as st

from sopkit.i18n import Message
from sopkit.permissions import Forbidden
from sopkit.schema import Item
from sopkit.store.base import StaleWrite, StoreError
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

log = logging.getLogger(__name__)

_ERROR_KEYS: tuple[tuple[type[Message], str], ...] = (
    (Forbidden, "error.forbidden"),
    (NoteRequired, "error.note_required"),
    (MakerChecker, "error.maker_checker"),
    (NotHolder, "error.not_holder"),
    (WrongState, "error.wrong_state"),
    (ChecksFailed, "creator.fix_first"),
    (InvalidInput, "error.invalid"),
    (WorkflowError, "error.workflow"),
)


def run(action: str, fn: Callable[..., Item], *args: Any, done_key: str = "done.saved", **kwargs: Any) -> Item | None:
    """One message per outcome: saved / refused because it changed / busy, nothing saved / sent but not
    confirmed / saved but this view could not be updated. The page's snapshot is patched from what the store
    returned (the saved item, or the item as it is now), so nothing is read again."""
    try:
        item = fn(*args, **kwargs)
    except StoreError as e:  # each store outcome has its own message (``e.key``)
        if e.key == StoreError.key:  # an unexpected failure: its English detail goes to the log, not the user
            log.warning("store error during %s: %s", action, e)
        session.flash("error", t(e.key))
        if isinstance(e, StaleWrite):
            _patch(e.item_id, e.current)  # show what the other user changed
        return None
    except Message as e:  # workflow and permission refusals (every one is in _ERROR_KEYS)
        key = next((k for cls, k in _ERROR_KEYS if isinstance(e, cls)), "error.workflow")
        # the precise reason in the user's language (failed checks are listed on the page instead)
        detail = "" if isinstance(e, ChecksFailed) or e.key == key else " " + e.text(session.lang())
        session.flash("error", t(key) + detail)
        return None
    if _patch(item.id, item):
        session.flash("success", t(done_key, id=item.id))
    else:
        session.flash("warning", t("done.saved_stale", id=item.id))
    return item


def _patch(item_id: str, item: Item | None) -> bool:
    try:
        session.after_write(item_id, item=item)
    except StoreError:
        return False
    return True


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
