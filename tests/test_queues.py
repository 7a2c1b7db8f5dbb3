"""Live countdowns: working time for steps 1-5, calendar time from the scheduled moment for step 6."""

from __future__ import annotations

import datetime as dt

import pytest

from sopkit.queues import collisions, countdown, format_minutes
from sopkit.schema import Item
from sopkit.settings import Settings
from sopkit.timeutil import AGENCY_TZ


def at(day: int, h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, h, m, tzinfo=AGENCY_TZ)  # 23 Nov 2026 is a Monday


@pytest.mark.parametrize("step,entered,now,state,used", [
    (3, at(23, 9), at(23, 9, 30), "ok", 30),
    (3, at(23, 9), at(23, 9, 45), "near", 45),
    (3, at(23, 9), at(23, 10), "near", 60),  # equal to the limit is still on time
    (3, at(23, 9), at(23, 10, 1), "late", 61),
    (3, at(23, 11, 45), at(23, 13, 10), "ok", 25),  # the lunch break does not count
    (3, at(23, 11, 45), at(23, 13, 40), "near", 55),
    (5, at(27, 16, 20), at(30, 7, 40), "late", 20),  # Friday 16:20 → Monday 07:40 over the weekend
    (1, at(23, 7), at(23, 12), "ok", 270),  # the clock starts at 07:30
])
def test_working_time_countdown(step, entered, now, state, used) -> None:
    item = Item(id="a", step=step, step_entered_at=entered)
    c = countdown(item, Settings(), now)
    assert (c.state, round(c.used_minutes)) == (state, used)


@pytest.mark.parametrize("now,state", [
    (at(28, 8, 59), "waiting"),  # Saturday: step 6 runs on the calendar
    (at(28, 9, 10), "ok"),
    (at(28, 9, 12), "near"),
    (at(28, 9, 15), "near"),
    (at(28, 9, 16), "late"),
])
def test_step6_runs_on_calendar_time_from_the_scheduled_moment(now, state) -> None:
    item = Item(id="a", step=6, status="scheduled", publish_at=at(28, 9))
    assert countdown(item, Settings(), now).state == state


def test_deadline_is_in_working_time() -> None:
    c = countdown(Item(id="a", step=3, step_entered_at=at(23, 11, 30)), Settings(), at(23, 11, 31))
    assert c.deadline == at(23, 13, 30)  # 30 min before the break, 30 after


@pytest.mark.parametrize("minutes,text", [(0, "0:00"), (75, "1:15"), (-61, "-1:01"), (59.6, "1:00")])
def test_format_minutes(minutes, text) -> None:
    assert format_minutes(minutes) == text


def test_collisions_share_a_channel_within_the_window() -> None:
    def sched(i, ch, t):  # type: ignore[no-untyped-def]
        return Item(id=i, step=6, status="scheduled", channels=ch, publish_at=t)

    items = [sched("a", ("x",), at(24, 9)), sched("b", ("site",), at(24, 9)), sched("c", ("x",), at(24, 9, 30))]
    assert [i.id for i in collisions(items, at(24, 9, 10), ("x",))] == ["a", "c"]
    assert [i.id for i in collisions(items, at(24, 9, 10), ("x",), exclude_id="a")] == ["c"]
    assert collisions(items, at(24, 11), ("x", "site")) == []
