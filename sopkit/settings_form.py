"""The admin's settings form in the words the SOP uses, turned into the Settings text rows and back.

The SOP states limits as "1 hari kerja", "6 jam", "15 menit"; the store keeps minutes (``limit_stepN``). Working
hours are two windows per weekday, picked as times; the store keeps ``07:30-12:00,13:00-16:00``. Extra holidays
and working days are picked dates; the store keeps ISO dates separated by commas. Problems come back as catalogue
keys with their values (the page says them in the user's language); nothing here writes: the page hands the rows
to ``admin.save_settings``, which still checks every value and records the revision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from . import sop
from .settings import WEEKDAYS, Window, format_windows

#: "1 hari kerja" in the SOP is a full Monday-Thursday day of Perpres 21/2023 (07.30-12.00 and 13.00-16.00).
WORKDAY_MINUTES = 450
#: Units a limit is typed in, largest first, as minutes.
UNITS: dict[str, int] = {"workday": WORKDAY_MINUTES, "hour": 60, "minute": 1}
#: Windows per weekday on the form (the SOP's days have a morning and an afternoon).
WINDOWS_PER_DAY = 2

Problem = tuple[str, dict[str, object]]
TimePair = tuple[dt.time | None, dt.time | None]


def units_for(step: int, procedure: sop.Procedure = sop.AGENCY) -> tuple[str, ...]:
    """Working days count only on working time: a calendar-clock step (publication) is in hours or minutes."""
    calendar = procedure.by_number[step].clock == "calendar"
    return tuple(u for u in UNITS if not (calendar and u == "workday"))


def split_limit(minutes: int, units: Sequence[str] = tuple(UNITS)) -> tuple[int, str]:
    """``450`` → ``(1, "workday")``, ``360`` → ``(6, "hour")``, ``90`` → ``(90, "minute")``: the largest unit
    that holds it whole."""
    for unit in units:
        if minutes % UNITS[unit] == 0 and minutes >= UNITS[unit]:
            return minutes // UNITS[unit], unit
    return minutes, "minute"


def join_limit(amount: int, unit: str) -> int:
    return int(amount) * UNITS[unit]


def time_pairs(windows: Sequence[Window]) -> tuple[list[TimePair], bool]:
    """The form's two (start, end) pickers for a day's windows, and whether some window did not fit (a hand edit
    with three windows: the page warns that saving keeps only two)."""
    def clock(minutes: int) -> dt.time:
        return dt.time(23, 59) if minutes >= 24 * 60 else dt.time(minutes // 60, minutes % 60)

    pairs: list[TimePair] = [(clock(s), clock(e)) for s, e in windows[:WINDOWS_PER_DAY]]
    pairs += [(None, None)] * (WINDOWS_PER_DAY - len(pairs))
    return pairs, len(windows) > WINDOWS_PER_DAY


def windows_text(day: str, pairs: Sequence[TimePair]) -> tuple[str, list[Problem]]:
    """A day's picked windows as the store's text; each problem names the day and the window (1-based)."""
    windows: list[Window] = []
    problems: list[Problem] = []
    for n, (start, end) in enumerate(pairs, start=1):
        if start is None and end is None:
            continue
        if start is None or end is None:
            problems.append(("settings.window_half", {"day": day, "n": n}))
            continue
        s, e = start.hour * 60 + start.minute, end.hour * 60 + end.minute
        if e <= s:
            problems.append(("settings.window_order", {"day": day, "n": n}))
            continue
        if windows and s < windows[-1][1]:
            problems.append(("settings.window_overlap", {"day": day, "n": n}))
            continue
        windows.append((s, e))
    return format_windows(tuple(windows)), problems


def dates_text(dates: Iterable[dt.date]) -> str:
    return ",".join(d.isoformat() for d in sorted(set(dates)))


def form_rows(limits: Mapping[int, tuple[int, str]], hours: Mapping[str, Sequence[TimePair]],
              extra_holidays: Iterable[dt.date], extra_working_days: Iterable[dt.date]) -> tuple[dict[str, str],
                                                                                              list[Problem]]:
    """The Settings rows the form asks for, and its problems (then nothing should be saved)."""
    rows: dict[str, str] = {}
    problems: list[Problem] = []
    for step, (amount, unit) in sorted(limits.items()):
        if unit not in UNITS or int(amount) < 1:
            problems.append(("settings.limit_bad", {"step": step}))
            continue
        rows[f"limit_step{step}"] = str(join_limit(amount, unit))
    for day in WEEKDAYS:
        text, found = windows_text(day, hours.get(day, ()))
        rows[f"hours_{day}"] = text
        problems += found
    off, on = set(extra_holidays), set(extra_working_days)
    for d in sorted(off & on):
        problems.append(("settings.date_both", {"date": d}))
    rows["extra_holidays"] = dates_text(off)
    rows["extra_working_days"] = dates_text(on)
    return rows, problems
