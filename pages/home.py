"""Beranda: the items waiting on me, overdue first, each with its live SOP countdown, and my recent activity."""

import pandas as pd
import streamlit as st

from pages._ui import filters, widgets
from pages._ui.guard import guard
from pages._ui.nav import PAGE_FILES
from pages._ui.session import t
from sopkit import sop
from sopkit.queues import by_urgency
from sopkit.workflow import waiting_on

ctx = guard("home")
st.title(t("page.home"))
st.subheader(t("home.my_tasks"))

items = ctx.snap.register.items
mine = waiting_on(items, ctx.user)
held = [i for i in items if i.is_open and i.holder(i.step) == ctx.user.email and i not in mine]
tasks = by_urgency(mine + held, widgets.countdown_of)
if not tasks:
    st.info(t("home.no_tasks"))
for item in widgets.capped(filters.bar("home", tasks)):
    with st.container(border=True):
        left, right = st.columns([3, 2])
        with left:
            widgets.item_header(item)
            holder = item.holder(item.step)
            st.caption(t("home.held_by", who=widgets.who(holder)) if holder else t("home.in_queue"))
        with right:
            widgets.clock_badge(item)
            role = sop.STEPS[item.step].role
            st.page_link(PAGE_FILES[role], label=t("home.go_to", page=t(f"page.{role}")))
            widgets.item_link(item)

st.subheader(t("home.recent"))
log = ctx.snap.log
mine_log = log[log["actor"] == ctx.user.email]
order = pd.to_datetime(mine_log["at"], utc=True, errors="coerce", format="ISO8601")
recent = mine_log.assign(_t=order).sort_values("_t", ascending=False, kind="stable").head(10)
if recent.empty:
    st.caption(t("home.no_activity"))
else:
    shown = widgets.words(widgets.times(recent[["at", "item_id", "step", "action", "note"]], "at"))
    st.dataframe(widgets.labelled(shown), hide_index=True)
