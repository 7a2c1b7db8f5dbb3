"""The compliance page's numbers from a small, hand-checkable Log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sopkit import dashboard
from sopkit.compliance import compute
from sopkit.schema import Item

T = "2026-11-{d:02d}T{h:02d}:{m:02d}:00+07:00"


def row(d, h, m, item, step, action, actor="x@d.test", publish_at=""):  # type: ignore[no-untyped-def]
    return {"at": T.format(d=d, h=h, m=m), "item_id": item, "step": str(step), "action": action, "actor": actor,
            "role": "", "note": "", "publish_at": publish_at}


LOG = pd.DataFrame([
    row(23, 8, 0, "a", 1, "start"), row(23, 9, 0, "a", 1, "submit"), row(23, 10, 0, "a", 2, "submit", "c@d.test"),
    row(23, 10, 30, "a", 3, "reject"), row(23, 11, 0, "a", 2, "submit", "c@d.test"), row(23, 13, 30, "a", 3, "approve"),
    row(23, 13, 40, "a", 4, "approve"), row(23, 13, 50, "a", 5, "schedule", publish_at=T.format(d=24, h=9, m=0)),
    row(24, 9, 10, "a", 6, "publish"),
    row(24, 8, 0, "b", 1, "start"),
])
ITEMS = dashboard.items_frame([Item(id="a", category="Berita", channels=("site", "x")),
                               Item(id="b", category="Layanan", channels=("instagram",))])
AS_OF = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def report():  # type: ignore[no-untyped-def]
    return compute(LOG, as_of=AS_OF)


@pytest.mark.parametrize("filters,items", [
    (dashboard.Filters(), {"a", "b"}),
    (dashboard.Filters(categories=("Layanan",)), {"b"}),
    (dashboard.Filters(channels=("x",)), {"a"}),
    (dashboard.Filters(channels=("site",), categories=("Layanan",)), set()),
    (dashboard.Filters(start=dt.date(2026, 11, 24)), {"a", "b"}),  # a's step 6 started on the 24th
    (dashboard.Filters(end=dt.date(2026, 11, 23)), {"a"}),
    (dashboard.Filters(people=("c@d.test",)), {"a"}),
])
def test_filters(report, filters, items) -> None:
    assert set(dashboard.filtered(report, ITEMS, filters).attempts["item_id"]) == items


def test_kpis(report) -> None:
    k = dashboard.kpis(report, AS_OF)
    assert k["published_this_month"] == 1
    assert k["rework_rate"] == 0.5  # a was rejected once, b never


def test_duration_bins_count_every_closed_attempt_and_carry_the_limit(report) -> None:
    bins, limit = dashboard.duration_bins(report, 2)
    assert limit == 360 and bins["count"].sum() == 2 and bins["end"].max() >= 720


def test_at_risk_lists_open_attempts_least_time_first(report) -> None:
    risk = dashboard.at_risk(report, ITEMS)
    assert list(risk["item_id"]) == ["b"] and risk["category"][0] == "Layanan"


@pytest.mark.parametrize("freq", ["M", "W"])
def test_trend(report, freq) -> None:
    tr = dashboard.trend(report, freq)
    assert tr["attempts"].sum() == len(report.closed())


def test_exports(report) -> None:
    import io
    import zipfile

    from sopkit import report_files

    assert report_files.xlsx_bytes(report)[:2] == b"PK"
    with zipfile.ZipFile(io.BytesIO(report_files.csv_zip(report))) as z:
        assert z.read("kepatuhan-sop.csv").decode().count("\n") == len(report.attempts) + 1
        assert {"kepatuhan-sop.problems.csv", "kepatuhan-sop.about.csv"} <= set(z.namelist())


# -- the manager's questions: which steps are late, by whom, this month --------------------------------------------
def nov(d, h, m, item, step, action, actor):  # type: ignore[no-untyped-def]
    return row(d, h, m, item, step, action, actor)


# p: the creator's first design late (Mon 9:00 → Tue 10:00 = 510 working min > 360), rejected once at step 3,
# then the supervisor's approval late (11:00 → 14:30 = 150 min over the lunch hour > 60); open at step 4.
# q: rejected twice at step 3 (each back to the creator), open at step 2 since Wed 9:30.
PEOPLE_LOG = pd.DataFrame([
    nov(2, 8, 0, "p", 1, "start", "o@d.test"), nov(2, 9, 0, "p", 1, "submit", "o@d.test"),
    nov(3, 10, 0, "p", 2, "submit", "c@d.test"), nov(3, 10, 20, "p", 3, "reject", "s@d.test"),
    nov(3, 11, 0, "p", 2, "submit", "c@d.test"), nov(3, 14, 30, "p", 3, "approve", "s@d.test"),
    nov(4, 8, 0, "q", 1, "start", "o@d.test"), nov(4, 8, 30, "q", 1, "submit", "o@d.test"),
    nov(4, 9, 0, "q", 2, "submit", "c@d.test"), nov(4, 9, 10, "q", 3, "reject", "s@d.test"),
    nov(4, 9, 20, "q", 2, "submit", "c@d.test"), nov(4, 9, 30, "q", 3, "reject", "s@d.test"),
])
PEOPLE_ITEMS = dashboard.items_frame([Item(id="p", title="Pelabuhan", step=4, status="approval"),
                                      Item(id="q", title="Terminal", step=2, status="design")])
NAMES = {"o@d.test": "Oki", "c@d.test": "Citra", "s@d.test": "Sari"}


@pytest.fixture
def people_report():  # type: ignore[no-untyped-def]
    return compute(PEOPLE_LOG, as_of=dt.datetime(2026, 11, 10, 3, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize("choice,today,custom,bounds", [
    ("this_month", dt.date(2026, 12, 2), (), (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
    ("this_month", dt.date(2026, 2, 14), (), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ("this_month", dt.date(2028, 2, 29), (), (dt.date(2028, 2, 1), dt.date(2028, 2, 29))),
    ("last_month", dt.date(2026, 12, 2), (), (dt.date(2026, 11, 1), dt.date(2026, 11, 30))),
    ("last_month", dt.date(2026, 1, 31), (), (dt.date(2025, 12, 1), dt.date(2025, 12, 31))),
    ("this_year", dt.date(2026, 12, 2), (), (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
    ("custom", dt.date(2026, 12, 2), (dt.date(2026, 11, 5), dt.date(2026, 11, 20)),
     (dt.date(2026, 11, 5), dt.date(2026, 11, 20))),
    ("custom", dt.date(2026, 12, 2), (dt.date(2026, 11, 20), dt.date(2026, 11, 5)),
     (dt.date(2026, 11, 5), dt.date(2026, 11, 20))),
    ("custom", dt.date(2026, 12, 2), (dt.date(2026, 11, 5),), (dt.date(2026, 11, 5), dt.date(2026, 11, 5))),
    ("custom", dt.date(2026, 12, 2), (), (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),  # not picked yet
])
def test_period_bounds(choice, today, custom, bounds) -> None:
    assert dashboard.period_bounds(choice, today, custom) == bounds


def test_an_unknown_period_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown period 'forever'"):
        dashboard.period_bounds("forever", dt.date(2026, 12, 2))


@pytest.mark.parametrize("as_of,tz,today", [
    (dt.datetime(2026, 11, 30, 16, 59, tzinfo=dt.UTC), "Asia/Pontianak", dt.date(2026, 11, 30)),
    (dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.UTC), "Asia/Pontianak", dt.date(2026, 12, 1)),  # 00:00 WIB
    (dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC), "Asia/Makassar", dt.date(2026, 12, 1)),  # 00:00 WITA
])
def test_today_is_the_agency_zones_date(as_of, tz, today) -> None:
    assert dashboard.local_today(as_of, tz) == today


def test_steps_worst_first_with_late_counts_and_median_against_the_limit(people_report) -> None:
    s = dashboard.step_summary(people_report)
    assert list(s.columns) == list(dashboard.STEP_SUMMARY_COLUMNS)
    # steps 2 and 3 both 3 of 4 on time with 1 late: step 2 also has q's open attempt overdue, so it is worse;
    # steps 4-6 have nothing closed: last, the one with an overdue open attempt (p at step 4) first
    assert list(s["step"]) == [2, 3, 1, 4, 5, 6]
    by = s.set_index("step")
    expected = {  # step: (attempts, on-time, late, open overdue, median minutes, limit)
        2: (4, 0.75, 1, 1, 35.0, 360), 3: (4, 0.75, 1, 0, 15.0, 60), 1: (2, 1.0, 0, 0, 45.0, 450)}
    for step, (n, rate, late, overdue, median, limit) in expected.items():
        assert (by.at[step, "attempts"], by.at[step, "on_time_rate"], by.at[step, "late"],
                by.at[step, "open_overdue"], by.at[step, "median_minutes"], by.at[step, "limit_minutes"]) == (
            n, rate, late, overdue, median, limit), step
    assert by.at[3, "median_share"] == pytest.approx(15 / 60)
    assert by.at[4, "open_overdue"] == 1 and pd.isna(by.at[4, "on_time_rate"]) and pd.isna(by.at[4, "median_minutes"])


def test_rejections_name_who_made_and_who_received_them(people_report) -> None:
    r = dashboard.rejections(people_report)
    assert list(r.columns) == list(dashboard.REJECTION_COLUMNS)
    assert list(zip(r["item_id"], r["step"], r["by"], r["to"], strict=True)) == [
        ("p", 3, "s@d.test", "c@d.test"), ("q", 3, "s@d.test", "c@d.test"), ("q", 3, "s@d.test", "c@d.test")]


def test_rejections_follow_the_revision_in_force_for_where_work_returns() -> None:
    from sopkit.settings import Settings

    settings = Settings()
    settings.reject_to[3] = 1  # a step-3 rejection returns to the officer
    r = dashboard.rejections(compute(PEOPLE_LOG, settings=settings, as_of=dt.datetime(2026, 11, 10, tzinfo=dt.UTC)))
    assert list(r["to"]) == ["o@d.test"] * len(r)


def test_an_empty_report_has_no_rejections_and_no_people() -> None:
    empty = compute(PEOPLE_LOG.iloc[:0], as_of=AS_OF)
    r = dashboard.rejections(empty)
    assert r.empty and list(r.columns) == list(dashboard.REJECTION_COLUMNS)
    assert dashboard.person_summary(empty, r, NAMES).empty
    assert dashboard.step_summary(empty)["attempts"].sum() == 0


def test_people_by_name_worst_first_with_rework_received(people_report) -> None:
    p = dashboard.person_summary(people_report, dashboard.rejections(people_report), NAMES)
    assert list(p.columns) == list(dashboard.PERSON_COLUMNS)
    # Citra and Sari each have one late attempt; Citra received 3 rejections, so she comes first
    assert [tuple(r) for r in p[["name", "attempts", "late", "rework"]].itertuples(index=False)] == [
        ("Citra", 4, 1, 3), ("Sari", 4, 1, 0), ("Oki", 2, 0, 0)]
    assert list(p["on_time_rate"]) == [0.75, 0.75, 1.0]


def test_someone_the_desk_does_not_know_keeps_the_address(people_report) -> None:
    p = dashboard.person_summary(people_report, dashboard.rejections(people_report), {"c@d.test": "Citra"})
    assert set(p["name"]) == {"Citra", "s@d.test", "o@d.test"}


@pytest.mark.parametrize("filters,rework", [
    (dashboard.Filters(), {"c@d.test": 3}),
    (dashboard.Filters(start=dt.date(2026, 11, 4)), {"c@d.test": 2}),  # only q's rejections (Wed 4th)
    (dashboard.Filters(end=dt.date(2026, 11, 3)), {"c@d.test": 1}),
    (dashboard.Filters(people=("c@d.test",)), {"c@d.test": 3}),  # the person filter keeps what she received
    (dashboard.Filters(people=("s@d.test",)), {}),
])
def test_rejections_filtered_as_the_attempts_are(people_report, filters, rework) -> None:
    r = dashboard.filter_rejections(dashboard.rejections(people_report), PEOPLE_ITEMS, filters, "Asia/Pontianak")
    assert r.groupby("to").size().to_dict() == rework


def test_a_persons_late_items_most_over_first(people_report) -> None:
    late = dashboard.late_of(people_report, PEOPLE_ITEMS, "c@d.test")
    assert list(late["item_id"]) == ["p"] and late["title"][0] == "Pelabuhan"
    assert late["over_minutes"][0] == pytest.approx(510 - 360) and late["step"][0] == 2
    assert dashboard.late_of(people_report, PEOPLE_ITEMS, "o@d.test").empty


def test_at_risk_only_lists_overdue_and_near_open_items(people_report) -> None:
    r = dashboard.at_risk_only(people_report, PEOPLE_ITEMS)
    assert list(r.columns) == list(dashboard.AT_RISK_COLUMNS)
    assert set(r["item_id"]) == {"p", "q"} and set(r["state"]) == {"late"}
    assert (r["remaining_minutes"] < 0).all() and r["remaining_minutes"].is_monotonic_increasing


@pytest.mark.parametrize("as_of,expected", [
    # b (step 1, limit 450 working min) started Tue 24th 08:00 WIB
    (dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC), {}),  # 09:00: 1 h used, far from the limit
    (dt.datetime(2026, 11, 24, 7, 0, tzinfo=dt.UTC), {}),  # 14:00: 300 used, 150 left: more than a quarter
    (dt.datetime(2026, 11, 24, 8, 30, tzinfo=dt.UTC), {"b": "near"}),  # 15:30: 390 used, 60 left
    (dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC), {"b": "late"}),  # next day 09:00: over
])
def test_at_risk_only_follows_the_clock(as_of, expected) -> None:
    r = dashboard.at_risk_only(compute(LOG, as_of=as_of), ITEMS)
    assert dict(zip(r["item_id"], r["state"], strict=True)) == expected


def test_a_step_waiting_for_its_publication_time_is_not_at_risk() -> None:
    log = LOG[LOG["action"] != "publish"]  # a scheduled for the 24th 09:00, not published
    r = dashboard.at_risk_only(compute(log, as_of=dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)), ITEMS)
    assert "a" not in set(r["item_id"])


@pytest.mark.parametrize("start,end,published,rate", [
    (dt.date(2026, 11, 1), dt.date(2026, 11, 30), 1, 7 / 8),  # a's step 3 approval: 90 working min > 60
    (dt.date(2026, 11, 24), dt.date(2026, 11, 24), 1, 1.0),  # published on the 24th, though begun the 23rd
    (dt.date(2026, 11, 23), dt.date(2026, 11, 23), 0, 6 / 7),
    (dt.date(2026, 10, 1), dt.date(2026, 10, 31), 0, float("nan")),
])
def test_tiles_follow_the_period(report, start, end, published, rate) -> None:
    k = dashboard.tiles(report, start, end)
    assert k["published"] == published
    assert (pd.isna(k["on_time_rate"]) and pd.isna(rate)) or k["on_time_rate"] == rate
    if published:
        assert k["median_lead_time_hours"] == pytest.approx(25 + 10 / 60)  # 23rd 08:00 → 24th 09:10


def test_tiles_rework_is_the_share_of_the_periods_items_sent_back(report) -> None:
    assert dashboard.tiles(report, dt.date(2026, 11, 1), dt.date(2026, 11, 30))["rework_rate"] == 0.5
    assert dashboard.tiles(report, dt.date(2026, 11, 24), dt.date(2026, 11, 24))["rework_rate"] == 0.0


def test_trend_reaches_back_a_number_of_months_up_to_the_period() -> None:
    rep = compute(pd.concat([PEOPLE_LOG, LOG]), as_of=AS_OF)
    assert set(dashboard.trend(rep, "M", until=dt.date(2026, 11, 30), last=6)["period"]) == {"2026-11-01"}
    assert dashboard.trend(rep, "M", until=dt.date(2026, 10, 31), last=6).empty
    weeks = dashboard.trend(rep, "W", until=dt.date(2026, 11, 8), last=2)  # weeks of Oct 26 and Nov 2
    assert set(weeks["period"]) == {"2026-11-02"} and weeks["attempts"].sum() == 12 - 2  # two still open


@pytest.mark.parametrize("filters", [dashboard.Filters(), dashboard.Filters(categories=("Berita",)),
                                     dashboard.Filters(people=("c@d.test",)), dashboard.Filters(channels=("x",))])
def test_a_view_is_the_summaries_computed_directly_once_per_version_period_and_filters(report, filters) -> None:
    """The page's view of a period and filters equals each summary computed on its own, and is computed once per
    (version, period, filters): a rerun with the same choices reuses it, another filter or version does not."""
    start, end = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    received = dashboard.rejections(report)
    before = dashboard._VIEWS.computed
    view = dashboard.view_of(("test-view", id(report)), report, ITEMS, received, {}, start, end, filters)
    again = dashboard.view_of(("test-view", id(report)), report, ITEMS, received, {}, start, end, filters)
    assert again is view and dashboard._VIEWS.computed == before + 1
    base = dashboard.filtered(report, ITEMS, filters)
    period = dashboard.in_period(base, start, end)
    rejected = dashboard.filter_rejections(received, ITEMS, dashboard.Filters(
        start, end, filters.categories, filters.channels, filters.people), report.settings.timezone)
    pd.testing.assert_frame_equal(view.base.attempts, base.attempts)
    pd.testing.assert_frame_equal(view.period.attempts, period.attempts)
    pd.testing.assert_frame_equal(view.rejected, rejected)
    assert view.tiles == pytest.approx(dashboard.tiles(base, start, end), nan_ok=True)
    pd.testing.assert_frame_equal(view.steps, dashboard.step_summary(period))
    pd.testing.assert_frame_equal(view.persons, dashboard.person_summary(period, rejected, {}))
    other = dashboard.view_of(("test-view", id(report)), report, ITEMS, received, {}, start, dt.date(2026, 11, 23),
                              filters)
    assert other is not view and dashboard._VIEWS.computed == before + 2
