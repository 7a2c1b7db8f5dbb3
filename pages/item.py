"""Item detail: everything about one item and its timeline from the Log, with each step's time against its limit."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._ui import session, widgets
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit.compliance import compute

ctx = guard("item")
item_id = str(st.query_params.get("id", "")).strip()
items = ctx.snap.register.by_id()
st.title(t("page.item"))
choice = st.selectbox(t("item.choose"), sorted(items, reverse=True), index=None, key="w_item_choice",
                      placeholder=item_id or t("ui.choose_one"))
item_id = choice or item_id
item = items.get(item_id)
if item is None:
    st.info(t("item.not_found") if item_id else t("item.pick"))
    st.stop()

widgets.item_header(item)
if item.is_open:
    widgets.clock_badge(item)
st.caption(t("item.status", status=widgets.item_status(item.status), rev=item.rev))
info, content, timeline = st.tabs([t("item.info"), t("item.content"), t("item.timeline")])
with info:
    people = {t(f"item.holder.{c}"): getattr(item, c) or "—"
              for c in ("officer", "creator", "verifier", "approver", "scheduler", "publisher")}
    st.table(people)
    st.text(t("schedule.at", at=session.local(item.publish_at)))
    if item.channels or item.channel_results:
        st.markdown(f"**{t('item.channels')}**")
        rows = []
        for channel in dict.fromkeys([*item.channels, *item.channel_results]):
            result = item.channel_results.get(channel) or {}
            detail = result.get("url") or result.get("post_id") or result.get("error") or ""
            rows.append({t("item.channel"): channel, t("item.channel_status"): widgets.channel_status(
                result.get("status")), t("item.channel_at"): session.local_iso(result.get("at")),
                t("item.channel_detail"): str(detail) or "—"})
        st.table(pd.DataFrame(rows).set_index(t("item.channel")))
with content:
    st.caption(t("field.summary"))
    widgets.plain(item.summary)
    st.caption(t("field.sources"))
    widgets.plain(item.sources)
    st.caption(t("field.body"))
    widgets.article(item.body)
    for channel, text in sorted(item.captions.items()):
        st.caption(t("creator.caption_for", channel=channel))
        widgets.plain(text)
with timeline:
    log = ctx.snap.log[ctx.snap.log["item_id"] == item.id]
    shown = widgets.words(widgets.times(log[["at", "step", "action", "actor", "role", "note"]], "at"))
    shown = shown.rename(columns=lambda c: t(f"log.{c}"))
    st.dataframe(shown, hide_index=True)
    report = compute(log, session.settings()[0], dt.datetime.now(dt.UTC))
    att = report.attempts_for_export()
    if not att.empty:
        att = widgets.words(widgets.times(att.assign(on_time=att["on_time"].map({True: "✓", False: "✗"})),
                                          "started_at", "ended_at"))
        st.markdown(f"**{t('item.durations')}**")
        st.dataframe(att[["step", "attempt", "started_at", "ended_at", "minutes", "limit_minutes", "on_time",
                          "outcome", "actor"]].rename(columns=lambda c: t(f"att.{c}")), hide_index=True)
