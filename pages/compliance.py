"""Kepatuhan: is the SOP kept? KPI tiles, on-time per step, trend, durations against the limit, people, at-risk
items; filters; the report as XLSX and CSV (the SOP's softcopy record)."""

import datetime as dt
import math

import altair as alt
import streamlit as st

from pages._ui import reports, session
from pages._ui.guard import guard
from pages._ui.session import t
from pages._ui.widgets import labelled, times
from sopkit import sop
from sopkit.channels.registry import names as channel_names
from sopkit.clock import holidays_version
from sopkit.dashboard import Filters, at_risk, duration_bins, filtered, kpis, trend
from sopkit.report_files import csv_zip, xlsx_bytes

ctx = guard("compliance")
st.title(t("page.compliance"))
with st.spinner(t("compliance.computing")):
    full, items = reports.report()

with st.sidebar:
    st.markdown(f"**{t('compliance.filters')}**")
    period = st.date_input(t("compliance.period"), value=[], key="w_period", format="DD-MM-YYYY")
    many = t("ui.choose_many")
    cats = st.multiselect(t("field.category"), sop.CATEGORIES, key="w_f_cat", placeholder=many)
    chans = st.multiselect(t("field.channels"), channel_names(), key="w_f_chan", placeholder=many)
    people = st.multiselect(t("compliance.person"), sorted(u.email for u in ctx.snap.users), key="w_f_person",
                            placeholder=many)
start = period[0] if len(period) >= 1 else None
end = period[1] if len(period) == 2 else None
rep = filtered(full, items, Filters(start, end, tuple(cats), tuple(chans), tuple(people)))


def pct(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.0%}"


k = kpis(rep, full.as_of)
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("kpi.published"), f"{k['published_this_month']:.0f}")
c2.metric(t("kpi.on_time"), pct(k["on_time_rate"]))
c3.metric(t("kpi.lead_time"), "—" if math.isnan(k["median_lead_time_hours"]) else
          t("kpi.hours", h=f"{k['median_lead_time_hours']:.1f}"))
c4.metric(t("kpi.rework"), pct(k["rework_rate"]))

per_step = rep.per_step()
per_step["label"] = [f"{s}. " + (sop.STEPS[s].title_id if ctx.lang == "id" else sop.STEPS[s].title_en)
                     for s in per_step["step"]]
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('compliance.per_step')}**")
    bars = alt.Chart(per_step).mark_bar().encode(
        x=alt.X("on_time_rate:Q", title=t("kpi.on_time"), scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
        tooltip=["label", "attempts", alt.Tooltip("on_time_rate:Q", format=".0%"), "limit_minutes", "open_overdue"])
    st.altair_chart(bars)
with right:
    freq = st.radio(t("compliance.trend"), ["M", "W"], horizontal=True, key="w_freq",
                    format_func=lambda v: t(f"compliance.freq.{v}"))
    tr = trend(rep, freq)
    line = alt.Chart(tr).mark_line(point=True).encode(
        x=alt.X("period:O", title=None), y=alt.Y("on_time_rate:Q", title=t("kpi.on_time"), axis=alt.Axis(format="%")),
        color=alt.Color("step:N", title=t("att.step")), tooltip=["period", "step", "attempts"])
    st.altair_chart(line)

st.markdown(f"**{t('compliance.durations')}**")
step = st.selectbox(t("att.step"), list(sop.STEPS), key="w_dist_step", format_func=lambda s: per_step["label"][s - 1])
bins, limit = duration_bins(rep, step)
hist = alt.Chart(bins).mark_bar().encode(x=alt.X("start:Q", bin="binned", title=t("att.minutes")), x2="end:Q",
                                         y=alt.Y("count:Q", title=t("compliance.count")))
rule = alt.Chart({"values": [{"limit": limit}]}).mark_rule(color="red", strokeWidth=2).encode(x="limit:Q")
st.altair_chart(hist + rule)

people_tab, risk_tab, problems_tab = st.tabs([t("compliance.people"), t("compliance.at_risk"),
                                              t("compliance.problems", n=len(rep.problems))])


with people_tab:
    st.dataframe(labelled(rep.per_person()), hide_index=True,
                 column_config={t("col.on_time_rate"): st.column_config.NumberColumn(format="percent")})
with risk_tab:
    st.dataframe(labelled(times(at_risk(rep, items), "started_at")), hide_index=True)
with problems_tab:
    st.dataframe(labelled(rep.problems), hide_index=True)

st.markdown(f"**{t('compliance.download')}**")
st.caption(t("compliance.about", as_of=session.local(rep.as_of), holidays=holidays_version(),
             revs=", ".join(str(r.rev) for r in rep.revisions_used()) or "—", fingerprint=rep.log_fingerprint,
             rows=f"{rep.log_rows:,}".replace(",", ".")))
d1, d2 = st.columns(2)
if d1.button(t("compliance.prepare_xlsx"), key="w_prep_xlsx"):
    bar = st.progress(0.0, text=t("compliance.preparing"))

    def _progress(share: float) -> None:
        bar.progress(share, text=t("compliance.preparing"))

    st.session_state["_xlsx"] = xlsx_bytes(rep, progress=_progress)
    bar.empty()
if "_xlsx" in st.session_state:
    d1.download_button(t("compliance.xlsx"), st.session_state["_xlsx"], key="w_dl_xlsx",
                       file_name=f"kepatuhan-sop-{dt.date.today()}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
if d2.button(t("compliance.prepare_csv"), key="w_prep_csv"):
    with st.spinner(t("compliance.preparing")):
        st.session_state["_csv"] = csv_zip(rep)
if "_csv" in st.session_state:
    d2.download_button(t("compliance.csv"), st.session_state["_csv"], key="w_dl_csv",
                       file_name=f"kepatuhan-sop-{dt.date.today()}.zip", mime="application/zip")
