"""Admin-revisable SOP settings, stored as ``key, value`` text rows in the store's Settings table, and their history.

The defaults are the signed SOP's values (``sopkit.sop``). A value an admin typed that cannot be read is
reported as a problem and the default is used instead, so a typo never stops the desk.

History (:class:`History`): every save appends a revision (who, when, what changed, and every row after it) to
the store's SettingsHistory, atomically with the save; an edit made outside the app (the Settings tab of the Google
Sheet typed into by hand, or the SQLite file) becomes a revision of its own the first time the app reads it
(``source`` "hand-edit", dated when first seen: the sheet cannot say when the cell was typed). Compliance judges
each attempt by the revision in force when the attempt started: the latest revision recorded at or before that
instant. A revision therefore never changes an attempt that had started before it was recorded: an extra holiday
added "after the fact" (on the 10th, for the 3rd) counts only for attempts that start from the 10th on. Before the
first recorded revision, the first one applies (a store's first revision is written by ``init``, so that is the
SOP's defaults or what the store held when it started keeping a history).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from . import sop
from .i18n import Said
from .timeutil import DEFAULT_TIMEZONE, parse_iso

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

Window = tuple[int, int]


class SettingsError(ValueError):
    """A settings value that cannot be read; the message says which key and why (English, for the CLI and
    logs); ``said`` is the same for a person, in their language (``settings.err.*``)."""

    def __init__(self, detail: str, key: str = "settings.err.other", **values: Any):
        super().__init__(detail)
        self.said = Said(detail, key, detail=detail, **values)


@dataclass(frozen=True)
class Settings:
    timezone: str = DEFAULT_TIMEZONE
    limits: dict[int, int] = field(default_factory=lambda: _default_limits(sop.AGENCY))
    reject_to: dict[int, int] = field(default_factory=lambda: dict(sop.AGENCY.reject_to))
    hours: dict[int, tuple[Window, ...]] = field(
        default_factory=lambda: {i: parse_windows(DEFAULT_HOURS[d]) for i, d in enumerate(WEEKDAYS)}
    )
    extra_holidays: tuple[dt.date, ...] = ()
    extra_working_days: tuple[dt.date, ...] = ()
    header: dict[str, str] = field(default_factory=lambda: dict(sop.SOP_HEADER_DEFAULTS))

    @classmethod
    def defaults(cls, procedure: sop.Procedure, **values: Any) -> Settings:
        """The defaults of ``procedure`` (its steps' limits, its gates' rejection targets) and ``values``."""
        return cls(limits=_default_limits(procedure), reject_to=dict(procedure.reject_to), **values)

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


def _default_limits(procedure: sop.Procedure) -> dict[int, int]:
    return {n: s.limit_minutes for n, s in procedure.by_number.items()}


def parse_windows(text: str) -> tuple[Window, ...]:
    """``"07:30-12:00,13:00-16:00"`` → ``((450, 720), (780, 960))``; blank means a day off."""
    windows: list[Window] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})", part)
        if not m:
            raise SettingsError(f"'{part}' is not a window like 07:30-12:00", "settings.err.window", value=part)
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if not (0 <= start < end <= 24 * 60) or m1 > 59 or m2 > 59:
            raise SettingsError(f"'{part}' is not a valid window (start before end, within one day)",
                                "settings.err.window_order", value=part)
        if windows and start < windows[-1][1]:
            raise SettingsError(f"'{part}' overlaps or precedes the previous window", "settings.err.overlap",
                                value=part)
        windows.append((start, end))
    return tuple(windows)


def format_windows(windows: tuple[Window, ...]) -> str:
    return ",".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in windows)


#: Day 0 of a spreadsheet's date serials: a single date typed into a Sheets cell is stored as a number of days.
SERIAL_EPOCH = dt.date(1899, 12, 30)


def _parse_dates(text: str) -> tuple[dt.date, ...]:
    out = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        if re.fullmatch(r"\d{5}(?:\.0+)?", part):  # 46380 = 2026-12-24, as a sheet reads a typed date back
            day = SERIAL_EPOCH + dt.timedelta(days=int(float(part)))
            if 2000 <= day.year <= 2100:
                out.append(day)
                continue
        try:
            out.append(dt.date.fromisoformat(part))
        except ValueError:
            raise SettingsError(f"'{part}' is not a date like 2026-12-24", "settings.err.date",
                                value=part) from None
    return tuple(sorted(set(out)))


def _parse_minutes(text: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingsError(f"'{text}' is not a whole number of minutes", "settings.err.minutes",
                            value=text) from None
    if value <= 0:
        raise SettingsError(f"'{text}' must be more than 0 minutes", "settings.err.positive", value=text)
    return value


def _parse_step(text: str, targets: tuple[int, ...]) -> int:
    """A rejection's target: one of the maker steps (``targets``)."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise SettingsError(f"'{text}' is not a step number", "settings.err.step", value=text) from None
    if value not in targets:
        raise SettingsError(f"a rejection can return only to step {' or '.join(map(str, targets))}, not {value}",
                            "settings.err.return_to", steps=", ".join(map(str, targets)), value=value)
    return value


def _parse_timezone(text: str) -> str:
    try:
        ZoneInfo(text.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"'{text}' is not a time zone like Asia/Pontianak", "settings.err.timezone",
                            value=text) from None
    return text.strip()


def from_rows(rows: dict[str, str], default_timezone: str = DEFAULT_TIMEZONE,
              procedure: sop.Procedure = sop.AGENCY) -> tuple[Settings, list[str]]:
    """Read Settings rows; unreadable values keep their default and are listed as problems. The keys
    ``limit_step<n>`` and ``reject_to_step<n>`` name the steps and the gates of ``procedure``."""
    base = Settings.defaults(procedure, timezone=default_timezone)
    problems: list[str] = []
    limits, reject_to, hours = dict(base.limits), dict(base.reject_to), dict(base.hours)
    changes: dict[str, Any] = {}
    header = dict(base.header)

    def attempt(key: str, fn):
        try:
            return fn(rows[key])
        except SettingsError as e:
            problems.append(Said(f"{key}: {e}", "settings.problem", setting=key, reason=e.said))
            return None

    for key, value in rows.items():
        if value is None or str(value).strip() == "" and not key.startswith(("hours_", "extra_", "sop_")):
            continue
        value = str(value)
        if key == "timezone":
            tz = attempt(key, _parse_timezone)
            if tz:
                changes["timezone"] = tz
        elif (m := re.fullmatch(r"limit_step(\d)", key)) and int(m.group(1)) in procedure.by_number:
            v = attempt(key, _parse_minutes)
            if v:
                limits[int(m.group(1))] = v
        elif (m := re.fullmatch(r"reject_to_step(\d)", key)) and int(m.group(1)) in procedure.gates:
            v = attempt(key, lambda text: _parse_step(text, procedure.maker_steps))
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
            problems.append(Said(f"{key}: unknown setting (ignored)", "settings.unknown", setting=key))
    return replace(base, limits=limits, reject_to=reject_to, hours=hours, header=header, **changes), problems


# -- history ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Revision:
    """One revision of the Settings: ``rev`` 0 with no ``at`` stands for "no recorded history" (in force always)."""

    rev: int
    at: dt.datetime | None
    settings: Settings
    actor: str = ""
    source: str = ""
    changes: str = ""
    rows: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class History:
    """Settings revisions in the order they came into force (see the module docstring for the rule)."""

    revisions: tuple[Revision, ...]
    problems: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.revisions:
            raise ValueError("a History needs at least one revision")

    @classmethod
    def of(cls, settings: Settings, rows: dict[str, str] | None = None) -> History:
        """One revision in force at every instant: no history, or a report given settings without one."""
        return cls((Revision(0, None, settings, rows=dict(rows or {})),))

    @property
    def latest(self) -> Revision:
        return self.revisions[-1]

    def __len__(self) -> int:
        return len(self.revisions)

    def index_at(self, ns: np.ndarray) -> np.ndarray:
        """For instants as int64 ns since the epoch (UTC), the index of the revision in force at each one."""
        ns = np.asarray(ns, dtype=np.int64)
        if len(self.revisions) == 1:
            return np.zeros(len(ns), dtype=np.int64)
        starts = np.array([_ns(r.at) for r in self.revisions[1:]], dtype=np.int64)
        return np.searchsorted(starts, ns, side="right").astype(np.int64)

    def in_force(self, when: dt.datetime) -> Revision:
        return self.revisions[int(self.index_at(np.array([_ns(when)]))[0])]

    def in_force_at(self, whens: Iterable[dt.datetime]) -> list[Revision]:
        """:meth:`in_force` for many instants in one search."""
        return [self.revisions[i] for i in self.index_at(np.array([_ns(w) for w in whens], dtype=np.int64))]

    def by_rev(self, rev: int) -> Revision:
        return next((r for r in self.revisions if r.rev == rev), self.latest)


def _ns(t: dt.datetime | None) -> int:
    if t is None:
        return np.iinfo(np.int64).min
    return int((t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)) * 1000


def history_from_rows(rows: Iterable[dict[str, Any]], current: dict[str, str] | None = None,
                      default_timezone: str = DEFAULT_TIMEZONE, procedure: sop.Procedure = sop.AGENCY) -> History:
    """Read stored history rows (``SETTINGS_HISTORY_COLUMNS``, append order). A row that cannot be read is listed
    in ``problems`` and left out; a revision that repeats the one before it (two readers recording the same hand
    edit at once) is dropped. With no usable row, ``current`` (the Settings table) is in force always. Each
    revision's keys are read as ``procedure``'s (:func:`from_rows`)."""
    problems: list[str] = []
    found: list[tuple[dt.datetime, int, Revision]] = []
    seen: dict[int, int] = {}
    for n, row in enumerate(rows, start=2):
        try:
            rev = int(float(str(row.get("rev", "")).strip()))
            at = parse_iso(str(row.get("at", "")))
            snap = json.loads(str(row.get("settings") or ""))
            if not isinstance(snap, dict):
                raise ValueError("'settings' is not a table of key: value")
        except ValueError as e:
            problems.append(Said(f"SettingsHistory row {n}: {e} (row ignored)", "settings.history_row", row=n,
                                 detail=str(e)))
            continue
        if rev in seen:
            problems.append(Said(f"SettingsHistory row {n}: revision {rev} is already row {seen[rev]} (row ignored)",
                                 "settings.history_repeat", row=n, rev=rev, first=seen[rev]))
            continue
        seen[rev] = n
        values = {str(k): str(v) for k, v in snap.items()}
        parsed, found_problems = from_rows(values, default_timezone, procedure)
        found.append((at, n, Revision(rev, at, parsed, str(row.get("actor", "")), str(row.get("source", "")),
                                      str(row.get("changes", "")), values, tuple(found_problems))))
    found.sort(key=lambda f: (f[0], f[1]))
    kept: list[Revision] = []
    for _, _, r in found:
        if kept and r.rows == kept[-1].rows:
            continue
        kept.append(r)
    if not kept:
        parsed, _ = from_rows(current or {}, default_timezone, procedure)
        return History((Revision(0, None, parsed, rows=dict(current or {})),), tuple(problems))
    return History(tuple(kept), tuple(problems))


def load_history(store: Any, default_timezone: str = DEFAULT_TIMEZONE,
                 at: dt.datetime | None = None) -> tuple[History, dict[str, str]]:
    """The store's Settings history (a hand edit not yet recorded is recorded first) and its Settings rows."""
    current, rows = store.sync_settings_history(at)
    return history_from_rows(rows, current, default_timezone), current


def history_from_table(rows: list[dict[str, Any]], default_timezone: str = DEFAULT_TIMEZONE) -> History:
    """A settings file given to ``report --settings``: a SettingsHistory export (columns rev, at, settings, …) or a
    plain Settings table (key, value; one revision, in force always). Raises SettingsError for anything else."""
    columns = set(rows[0]) if rows else set()
    if {"rev", "at", "settings"} <= columns:
        history = history_from_rows(rows, None, default_timezone)
        if history.latest.at is None:
            raise SettingsError("no row of the settings history could be read: " + "; ".join(history.problems))
        return history
    if {"key", "value"} <= columns:
        values = {str(r["key"]).strip(): str(r["value"]) for r in rows if str(r["key"]).strip()}
        parsed, problems = from_rows(values, default_timezone)
        if problems:
            raise SettingsError("; ".join(problems))
        return History.of(parsed, values)
    raise SettingsError("a settings file needs the columns key, value (the Settings table) or rev, at, settings "
                        "(the SettingsHistory table)")
