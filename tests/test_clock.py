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
