"""Timestamps: ISO 8601 with an offset in storage, to the millisecond (``2026-11-26T10:00:00.123+07:00``), the
server's clock for every action, the agency's zone for anything written without an offset.

The agency's zone is ``Settings.timezone`` (an admin may revise it; :data:`DEFAULT_TIMEZONE`, Asia/Pontianak, until
then — its one home). Whoever reads the Settings in force (the desk's session, the publish and notification jobs, the
CLI) calls :func:`use_zone`; :func:`server_now`, :func:`to_iso` and :func:`parse_iso` then stamp, store and read in
it. Why one setting per process rather than a ``tz`` argument on every call: one deployment has one Settings sheet,
so every caller would pass the same value through ~70 call sites (and a forgotten one would silently fall back to
the default); and why not a context variable: the job's heartbeat threads and Streamlit's callbacks run outside the
context that read the Settings, and must stamp in the same zone. The zone only changes the offset that is written
and shown — an instant stays the same instant (compliance counts instants).

Milliseconds because a rejection and the resubmission that follows it can fall in the same second; what still
ties is ordered by the Log's own row order. Reading accepts any precision (seconds, or a date typed by hand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # numpy/pandas are imported where the vectorised parser runs: the channels import this module
    import pandas as pd

#: The agency's zone until an admin sets another in the Settings (UTC+7, WIB).
DEFAULT_TIMEZONE = "Asia/Pontianak"
#: :data:`DEFAULT_TIMEZONE` as a tzinfo (the zone the SOP's defaults are written in).
AGENCY_TZ = ZoneInfo(DEFAULT_TIMEZONE)

_zone: ZoneInfo = AGENCY_TZ

#: The server's clock. Tests replace it; a client's clock is never asked.
Now = Callable[[], dt.datetime]


def zone() -> ZoneInfo:
    """The agency's zone in force: the Settings' ``timezone`` as last read by this process (see the module)."""
    return _zone


def use_zone(tz: str | ZoneInfo) -> ZoneInfo:
    """Stamp, store and read naive text in ``tz`` from now on (called wherever the Settings in force are read);
    returns it. A name that is not a time zone raises (Settings refuse one when they are read)."""
    global _zone
    _zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return _zone


def server_now() -> dt.datetime:
    """Now, in the agency's zone, to the millisecond (what is stored)."""
    t = dt.datetime.now(_zone)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)


def to_iso(t: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    """``2026-11-26T10:00:00.123+07:00``: milliseconds, in ``tz`` (the agency's zone), always with its offset."""
    if t is None:
        return ""
    if t.tzinfo is None:
        raise ValueError("naive datetime: every stored time needs an offset")
    return t.astimezone(tz or _zone).isoformat(timespec="milliseconds")


def parse_iso(text: str, tz: dt.tzinfo | None = None) -> dt.datetime:
    """One ISO 8601 timestamp; no offset means ``tz`` (the agency's zone). Raises ValueError with a readable
    reason."""
    s = str(text).strip()
    if not s:
        raise ValueError("empty timestamp")
    try:
        t = dt.datetime.fromisoformat(s[:-1] + "+00:00" if s[-1:] in "zZ" else s)
    except ValueError:
        raise ValueError(f"'{text}' is not an ISO 8601 timestamp like 2026-11-26T10:00:00+07:00") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz or _zone)
    if not 2000 <= t.year <= 2100:
        raise ValueError(f"'{text}' is outside the years 2000-2100")
    return t


#: A full timestamp with its offset, as the store writes it (or ``Z``): Arrow's C++ cast reads these exactly as
#: pandas' ISO 8601 parser does, about ten times faster; anything else goes the general way.
_PLAIN_ISO = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$"


def parse_iso_series(values: pd.Series, tz: str | None = None) -> pd.Series:
    """Vectorised ``parse_iso``: a UTC datetime Series, NaT where a value cannot be read (callers report why).

    Values with an offset or ``Z`` keep it; values without one are read in ``tz``. The usual cell (the store's own
    ``2026-11-26T10:00:00.123+07:00``) is read by Arrow's cast; the rest (no offset, a date typed by hand, a
    lowercase ``z``, garbage) by pandas, as before.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    tz = tz or _zone.key
    arr = pa.array(values.astype("string"), type=pa.string(), from_pandas=True)
    given = pc.fill_null(pc.not_equal(arr, ""), False)
    n_given = pc.sum(given).as_py() or 0
    if n_given < len(arr):  # empty cells are NaT: read only the others (a Log's publish_at is mostly empty)
        ns = np.full(len(values), NAT_NS, dtype=np.int64)
        if n_given:
            keep = np.asarray(given.to_numpy(zero_copy_only=False), dtype=bool)
            ns[keep] = parse_iso_series(values[keep], tz).to_numpy(dtype="datetime64[ns]").view(np.int64)
        return pd.Series(ns.view("datetime64[ns]"), index=values.index, dtype="datetime64[ns, UTC]")
    plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN_ISO), False)
    ns = np.full(len(values), NAT_NS, dtype=np.int64)
    rest = np.ones(len(values), dtype=bool)
    n_plain = pc.sum(plain).as_py() or 0
    if n_plain:
        where = np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)
        try:
            parsed = pc.cast(arr if n_plain == len(arr) else pc.filter(arr, plain), pa.timestamp("ns", "UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # a day that does not exist, 24:00, …: pandas decides
            parsed = None
        if parsed is not None:
            ns[where] = parsed.cast(pa.int64()).to_numpy(zero_copy_only=False)
            rest = ~where
    rest &= np.asarray(pc.fill_null(pc.not_equal(arr, ""), False).to_numpy(zero_copy_only=False), dtype=bool)
    if rest.any():
        ns[rest] = _parse_iso_general(values[rest], tz).to_numpy(dtype="datetime64[ns]").view(np.int64)
    ns[(ns < _YEAR_2000) | (ns >= _YEAR_2101)] = NAT_NS  # NaT is below both
    return pd.Series(ns.view("datetime64[ns]"), index=values.index, dtype="datetime64[ns, UTC]")


NAT_NS = -(2**63)  # numpy's int64 minimum: NaT
_YEAR_2000 = int(dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()) * 10**9
_YEAR_2101 = int(dt.datetime(2101, 1, 1, tzinfo=dt.UTC).timestamp()) * 10**9


def _parse_iso_general(values: pd.Series, tz: str) -> pd.Series:
    """:func:`parse_iso_series` for any text, with pandas (the mixed cases the fast path leaves)."""
    import pandas as pd

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
    return out.dt.as_unit("ns")
