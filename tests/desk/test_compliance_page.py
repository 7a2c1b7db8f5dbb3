"""The compliance page answers "which steps are late, by whom, this month" (issue 13 item 2): this month by
default, steps and people worst first, people by name, only items at risk, numbers as id_ID writes them.

The data is walked through the real workflow at chosen instants of LAST month (always a whole month in the past,
whatever day the suite runs), so the figures are known by hand: see ``sopkit``'s table tests for the arithmetic
(tests/test_dashboard.py, the same shape of Log)."""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pytest
from desk_helpers import email_for, open_page, session_now

from sopkit import sop
from sopkit.clock import holiday_names
from sopkit.i18n import formats, t
from sopkit.timeutil import AGENCY_TZ


def two_working_days_last_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """A Monday-Thursday of last month and the day after it, neither a holiday nor cuti bersama."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    off = set(holiday_names(last.year))
    for day in range(1, last.day):
        d1 = last.replace(day=day)
        d2 = d1 + dt.timedelta(days=1)
        if d1.weekday() < 4 and d1 not in off and d2 not in off:
            return d1, d2
    raise AssertionError("no two working days last month")


def at(day: dt.date, hh: int, mm: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=AGENCY_TZ)


@pytest.fixture
def late_last_month(env):  # type: ignore[no-untyped-def]
    """p: the creator's design late (D1 09:00 → D2 10:00: 510 working minutes > 360), sent back once at step 3,
    the supervisor's approval late (11:00 → 14:30 over lunch: 150 > 60), open at step 4 since (overdue now).
    q: sent back twice at step 3, open at step 2 since D1 09:30 (overdue now). Officer, Creator, Supervisor by
    name (the fixture names each demo account after its address)."""
    d1, d2 = two_working_days_last_month(session_now().date())
    u = env.user
    officer, creator, supervisor = u(email_for("officer")), u(email_for("creator")), u(email_for("supervisor"))

    def walk(title: str, steps: list[tuple[dt.datetime, str, object]]):  # type: ignore[no-untyped-def]
        item = None
        for when, action, who in steps:
            d = env.desk(when)
            if action == "start":
                item = d.start(who, title=title, summary="Ringkasan", category="Berita", channels=("site",),
                               sources="https://dishub.kalbarprov.go.id")
            elif action == "design":
                item = d.take(who, item) if item.holder(item.step) != who.email else item
                item = d.edit(who, item, body="Isi artikel.", captions={"site": "Keterangan"})
                item = d.submit(who, item)
            elif action == "submit":
                item = d.submit(who, item)
            else:
                item = d.take(who, item) if item.holder(item.step) != who.email else item
                item = d.approve(who, item) if action == "approve" else d.reject(who, item, "Perbaiki judul.")
        return item

    p = walk("Pelabuhan Dwikora dibuka", [
        (at(d1, 8, 0), "start", officer), (at(d1, 9, 0), "submit", officer), (at(d2, 10, 0), "design", creator),
        (at(d2, 10, 20), "reject", supervisor), (at(d2, 11, 0), "design", creator),
        (at(d2, 14, 30), "approve", supervisor)])
    q = walk("Terminal Batu Layang", [
        (at(d1, 8, 0), "start", officer), (at(d1, 8, 30), "submit", officer), (at(d1, 9, 0), "design", creator),
        (at(d1, 9, 10), "reject", supervisor), (at(d1, 9, 20), "design", creator),
        (at(d1, 9, 30), "reject", supervisor)])
    assert (p.step, q.step) == (4, 2)
    return p, q


#: A column only each table of the page has (AppTest keeps no key for a read-only dataframe).
MARKS = {"w_steps_table": "compliance.median", "w_people_table": "compliance.rework_received",
         "w_drill_table": "compliance.over_by", "w_risk_table": "compliance.holder"}


def frame(at, key, lang="id"):  # type: ignore[no-untyped-def]
    """The table the page draws as ``key``."""
    found = [d.value for d in at.dataframe if t(MARKS[key], lang) in d.value.columns]
    assert len(found) == 1, (key, [list(d.value.columns) for d in at.dataframe])
    return found[0]


def choose_period(at, choice: str):  # type: ignore[no-untyped-def]
    at.selectbox(key="w_period_choice").select(choice).run()
    assert not at.exception, at.exception
    return at


def test_the_page_opens_on_this_month_in_the_agency_zone(app, env, late_last_month) -> None:
    at = open_page(app(email_for("manager")), "compliance")
    assert at.selectbox(key="w_period_choice").value == "this_month"
    today = session_now().date()
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    assert t("compliance.period_shown", period=formats.date_range(first, last)) in [c.value for c in at.caption]
    # nothing of last month's counts in this month's tiles and steps
    assert [m.value for m in at.metric] == ["0", "—", "—", "—"]
    assert t("compliance.nothing_closed") in [i.value for i in at.info]
    # ... but the overdue open items are at risk NOW, whatever the period
    assert at.tabs[0].label == t("compliance.at_risk_n", n="2")


def test_last_month_steps_and_people_worst_first_by_name(app, env, late_last_month) -> None:
    at = choose_period(open_page(app(email_for("manager")), "compliance"), "last_month")
    steps = frame(at, "w_steps_table")
    step = t("att.step")
    assert [int(s.split(".")[0]) for s in steps[step]] == [2, 3, 1, 4, 5, 6]  # worst first
    row = steps.iloc[0]
    assert (row[t("kpi.on_time")], row[t("compliance.late")], row[t("compliance.open_overdue")]) == ("75,0%", "1", "1")
    assert row[t("compliance.median")] == "35 menit" and row[t("compliance.limit")] == t("compliance.working",
                                                                                       span="6 jam")
    people = frame(at, "w_people_table")
    assert list(people[t("col.name")]) == ["Creator", "Supervisor", "Officer"]  # most late, then most rework
    assert list(people[t("compliance.late")]) == ["1", "1", "0"]
    assert list(people[t("compliance.rework_received")]) == ["3", "0", "0"]
    # the chart's bars carry their value as text (85 vs 90 % readable), in id_ID, worst on top
    chart = at.get("vega_lite_chart")[0].proto
    assert '"text": {"field": "rate_text"' in chart.spec
    drawn = pa.ipc.open_stream(chart.datasets[0].data.data).read_all().to_pandas()
    assert list(drawn["rate_text"]) == ["75,0%", "75,0%", "100,0%"]
    assert list(drawn["late_text"]) == ["1", "1", "0"]  # in the tooltip


def test_a_persons_late_items_link_to_the_item_page(app, env, late_last_month) -> None:
    p, _ = late_last_month
    at = choose_period(open_page(app(email_for("manager")), "compliance"), "last_month")
    drill = at.selectbox(key="w_drill_person")
    assert drill.value == email_for("creator")
    assert drill.options == [t("compliance.drill_option", name="Creator", n="1"),
                             t("compliance.drill_option", name="Supervisor", n="1")]
    late = frame(at, "w_drill_table")
    assert list(late[t("col.item")]) == [f"item?id={p.id}"] and list(late[t("col.title")]) == [p.title]
    assert late[t("compliance.over_by")][0] == "2 jam 30 menit"  # 510 working minutes against 360
    drill.select(email_for("supervisor")).run()
    late = frame(at, "w_drill_table")
    assert late[t("compliance.took")][0] == "2 jam 30 menit" and late[t("compliance.over_by")][0] == "1 jam 30 menit"


def test_the_at_risk_list_holds_only_overdue_or_near_items_as_time_left(app, env, late_last_month) -> None:
    p, q = late_last_month
    fresh = env.advance(2, title="Baru saja masuk")  # just sent to the creator: far from its limit
    at = open_page(app(email_for("manager")), "compliance")
    risk = frame(at, "w_risk_table")
    ids = [v.split("=", 1)[1] for v in risk[t("col.item")]]
    assert set(ids) == {p.id, q.id} and fresh.id not in ids
    for text in risk[t("compliance.time")]:
        assert re.fullmatch(r"lewat (\d+ hari )?(\d+ jam ?)?(\d+ menit)?", text.strip()), text
    # q is the creator's again (a name, not an address); nobody has taken p at step 4 yet
    assert dict(zip(ids, risk[t("compliance.holder")], strict=True)) == {q.id: "Creator", p.id: "—"}
    assert not any("@" in str(v) for col in risk for v in risk[col])


def test_the_tiles_follow_the_period(app, env, late_last_month) -> None:
    at = choose_period(open_page(app(email_for("manager")), "compliance"), "last_month")
    published, on_time, lead, rework = (m.value for m in at.metric)
    assert published == "0"  # nothing was published last month
    assert on_time == "80,0%"  # 8 of 10 closed attempts on time (p's design and approval late)
    assert lead == "—" and rework == "100,0%"  # both items were sent back at least once
    choose_period(at, "this_year")
    if session_now().month > 1:  # last month is in this year too
        assert at.metric[1].value == "80,0%"


def test_a_custom_range_and_the_person_filter(app, env, late_last_month) -> None:
    d1, d2 = two_working_days_last_month(session_now().date())
    at = choose_period(open_page(app(email_for("manager")), "compliance"), "custom")
    at.date_input(key="w_period").set_value((d2, d2)).run()
    assert t("compliance.period_shown", period=formats.date_range(d2, d2)) in [c.value for c in at.caption]
    people = frame(at, "w_people_table")  # D2: only p's second day (its design, rejection, redesign, approval)
    assert list(people[t("col.name")]) == ["Supervisor", "Creator"]
    assert list(people[t("compliance.rework_received")]) == ["0", "1"]
    persons = at.multiselect(key="w_f_person")
    assert persons.format_func(email_for("creator")) == "Creator"  # the filter offers names
    persons.select(email_for("creator")).run()
    assert list(frame(at, "w_people_table")[t("col.name")]) == ["Creator"]
    assert list(frame(at, "w_people_table")[t("compliance.rework_received")]) == ["1"]  # kept by the filter


def test_english_formats_when_the_language_is_en(app, env, late_last_month) -> None:
    from pages._ui import session

    at = app(email_for("manager"))
    at.session_state[session.LANG_KEY] = "en"
    at = choose_period(open_page(at, "compliance"), "last_month")
    assert at.metric[1].value == "80.0%"
    steps = frame(at, "w_steps_table", "en")
    assert steps.iloc[0][t("compliance.median", "en")] == "35 min"
    assert sop.STEPS[2] and steps.iloc[0][t("kpi.on_time", "en")] == "75.0%"
