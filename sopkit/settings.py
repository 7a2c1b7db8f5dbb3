"""Admin-revisable SOP settings, stored as ``key, value`` text rows in the store's Settings table.

The defaults are the signed SOP's values (``sopkit.sop``). A value an admin typed that cannot be read is
reported as a problem and the default is used instead, so a typo never stops the desk.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import sop

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Working windows of Presidential Regulation 21/2023 as the SOP reads it, as minutes after midnight.
DEFAULT_HOURS: dict[str, str] = {
    "mon": "07:30-12:00,13:00-16:00",
    "tue": "07:30-12:00,13:00-16:00",
    "wed": "07:30-12:00,13:00-16:00",
    "thu": "07:30-12:00,13:00-16:00",
    "fri": "07:30-11:30,13:00-16:30",
    "sat": "",
    "sun": "",
}
DEFAULT_TIMEZONE = "Asia/Pontianak"

Window = tuple[int, int]


class SettingsError(ValueError):
    """A settings value that cannot be read; the message says which key and why."""


@dataclass(frozen=True)
class Settings:
    timezone: str = DEFAULT_TIMEZONE
    limits: dict[int, int] = field(default_factory=lambda: {n: s.limit_minutes for n, s in sop.STEPS.items()})
    reject_to: dict[int, int] = field(
        default_factory=lambda: {n: s.reject_to for n, s in sop.STEPS.items() if s.reject_to}
    )
    hours: dict[int, tuple[Window, ...]] = field(
        default_factory=lambda: {i: parse_windows(DEFAULT_HOURS[d]) for i, d in enumerate(WEEKDAYS)}
    )
    extra_holidays: tuple[dt.date, ...] = ()
    extra_working_days: tuple[dt.date, ...] = ()
    header: dict[str, str] = field(default_factory=lambda: dict(sop.SOP_HEADER_DEFAULTS))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def limit(self, step: int) -> int:
        return self.limits[step]

    def to_rows(self) -> dict[str, str]:
        """The settings as the text rows the store keeps."""
        rows = {"timezone": self.timezone}
        rows.update({f"limit_step{n}": str(m) for n, m in sorted(self.limits.items())})
        rows.update({f"reject_to_step{n}": str(t) for n, t in sorted(self.reject_to.items())})
        rows.update({f"hours_{d}": format_windows(self.hours[i]) for i, d in enumerate(WEEKDAYS)})
        rows["extra_holidays"] = ",".join(d.isoformat() for d in self.extra_holidays)
        rows["extra_working_days"] = ",".join(d.isoformat() for d in self.extra_working_days)
        rows.update(self.header)
        return rows


def parse_windows(text: str) -> tuple[Window, ...]:
    """``"07:30-12:00,13:00-16:00"`` → ``((450, 720), (780, 960))``; blank means a day off."""
    windows: list[Window] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})", part)
        if not m:
            raise SettingsError(f"'{part}' is not a window like 07:30-12:00")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (0 <= start < end <= 24 * 60) or m1 > 59 or m2 > 59:
            raise SettingsError(f"'{part}' is not a valid window (start before end, within one day)")
        if windows and start < windows[-1][1]:
            raise SettingsError(f"'{part}' overlaps or precedes the previous window")
        windows.append((start, end))
    return tuple(windows)


def format_windows(windows: tuple[Window, ...]) -> str:
    return ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in windows)


def _parse_dates(text: str) -> tuple[dt.date, ...]:
    out = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if part:
            try:
                out.append(dt.date.fromisoformat(part))
            except ValueError:
                raise SettingsError(f"'{part}' is not a date like 2026-12-24") from None
    return tuple(sorted(set(out)))


def _parse_minutes(text: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingsError(f"'{text}' is not a whole number of minutes") from None
    if value <= 0:
        raise SettingsError(f"'{text}' must be more than 0 minutes")
    return value


def _parse_step(text: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingsError(f"'{text}' is not a step number") from None
    if value not in (1, 2):
        raise SettingsError(f"a rejection can return only to step 1 or 2, not {value}")
    return value


def _parse_timezone(text: str) -> str:
    try:
        ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"'{text}' is not a time zone like Asia/Pontianak") from None
    return text.strip()


def from_rows(rows: dict[str, str], default_timezone: str = DEFAULT_TIMEZONE) -> tuple[Settings, list[str]]:
    """Read Settings rows; unreadable values keep their default and are listed as problems."""
    base = Settings(timezone=default_timezone)
    problems: list[str] = []
    limits, reject_to, hours = dict(base.limits), dict(base.reject_to), dict(base.hours)
    changes: dict[str, object] = {}
    header = dict(base.header)

    def attempt(key: str, fn):  # type: ignore[no-untyped-def]
        try:
            return fn(rows[key])
        except SettingsError as e:
            problems.append(f"{key}: {e}")
            return None

    for key, value in rows.items():
        if value is None or str(value).strip() == "" and not key.startswith(("hours_", "extra_", "sop_")):
            continue
        value = str(value)
        if key == "timezone":
            tz = attempt(key, _parse_timezone)
            if tz:
                changes["timezone"] = tz
        elif (m := re.fullmatch(r"limit_step([1-6])", key)):
            v = attempt(key, _parse_minutes)
            if v:
                limits[int(m.group(1))] = v
        elif (m := re.fullmatch(r"reject_to_step([34])", key)):
            v = attempt(key, _parse_step)
            if v:
                reject_to[int(m.group(1))] = v
        elif key.startswith("hours_") and key[6:] in WEEKDAYS:
            w = attempt(key, parse_windows)
            if w is not None:
                hours[WEEKDAYS.index(key[6:])] = w
        elif key == "extra_holidays":
            d = attempt(key, _parse_dates)
            if d is not None:
                changes["extra_holidays"] = d
        elif key == "extra_working_days":
            d = attempt(key, _parse_dates)
            if d is not None:
                changes["extra_working_days"] = d
        elif key in header:
            header[key] = value.strip()
        else:
            problems.append(f"{key}: unknown setting (ignored)")
    return replace(base, limits=limits, reject_to=reject_to, hours=hours, header=header, **changes), problems
