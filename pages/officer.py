"""Petugas (step 1): one form to collect an item and either keep it as a draft or send it to the creator; the
drafts below, with their attachments as thumbnails, to finish and send."""

import streamlit as st

from pages._ui import actions, filters, renditions, session, uploads, widgets
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit import sop
from sopkit.channels.registry import names as channel_names
from sopkit.workflow import waiting_on

#: Attachment thumbnails' width: four in a row on a desktop form, two on a phone.
THUMB_WIDTH = 150

ctx = guard("officer")
st.title(t("page.officer"))


def _start(send: bool) -> None:
    """Save the new item as a draft, or (``send``) save it and send it to the creator in one act."""
    s = st.session_state
    user = session.current_user()
    if user is None:
        return
    media = uploads.take("w_new_files")
    desk = session.desk()
    fields = {"title": s.get("w_new_title", ""), "summary": s.get("w_new_summary", ""),
              "category": s.get("w_new_category") or "", "channels": s.get("w_new_channels") or [],
              "sources": s.get("w_new_sources", ""), "media": media}
    if send:
        actions.run("start", desk.start_and_submit, user, done_key="done.start_submit", **fields)
    else:
        actions.run("start", desk.start, user, done_key="done.start", **fields)


def _thumbnails(item) -> None:
    """The item's attachments: pictures as thumbnails, the rest by name."""
    if not item.media:
        return
    st.caption(t("officer.attached_n", n=len(item.media)))
    with st.container(horizontal=True, wrap=True):  # a row of small pictures that wraps on a phone
        for ref in item.media:
            thumb = renditions.thumbnail(ref)
            if thumb is not None:
                st.image(thumb, caption=str(ref.get("name", "?")), width=THUMB_WIDTH)
            else:
                st.caption(t("preview.document", name=ref.get("name", "?")))


def _save(item, submit: bool) -> None:
    s, k = st.session_state, item.id
    user = session.current_user()
    if user is None:
        return
    desk = session.desk()
    media = list(item.media) + uploads.take(f"w_files_{k}")
    fields = {"title": s.get(f"w_title_{k}", item.title), "summary": s.get(f"w_summary_{k}", item.summary),
              "category": s.get(f"w_category_{k}") or "", "channels": s.get(f"w_channels_{k}") or [],
              "sources": s.get(f"w_sources_{k}", item.sources), "media": media}
    saved = actions.run("edit", desk.edit, user, item, **fields)
    if saved is not None and submit:
        actions.run("submit", desk.submit, user, saved, done_key="done.submit")


with st.expander(t("officer.start"), expanded=True):
    st.caption(t("officer.flow"))
    with st.form("w_new", clear_on_submit=True):
        st.text_input(t("field.title"), key="w_new_title", max_chars=300)
        st.text_area(t("field.summary"), key="w_new_summary")
        st.selectbox(t("field.category"), sop.CATEGORIES, key="w_new_category", index=None,
                     placeholder=t("ui.choose_one"))
        st.multiselect(t("field.channels"), channel_names(),
                           format_func=widgets.channel_name, key="w_new_channels", placeholder=t("ui.choose_many"))
        st.text_area(t("field.sources"), key="w_new_sources", help=t("field.sources_help"))
        uploads.uploader("w_new_files")
        c1, c2 = st.columns(2)
        c1.form_submit_button(t("officer.start_button"), on_click=_start, args=(False,), width="stretch")
        c2.form_submit_button(t("officer.start_send"), type="primary", on_click=_start, args=(True,),
                              width="stretch")

st.subheader(t("officer.mine"))
mine = waiting_on(ctx.snap.register.items, ctx.user, "collection")
mine = filters.bar("mine", mine)
if not mine:
    st.info(t("officer.none"))
for item in widgets.capped(mine):
    with st.container(border=True):
        widgets.item_header(item)
        widgets.clock_badge(item)
        k = item.id
        with st.form(f"w_edit_{k}"):
            st.text_input(t("field.title"), value=item.title, key=f"w_title_{k}", max_chars=300)
            st.text_area(t("field.summary"), value=item.summary, key=f"w_summary_{k}")
            cats = list(sop.CATEGORIES)
            st.selectbox(t("field.category"), cats, key=f"w_category_{k}",
                         index=cats.index(item.category) if item.category in cats else None,
                         placeholder=t("ui.choose_one"))
            st.multiselect(t("field.channels"), channel_names(), format_func=widgets.channel_name,
                           default=list(item.channels), key=f"w_channels_{k}",
                           placeholder=t("ui.choose_many"))
            st.text_area(t("field.sources"), value=item.sources, key=f"w_sources_{k}")
            _thumbnails(item)
            uploads.uploader(f"w_files_{k}")
            c1, c2 = st.columns(2)
            c1.form_submit_button(t("officer.save"), on_click=_save, args=(item, False))
            c2.form_submit_button(t("officer.submit"), type="primary", on_click=_save, args=(item, True))
        widgets.item_link(item)
