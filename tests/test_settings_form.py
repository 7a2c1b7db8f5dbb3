"""The admin's settings form (sopkit.settings_form): limits in the SOP's units, time-picked windows, dates."""

from __future__ import annotations

import datetime as dt

from sopkit import settings_form as sf
from sopkit.settings import Settings, from_rows


def test_limits_show_in_the_largest_whole_unit_and_publication_never_in_working_days() -> None:
    assert sf.split_limit(450) == (1, "workday") and sf.split_limit(360) == (6, "hour")
    assert sf.split_limit(90) == (90, "minute") and sf.split_limit(900) == (2, "workday")
    assert sf.units_for(6) == ("hour", "minute") and "workday" in sf.units_for(1)
    assert sf.split_limit(900, sf.units_for(6)) == (15, "hour")
    assert sf.join_limit(1, "workday") == 450 and sf.join_limit(6, "hour") == 360


def test_the_sops_own_settings_round_trip_through_the_form_unchanged() -> None:
    s = Settings(extra_holidays=(dt.date(2026, 12, 31),), extra_working_days=(dt.date(2026, 12, 26),))
    lim = {n: sf.split_limit(m, sf.units_for(n)) for n, m in s.limits.items()}
    hrs = {d: sf.time_pairs(s.hours[i])[0] for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
    rows, problems = sf.form_rows(lim, hrs, s.extra_holidays, s.extra_working_days)
    assert problems == []
    before = s.to_rows()
    assert {k: before[k] for k in rows} == rows
    parsed, found = from_rows({**before, **rows})
    assert found == [] and parsed == s


def test_bad_windows_are_named_by_day_and_session_and_nothing_is_made_of_them() -> None:
    t = dt.time
    text, problems = sf.windows_text("mon", [(t(12), t(7, 30)), (None, None)])
    assert (text, problems) == ("", [("settings.window_order", {"day": "mon", "n": 1})])
    _, problems = sf.windows_text("tue", [(t(7, 30), None), (t(13), t(16))])
    assert problems == [("settings.window_half", {"day": "tue", "n": 1})]
    _, problems = sf.windows_text("wed", [(t(7, 30), t(13)), (t(12), t(16))])
    assert problems == [("settings.window_overlap", {"day": "wed", "n": 2})]
    assert sf.windows_text("sat", [(None, None), (None, None)]) == ("", [])


def test_a_date_cannot_be_both_off_and_on_and_a_limit_must_be_positive() -> None:
    d = dt.date(2026, 12, 24)
    rows, problems = sf.form_rows({3: (0, "hour")}, {}, [d, d], [d])
    assert ("settings.date_both", {"date": d}) in problems and ("settings.limit_bad", {"step": 3}) in problems
    assert rows["extra_holidays"] == "2026-12-24"  # repeats are dropped


def test_a_hand_edited_third_window_is_reported_not_silently_shown() -> None:
    pairs, cut = sf.time_pairs(((450, 600), (660, 720), (780, 960)))
    assert cut and pairs == [(dt.time(7, 30), dt.time(10)), (dt.time(11), dt.time(12))]
    assert sf.time_pairs(((0, 1440),))[0][0] == (dt.time(0), dt.time(23, 59))
