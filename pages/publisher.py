"""Pengelola Website/Medsos (step 6): due and overdue items per channel, the publish job's results, and the
hand-published channels: download the renditions, copy the caption, paste the published URL. For what the job
could not settle it says what to check and where; copies a channel made of a post are listed on their own tab."""

import datetime as dt

import streamlit as st

from pages._ui import filters, preview, renditions, session, widgets
from pages._ui.actions import run
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit import queues
from sopkit.channels.base import FOR_A_PERSON, ChannelState
from sopkit.i18n import has
from sopkit.publishing import post_key, requeue_channel

ctx = guard("publisher")
st.title(t("page.publisher"))
now = dt.datetime.now(dt.UTC)
scheduled = sorted(queues.scheduled(ctx.snap.register.items), key=queues.publish_time)
due = [i for i in scheduled if queues.publish_time(i) <= now]
upcoming = [i for i in scheduled if queues.publish_time(i) > now]
with_copies = sorted((i for i in ctx.snap.register.items
                      if any((r or {}).get("copies") for r in i.channel_results.values())),
                     key=lambda i: i.updated_at or now, reverse=True)  # fmt: skip


def _where(channel: str) -> str:
    """Where a person looks on ``channel``, in words (the catalogue's, or a generic one for a new channel)."""
    entry = f"publisher.where.{channel}"
    return t(entry if has(entry) else "publisher.where.other")


def _guidance(item, channel: str, result: dict) -> None:
    """What the job could not settle: what it is doing about it, or what a person checks and where."""
    status = result.get("status")
    if status == ChannelState.CHECKING:
        st.info(t("publisher.checking_note", channel=widgets.channel_name(channel),
                  settle=session.local_iso(result.get("settle_at"))))
    elif status == ChannelState.UNKNOWN:
        st.warning(t("publisher.unknown_check", title=item.title, where=_where(channel),
                     since=session.local_iso(result.get("at")), post_key=result.get("key") or post_key(item.id)))
    if status in (ChannelState.CHECKING, ChannelState.UNKNOWN) and str(result.get("where", "")).startswith("http"):
        st.link_button(t("publisher.where_link"), str(result["where"]))


def _copies(item) -> None:
    for channel, result in item.channel_results.items():
        kept = str((result or {}).get("url") or (result or {}).get("post_id") or "")
        for copy in (result or {}).get("copies") or []:
            action = str(copy.get("action", ""))
            entry = f"publisher.copy.{action}"
            text = t(entry if has(entry) else "publisher.copy.left", url=copy.get("url") or copy.get("post_id"),
                     at=session.local_iso(copy.get("at")), kept=kept, channel=widgets.channel_name(channel),
                     where=_where(channel))
            (st.warning if action == "left" else st.caption)(f"{widgets.channel_name(channel)}: {text}")


def _record(item, channel: str) -> None:
    user = session.current_user()
    url = str(st.session_state.get(f"w_url_{item.id}_{channel}", "")).strip()
    if user is None:
        return
    # the Desk refuses anything but a whole http(s) address (publisher.bad_url)
    run("channel", session.desk().record_channel, user, item, channel,
        {"status": ChannelState.PUBLISHED, "url": url}, done_key="done.channel")


def _requeue(item, channel: str) -> None:
    """Hand a failed / unknown channel back to the publish job, saying what was checked (a note is required)."""
    user = session.current_user()
    key = f"w_rqnote_{item.id}_{channel}"
    note = str(st.session_state.get(key, "")).strip()
    if user is None:
        return
    if not note:
        session.flash("error", t("error.note_required"))
        return
    run("requeue", requeue_channel, session.desk(), user, item, channel, note, done_key="done.requeue")


def show(item) -> None:
    with st.container(border=True):
        widgets.item_header(item)
        widgets.clock_badge(item)
        st.caption(t("schedule.at", at=session.local(item.publish_at)))
        with st.expander(t("preview.title")):
            preview.show(item)
        for channel in item.channels:
            result = item.channel_results.get(channel) or {}
            status = str(result.get("status", "") or "")
            label = f"{widgets.channel_name(channel)}: {widgets.channel_status(status)}"
            if result.get("at"):
                label += f" · {session.local_iso(result['at'])}"
            with st.expander(label, expanded=status != ChannelState.PUBLISHED):
                if status == ChannelState.PUBLISHED:
                    st.text(result.get("url") or result.get("post_id", ""))
                    continue
                _guidance(item, channel, result)
                if result.get("error"):
                    st.text(result["error"])
                if status in FOR_A_PERSON:
                    with st.form(f"w_requeue_{item.id}_{channel}", clear_on_submit=True):
                        st.text_area(t("publisher.requeue_note"), key=f"w_rqnote_{item.id}_{channel}",
                                     help=t("publisher.requeue_help"), height=80)
                        st.form_submit_button(t("publisher.requeue"), on_click=_requeue, args=(item, channel))
                caption = item.captions.get(channel) or item.summary
                st.caption(t("publisher.caption"))
                st.code(caption or "—", language=None, wrap_lines=True)
                for n, ref in enumerate(item.media):
                    if not ref.get("use", True):
                        continue
                    img = renditions.for_channel(ref, channel)
                    if img is not None:
                        st.image(img.data, caption=img.alt or img.filename, width=320)
                        st.download_button(t("publisher.download", name=img.filename), img.data,
                                           file_name=img.filename, mime=img.mime,
                                           key=f"w_dl_{item.id}_{channel}_{n}")
                with st.form(f"w_pub_{item.id}_{channel}", clear_on_submit=True):
                    st.text_input(t("publisher.url"), key=f"w_url_{item.id}_{channel}", placeholder="https://")
                    st.form_submit_button(t("publisher.record"), type="primary", on_click=_record,
                                          args=(item, channel))
        widgets.item_link(item)


due_tab, upcoming_tab, copies_tab = st.tabs([t("publisher.due", n=len(due)),
                                             t("publisher.upcoming", n=len(upcoming)),
                                             t("publisher.copies", n=len(with_copies))])
with due_tab:
    due = filters.bar("due", due)
    if not due:
        st.info(t("publisher.none_due"))
    for item in widgets.capped(due):
        show(item)
with upcoming_tab:
    upcoming = filters.bar("upcoming", upcoming)
    if not upcoming:
        st.info(t("publisher.none_upcoming"))
    for item in widgets.capped(upcoming):
        show(item)
with copies_tab:
    if not with_copies:
        st.info(t("publisher.none_copies"))
    else:
        st.caption(t("publisher.copies_intro"))
    for item in widgets.capped(with_copies):
        with st.container(border=True):
            widgets.item_header(item)
            _copies(item)
            widgets.item_link(item)
