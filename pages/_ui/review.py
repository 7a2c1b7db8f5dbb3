"""The review panel shared by steps 3 and 4: content beside its sources, approve, or reject with a note."""

from __future__ import annotations

import streamlit as st

from sopkit.schema import Item

from . import actions, widgets
from .session import t


def content(item: Item) -> None:
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('review.content')}**")
        widgets.article(item.body)
        for channel, text in sorted(item.captions.items()):
            st.caption(t("creator.caption_for", channel=channel))
            widgets.plain(text)
    with right:
        st.markdown(f"**{t('review.sources')}**")
        widgets.plain(item.sources)
        st.caption(t("field.summary"))
        widgets.plain(item.summary)
        names = [f"{m.get('name', '?')} — {m.get('alt', '') or t('review.no_alt')}" for m in item.media]
        if names:
            st.caption(t("review.media"))
            widgets.plain("\n".join(names))


def queue(items: list[Item], user_email: str) -> None:
    """Items at a gate step: take the free ones, decide the ones I hold."""
    if not items:
        st.info(t("queue.empty"))
    for item in widgets.capped(items):
        k = item.id
        with st.container(border=True):
            widgets.item_header(item)
            widgets.clock_badge(item)
            if item.holder(item.step) != user_email:
                st.button(t("queue.take"), key=f"w_take_{k}", on_click=actions.on_click, args=("take", item))
                continue
            content(item)
            c1, c2 = st.columns(2)
            c1.button(t("review.approve"), key=f"w_approve_{k}", type="primary", on_click=actions.on_click,
                      args=("approve", item))
            with c2.form(f"w_reject_{k}", clear_on_submit=True):
                st.text_area(t("review.note"), key=f"w_note_{k}", help=t("review.note_help"))
                st.form_submit_button(t("review.reject"), on_click=actions.on_click, args=("reject", item),
                                      kwargs={"note": f"w_note_{k}"})
            widgets.item_link(item)
