"""Run one workflow action from a button callback and report the outcome in the user's language.

The item passed in is the one the page *showed* (captured when the button was drawn), so if someone else changed
it meanwhile the store refuses with StaleWrite instead of acting on content the user never saw.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from sopkit.i18n import Message, say
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
        session.flash("error", store_message(e, action))
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


def store_message(e: StoreError, action: str = "") -> str:
    """A store's refusal as a person reads it: one message per outcome (``e.key``: stale, busy, unconfirmed…) in
    the reader's language. The English detail of an unexpected failure goes to the log, never to the screen."""
    if e.key == StoreError.key:
        log.warning("store error during %s: %s", action or "a save", e)
    return t(e.key)


@contextmanager
def saving(action: str) -> Iterator[None]:
    """Around a save that is not a workflow action (a preference, a retry, a chat id): a store's refusal is shown
    as its message in the reader's language and the rest of the block is skipped (nothing said as saved)."""
    try:
        yield
    except StoreError as e:
        st.error(store_message(e, action))


def reason(e: Exception) -> str:
    """Why a save was refused, in the reader's language: a store outcome (:func:`store_message`), a catalogue
    message or a refused text (:class:`~sopkit.text.BadText`) in the user's language; anything else by its
    text."""
    if isinstance(e, StoreError):
        return store_message(e)
    if isinstance(e, BadText):
        return e.translated(session.lang())
    said = getattr(e, "said", None)
    return say(said if said is not None else e, session.lang())


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
