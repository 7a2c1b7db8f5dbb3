"""The agency's working-time clock, vectorised.

Working minutes between two instants are ``F(end) - F(start)`` where ``F(t)`` counts the working minutes from a
reference day to ``t``. ``F`` is computed for whole arrays with numpy: a per-day table (working minutes of the
day, cumulative minutes before it, the day's windows) indexed by each instant's local day, plus the minutes
worked inside that day. No Python loop runs per (start, end) pair, so hundreds of thousands of pairs cost
milliseconds.

Days: the weekday's windows from Settings, none on Indonesian public holidays and cuti bersama (``holidays``
package, categories public + government) or on an admin's extra holidays; an admin's extra working day gets
Monday's windows.

:meth:`WorkCalendar.explain` answers "why is this late?" for one attempt: the stretch from start to end cut into
the working windows counted and what was skipped between them (breaks, hours outside the windows, weekends,
holidays with their names in Indonesian or English). It walks the days in Python: for one attempt, not 100k.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, TypeAlias

import holidays
import numpy as np
import pandas as pd

from .settings import Settings

#: What the vectorised calls take: aware instants as a Series, a DatetimeIndex, an array or a list (NaT/None allowed)
Instants: TypeAlias = "pd.Series | pd.DatetimeIndex | np.ndarray | Iterable[dt.datetime | None]"

MINUTES_PER_DAY = 24 * 60
NS_PER_MINUTE = 60 * 10**9


HOLIDAY_CATEGORIES = ("public", "government")  # public holidays and cuti bersama (joint leave)
#: The ``holidays`` package's name for each of our UI languages.
HOLIDAY_LANGUAGES = {"id": "id", "en": "en_US"}


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("ID", categories=HOLIDAY_CATEGORIES, years=year).keys())


@lru_cache(maxsize=64)
def holiday_names(year: int, lang: str = "id") -> dict[dt.date, str]:
    """Public holidays and cuti bersama of one year with their names ("Cuti Bersama Hari Raya Idul Fitri")."""
    found = holidays.country_holidays("ID", categories=HOLIDAY_CATEGORIES, years=year,
                                      language=HOLIDAY_LANGUAGES.get(lang, "id"))
    return dict(found.items())


def holidays_version() -> str:
    """The ``holidays`` package's version: its estimated dates (e.g. Idul Fitri years ahead) change between versions,
    so a report states the one it used."""
    return str(holidays.__version__)


SpanKind = Literal["work", "extra_work", "break", "off_hours", "weekend", "holiday", "extra_holiday"]


@dataclass(frozen=True)
class Span:
    """A stretch of an attempt: a working window counted (``work``; ``extra_work`` on an admin's extra working day)
    or time skipped — a ``break`` between two windows, ``off_hours`` before the first or after the last window of
    a working day, a ``weekend`` (a weekday without windows), a public ``holiday`` or cuti bersama (``name``), an
    admin's ``extra_holiday``. Times are local to the calendar's zone."""

    kind: SpanKind
    start: dt.datetime
    end: dt.datetime
    minutes: float  # working minutes counted: the span's length for work, 0 for the rest
    name: str = ""


@dataclass(frozen=True)
class Breakdown:
    start: dt.datetime
    end: dt.datetime
    spans: tuple[Span, ...]

    @property
    def minutes(self) -> float:
        return sum(s.minutes for s in self.spans)


class WorkCalendar:
    """Working windows per weekday, holidays and extra working days in one time zone."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.tz = self.settings.tz
        self._extra_off = set(self.settings.extra_holidays)
        self._extra_on = set(self.settings.extra_working_days)
        width = max(1, max(len(w) for w in self.settings.hours.values()))
        self._width = width
        # Weekday window tables, padded with empty windows (start == end) to a common width.
        self._wk_starts = np.zeros((7, width), dtype=np.int64)
        self._wk_ends = np.zeros((7, width), dtype=np.int64)
        for wd, windows in self.settings.hours.items():
            for k, (s, e) in enumerate(windows):
                self._wk_starts[wd, k], self._wk_ends[wd, k] = s, e
        self._first: dt.date | None = None
        self._days = 0

    # -- the per-day table ----------------------------------------------------------------------------------
    def holidays_of(self, year: int) -> frozenset[dt.date]:
        """Days off in ``year`` besides weekends: public holidays, cuti bersama and the admin's extra dates."""
        extra = {d for d in self._extra_off if d.year == year}
        return frozenset(_public_holidays(year) | extra) - self._extra_on

    def is_holiday(self, day: dt.date) -> bool:
        return day in self._extra_off or day in _public_holidays(day.year)

    def windows_of(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """The working windows of one local day (minutes after midnight)."""
        if day in self._extra_on:
            return self.settings.hours[0] or ((450, 720), (780, 960))
        if self.is_holiday(day):
            return ()
        return self.settings.hours[day.weekday()]

    @property
    def _day0(self) -> dt.date:
        """The day table's first day (the table is built by :meth:`_ensure` before any conversion reads it)."""
        if self._first is None:
            raise RuntimeError("the day table is not built yet")
        return self._first

    def _ensure(self, first: dt.date, last: dt.date) -> dt.date:
        """Build (or widen) the day table so it covers ``first``..``last`` inclusive; its first day."""
        if self._first is not None and self._first <= first and last < self._first + dt.timedelta(self._days):
            return self._first
        if self._first is not None:
            first = min(first, self._first)
            last = max(last, self._first + dt.timedelta(self._days - 1))
        n = (last - first).days + 1
        days = [first + dt.timedelta(i) for i in range(n)]
        starts = self._wk_starts[[d.weekday() for d in days]].copy()
        ends = self._wk_ends[[d.weekday() for d in days]].copy()
        for i, d in enumerate(days):
            if d in self._extra_on or self.is_holiday(d):
                w = self.windows_of(d)
                starts[i] = ends[i] = 0
                for k, (s, e) in enumerate(w[: self._width]):
                    starts[i, k], ends[i, k] = s, e
        total = (ends - starts).sum(axis=1)
        self._first, self._days = first, n
        self._starts, self._ends = starts, ends
        self._total = total
        self._cum = np.concatenate([[0], np.cumsum(total)])  # working minutes before each day
        return first

    # -- conversions ------------------------------------------------------------------------------------------
    def _local_parts(self, ts: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
        """(day index into the table, minute of the local day as float) for aware instants."""
        local = ts.tz_convert(self.tz)
        naive = local.tz_localize(None).asi8  # local wall-clock ns since 1970 (wall clock, not UTC)
        day_ns = 86_400 * 10**9
        days = np.floor_divide(naive, day_ns)
        minute = (naive - days * day_ns) / NS_PER_MINUTE
        first = int(days.min()), int(days.max())
        epoch = dt.date(1970, 1, 1)
        offset = (self._ensure(epoch + dt.timedelta(first[0]), epoch + dt.timedelta(first[1])) - epoch).days
        return days - offset, minute

    def _cumulative(self, ts: pd.DatetimeIndex) -> np.ndarray:
        """F(t): working minutes from the table's first day to each instant."""
        idx, minute = self._local_parts(ts)
        inside = np.zeros(len(idx))
        for k in range(self._starts.shape[1]):  # one window column at a time: no (n × windows) temporaries
            s = self._starts[idx, k]
            inside += np.minimum(np.maximum(minute - s, 0), self._ends[idx, k] - s)  # np.clip, faster
        return self._cum[idx] + inside

    # -- public API -------------------------------------------------------------------------------------------
    def working_minutes(self, starts: Instants, ends: Instants) -> np.ndarray:
        """Working minutes from each start to its end (negative when end < start); NaN where either is NaT.

        ``starts``/``ends``: aware datetimes — a Series, DatetimeIndex, array or list of equal length.
        """
        s = _as_index(starts)
        e = _as_index(ends)
        if len(s) != len(e):
            raise ValueError("starts and ends differ in length")
        out = np.full(len(s), np.nan)
        ok = ~(np.asarray(s.isna()) | np.asarray(e.isna()))
        if ok.any():
            both = s[ok].append(e[ok])
            f = self._cumulative(both)
            n = int(ok.sum())
            out[np.asarray(ok)] = f[n:] - f[:n]
        return out

    def working_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return float(self.working_minutes([start], [end])[0])

    def add_working_minutes(self, starts: Instants, minutes: float | Iterable[float] | np.ndarray | pd.Series
                            ) -> pd.DatetimeIndex:
        """Deadline = start + N working minutes, for each start (vectorised; result in the calendar's zone).

        A deadline that falls exactly at the end of a window is that window's end (16:00), not the next
        window's start.
        """
        s = _as_index(starts)
        mins = np.broadcast_to(np.asarray(minutes, dtype=float), (len(s),)).copy()
        if len(s) == 0:
            return pd.DatetimeIndex([], tz=self.tz)
        # The table must reach from the earliest start to a margin past the latest one: a working day has at least
        # an hour of work, so N minutes end within N/60 working days; add weeks for holidays.
        local = s.tz_convert(self.tz)
        need_days = int(np.nanmax(mins) // 60) + 60 if np.isfinite(mins).any() else 60
        self._ensure(local.min().date(), local.max().date() + dt.timedelta(days=need_days))
        f0 = self._cumulative(s)
        target = f0 + mins
        day_end = self._cum[1:]
        idx = np.searchsorted(day_end, target, side="left")
        if (idx >= self._days).any():
            raise ValueError("deadline beyond the calendar table")
        into = target - self._cum[idx]  # working minutes to spend inside that day
        st, en = self._starts[idx], self._ends[idx]
        length = en - st
        before = np.concatenate([np.zeros((len(idx), 1)), np.cumsum(length, axis=1)[:, :-1]], axis=1)
        # the first window whose cumulative end reaches the remaining minutes
        k = np.argmax(np.cumsum(length, axis=1) >= into[:, None] - 1e-9, axis=1)
        rows = np.arange(len(idx))
        minute_of_day = st[rows, k] + (into - before[rows, k])
        epoch = dt.date(1970, 1, 1)
        day_ns = (np.asarray(idx) + (self._day0 - epoch).days) * 86_400 * 10**9
        wall = day_ns + np.round(minute_of_day * NS_PER_MINUTE).astype(np.int64)
        result = pd.DatetimeIndex(wall.astype("datetime64[ns]")).tz_localize(self.tz)
        # zero (or negative) minutes: the start itself
        zero = mins <= 0
        if zero.any():
            result = result.where(~zero, s.tz_convert(self.tz))
        return result

    def deadline(self, start: dt.datetime, minutes: float) -> dt.datetime:
        return self.add_working_minutes([start], [minutes])[0].round("s").to_pydatetime()

    def explain(self, start: dt.datetime, end: dt.datetime, lang: str = "id") -> Breakdown:
        """The working time from ``start`` to ``end`` as spans (see :class:`Span`); adjacent spans of the same kind
        and name are merged, and the work spans add up to :meth:`working_between`."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("naive timestamps: give aware datetimes (ISO 8601 with an offset)")
        s, e = start.astimezone(self.tz), end.astimezone(self.tz)
        spans: list[Span] = []
        day = s.date()
        while e > s and day <= e.date():
            midnight = dt.datetime.combine(day, dt.time(), self.tz)
            lo, hi = max(s, midnight), min(e, midnight + dt.timedelta(days=1))
            if hi > lo:
                spans += self._day_spans(day, midnight, lo, hi, lang)
            day += dt.timedelta(days=1)
        merged: list[Span] = []
        for span in spans:
            if merged and merged[-1].kind == span.kind and merged[-1].name == span.name and span.kind not in (
                    "work", "extra_work") and merged[-1].end == span.start:
                merged[-1] = Span(span.kind, merged[-1].start, span.end, 0.0, span.name)
            else:
                merged.append(span)
        return Breakdown(s, e, tuple(merged))

    def _day_spans(self, day: dt.date, midnight: dt.datetime, lo: dt.datetime, hi: dt.datetime,
                   lang: str) -> list[Span]:
        """The spans of ``lo``..``hi``, a part of one local day."""
        if day not in self._extra_on:
            named = holiday_names(day.year, lang).get(day)
            if named is not None:
                return [Span("holiday", lo, hi, 0.0, named)]
            if day in self._extra_off:
                return [Span("extra_holiday", lo, hi, 0.0)]
            if not self.settings.hours[day.weekday()]:
                return [Span("weekend", lo, hi, 0.0)]
        kind: SpanKind = "extra_work" if day in self._extra_on else "work"
        out: list[Span] = []
        cursor, first = lo, True
        for w0, w1 in self.windows_of(day):
            a = max(lo, midnight + dt.timedelta(minutes=w0))
            b = min(hi, midnight + dt.timedelta(minutes=w1))
            if b <= a:
                if midnight + dt.timedelta(minutes=w1) <= lo:
                    first = False  # a window already over before the stretch starts: what follows is a break
                continue
            if a > cursor:
                out.append(Span("off_hours" if first else "break", cursor, a, 0.0))
            out.append(Span(kind, a, b, (b - a).total_seconds() / 60))
            cursor, first = b, False
        if hi > cursor:
            last_end = midnight + dt.timedelta(minutes=self.windows_of(day)[-1][1]) if self.windows_of(day) else lo
            out.append(Span("off_hours" if first or cursor >= last_end else "break", cursor, hi, 0.0))
        return out
    def next_working_moment(self, t: dt.datetime) -> dt.datetime:
        """``t`` itself inside a working window, else the start of the next window (a chat message sent at 19:00
        waits for 07:30 of the next working day, past weekends, holidays and cuti bersama)."""
        local = t.astimezone(self.tz)
        minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
        for offset in range(400):
            day = local.date() + dt.timedelta(days=offset)
            for start, end in self.windows_of(day):
                if offset == 0 and minute >= end:
                    continue
                if offset == 0 and minute >= start:
                    return t
                return dt.datetime.combine(day, dt.time(start // 60, start % 60), tzinfo=self.tz)
        raise ValueError("no working window within 400 days")

    def working_day(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """The first window's start and the last window's end of ``day``; None on a day off."""
        windows = self.windows_of(day)
        if not windows:
            return None
        (first, _), (_, last) = windows[0], windows[-1]
        return (dt.datetime.combine(day, dt.time(first // 60, first % 60), tzinfo=self.tz),
                dt.datetime.combine(day, dt.time(0), tzinfo=self.tz) + dt.timedelta(minutes=last))

    def previous_working_day(self, day: dt.date) -> dt.date | None:
        """The last working day before ``day`` (within a year)."""
        for offset in range(1, 366):
            if self.windows_of(day - dt.timedelta(days=offset)):
                return day - dt.timedelta(days=offset)
        return None


def _as_index(values: Instants) -> pd.DatetimeIndex:
    """Aware instants as a UTC-or-zoned DatetimeIndex; refuses naive ones rather than guessing their zone."""
    if isinstance(values, pd.Series):
        values = pd.DatetimeIndex(values)
    if isinstance(values, pd.DatetimeIndex):
        idx = values
        if idx.tz is None and not idx.isna().all():
            raise ValueError("naive timestamps: give aware datetimes (ISO 8601 with an offset)")
    else:
        given: list[Any] = list(values)
        if any(v is not None and not pd.isna(v) and getattr(v, "tzinfo", None) is None for v in given):
            raise ValueError("naive timestamps: give aware datetimes (ISO 8601 with an offset)")
        idx = pd.DatetimeIndex(pd.to_datetime(given, utc=True))
    if idx.tz is None:
        idx = idx.tz_localize("UTC")
    return idx.as_unit("ns")
