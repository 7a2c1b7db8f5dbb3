"""Timestamps: ISO 8601 with an offset in storage, to the millisecond (``2026-11-26T10:00:00.123+07:00``), the
server's clock for every action, Asia/Pontianak for anything written without an offset.

Milliseconds because a rejection and the resubmission that follows it can fall in the same second; what still
ties is ordered by the Log's own row order. Reading accepts any precision (seconds, or a date typed by hand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pandas as pd

AGENCY_TZ = ZoneInfo("Asia/Pontianak")

#: The server's clock. Tests replace it; a client's clock is never asked.
Now = Callable[[], dt.datetime]


def server_now() -> dt.datetime:
    """Now, in the agency's zone, to the millisecond (what is stored)."""
    t = dt.datetime.now(AGENCY_TZ)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def to_iso(t: dt.datetime | None, tz: dt.tzinfo = AGENCY_TZ) -> str:
    """``2026-11-26T10:00:00.123+07:00``: milliseconds, in the agency's zone, always with its offset."""
    if t is None:
        return ""
    if t.tzinfo is None:
        raise ValueError("naive datetime: every stored time needs an offset")
    return t.astimezone(tz).isoformat(timespec="milliseconds")


def parse_iso(text: str, tz: dt.tzinfo = AGENCY_TZ) -> dt.datetime:
    """One ISO 8601 timestamp; no offset means the agency's zone. Raises ValueError with a readable reason."""
    s = str(text).strip()
    if not s:
        raise ValueError("empty timestamp")
    try:
        t = dt.datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "zZ" else s)
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO 8601 timestamp like 2026-11-26T10:00:00+07:00") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    if not 2000 <= t.year <= 2100:
        raise ValueError(f"'{text}' is outside the years 2000-2100")
    return t


def parse_iso_series(values: pd.Series, tz: str = "Asia/Pontianak") -> pd.Series:
    """Vectorised ``parse_iso``: a UTC datetime Series, NaT where a value cannot be read (callers report why).

    Values with an offset or ``Z`` keep it; values without one are read in ``tz``.
    """
    s = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    has_offset = s.str.contains(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$", regex=True, na=False) & s.str.contains(
        r"^\d{4}-\d{2}-\d{2}[T ]\d", regex=True, na=False
    )
    naive = ~has_offset & s.notna() & (s != "")
    if has_offset.any():
        out[has_offset] = pd.to_datetime(s[has_offset], utc=True, errors="coerce", format="ISO8601")
    if naive.any():
        local = pd.to_datetime(s[naive], errors="coerce", format="ISO8601")
        if getattr(local.dt, "tz", None) is None:
            local = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        out[naive] = local.dt.tz_convert("UTC")
    out = out.dt.as_unit("ns")
    years = out.dt.year
    out[(years < 2000) | (years > 2100)] = pd.NaT
    return out

