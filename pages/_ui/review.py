"""The review panel shared by steps 3 and 4: the preview per channel beside the sources, the item's history,
approve, or reject with a note. An item the user may not decide (maker-checker) says why instead of offering
"Ambil"."""

from __future__ import annotations

import streamlit as st

from sopkit.schema import Item, User
from sopkit.tableio import records
from sopkit.workflow import maker_checker_reason

from . import actions, history, preview, session, widgets
from .session import t


def content(item: Item) -> None:
    left, right = st.columns([3, 2])
    with left:
        preview.show(item)
    with right:
        st.markdown(f"**{t('review.sources')}**")
        widgets.plain(item.sources)
        st.caption(t("field.summary"))
        widgets.plain(item.summary)
        names = [f"{m.get('name', '?')} — {m.get('alt', '') or t('review.no_alt')}" for m in item.media]
        if names:
            st.caption(t("review.media"))
            widgets.plain("\n".join(names))


def _log(item: Item) -> list[dict[str, str]]:
    log = session.snapshot().log
    return records(log[log["item_id"] == item.id])


def _reject(item: Item) -> None:
    """Send back with the typed note; the note stays in the box unless the desk saved it (a stale or refused
    save keeps what the user wrote, so they can send it again on the item as it is now)."""
    note_key = f"w_note_{item.id}"
    user = session.current_user()
    if user is None:
        session.flash("error", t("error.forbidden"))
        return
    note = str(st.session_state.get(note_key, ""))
    saved = actions.run("reject", session.desk().reject, user, item, note, log=session.item_log(item),
                        done_key="done.reject")
    if saved is not None:
        st.session_state[note_key] = ""


def queue(items: list[Item], user: User) -> None:
    """Items at a gate step: take the free ones, decide the ones I hold."""
    if not items:
        st.info(t("queue.empty"))
    for item in widgets.capped(items):
        k = item.id
        with st.container(border=True):
            widgets.item_header(item)
            widgets.clock_badge(item)
            log = _log(item)
            reason = maker_checker_reason(user.email, item, item.step, log)
            if reason is not None:  # the desk would refuse: say why instead of offering the button
                st.info(t(reason.key, **reason.values))
                widgets.item_link(item)
                continue
            if item.holder(item.step) != user.email:
                st.button(t("queue.take"), key=f"w_take_{k}", on_click=actions.on_click, args=("take", item))
                continue
            content(item)
            history.show(item, log)
            c1, c2 = st.columns(2)
            c1.button(t("review.approve"), key=f"w_approve_{k}", type="primary", on_click=actions.on_click,
                      args=("approve", item))
            with c2.form(f"w_reject_{k}", clear_on_submit=False):
                st.text_area(t("review.note"), key=f"w_note_{k}", help=t("review.note_help"))
                st.form_submit_button(t("review.reject"), on_click=_reject, args=(item,))
            widgets.item_link(item)
