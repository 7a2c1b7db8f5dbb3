"""Kepatuhan: the manager's questions — which steps are late, by whom, this month. The period (this month by
default, in the agency's zone), tiles for it, the steps worst first, the people worst first with their late items,
the trend per step as small multiples, only the items at risk now; the report as XLSX and CSV (the SOP's softcopy
record). Every number comes from ``sopkit.dashboard`` over the report computed once per snapshot version; this
page only draws, formatted for the reader's language (``sopkit.i18n.formats``)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from pages._ui import reports, session
from pages._ui.guard import guard
from pages._ui.session import t
from pages._ui.widgets import channel_name, labelled, names, step_title, times
from sopkit import dashboard as dash
from sopkit import i18n, sop
from sopkit.channels.registry import names as channel_names
from sopkit.clock import holidays_version
from sopkit.i18n import formats as fmt
from sopkit.report_files import csv_zip, xlsx_bytes

ctx = guard("compliance")
lang = session.lang()
st.title(t("page.compliance"))
with st.spinner(t("compliance.computing")):
    full = reports.report()[0]  # computed here, under the spinner, once per snapshot version
tz = full.settings.timezone
people_names = names()

with st.sidebar:
    st.markdown(f"**{t('compliance.filters')}**")
    # labels made now, in this run's language (a format_func may be called again outside the run)
    period_labels = {p: t(f"compliance.period.{p}") for p in dash.PERIODS}
    choice = st.selectbox(t("compliance.period"), dash.PERIODS, key="w_period_choice",
                          format_func=period_labels.__getitem__)
    custom: tuple[dt.date, ...] = ()
    if choice == "custom":
        custom = tuple(st.date_input(t("compliance.period_range"), value=[], key="w_period", format="DD/MM/YYYY"))
    many = t("ui.choose_many")
    cats = st.multiselect(t("field.category"), sop.CATEGORIES, key="w_f_cat", placeholder=many)
    chan_labels = {c: channel_name(c) for c in channel_names()}
    chans = st.multiselect(t("field.channels"), list(chan_labels), key="w_f_chan", placeholder=many,
                           format_func=chan_labels.__getitem__)
    people = st.multiselect(t("compliance.person"), sorted(people_names, key=lambda e: people_names[e].lower()),
                            key="w_f_person", placeholder=many, format_func=lambda e: people_names.get(e, e))
start, end = dash.period_bounds(choice, dash.local_today(full.as_of, tz), custom)
f = dash.Filters(categories=tuple(cats), channels=tuple(chans), people=tuple(people))
# once per (snapshot version, period, filters): a rerun that changes neither recomputes none of it
_, items, view = reports.view(start, end, f, people_names)
base, rep = view.base, view.period  # everything but the period (tiles, trend, at-risk); the period's attempts
st.caption(t("compliance.period_shown", period=fmt.date_range(start, end, lang)))

# -- tiles ----------------------------------------------------------------------------------------------------------
k = view.tiles
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("kpi.published_period"), fmt.number(k["published"], lang))
c2.metric(t("kpi.on_time"), fmt.percent(k["on_time_rate"], lang, 1))
c3.metric(t("kpi.lead_time"), fmt.DASH if pd.isna(k["median_lead_time_hours"]) else
          fmt.duration(k["median_lead_time_hours"] * 60, lang))
c4.metric(t("kpi.rework"), fmt.percent(k["rework_rate"], lang, 1))


# -- steps, worst first ---------------------------------------------------------------------------------------------
def limit_text(minutes: float, clock: str) -> str:
    text = fmt.duration(minutes, lang)
    return text if clock != "working" else t("compliance.working", span=text)


steps = view.steps.copy()  # the view is shared: this run's labels go on a copy
step_labels = {s: step_title(s) for s in sop.STEPS}  # once per run: tables below look titles up per row
steps["label"] = [step_labels[int(s)] for s in steps["step"]]
steps["rate_text"] = [fmt.percent(r, lang, 1) for r in steps["on_time_rate"]]
steps["late_text"] = [fmt.number(n, lang) for n in steps["late"]]
st.subheader(t("compliance.per_step"))
st.caption(t("compliance.per_step_help"))
shown = steps[steps["on_time_rate"].notna()]
if shown.empty:
    st.info(t("compliance.nothing_closed"))
else:
    low = float(shown["on_time_rate"].min())
    floor = max(0.0, min(0.8, (int(low * 20) - 1) / 20))  # 5-point steps below the worst: 85 vs 90 % reads
    # room right of 100 % for the value labels (on a phone the plot is ~200 px wide); the axis stops at 100 %
    domain = [floor, 1 + (1 - floor) * 0.3]
    ticks = [round(floor + i * 0.05, 2) for i in range(int(round((1 - floor) / 0.05)) + 1)]
    base_chart = alt.Chart(shown).encode(
        y=alt.Y("label:N", title=None, sort=list(shown["label"]), axis=alt.Axis(labelLimit=220)),
        tooltip=[alt.Tooltip("label:N", title=t("att.step")), alt.Tooltip("rate_text:N", title=t("kpi.on_time")),
                 alt.Tooltip("late_text:N", title=t("compliance.late"))])
    bars = base_chart.mark_bar(color="#4c78a8").encode(
        x=alt.X("on_time_rate:Q", title=t("kpi.on_time"), scale=alt.Scale(domain=domain, clamp=True),
                axis=alt.Axis(format=".0%", values=ticks if len(ticks) <= 6 else ticks[::2], grid=True)))
    labels = base_chart.mark_text(align="left", dx=4, color="#222").encode(
        x=alt.X("on_time_rate:Q", scale=alt.Scale(domain=domain, clamp=True)), text="rate_text:N")
    st.altair_chart((bars + labels).properties(height=38 * len(shown) + 30), width="stretch")
table = pd.DataFrame({
    t("att.step"): steps["label"], t("kpi.on_time"): steps["rate_text"],
    t("compliance.late"): [fmt.number(n, lang) for n in steps["late"]],
    t("compliance.open_overdue"): [fmt.number(n, lang) for n in steps["open_overdue"]],
    t("compliance.median"): [fmt.duration(m, lang) for m in steps["median_minutes"]],
    t("compliance.limit"): [limit_text(m, c) for m, c in zip(steps["limit_minutes"], steps["clock"], strict=True)],
    t("compliance.median_share"): [fmt.percent(s, lang) for s in steps["median_share"]],
    t("col.attempts"): [fmt.number(n, lang) for n in steps["attempts"]]})
st.dataframe(table, hide_index=True, width="stretch", key="w_steps_table")

# -- people, worst first, with their late items -----------------------------------------------------------------
st.subheader(t("compliance.people"))
st.caption(t("compliance.people_help"))
persons = view.persons
if persons.empty:
    st.info(t("compliance.nobody"))
else:
    st.dataframe(pd.DataFrame({
        t("col.name"): persons["name"], t("compliance.late"): [fmt.number(n, lang) for n in persons["late"]],
        t("compliance.rework_received"): [fmt.number(n, lang) for n in persons["rework"]],
        t("kpi.on_time"): [fmt.percent(r, lang, 1) for r in persons["on_time_rate"]],
        t("col.attempts"): [fmt.number(n, lang) for n in persons["attempts"]]}),
        hide_index=True, width="stretch", key="w_people_table")
    late_people = list(persons.loc[persons["late"] > 0, "actor"])
    if late_people:
        label = dict(zip(persons["actor"], persons["name"], strict=True))
        late_n = dict(zip(persons["actor"], persons["late"], strict=True))
        drill_labels = {e: t("compliance.drill_option", name=label[e], n=fmt.number(late_n[e], lang))
                        for e in late_people}
        who = st.selectbox(t("compliance.drill"), late_people, key="w_drill_person",
                           format_func=drill_labels.__getitem__)
        late = dash.late_of(rep, items, who)
        st.dataframe(pd.DataFrame({  # the long title last: what a narrow screen must show comes first
            t("col.item"): [f"item?id={i}" for i in late["item_id"]],
            t("compliance.over_by"): [fmt.duration(m, lang) for m in late["over_minutes"]],
            t("compliance.took"): [fmt.duration(m, lang) for m in late["minutes"]],
            t("att.step"): [step_labels[int(s)] for s in late["step"]],
            t("att.started_at"): times(late[["started_at"]], "started_at")["started_at"],
            t("col.title"): late["title"]}),
            hide_index=True, width="stretch", key="w_drill_table",
            column_config={t("col.item"): st.column_config.LinkColumn(display_text=r"item\?id=(.*)",
                                                                      help=t("compliance.open_item"))})

# -- trend per step: small multiples -------------------------------------------------------------------------------
st.subheader(t("compliance.trend"))
freq_labels = {v: t(f"compliance.freq.{v}") for v in ("M", "W")}
freq = st.radio(t("compliance.trend_by"), list(freq_labels), horizontal=True, key="w_freq",
                format_func=freq_labels.__getitem__)
tr = dash.trend(base, freq, until=end, last=6 if freq == "M" else 8)
if tr.empty:
    st.info(t("compliance.nothing_closed"))
else:
    periods = sorted(set(tr["period"]))
    tick = {p: (fmt.month(dt.date.fromisoformat(p), lang, short=True) if freq == "M"
                else fmt.date(dt.date.fromisoformat(p), lang)) for p in periods}
    tr["when"] = tr["period"].map(tick)
    tr["rate_text"] = [fmt.percent(r, lang, 1) for r in tr["on_time_rate"]]
    tr["n_text"] = [fmt.number(n, lang) for n in tr["attempts"]]
    low = max(0.0, min(0.8, (int(float(tr["on_time_rate"].min()) * 10)) / 10))
    order = [tick[p] for p in periods]
    trend_steps = sorted(set(tr["step"]))
    # a row of three per line (on a phone each row stacks in step order: 1, 2, 3, then 4, 5, 6)
    cells = [c for n in range(0, len(trend_steps), 3) for c in st.columns(3)]
    for n, step in enumerate(trend_steps):
        one = tr[tr["step"] == step]
        chart = alt.Chart(one, title=alt.Title(step_title(int(step)), fontSize=13, anchor="start")).mark_line(
            point=True).encode(
            x=alt.X("when:O", title=None, sort=order, axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            y=alt.Y("on_time_rate:Q", title=None, scale=alt.Scale(domain=[low, 1]),
                    axis=alt.Axis(format=".0%", tickCount=4)),
            tooltip=[alt.Tooltip("when:N", title=t("compliance.when")),
                     alt.Tooltip("rate_text:N", title=t("kpi.on_time")),
                     alt.Tooltip("n_text:N", title=t("col.attempts"))]).properties(height=160)
        with cells[n]:
            st.altair_chart(chart, width="stretch")

# -- durations against the limit -------------------------------------------------------------------------------------
st.subheader(t("compliance.durations"))
step = st.selectbox(t("att.step"), list(step_labels), key="w_dist_step", format_func=step_labels.__getitem__)
bins, limit = dash.duration_bins(rep, step)
hist = alt.Chart(bins).mark_bar().encode(  # plain integers on the axes: vega's "1,000" reads wrong in id_ID
    x=alt.X("start:Q", bin="binned", title=t("att.minutes"), axis=alt.Axis(format="d")), x2="end:Q",
    y=alt.Y("count:Q", title=t("compliance.count"), axis=alt.Axis(format="d", tickMinStep=1)))
rule = alt.Chart(pd.DataFrame({"limit": [limit]})).mark_rule(color="red", strokeWidth=2).encode(x="limit:Q")
st.altair_chart(hist + rule, width="stretch")

# -- at risk now, problems -------------------------------------------------------------------------------------------
risk = dash.at_risk_only(base, items)
risk_tab, problems_tab = st.tabs([t("compliance.at_risk_n", n=fmt.number(len(risk), lang)),
                                  t("compliance.problems", n=len(rep.problems))])
with risk_tab:
    if risk.empty:
        st.success(t("compliance.none_at_risk"))
    else:
        st.dataframe(pd.DataFrame({
            t("col.item"): [f"item?id={i}" for i in risk["item_id"]],
            t("compliance.time"): [i18n.t("compliance.overdue_by", lang, span=fmt.duration(m, lang)) if s == "late"
                                   else i18n.t("compliance.left", lang, span=fmt.duration(m, lang))
                                   for s, m in zip(risk["state"], risk["remaining_minutes"], strict=True)],
            t("att.step"): [step_labels[int(s)] for s in risk["step"]],
            t("compliance.holder"): [people_names.get(h, h) or fmt.DASH for h in risk["holder"]],
            t("col.title"): risk["title"]}),
            hide_index=True, width="stretch", key="w_risk_table",
            column_config={t("col.item"): st.column_config.LinkColumn(display_text=r"item\?id=(.*)",
                                                                      help=t("compliance.open_item"))})
with problems_tab:
    st.dataframe(labelled(rep.problems), hide_index=True)

st.markdown(f"**{t('compliance.download')}**")
st.caption(t("compliance.about", as_of=session.local(rep.as_of), holidays=holidays_version(),
             revs=", ".join(str(r.rev) for r in rep.revisions_used()) or "—", fingerprint=rep.log_fingerprint,
             rows=fmt.number(rep.log_rows, lang)))
d1, d2 = st.columns(2)
if d1.button(t("compliance.prepare_xlsx"), key="w_prep_xlsx"):
    bar = st.progress(0.0, text=t("compliance.preparing"))

    def _progress(share: float) -> None:
        bar.progress(share, text=t("compliance.preparing"))

    st.session_state["_xlsx"] = xlsx_bytes(rep, progress=_progress)
    bar.empty()
if "_xlsx" in st.session_state:
    d1.download_button(t("compliance.xlsx"), st.session_state["_xlsx"], key="w_dl_xlsx",
                       file_name=f"kepatuhan-sop-{start}-{end}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
if d2.button(t("compliance.prepare_csv"), key="w_prep_csv"):
    with st.spinner(t("compliance.preparing")):
        st.session_state["_csv"] = csv_zip(rep)
if "_csv" in st.session_state:
    d2.download_button(t("compliance.csv"), st.session_state["_csv"], key="w_dl_csv",
                       file_name=f"kepatuhan-sop-{start}-{end}.zip", mime="application/zip")
