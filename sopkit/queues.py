"""Live SOP countdowns: how much of the current step's limit an open item has used, and its deadline.

Steps 1-5 run on working time from the moment the item entered the step's queue (``step_entered_at``); step 6
runs on calendar time from the scheduled publication time. The pages colour a countdown by ``state``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from . import sop
from .clock import WorkCalendar
from .schema import Item
from .settings import History, Settings

State = Literal["ok", "near", "late", "waiting"]

#: A countdown turns amber when this share of the limit (or less) is left.
NEAR_SHARE = 0.25


@dataclass(frozen=True)
class Countdown:
    item_id: str
    step: int
    started_at: dt.datetime | None
    deadline: dt.datetime | None
    limit_minutes: int
    used_minutes: float
    state: State

    @property
    def remaining_minutes(self) -> float:
        return self.limit_minutes - self.used_minutes


def countdown(item: Item, settings: Settings, now: dt.datetime, calendar: WorkCalendar | None = None) -> Countdown:
    """The open item's clock at ``now``. ``waiting``: scheduled and not yet due (step 6 before publish time)."""
    limit = settings.limit(item.step)
    step = sop.STEPS[item.step]
    if step.clock == "calendar":
        start = item.publish_at
        if start is None or now < start:
            return Countdown(item.id, item.step, start, start + dt.timedelta(minutes=limit) if start else None,
                             limit, 0.0, "waiting")
        used = (now - start).total_seconds() / 60
        deadline = start + dt.timedelta(minutes=limit)
    else:
        start = item.step_entered_at
        if start is None:
            return Countdown(item.id, item.step, None, None, limit, 0.0, "ok")
        cal = calendar or WorkCalendar(settings)
        used = max(0.0, cal.working_between(start, now))
        deadline = cal.deadline(start, limit)
    remaining = limit - used
    state: State = "late" if remaining < 0 else "near" if remaining <= limit * NEAR_SHARE else "ok"
    return Countdown(item.id, item.step, start, deadline, limit, used, state)


def rules_for(item: Item, history: History) -> Settings:
    """The Settings an open item's countdown is judged by: the revision in force when its step started (the
    publication: at its planned time), as the compliance report judges each attempt and the notification job
    each reminder; the latest when the start is unknown."""
    step = sop.STEPS.get(item.step)
    start = item.publish_at if step is not None and step.clock == "calendar" else item.step_entered_at
    return (history.in_force(start) if start else history.latest).settings


_URGENCY = {"late": 0, "near": 1, "ok": 2, "waiting": 3}


def by_urgency(items: list[Item], countdown_of: Callable[[Item], Countdown]) -> list[Item]:
    """Overdue first (the longest overdue on top), then the nearest deadline; scheduled items not yet due last.
    ``countdown_of``: each item's countdown, judged as its badge is (see :func:`rules_for`)."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)

    def key(item: Item) -> tuple[int, float, dt.datetime]:
        c = countdown_of(item)
        return _URGENCY[c.state], c.remaining_minutes, c.deadline or far

    return sorted(items, key=key)


def format_minutes(minutes: float) -> str:
    """``-75`` → ``-1 j 15 m`` style is left to i18n; this gives ``1:15`` (hours:minutes), sign kept."""
    sign = "-" if minutes < 0 else ""
    total = int(round(abs(minutes)))
    return f"{sign}{total // 60}:{total % 60:02d}"


#: Two posts on one channel closer than this collide.
COLLISION_MINUTES = 30


def scheduled(items: Iterable[Item]) -> list[Item]:
    """Open items at the publication step with a publication time: what the job will put out."""
    publication = sop.number("publication")
    return [i for i in items if i.is_open and i.step == publication and i.publish_at is not None]


def publish_time(item: Item) -> dt.datetime:
    """The publication time of a :func:`scheduled` item (sort key and comparisons of the schedule lists)."""
    if item.publish_at is None:
        raise ValueError(f"{item.id} has no publication time")
    return item.publish_at


def collisions(items: list[Item], publish_at: dt.datetime, channels: tuple[str, ...] | list[str],
               exclude_id: str = "", window: int = COLLISION_MINUTES) -> list[Item]:
    """Scheduled, unpublished items sharing a channel with a post at ``publish_at`` within ``window`` minutes."""
    out = []
    for other in scheduled(items):
        if other.id == exclude_id:
            continue
        assert other.publish_at is not None
        if set(other.channels) & set(channels) and abs(other.publish_at - publish_at) < dt.timedelta(minutes=window):
            out.append(other)
    return out
