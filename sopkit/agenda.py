"""The publication calendar: scheduled posts laid out on a month or a week grid, in the agency's time zone.

The supervisor plans step 5 against it (two posts on one channel too close collide, ``queues.collisions``) and
watches step 6 from it: a post whose time has passed while a channel still has no published result is *past
due* (the publish job missed it, or a hand-published channel waits for its URL). Pure: the page draws the grid.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .channels.base import ChannelState
from .queues import scheduled
from .schema import Item

View = Literal["month", "week"]


def view_of(value: object) -> View:
    """The grid a widget's value asks for; anything else (nothing picked yet, an old session) is the month."""
    return "week" if value == "week" else "month"


@dataclass(frozen=True)
class Entry:
    """One scheduled post on the grid."""

    item_id: str
    title: str
    channels: tuple[str, ...]
    at: dt.datetime  # local time (the grid's zone)
    past_due: bool  # its time has passed and some channel has no published result yet
    minutes_left: float  # until publication; negative once the time has passed


def past_due(item: Item, now: dt.datetime) -> bool:
    """The publication time has passed and at least one channel has no published result."""
    if item.publish_at is None or item.publish_at > now:
        return False
    done = {c for c, r in item.channel_results.items() if str((r or {}).get("status", "")) == ChannelState.PUBLISHED}
    return not set(item.channels) <= done


def entries(items: Iterable[Item], tz: dt.tzinfo, now: dt.datetime) -> list[Entry]:
    """Every scheduled, open post (``queues.scheduled``), soonest first."""
    out = [Entry(i.id, i.title, i.channels, i.publish_at.astimezone(tz), past_due(i, now),
                 (i.publish_at - now).total_seconds() / 60)
           for i in scheduled(items) if i.publish_at is not None]
    return sorted(out, key=lambda e: (e.at, e.item_id))


def grid(view: View, day: dt.date) -> list[list[dt.date]]:
    """The weeks (Monday first) shown for ``day``: the whole month's weeks, or the one week holding it."""
    if view == "week":
        monday = day - dt.timedelta(days=day.weekday())
        return [[monday + dt.timedelta(days=n) for n in range(7)]]
    return calendar.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)


def by_day(found: Iterable[Entry], weeks: list[list[dt.date]]) -> dict[dt.date, list[Entry]]:
    """The entries on each day of ``weeks`` (every day present, possibly empty), in time order."""
    days: dict[dt.date, list[Entry]] = {d: [] for week in weeks for d in week}
    for e in sorted(found, key=lambda e: e.at):
        if e.at.date() in days:
            days[e.at.date()].append(e)
    return days


def shift(view: View, day: dt.date, steps: int) -> dt.date:
    """``day`` moved by ``steps`` months (to the 1st) or weeks: the grid's previous / next buttons."""
    if view == "week":
        return day + dt.timedelta(weeks=steps)
    months = day.year * 12 + day.month - 1 + steps
    return dt.date(months // 12, months % 12 + 1, 1)
