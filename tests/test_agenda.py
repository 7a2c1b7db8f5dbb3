"""The publication calendar's layout (sopkit.agenda) and the spoken durations (i18n.format_duration)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sopkit import agenda
from sopkit.i18n import format_date, format_duration
from sopkit.schema import Item

TZ = ZoneInfo("Asia/Pontianak")
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=TZ)


def _scheduled(id_: str, at: dt.datetime, results: dict | None = None, channels=("site", "x")) -> Item:
    return Item(id_, title=f"Judul {id_}", status="scheduled", step=6, channels=channels, publish_at=at,
                channel_results=results or {})


def test_entries_are_the_open_scheduled_posts_soonest_first_with_past_due_flagged() -> None:
    items = [
        _scheduled("B", NOW + dt.timedelta(hours=2, minutes=15)),
        _scheduled("A", NOW - dt.timedelta(hours=1)),  # passed, nothing published: past due
        _scheduled("C", NOW - dt.timedelta(hours=1), {"site": {"status": "published"}, "x": {"status": "published"}}),
        _scheduled("D", NOW - dt.timedelta(minutes=5), {"site": {"status": "published"}}),  # x still waits
        Item("E", status="verifying", step=3),
    ]
    found = agenda.entries(items, TZ, NOW)
    assert [e.item_id for e in found] == ["A", "C", "D", "B"]
    assert {e.item_id: e.past_due for e in found} == {"A": True, "C": False, "D": True, "B": False}
    assert found[-1].minutes_left == 135 and found[-1].at.tzinfo == TZ


def test_month_grid_is_whole_weeks_monday_first_and_week_grid_holds_the_day() -> None:
    weeks = agenda.grid("month", dt.date(2026, 12, 2))
    assert weeks[0][0] == dt.date(2026, 11, 30) and weeks[-1][-1] == dt.date(2027, 1, 3)
    assert all(len(w) == 7 and w[0].weekday() == 0 for w in weeks)
    [week] = agenda.grid("week", dt.date(2026, 12, 6))  # a Sunday belongs to the week that began on Monday
    assert week[0] == dt.date(2026, 11, 30) and week[-1] == dt.date(2026, 12, 6)


def test_by_day_places_each_post_on_its_local_day_and_shift_moves_the_grid() -> None:
    late_evening_utc = dt.datetime(2026, 12, 1, 18, 30, tzinfo=dt.UTC)  # 01.30 WIB on the 2nd
    found = agenda.entries([_scheduled("N", late_evening_utc)], TZ, NOW)
    days = agenda.by_day(found, agenda.grid("week", dt.date(2026, 12, 2)))
    assert [e.item_id for e in days[dt.date(2026, 12, 2)]] == ["N"] and days[dt.date(2026, 12, 1)] == []
    assert agenda.shift("month", dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 1)
    assert agenda.shift("month", dt.date(2026, 1, 15), -1) == dt.date(2025, 12, 1)
    assert agenda.shift("week", dt.date(2026, 12, 2), -1) == dt.date(2026, 11, 25)


def test_durations_are_said_as_staff_say_them() -> None:
    assert format_duration(135) == "2 jam 15 menit"
    assert format_duration(-135) == "2 jam 15 menit"  # the sentence says "past"
    assert format_duration(15) == "15 menit" and format_duration(60) == "1 jam"
    assert format_duration(24 * 60 + 61) == "1 hari 1 jam"  # the two largest parts
    assert format_duration(0.3) == "kurang dari 1 menit"
    assert format_duration(135, "en") == "2 h 15 min"
    assert format_date(dt.date(2026, 12, 2)) == "2 Des 2026" and format_date(dt.date(2026, 8, 17), long=True) == \
        "17 Agustus 2026"
