"""Pengelola Website/Medsos (step 6): due and overdue items per channel, the publish job's results, and the
hand-published channels: download the renditions, copy the caption, paste the published URL."""

import datetime as dt

import streamlit as st

from ui import renditions, session, widgets
from ui.actions import run
from ui.guard import guard
from ui.session import t

ctx = guard("publisher")
st.title(t("page.publisher"))
now = dt.datetime.now(dt.UTC)
scheduled = sorted((i for i in ctx.snap.register.items if i.is_open and i.step == 6 and i.publish_at),
                   key=lambda i: i.publish_at)
due = [i for i in scheduled if i.publish_at <= now]
upcoming = [i for i in scheduled if i.publish_at > now]


def _record(item, channel: str) -> None:  # type: ignore[no-untyped-def]
    user = session.current_user()
    url = str(st.session_state.get(f"w_url_{item.id}_{channel}", "")).strip()
    if user is None:
        return
    if not url.startswith(("https://", "http://")):
        session.flash("error", t("publisher.bad_url"))
        return
    run("channel", session.desk().record_channel, user, item, channel, {"status": "published", "url": url},
        done_key="done.channel")


def show(item) -> None:  # type: ignore[no-untyped-def]
    with st.container(border=True):
        widgets.item_header(item)
        widgets.clock_badge(item)
        st.caption(t("schedule.at", at=session.local(item.publish_at)))
        for channel in item.channels:
            result = item.channel_results.get(channel, {})
            status = result.get("status", "")
            with st.expander(f"{channel}: {t('publisher.status.' + (status or 'none'))}",
                             expanded=status != "published"):
                if status == "published":
                    st.text(result.get("url") or result.get("post_id", ""))
                    continue
                if result.get("error"):
                    st.text(result["error"])
                caption = item.captions.get(channel) or item.summary
                st.caption(t("publisher.caption"))
                st.code(caption or "—", language=None, wrap_lines=True)
                for n, ref in enumerate(item.media):
                    if not ref.get("use", True):
                        continue
                    img = renditions.for_channel(ref, channel)
                    if img is not None:
                        st.download_button(t("publisher.download", name=img.filename), img.data,
                                           file_name=img.filename, mime=img.mime,
                                           key=f"w_dl_{item.id}_{channel}_{n}")
                with st.form(f"w_pub_{item.id}_{channel}", clear_on_submit=True):
                    st.text_input(t("publisher.url"), key=f"w_url_{item.id}_{channel}", placeholder="https://")
                    st.form_submit_button(t("publisher.record"), type="primary", on_click=_record,
                                          args=(item, channel))
        widgets.item_link(item)


due_tab, upcoming_tab = st.tabs([t("publisher.due", n=len(due)), t("publisher.upcoming", n=len(upcoming))])
with due_tab:
    if not due:
        st.info(t("publisher.none_due"))
    for item in widgets.capped(due):
        show(item)
with upcoming_tab:
    if not upcoming:
        st.info(t("publisher.none_upcoming"))
    for item in widgets.capped(upcoming):
        show(item)
