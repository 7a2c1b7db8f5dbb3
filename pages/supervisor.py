"""Pejabat Pengawas (steps 3 and 5): verify content; schedule, reschedule or cancel publication; assign work."""

import datetime as dt

import streamlit as st

from pages._ui import actions, agenda, filters, review, session, widgets
from pages._ui.guard import guard
from pages._ui.session import t
from sopkit import queues, sop
from sopkit.channels.registry import names as channel_names
from sopkit.queues import collisions
from sopkit.workflow import waiting_on

ctx = guard("supervisor")
st.title(t("page.supervisor"))
items = list(ctx.snap.register.items)
tz = session.settings()[0].tz


def _when(k: str) -> dt.datetime | None:
    d, tm = st.session_state.get(f"w_date_{k}"), st.session_state.get(f"w_time_{k}")
    return dt.datetime.combine(d, tm, tzinfo=tz) if d and tm else None


def _schedule(item) -> None:
    user = session.current_user()
    when = _when(item.id)
    if user is None or when is None:
        session.flash("error", t("schedule.need_time"))
        return
    channels = st.session_state.get(f"w_sched_ch_{item.id}") or []
    clash = collisions(list(session.snapshot().register.items), when, channels, exclude_id=item.id)
    if clash and not st.session_state.get(f"w_force_{item.id}"):
        session.flash("error", t("schedule.collision", ids=", ".join(c.id for c in clash)))
        return
    actions.run("schedule", session.desk().schedule, user, item, when, channels, done_key="done.schedule")


def _schedule_form(item) -> None:
    k = item.id
    current = (item.publish_at or dt.datetime.now(tz) + dt.timedelta(hours=1)).astimezone(tz)
    with st.form(f"w_sched_{k}"):
        c1, c2 = st.columns(2)
        c1.date_input(t("schedule.date"), value=current.date(), key=f"w_date_{k}", format="DD/MM/YYYY")
        c2.time_input(t("schedule.time"), value=current.time().replace(second=0, microsecond=0), key=f"w_time_{k}",
                      step=dt.timedelta(minutes=15))
        st.multiselect(t("field.channels"), channel_names(), format_func=widgets.channel_name,
                       default=list(item.channels), key=f"w_sched_ch_{k}",
                       placeholder=t("ui.choose_many"))
        st.checkbox(t("schedule.force"), key=f"w_force_{k}")
        label = t("schedule.button") if item.step == sop.number("scheduling") else t("schedule.reschedule")
        st.form_submit_button(label, type="primary", on_click=_schedule, args=(item,))


verify_tab, schedule_tab, scheduled_tab, assign_tab = st.tabs(
    [t("supervisor.verify"), t("supervisor.schedule"), t("supervisor.scheduled"), t("supervisor.assign")])

with verify_tab:
    review.queue(filters.bar("verify", waiting_on(items, ctx.user, "verification")), ctx.user)

scheduled = queues.scheduled(items)
with schedule_tab:
    todo = filters.bar("schedule", waiting_on(items, ctx.user, "scheduling"))
    if not todo:
        st.info(t("queue.empty"))
    for item in widgets.capped(todo):
        with st.container(border=True):
            widgets.item_header(item)
            widgets.clock_badge(item)
            if item.scheduler != ctx.user.email:
                st.button(t("queue.take"), key=f"w_take_{item.id}", on_click=actions.on_click, args=("take", item))
            else:
                _schedule_form(item)
            widgets.item_link(item)

with scheduled_tab:
    now = widgets.now()
    st.markdown(f"**{t('schedule.calendar')}**")
    shown = filters.bar("scheduled", scheduled, fields=("categories", "channels", "people"))
    agenda.calendar(shown, now)
    if not scheduled:
        st.info(t("schedule.nothing"))
    ordered = sorted(shown, key=queues.publish_time)
    if ordered:  # one item's forms at a time, for the item the supervisor picks
        by_id = {i.id: i for i in ordered}
        picked = st.selectbox(t("schedule.pick"), list(by_id), key="w_pick_scheduled", index=None,
                              placeholder=t("ui.choose_one"), help=t("schedule.pick_help"),
                              format_func=lambda k: f"{by_id[k].title or k} · {session.local(by_id[k].publish_at)}")
        if picked in by_id:
            item = by_id[picked]
            with st.container(border=True):
                _schedule_form(item)
                with st.form(f"w_cancel_{item.id}", clear_on_submit=True):
                    st.text_input(t("cancel.note"), key=f"w_cnote_{item.id}")
                    st.form_submit_button(t("cancel.button"), on_click=actions.on_click, args=("cancel", item),
                                          kwargs={"note": f"w_cnote_{item.id}"})
    for item in widgets.capped(ordered):
        with st.container(border=True):
            widgets.item_header(item)
            agenda.countdown_line(item, now)
            st.caption(t("schedule.at", at=session.local(item.publish_at)))
            widgets.item_link(item)

with assign_tab:
    users = [u for u in ctx.snap.users if u.active]
    open_items = sorted((i for i in items if i.is_open),
                        key=lambda i: i.step_entered_at or dt.datetime.max.replace(tzinfo=dt.UTC))
    open_items = filters.bar("assign", open_items)
    if not open_items:
        st.info(t("queue.empty"))
    for item in widgets.capped(open_items):
        role = sop.STEPS[item.step].role
        candidates = [u.email for u in users if u.has(role)]
        with st.expander(f"{item.id} · {widgets.step_title(item.step)} · {widgets.who(item.holder(item.step))}"):
            st.text(item.title)
            st.selectbox(t("assign.to"), candidates, key=f"w_assignee_{item.id}", index=None,
                         placeholder=t("ui.choose_one"), format_func=widgets.person)

            def _assign(item=item) -> None:
                user = session.current_user()
                snap = session.snapshot()
                assignee = snap.user(st.session_state.get(f"w_assignee_{item.id}") or "")
                if user is None or assignee is None:
                    session.flash("error", t("assign.choose"))
                    return
                actions.run("assign", session.desk().assign, user, item, assignee, log=session.item_log(item),
                            done_key="done.assign")

            st.button(t("assign.button"), key=f"w_assign_{item.id}", on_click=_assign)
