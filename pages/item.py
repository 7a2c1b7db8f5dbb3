"""Item detail: everything about one item and its timeline from the Log, with each step's time against its limit."""

import datetime as dt

import pandas as pd
import streamlit as st

from pages._ui import rules, session, widgets
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
    people = {t(f"item.holder.{c}"): widgets.who(getattr(item, c))
              for c in ("officer", "creator", "verifier", "approver", "scheduler", "publisher")}
    st.table(people)
    st.text(t("schedule.at", at=session.local(item.publish_at)))
    if item.channels or item.channel_results:
        st.markdown(f"**{t('item.channels')}**")
        rows = []
        for channel in dict.fromkeys([*item.channels, *item.channel_results]):
            result = item.channel_results.get(channel) or {}
            detail = result.get("url") or result.get("post_id") or result.get("error") or ""
            rows.append({t("item.channel"): widgets.channel_name(channel),
                         t("item.channel_status"): widgets.channel_status(result.get("status")),
                         t("item.channel_at"): session.local_iso(result.get("at")),
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
        st.caption(t("creator.caption_for", channel=widgets.channel_name(channel)))
        widgets.plain(text)
with timeline:
    now = dt.datetime.now(dt.UTC)
    log = ctx.snap.log[ctx.snap.log["item_id"] == item.id]
    history = session.history()
    report = compute(log, history=history, as_of=now, stored_order=True)
    shown = log[["at", "step", "action", "actor", "role", "note"]]
    shown = shown.assign(actor=shown["actor"].map(widgets.who))  # names, not e-mail addresses
    # the Settings revisions made while the item was open belong to its timeline: they changed its rules
    times_ = pd.to_datetime(log["at"], utc=True, errors="coerce", format="ISO8601")
    if times_.notna().any():
        until = now if item.is_open else times_.max()
        revised = [r for r in history.revisions if r.at is not None and times_.min() < r.at <= until]
        extra = pd.DataFrame([{"at": r.at.isoformat() if r.at else "", "step": "",
                               "action": t("item.settings_changed", rev=r.rev),
                               "actor": rules.who(r.actor) if r.actor else rules.source(r), "role": "",
                               "note": r.changes} for r in revised], columns=shown.columns)
        if len(extra):
            order = pd.concat([times_, pd.to_datetime(extra["at"], utc=True)], ignore_index=True)
            shown = pd.concat([shown, extra], ignore_index=True).iloc[order.argsort(kind="stable")]
    shown = widgets.words(widgets.times(shown, "at")).rename(columns=lambda c: t(f"log.{c}"))
    # the note is what a reader looks for (a rejection's reason): it gets the room, the step number very little
    st.dataframe(shown, hide_index=True, column_config={
        t("log.step"): st.column_config.TextColumn(width="small"),
        t("log.note"): st.column_config.TextColumn(width="large")})
    att = report.attempts_for_export()
    if not att.empty:
        # a running attempt within its limit is not "on time" yet: ⏳ until it ends (✗ as soon as it is late)
        running = att["outcome"].eq("open") & att["on_time"].astype(bool)
        marks = att["on_time"].map({True: "✓", False: "✗"}).where(~running, "⏳")
        att = widgets.words(widgets.times(att.assign(on_time=marks,
                                                     actor=att["actor"].map(rules.who)), "started_at", "ended_at"))
        st.markdown(f"**{t('item.durations')}**")
        st.dataframe(att[["step", "attempt", "started_at", "ended_at", "minutes", "limit_minutes", "on_time",
                          "outcome", "actor", "settings_rev"]].rename(columns=lambda c: t(f"att.{c}")),
                     hide_index=True)
        st.caption(t("item.rules"))
        for revision in report.revisions_used():
            st.caption(rules.revision_line(revision))
    late = report.late()
    for _, attempt in late[late["clock"] == "working"].iterrows():
        breakdown, deadline = report.explain(attempt, ctx.lang)
        with st.expander(t("item.why_late", step=attempt["step"], attempt=attempt["attempt"])):
            st.caption(t("item.why_summary", start=session.local(breakdown.start), limit=attempt["limit_minutes"],
                         deadline=session.local(deadline), end=session.local(breakdown.end),
                         until=t("item.why_until.open" if pd.isna(attempt["ended_at"]) else "item.why_until.closed"),
                         minutes=f"{breakdown.minutes:.0f}", rev=attempt["settings_rev"]))
            st.dataframe(rules.breakdown_table(breakdown), hide_index=True)
