"""The compliance page's numbers, computed from a :class:`compliance.Report` and the Register: the period, filters,
KPI tiles, the per-step and per-person summaries (worst first), trend, binned durations and the at-risk board.
Pure pandas, so the page only draws. (Its downloads are ``report_files``: the same bytes as the command line's
report.)

The page answers a manager's "which steps are late, by whom, this month": every summary here takes a report
already filtered (:func:`filtered`, :func:`in_period`: masks over the attempts computed once per snapshot version),
so a filter change never recomputes the attempts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import sop
from .by_version import ByVersion
from .compliance import Report
from .queues import NEAR_SHARE
from .report_files import attempts_csv, xlsx_bytes
from .schema import Item


def items_frame(items: Iterable[Item]) -> pd.DataFrame:
    """One row per item with what the filters and the at-risk board need (``holder``: who holds the open step).
    Built a column at a time (a tuple per item and pandas' row inference took 0.4 s over 50k items)."""
    items = list(items)
    if not items:  # text columns, as a frame of rows would have them
        return pd.DataFrame([], columns=list(ITEM_COLUMNS))
    holder_of = {s: step.holder_column for s, step in sop.STEPS.items()}
    done = sop.TERMINAL_STATUSES
    return pd.DataFrame({
        "item_id": [i.id for i in items], "title": [i.title for i in items],
        "category": [i.category for i in items], "channels": [",".join(i.channels) for i in items],
        "status": [i.status for i in items], "item_step": np.fromiter((i.step for i in items), np.int64, len(items)),
        "holder": [str(getattr(i, column)) if (column := holder_of.get(i.step)) and i.status not in done else ""
                   for i in items]},
        columns=list(ITEM_COLUMNS))


ITEM_COLUMNS: tuple[str, ...] = ("item_id", "title", "category", "channels", "status", "item_step", "holder")


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
    mask = _mask(report.attempts, items, f, report.settings.timezone)
    if mask.all():  # nothing filtered out (a year's period, no filter): the same attempts, no copy of them
        return report
    return replace(report, attempts=report.attempts[mask].reset_index(drop=True))  # shares the report's calendars


def _mask(frame: pd.DataFrame, items: pd.DataFrame, f: Filters, tz: str, time: str = "started_at",
          person: str = "actor") -> np.ndarray:
    """Which rows of ``frame`` (attempts, or rejections) match ``f``: ``time`` in the period, the item in the
    categories/channels, ``person`` among the people."""
    mask = np.ones(len(frame), dtype=bool)
    if f.start or f.end:  # the period's local days as instants: no Python date per attempt
        started = frame[time]
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
        mask &= _isin(frame["item_id"], keep["item_id"])
    if f.people:
        mask &= _isin(frame[person], f.people)
    return mask


def _isin(column: pd.Series, values: Iterable[object]) -> np.ndarray:
    """``column.isin(values)`` as a numpy mask; for Arrow-backed text by Arrow's hash lookup (pandas' ``isin`` on
    Arrow strings goes through Python objects: 0.4 s against 0.02 s over a year's 300k attempts)."""
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        cells = pa.array(column.array)  # the column's own Arrow data, not a copy
        wanted = pa.array([str(v) for v in values], type=cells.type)
        return np.asarray(pc.is_in(cells, value_set=wanted).fill_null(False), dtype=bool)
    return column.isin(list(values)).to_numpy(dtype=bool)


def in_period(report: Report, start: dt.date, end: dt.date) -> Report:
    """The attempts that started in the local days ``start`` .. ``end`` (inclusive)."""
    return filtered(report, pd.DataFrame(), Filters(start, end))


# -- the period -------------------------------------------------------------------------------------------------
#: The periods a manager picks from; the first is the default ("this month": what a manager asks about).
PERIODS: tuple[str, ...] = ("this_month", "last_month", "this_year", "custom")


def local_today(as_of: dt.datetime, tz: str) -> dt.date:
    """The agency's date at ``as_of`` (the server's clock, never the browser's)."""
    return as_of.astimezone(ZoneInfo(tz)).date()


def period_bounds(choice: str, today: dt.date, custom: tuple[dt.date, ...] = ()) -> tuple[dt.date, dt.date]:
    """The first and last local day (inclusive) of ``choice`` seen on ``today``: this month (the 1st to the
    month's last day), last month, this year, or ``custom`` (one day, or a range in either order; a range not
    chosen yet is this month, so the page always has a period)."""
    if choice == "custom" and custom:
        first, last = min(custom[0], custom[-1]), max(custom[0], custom[-1])
        return first, last
    if choice in ("this_month", "custom"):
        return today.replace(day=1), _month_end(today)
    if choice == "last_month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        return end.replace(day=1), end
    if choice == "this_year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    raise ValueError(f"unknown period {choice!r}: one of {', '.join(PERIODS)}")


def _month_end(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


# -- tiles, steps, people ----------------------------------------------------------------------------------------
def tiles(report: Report, start: dt.date, end: dt.date, period: Report | None = None) -> dict[str, float]:
    """The page's tiles for the period, from ``report`` filtered by everything but the period: items published in
    it (their publication, not their start, in the period), the on-time share of attempts started and closed in
    it, the median calendar hours from start to publication of those published items, the share of the period's
    items sent back at least once, and the open attempts already over their limit. (``period``:
    ``in_period(report, start, end)`` when the caller has it already.)"""
    tz = report.settings.timezone
    a = report.attempts
    lo, hi = _midnight(start, tz), _midnight(end + dt.timedelta(days=1), tz)
    pub = a.loc[(a["outcome"] == "publish") & (a["ended_at"] >= lo) & (a["ended_at"] < hi), ["item_id", "ended_at"]]
    published_at = pub.groupby("item_id")["ended_at"].max()
    first = a.loc[a["step"] == report.procedure.first, ["item_id", "started_at"]]  # no isin: Arrow strings
    began = first.groupby("item_id")["started_at"].min().reindex(published_at.index)
    hours = ((published_at - began).dropna().dt.total_seconds() / 3600)
    p = (period if period is not None else in_period(report, start, end)).attempts
    on_time = p.loc[p["ended_at"].notna(), "on_time"]
    n_items = p["item_id"].nunique()  # vectorised: a per-item Python lambda took 3.8 s over a year at 50k
    n_sent_back = p.loc[p["outcome"] == "reject", "item_id"].nunique()
    return {"published": float(len(published_at)),
            "on_time_rate": float(on_time.mean()) if len(on_time) else float("nan"),
            "median_lead_time_hours": float(hours.median()) if len(hours) else float("nan"),
            "rework_rate": n_sent_back / n_items if n_items else float("nan"),
            "open_overdue": float((~a.loc[a["ended_at"].isna(), "on_time"]).sum())}


STEP_SUMMARY_COLUMNS: tuple[str, ...] = (
    "step", "attempts", "on_time_rate", "late", "open_overdue", "median_minutes", "limit_minutes", "median_share",
    "clock")


def step_summary(report: Report) -> pd.DataFrame:
    """Per step of the procedure: closed attempts, their on-time share, late ones (closed late), open attempts
    already over the limit, the median duration against the step's limit (``median_share`` = median / limit) —
    worst first: the lowest on-time share, then the most late; a step with nothing closed last."""
    p = report.per_step()
    out = pd.DataFrame({
        "step": p["step"].astype(int), "attempts": p["attempts"].astype(int),
        "on_time_rate": p["on_time_rate"].astype(float),
        "late": (p["attempts"] - p["on_time"]).astype(int), "open_overdue": p["open_overdue"].astype(int),
        "median_minutes": p["median_minutes"].where(p["attempts"] > 0).astype(float),
        "limit_minutes": p["limit_minutes"].astype(float), "clock": p["clock"]})
    out["median_share"] = out["median_minutes"] / out["limit_minutes"].where(out["limit_minutes"] > 0)
    order = out.assign(_none=out["on_time_rate"].isna()).sort_values(
        ["_none", "on_time_rate", "late", "open_overdue", "step"], ascending=[True, True, False, False, True],
        kind="stable")
    return order[list(STEP_SUMMARY_COLUMNS)].reset_index(drop=True)


REJECTION_COLUMNS: tuple[str, ...] = ("item_id", "step", "started_at", "ended_at", "by", "to")


def rejections(report: Report) -> pd.DataFrame:
    """Every rejection with who made it (``by``) and who received the work back (``to``: whoever last closed the
    step it returned to, by the Settings revision in force when the rejected attempt started; "" when unknown)."""
    a = report.attempts
    rej = a[a["outcome"] == "reject"]
    if rej.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTION_COLUMNS})
    assert report.history is not None
    targets = {r.rev: r.settings.reject_to for r in report.revisions}
    default = report.procedure.reject_to
    target = [targets.get(int(rev), default).get(int(s), default.get(int(s), 0))
              for rev, s in zip(rej["settings_rev"], rej["step"], strict=True)]
    # times stay datetime64 columns (``to_numpy`` of an aware column makes a Timestamp object per row)
    left = pd.DataFrame({"item_id": rej["item_id"].astype(object).to_numpy(), "step": rej["step"].to_numpy(),
                         "target": np.asarray(target, dtype=np.int64),
                         "started_at": rej["started_at"].reset_index(drop=True),
                         "ended_at": rej["ended_at"].reset_index(drop=True),
                         "by": rej["actor"].astype(object).to_numpy()})
    done = a[a["ended_at"].notna() & a["step"].isin(set(target))]
    right = pd.DataFrame({"item_id": done["item_id"].astype(object).to_numpy(),
                          "target": done["step"].to_numpy(dtype=np.int64),
                          "made_at": done["ended_at"].reset_index(drop=True),
                          "to": done["actor"].astype(object).to_numpy()})
    joined = pd.merge_asof(left.sort_values("started_at"), right.sort_values("made_at"), left_on="started_at",
                           right_on="made_at", by=["item_id", "target"], direction="backward")
    joined["to"] = joined["to"].fillna("")
    return joined[list(REJECTION_COLUMNS)].sort_values(["item_id", "started_at"]).reset_index(drop=True)


_REJECTIONS: ByVersion[pd.DataFrame] = ByVersion(keep=2)


def rejections_of(version: Hashable, report: Report) -> pd.DataFrame:
    """:func:`rejections` of the whole report once per snapshot ``version`` (filter it with
    :func:`filter_rejections`): a person filter must not hide the rejections that person received."""
    return _REJECTIONS.get(version, lambda: rejections(report))


def filter_rejections(frame: pd.DataFrame, items: pd.DataFrame, f: Filters, tz: str) -> pd.DataFrame:
    """The rejections of the period (the rejected attempt's start, as attempts are filtered), of the items in the
    categories/channels, received by the people."""
    if frame.empty:
        return frame
    return frame[_mask(frame, items, f, tz, person="to")]


PERSON_COLUMNS: tuple[str, ...] = ("actor", "name", "attempts", "late", "on_time_rate", "rework")


def person_summary(report: Report, received: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Per person (by ``names[e-mail]``, the address for someone unknown): the attempts they closed, how many of
    those were late, the on-time share, and ``rework``: rejections they received (``received``: rows of
    :func:`rejections`). Worst first: most late, then most rework, then the lowest on-time share, then name."""
    a = report.attempts
    c = a.loc[a["ended_at"].notna() & (a["actor"] != ""), ["actor", "on_time"]]  # two columns, not every one
    g = c.groupby(c["actor"].astype(object))
    out = pd.DataFrame({"attempts": g.size(), "late": g["on_time"].agg(lambda s: int((~s).sum()))})
    got = received[received["to"] != ""].groupby("to").size() if len(received) else pd.Series(dtype=int)
    out = out.join(got.rename("rework"), how="outer").fillna(0).astype(int)
    out["on_time_rate"] = np.where(out["attempts"] > 0, 1 - out["late"] / out["attempts"].clip(lower=1), np.nan)
    out.index.name = "actor"
    out = out.reset_index()
    out["name"] = [names.get(e) or e for e in out["actor"]]
    out = out.sort_values(["late", "rework", "on_time_rate", "name"], ascending=[False, False, True, True],
                          na_position="last", kind="stable")
    return out[list(PERSON_COLUMNS)].reset_index(drop=True)


def late_of(report: Report, items: pd.DataFrame, actor: str) -> pd.DataFrame:
    """The late attempts ``actor`` closed, the most over their limit first, with the item's title (the drill-down
    from a person's row); ``over_minutes`` = minutes past the limit."""
    a = report.attempts
    late = a[a["ended_at"].notna() & (a["actor"] == actor) & ~a["on_time"]]
    out = late[["item_id", "step", "attempt", "started_at", "ended_at", "minutes", "limit_minutes"]].copy()
    out["item_id"] = out["item_id"].astype(object)
    out["over_minutes"] = out["minutes"] - out["limit_minutes"]
    out = out.merge(items[["item_id", "title"]], on="item_id", how="left")
    out["title"] = out["title"].fillna("")
    return out.sort_values(["over_minutes", "item_id"], ascending=[False, True]).reset_index(drop=True)


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


def trend(report: Report, freq: str = "M", until: dt.date | None = None, last: int | None = None) -> pd.DataFrame:
    """On-time share of closed attempts per week (``W``) or month (``M``) and step; with ``until`` and ``last``,
    only the ``last`` weeks/months up to the one holding ``until`` (a trend reaches back before a month's
    period, or "this month" would be one point)."""
    a = report.attempts
    c = a.loc[a["ended_at"].notna(), ["ended_at", "step", "on_time"]]  # the columns it needs, not every one
    if c.empty:
        return pd.DataFrame(columns=["period", "step", "attempts", "on_time_rate"])
    days = _local_days(c["ended_at"], report.settings.timezone)
    starts = _bucket(days, freq)
    if until is not None:
        top = _bucket(np.array([np.datetime64(until, "D")]), freq)[0]
        keep = starts <= top
        if last is not None:
            bottom = (top - np.timedelta64(7 * (last - 1), "D") if freq == "W" else
                      (top.astype("datetime64[M]") - np.timedelta64(last - 1, "M")).astype("datetime64[D]"))
            keep &= starts >= bottom
        c, starts = c[keep], starts[keep]
        if c.empty:
            return pd.DataFrame(columns=["period", "step", "attempts", "on_time_rate"])
    period = pd.Series(_day_labels(starts), index=c.index)
    g = c.assign(period=period).groupby(["period", "step"])
    return g.agg(attempts=("on_time", "size"), on_time_rate=("on_time", "mean")).reset_index()


def _bucket(days: np.ndarray, freq: str) -> np.ndarray:
    """Each day's week (from Monday: ``W``) or month (``M``) as its first day."""
    if freq == "W":  # weeks from Monday (pandas' W-SUN periods); 1970-01-01 was a Thursday
        return days - ((days.view(np.int64) + 3) % 7).astype("timedelta64[D]")
    return days.astype("datetime64[M]").astype("datetime64[D]")


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
    a = report.attempts
    minutes = a.loc[a["ended_at"].notna() & (a["step"] == step), "minutes"].to_numpy(dtype=float)
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


AT_RISK_COLUMNS: tuple[str, ...] = ("item_id", "title", "step", "state", "remaining_minutes", "limit_minutes",
                                    "holder", "started_at")


def at_risk_only(report: Report, items: pd.DataFrame, near_share: float = NEAR_SHARE) -> pd.DataFrame:
    """Open attempts that are overdue (``state`` "late": ``remaining_minutes`` < 0) or near their limit ("near":
    at most ``near_share`` of it left, as the queues' amber badge), the most overdue first; an attempt still
    waiting for its planned time (step 6 before publication) is neither. ``holder``: who holds the item now."""
    a = report.attempts
    open_ = a[a["ended_at"].isna() & (a["started_at"] <= pd.Timestamp(report.as_of))]
    risky = open_[open_["remaining_minutes"] <= open_["limit_minutes"] * near_share + 1e-6]
    out = risky[["item_id", "step", "started_at", "remaining_minutes", "limit_minutes"]].copy()
    out["item_id"] = out["item_id"].astype(object)
    out["state"] = np.where(out["remaining_minutes"] < 0, "late", "near")
    out = out.merge(items[["item_id", "title", "holder"]], on="item_id", how="left")
    out[["title", "holder"]] = out[["title", "holder"]].fillna("")
    return out.sort_values(["remaining_minutes", "item_id"])[list(AT_RISK_COLUMNS)].reset_index(drop=True)


def to_xlsx(report: Report, progress: Callable[[float], None] | None = None) -> bytes:
    """The SOP's softcopy record: the report's workbook, the same bytes ``report --format xlsx`` writes."""
    return xlsx_bytes(report, progress=progress)


def to_csv(report: Report) -> bytes:
    """The attempts as the CSV report has them (the page downloads them in a ZIP with the problems and about)."""
    return attempts_csv(report)


@dataclass(frozen=True)
class View:
    """What the page shows for one period and set of filters, over one snapshot version: the report filtered by
    everything but the period (``base``: tiles, trend, at-risk), its period's attempts (``period``), the period's
    rejections and the tiles, steps and people computed from them. Shared: callers only read it (copy a frame
    before adding columns)."""

    base: Report
    period: Report
    rejected: pd.DataFrame
    tiles: dict[str, float]
    steps: pd.DataFrame
    persons: pd.DataFrame


#: A few views: a manager switching between filters and periods, several managers on one version. A year's view
#: over 50k items holds ~300k filtered attempts (tens of MB), so only a few are kept.
_VIEWS: ByVersion[View] = ByVersion(keep=4)


def view_of(version: Hashable, report: Report, items: pd.DataFrame, received: pd.DataFrame,
            names: Mapping[str, str], start: dt.date, end: dt.date, f: Filters) -> View:
    """:class:`View` once per (snapshot ``version``, period, filters): a rerun of the page that changes neither
    (a drill-down, a chart's choice, a download) computes none of it again. ``received``: :func:`rejections_of`
    the whole report; ``names``: the snapshot's people by e-mail."""
    def make() -> View:
        base = filtered(report, items, f)
        period = in_period(base, start, end)
        rejected = filter_rejections(received, items, Filters(start, end, f.categories, f.channels, f.people),
                                     report.settings.timezone)
        return View(base, period, rejected, tiles(base, start, end, period=period), step_summary(period),
                    person_summary(period, rejected, names))

    return _VIEWS.get((version, start, end, f), make)
