"""The compliance page's numbers, computed from a :class:`compliance.Report` and the Register: filters, KPI
tiles, trend, binned durations and the at-risk board. Pure pandas, so the page only draws. (Its downloads are
``report_files``: the same bytes as the command line's report.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .by_version import ByVersion
from .compliance import Report
from .report_files import attempts_csv, xlsx_bytes
from .schema import Item


def items_frame(items: Iterable[Item]) -> pd.DataFrame:
    """One row per item with what the filters and the at-risk board need."""
    rows = [(i.id, i.title, i.category, ",".join(i.channels), i.status, i.step) for i in items]
    return pd.DataFrame(rows, columns=["item_id", "title", "category", "channels", "status", "item_step"])


_ITEMS: ByVersion[pd.DataFrame] = ByVersion(keep=2)


def items_of(version: Hashable, items: Iterable[Item]) -> pd.DataFrame:
    """:func:`items_frame` once per snapshot ``version`` (shared, only read)."""
    return _ITEMS.get(version, lambda: items_frame(items))


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None  # inclusive
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    people: tuple[str, ...] = ()


def filtered(report: Report, items: pd.DataFrame, f: Filters) -> Report:
    """A report over the attempts that match: started in the period, of items in the categories/channels, by the
    people (an open attempt has no actor yet, so a person filter keeps only closed ones)."""
    a = report.attempts
    mask = np.ones(len(a), dtype=bool)
    tz = report.settings.timezone
    if f.start or f.end:  # the period's local days as instants: no Python date per attempt
        started = a["started_at"]
        if f.start:
            mask &= (started >= _midnight(f.start, tz)).to_numpy()
        if f.end:
            mask &= (started < _midnight(f.end + dt.timedelta(days=1), tz)).to_numpy()
    if f.categories or f.channels:
        keep = items
        if f.categories:
            keep = keep[keep["category"].isin(f.categories)]
        if f.channels:
            pattern = "|".join(f"(?:^|,){c}(?:,|$)" for c in f.channels)
            keep = keep[keep["channels"].str.contains(pattern, regex=True)]
        mask &= a["item_id"].isin(keep["item_id"]).to_numpy()
    if f.people:
        mask &= a["actor"].isin(f.people).to_numpy()
    return replace(report, attempts=a[mask].reset_index(drop=True))  # shares the report's calendars


def _midnight(day: dt.date, tz: str) -> pd.Timestamp:
    """The first instant of ``day`` in ``tz`` (a day that starts with a DST gap starts when the gap ends)."""
    return pd.Timestamp(day).tz_localize(tz, nonexistent="shift_forward", ambiguous=True)


def kpis(report: Report, as_of: dt.datetime) -> dict[str, float]:
    s = report.summary()
    lead = report.lead_times()
    month = pd.Timestamp(as_of).tz_convert(report.settings.timezone).strftime("%Y-%m")
    if len(lead):
        pub_month = _local_days(lead["published_at"], report.settings.timezone).astype("datetime64[M]")
        published = float((pub_month == np.datetime64(month, "M")).sum())
    else:
        published = 0.0
    return {"published_this_month": published, "on_time_rate": s["on_time_rate"],
            "median_lead_time_hours": s["median_lead_time_hours"], "rework_rate": s["rework_rate"],
            "open_overdue": s["open_overdue"]}


def trend(report: Report, freq: str = "M") -> pd.DataFrame:
    """On-time share of closed attempts per week (``W``) or month (``M``) and step."""
    c = report.closed()
    if c.empty:
        return pd.DataFrame(columns=["period", "step", "attempts", "on_time_rate"])
    days = _local_days(c["ended_at"], report.settings.timezone)
    if freq == "W":  # weeks from Monday (pandas' W-SUN periods); 1970-01-01 was a Thursday
        starts = days - ((days.view(np.int64) + 3) % 7).astype("timedelta64[D]")
    else:
        starts = days.astype("datetime64[M]").astype("datetime64[D]")
    period = pd.Series(_day_labels(starts), index=c.index)
    g = c.assign(period=period).groupby(["period", "step"])
    return g.agg(attempts=("on_time", "size"), on_time_rate=("on_time", "mean")).reset_index()


def _local_days(times: pd.Series, tz: str) -> np.ndarray:
    """Aware times as their local dates in ``tz`` (numpy ``datetime64[D]``: no Python object per row)."""
    return times.dt.tz_convert(tz).dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def _day_labels(days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of each day, formatted once per distinct day."""
    uniq, codes = np.unique(days, return_inverse=True)
    return np.datetime_as_string(uniq, unit="D").astype(object)[codes.ravel()]


def duration_bins(report: Report, step: int, bins: int = 30) -> tuple[pd.DataFrame, int]:
    """Histogram of closed attempts' minutes at one step (binned here: a chart never gets 100k raw points) and
    the step's limit. Bins span 0 .. max(2 x limit, the 99th percentile)."""
    c = report.closed()
    minutes = c.loc[c["step"] == step, "minutes"].to_numpy(dtype=float)
    limit = int(report.settings.limit(step))
    top = max(2 * limit, float(np.percentile(minutes, 99)) if len(minutes) else 0.0)
    counts, edges = np.histogram(np.clip(minutes, 0, top), bins=bins, range=(0, top))
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts}), limit


def at_risk(report: Report, items: pd.DataFrame, limit: int = 50) -> pd.DataFrame:
    """Open attempts with the least time left first (negative: already late)."""
    a = report.attempts
    open_ = a[a["ended_at"].isna()][["item_id", "step", "started_at", "minutes", "limit_minutes",
                                     "remaining_minutes"]]
    out = open_.merge(items[["item_id", "title", "category", "channels"]], on="item_id", how="left")
    return out.sort_values("remaining_minutes").head(limit).reset_index(drop=True)


def to_xlsx(report: Report, progress: Callable[[float], None] | None = None) -> bytes:
    """The SOP's softcopy record: the report's workbook, the same bytes ``report --format xlsx`` writes."""
    return xlsx_bytes(report, progress=progress)


def to_csv(report: Report) -> bytes:
    """The attempts as the CSV report has them (the page downloads them in a ZIP with the problems and about)."""
    return attempts_csv(report)
