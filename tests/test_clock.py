"""The working-time clock against hand-computed cases from the SOP's default calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sopkit.clock import WorkCalendar
from sopkit.settings import Settings
from sopkit.timeutil import AGENCY_TZ

UTC = dt.UTC


def wib(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AGENCY_TZ)


CAL = WorkCalendar()

# (start, end, working minutes) — 2026-11-23 is a Monday, 2026-11-27 a Friday.
CASES = [
    ("inside one window", wib(2026, 11, 23, 8, 0), wib(2026, 11, 23, 9, 15), 75),
    ("across lunch", wib(2026, 11, 23, 11, 30), wib(2026, 11, 23, 13, 30), 60),
    ("entirely in lunch", wib(2026, 11, 23, 12, 10), wib(2026, 11, 23, 12, 50), 0),
    ("before opening", wib(2026, 11, 23, 6, 0), wib(2026, 11, 23, 7, 45), 15),
    ("after closing to next morning", wib(2026, 11, 23, 16, 30), wib(2026, 11, 24, 8, 0), 30),
    ("a whole Mon-Thu day", wib(2026, 11, 23, 0, 0), wib(2026, 11, 24, 0, 0), 450),
    ("a whole Friday", wib(2026, 11, 27, 0, 0), wib(2026, 11, 28, 0, 0), 450),
    ("Friday lunch is 90 minutes", wib(2026, 11, 27, 11, 0), wib(2026, 11, 27, 13, 30), 60),
    ("Friday closes 16:30", wib(2026, 11, 27, 16, 0), wib(2026, 11, 27, 18, 0), 30),
    ("weekend counts nothing", wib(2026, 11, 28, 8, 0), wib(2026, 11, 29, 15, 0), 0),
    ("Friday afternoon to Monday morning", wib(2026, 11, 27, 16, 0), wib(2026, 11, 30, 8, 0), 60),
    ("Christmas Day (public holiday)", wib(2026, 12, 25, 7, 0), wib(2026, 12, 25, 17, 0), 0),
    ("24 Dec 2026 is cuti bersama", wib(2026, 12, 24, 7, 0), wib(2026, 12, 24, 17, 0), 0),
    ("Independence Day 17 Aug 2026 (Monday)", wib(2026, 8, 17, 7, 0), wib(2026, 8, 17, 17, 0), 0),
    ("Idul Fitri joint leave 2026-03-20 (Friday)", wib(2026, 3, 20, 7, 0), wib(2026, 3, 20, 17, 0), 0),
    ("a full working week", wib(2026, 11, 23, 0, 0), wib(2026, 11, 30, 0, 0), 5 * 450),
    ("timestamps in UTC", dt.datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
     dt.datetime(2026, 11, 23, 6, 30, tzinfo=UTC), 270),
    ("exactly one step-3 limit", wib(2026, 11, 23, 11, 30), wib(2026, 11, 23, 13, 30), 60),
    ("zero length", wib(2026, 11, 23, 9, 0), wib(2026, 11, 23, 9, 0), 0),
]


@pytest.mark.parametrize("name,start,end,expected", CASES, ids=[c[0] for c in CASES])
def test_working_minutes(name: str, start: dt.datetime, end: dt.datetime, expected: float) -> None:
    assert CAL.working_between(start, end) == pytest.approx(expected)


def test_vectorised_equals_scalar() -> None:
    starts = [c[1] for c in CASES]
    ends = [c[2] for c in CASES]
    np.testing.assert_allclose(CAL.working_minutes(starts, ends), [c[3] for c in CASES])


def test_missing_values_are_nan() -> None:
    out = CAL.working_minutes([wib(2026, 11, 23, 8, 0), None], [wib(2026, 11, 23, 9, 0), wib(2026, 11, 23, 9, 0)])
    assert out[0] == 60 and np.isnan(out[1])


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.working_minutes([dt.datetime(2026, 11, 23, 8)], [dt.datetime(2026, 11, 23, 9)])


DEADLINES = [
    ("same window", wib(2026, 11, 23, 8, 0), 60, wib(2026, 11, 23, 9, 0)),
    ("jumps lunch", wib(2026, 11, 23, 11, 30), 60, wib(2026, 11, 23, 13, 30)),
    ("ends exactly at closing", wib(2026, 11, 23, 15, 0), 60, wib(2026, 11, 23, 16, 0)),
    ("one minute past closing → next morning", wib(2026, 11, 23, 15, 0), 61, wib(2026, 11, 24, 7, 31)),
    ("Friday to Monday", wib(2026, 11, 27, 16, 0), 60, wib(2026, 11, 30, 8, 0)),
    ("one working day from Friday 15:00", wib(2026, 11, 27, 15, 0), 450, wib(2026, 11, 30, 14, 30)),
    ("started on Saturday", wib(2026, 11, 28, 10, 0), 15, wib(2026, 11, 30, 7, 45)),
    ("over the Christmas holidays", wib(2026, 12, 23, 15, 0), 120, wib(2026, 12, 28, 8, 30)),
    ("zero minutes is the start", wib(2026, 11, 28, 10, 0), 0, wib(2026, 11, 28, 10, 0)),
]


@pytest.mark.parametrize("name,start,minutes,expected", DEADLINES, ids=[d[0] for d in DEADLINES])
def test_deadline(name: str, start: dt.datetime, minutes: float, expected: dt.datetime) -> None:
    assert CAL.deadline(start, minutes) == expected


def test_admin_extra_holiday_and_working_day() -> None:
    s = Settings(extra_holidays=(dt.date(2026, 11, 24),), extra_working_days=(dt.date(2026, 11, 28),))
    cal = WorkCalendar(s)
    assert cal.working_between(wib(2026, 11, 24, 0, 0), wib(2026, 11, 25, 0, 0)) == 0
    assert cal.working_between(wib(2026, 11, 28, 0, 0), wib(2026, 11, 29, 0, 0)) == 450


instants = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31),
                        timezones=st.just(AGENCY_TZ))


@settings(max_examples=300, deadline=None)
@given(instants, instants, instants)
def test_additive(a: dt.datetime, b: dt.datetime, c: dt.datetime) -> None:
    a, b, c = sorted([a, b, c])
    ab, bc, ac = CAL.working_minutes([a, b, a], [b, c, c])
    assert ab >= 0 and bc >= 0
    assert ac == pytest.approx(ab + bc, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(instants, st.integers(min_value=1, max_value=5000))
def test_deadline_inverts_working_minutes(start: dt.datetime, minutes: int) -> None:
    end = CAL.deadline(start, minutes)
    assert CAL.working_between(start, end) == pytest.approx(minutes, abs=1 / 60)


def test_many_pairs_at_once_is_fast() -> None:
    import time

    rng = np.random.default_rng(1)
    base = np.datetime64("2025-01-01T00:00:00")
    s = base + rng.integers(0, 3 * 365 * 24 * 3600, 300_000).astype("timedelta64[s]")
    e = s + rng.integers(0, 30 * 24 * 3600, 300_000).astype("timedelta64[s]")
    import pandas as pd

    starts = pd.DatetimeIndex(s).tz_localize("UTC")
    ends = pd.DatetimeIndex(e).tz_localize("UTC")
    t0 = time.perf_counter()
    out = CAL.working_minutes(starts, ends)
    assert time.perf_counter() - t0 < 5  # generous: vectorised, it takes well under a second
    assert (out >= 0).all() and len(out) == 300_000


# -- why late: the breakdown of a stretch of time ------------------------------------------------------------------
def spans(cal: WorkCalendar, start: dt.datetime, end: dt.datetime, lang: str = "id") -> list[tuple]:
    return [(s.kind, s.start.strftime("%a %d %H:%M"), s.end.strftime("%a %d %H:%M"), s.minutes, s.name)
            for s in cal.explain(start, end, lang).spans]


def test_explain_across_lunch_and_overnight() -> None:
    assert spans(CAL, wib(2026, 11, 23, 11, 0), wib(2026, 11, 24, 8, 0)) == [
        ("work", "Mon 23 11:00", "Mon 23 12:00", 60, ""),
        ("break", "Mon 23 12:00", "Mon 23 13:00", 0, ""),
        ("work", "Mon 23 13:00", "Mon 23 16:00", 180, ""),
        ("off_hours", "Mon 23 16:00", "Tue 24 07:30", 0, ""),
        ("work", "Tue 24 07:30", "Tue 24 08:00", 30, ""),
    ]


def test_explain_names_the_idul_fitri_cuti_bersama_and_the_weekend() -> None:
    """2026: 20 Mar (Fri) cuti bersama, 21-22 Idul Fitri (Sat-Sun), 23-24 cuti bersama, back on Wednesday."""
    got = spans(CAL, wib(2026, 3, 19, 15, 0), wib(2026, 3, 25, 8, 0))
    assert [(k, n) for k, _, _, _, n in got] == [
        ("holiday", "Hari Suci Nyepi"),
        ("holiday", "Cuti Bersama Hari Raya Idul Fitri"),
        ("holiday", "Hari Raya Idul Fitri"),
        ("holiday", "Hari kedua dari Hari Raya Idul Fitri"),
        ("holiday", "Cuti Bersama Hari Raya Idul Fitri"),
        ("off_hours", ""),
        ("work", ""),
    ]
    assert got[4][1:3] == ("Mon 23 00:00", "Wed 25 00:00")  # two days of the same cuti bersama, one span
    assert "Eid al-Fitr Joint Holiday" in [n for *_, n in spans(CAL, wib(2026, 3, 19, 15, 0),
                                                                  wib(2026, 3, 25, 8, 0), "en")]


def test_explain_friday_evening_to_monday_and_the_admins_days() -> None:
    assert [(k, a, b) for k, a, b, _, _ in spans(CAL, wib(2026, 11, 27, 16, 0), wib(2026, 11, 30, 8, 0))] == [
        ("work", "Fri 27 16:00", "Fri 27 16:30"),
        ("off_hours", "Fri 27 16:30", "Sat 28 00:00"),
        ("weekend", "Sat 28 00:00", "Mon 30 00:00"),
        ("off_hours", "Mon 30 00:00", "Mon 30 07:30"),
        ("work", "Mon 30 07:30", "Mon 30 08:00"),
    ]
    cal = WorkCalendar(Settings(extra_holidays=(dt.date(2026, 11, 24),), extra_working_days=(dt.date(2026, 11, 28),)))
    assert [k for k, *_ in spans(cal, wib(2026, 11, 24, 0, 0), wib(2026, 11, 25, 0, 0))] == ["extra_holiday"]
    sat = spans(cal, wib(2026, 11, 28, 8, 0), wib(2026, 11, 28, 9, 0))
    assert sat == [("extra_work", "Sat 28 08:00", "Sat 28 09:00", 60, "")]


@settings(max_examples=300, deadline=None)
@given(instants, instants)
def test_explain_covers_the_stretch_and_adds_up_to_the_working_minutes(a: dt.datetime, b: dt.datetime) -> None:
    a, b = sorted([a, b])
    b = min(b, a + dt.timedelta(days=60))
    bd = CAL.explain(a, b)
    assert bd.minutes == pytest.approx(CAL.working_between(a, b), abs=1e-6)
    if b > a:
        assert bd.spans[0].start == a and bd.spans[-1].end == b
        assert all(x.end == y.start for x, y in zip(bd.spans, bd.spans[1:], strict=False))
        assert all(s.end > s.start for s in bd.spans)
        assert all((s.minutes > 0) == (s.kind in ("work", "extra_work")) for s in bd.spans)
