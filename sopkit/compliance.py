"""SOP compliance computed from the Log with pandas: one row per attempt at a step, and summaries.

Rules (``shared/sop/SOP.md``; every pass through a step after a rejection is its own attempt):

- step 1 runs from ``start`` to the step-1 ``submit``; step 2 from the step-1 ``submit`` (or a ``reject`` at
  step 3 or 4, which returns to the configured step, 2 by default) to the step-2 ``submit``; step 3 from the
  step-2 ``submit`` to the step-3 decision; step 4 from the step-3 ``approve`` to the step-4 decision; step 5
  from the step-4 ``approve`` to ``schedule``; step 6 from max(``publish_at``, the ``schedule`` time) to
  ``publish``, in calendar minutes, never below 0 (a later ``schedule`` while waiting reschedules it).
- Steps 1-5 count working minutes of the agency's calendar (``clock.WorkCalendar``). ``cancel`` ends whatever
  attempt is open.
- Each attempt is judged by the Settings revision in force when it started (its limit and working calendar;
  a rejection returns to the step the revision in force at that instant names): see ``settings.History``.
- A row that cannot be used (bad timestamp, unknown step or action, an action the item's state does not allow
  such as an approve with no submit before it) is skipped and reported with its row number and the reason.

Order. An item's rows are replayed in time order, whatever order they come in. Rows of one item at the same
instant (a Log typed to the minute, an import, two people at once) are replayed in an order the item's state
allows: as many of them as can be taken, choosing among the orders that take rows while any fits the one that
lets the item's later rows be taken too; among equals, the preferred order wins — the store's own row order
(``stored_order=True``: the Log's append order) or, for a file whose row order means nothing, the SOP's sequence
(start, submit 1, submit 2, decision 3, decision 4, schedule, publish, cancel), then action, actor and
``publish_at``. So a reject and the
next submit typed with the same time replay as reject, then submit, and shuffling a file never changes the report.

The happy path is vectorised: rows are validated column-wise, each row's required state is compared with the
state the previous row leaves, and attempts are paired with a shift. Only items with an out-of-order row are
replayed one row at a time (and their same-instant groups solved as above), to skip exactly the rows a sequential
reading would skip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from . import sop
from .by_version import ByVersion
from .clock import Breakdown, WorkCalendar
from .i18n import step_title
from .schema import LOG_COLUMNS
from .settings import History, Revision, Settings
from .timeutil import parse_iso_series

ATTEMPT_COLUMNS: tuple[str, ...] = (
    "item_id", "step", "attempt", "started_at", "ended_at", "clock", "minutes", "limit_minutes", "on_time",
    "remaining_minutes", "outcome", "actor",
)
#: What a report file has beyond the required columns: the Settings revision each attempt was judged by.
EXPORT_COLUMNS: tuple[str, ...] = (*ATTEMPT_COLUMNS, "settings_rev")
PROBLEM_COLUMNS: tuple[str, ...] = ("row", "item_id", "reason")
REQUIRED_COLUMNS: tuple[str, ...] = ("at", "item_id", "step", "action")

DONE = sop.AGENCY.done  # the agency's state after publish or cancel (one past its last step)
NONE = 0  # state before start
ANY = -2  # a row's required state when it may be taken at any open step (cancel)
EPS = 1e-6


@dataclass(frozen=True)
class States:
    """The replay's state tables, derived from a procedure's transitions table: for each flow row (action, step)
    the state (open step) it requires and the one it leaves, and its preferred rank among same-instant rows. The
    rank is the SOP's own sequence (start, submit 1, submit 2, decision 3, decision 4, schedule, reschedule,
    publish; rows taken at any step, cancel, last). Rejections leave the item where the Settings revision in force
    says (``reject``: their default target). ``also``: a row that also fits a later state, where the same action
    stays (a schedule labelled step 5 while already scheduled is a reschedule)."""

    need: dict[tuple[str, int], int]
    next: dict[tuple[str, int], int]
    rank: dict[tuple[str, int], int]
    also: dict[tuple[str, int], int]
    reject: dict[tuple[str, int], int]
    anywhere: tuple[str, ...]  # flow actions possible at any open step
    done: int
    planned: int  # the step whose clock starts at the planned time (-1: none)
    working: tuple[int, ...]  # steps on working time


@lru_cache(maxsize=8)
def states_of(procedure: sop.Procedure) -> States:
    """:class:`States` of ``procedure`` (computed once per procedure)."""
    need: dict[tuple[str, int], int] = {}
    nxt: dict[tuple[str, int], int] = {}
    reject: dict[tuple[str, int], int] = {}
    for tr in procedure.transitions:
        if tr.action not in sop.FLOW_ACTIONS or tr.at is None:
            continue
        key = (tr.action, procedure.number(tr.at))
        need[key] = NONE if tr.creates else key[1]
        nxt[key] = procedure.target(tr)
        if tr.counts_rejection:
            reject[key] = nxt[key]
    keys = sorted({(need[k], nxt[k] != need[k]) for k in need})
    rank = {k: keys.index((need[k], nxt[k] != need[k])) for k in need}
    also = {(a, st): to for (a, st), to in nxt.items()
            if to != need[(a, st)] and nxt.get((a, to)) == to == need.get((a, to))}
    if procedure.last >= 10:
        raise ValueError("the report codes a step in one digit: at most 9 steps")
    return States(need, nxt, rank, also, reject,
                  tuple(tr.action for tr in procedure.transitions if tr.action in sop.FLOW_ACTIONS and tr.at is None),
                  procedure.done, procedure.planned_step or -1,
                  tuple(s.number for s in procedure.steps if s.clock == "working"))


@dataclass
class Report:
    attempts: pd.DataFrame
    problems: pd.DataFrame
    as_of: dt.datetime
    settings: Settings = field(default_factory=Settings)  # the latest revision's: summaries and the page use it
    history: History | None = None  # every revision; attempts carry the one they were judged by (settings_rev)
    log_rows: int = 0  # Log rows read
    log_fingerprint: str = ""  # of what the report read from them: same Log content, same fingerprint (any order)
    procedure: sop.Procedure = sop.AGENCY  # the SOP whose steps the Log names
    _calendars: dict[int, WorkCalendar] = field(default_factory=dict, repr=False)  # shared by filtered views

    def __post_init__(self) -> None:
        if self.history is None:
            self.history = History.of(self.settings)

    # -- summaries ----------------------------------------------------------------------------------------------
    def closed(self) -> pd.DataFrame:
        return self.attempts[self.attempts["ended_at"].notna()]

    def per_step(self, lang: str = "en") -> pd.DataFrame:
        a = self.attempts
        closed = a[a["ended_at"].notna()]
        g = closed.groupby("step")
        out = pd.DataFrame({
            "attempts": g.size(),
            "on_time": g["on_time"].sum(),
            "median_minutes": g["minutes"].median(),
            "p90_minutes": g["minutes"].quantile(0.9),
        }).reindex(list(self.procedure.by_number), fill_value=0)
        out["on_time_rate"] = np.where(out["attempts"] > 0, out["on_time"] / out["attempts"].clip(lower=1), np.nan)
        open_ = a[a["ended_at"].isna()]
        out["open"] = open_.groupby("step").size().reindex(out.index, fill_value=0)
        out["open_overdue"] = open_[~open_["on_time"]].groupby("step").size().reindex(out.index, fill_value=0)
        out["limit_minutes"] = [self.settings.limit(s) for s in out.index]
        out["clock"] = [self.procedure.by_number[s].clock for s in out.index]
        out.insert(0, "title", [step_title(self.procedure.by_number[s], lang) for s in out.index])
        return out.reset_index().rename(columns={"index": "step"})

    def per_month(self) -> pd.DataFrame:
        c = self.closed()
        if c.empty:
            return pd.DataFrame(columns=["month", "step", "attempts", "on_time_rate"])
        month = c["ended_at"].dt.tz_convert(self.settings.timezone).dt.strftime("%Y-%m")
        g = c.assign(month=month).groupby(["month", "step"])
        return g.agg(attempts=("on_time", "size"), on_time_rate=("on_time", "mean")).reset_index()

    def per_person(self) -> pd.DataFrame:
        c = self.closed()
        c = c[c["actor"] != ""]
        if c.empty:
            return pd.DataFrame(columns=["actor", "step", "attempts", "on_time_rate", "median_minutes"])
        g = c.groupby(["actor", "step"])
        return g.agg(attempts=("on_time", "size"), on_time_rate=("on_time", "mean"),
                     median_minutes=("minutes", "median")).reset_index()

    def rework(self) -> pd.DataFrame:
        a = self.attempts
        rejected = a[a["outcome"] == "reject"]
        counts = rejected.groupby(["item_id", "step"]).size().unstack(fill_value=0)
        out = pd.DataFrame(index=pd.Index(a["item_id"].unique(), name="item_id"))
        for s in self.procedure.gates:  # named as the Register's counters (``rejections_step3`` …)
            column = self.procedure.rejection_columns.get(s, f"rejections_step{s}")
            out[column] = counts[s] if s in counts else 0
        out = out.fillna(0).astype(int)
        out["rejections"] = out.sum(axis=1)
        return out.reset_index()

    # -- the calendars of the revisions ---------------------------------------------------------------------
    @property
    def calendar(self) -> WorkCalendar:
        """The working calendar of the latest settings, built once (its day table is the costly part)."""
        return self.calendar_of(len(self.revisions) - 1)

    @property
    def revisions(self) -> tuple[Revision, ...]:
        assert self.history is not None
        return self.history.revisions

    def calendar_of(self, index: int) -> WorkCalendar:
        """The working calendar of revision ``index`` (a position in ``history.revisions``), built once."""
        if index not in self._calendars:
            self._calendars[index] = WorkCalendar(self.revisions[index].settings)
        return self._calendars[index]

    def working_minutes(self, starts: pd.Series, ends: pd.Series) -> np.ndarray:
        """Working minutes of each (start, end), each by the calendar of the revision in force at its start."""
        assert self.history is not None
        out = np.full(len(starts), np.nan)
        which = self.history.index_at(_ns(starts))
        for i in np.unique(which):
            mask = which == i
            out[mask] = self.calendar_of(int(i)).working_minutes(starts[mask], ends[mask])
        return out

    def revisions_used(self) -> tuple[Revision, ...]:
        """The revisions the attempts were judged by, oldest first."""
        used = set(self.attempts["settings_rev"].tolist()) if "settings_rev" in self.attempts else set()
        return tuple(r for r in self.revisions if r.rev in used)

    def lead_times(self) -> pd.DataFrame:
        a = self.attempts
        first = a[a["step"] == self.procedure.first].groupby("item_id")["started_at"].min()
        published = a["step"].isin(self.procedure.steps_for("publish")) & (a["outcome"] == "publish")
        pub = a[published].groupby("item_id")["ended_at"].max()
        both = pd.concat([first.rename("started_at"), pub.rename("published_at")], axis=1).dropna()
        both["calendar_hours"] = (both["published_at"] - both["started_at"]).dt.total_seconds() / 3600
        both["working_minutes"] = self.working_minutes(both["started_at"], both["published_at"])
        return both.reset_index().rename(columns={"index": "item_id"})

    def summary(self) -> dict[str, float]:
        c = self.closed()
        lead = self.lead_times()
        rw = self.rework()
        return {
            "items": float(self.attempts["item_id"].nunique()),
            "published": float(len(lead)),
            "attempts": float(len(c)),
            "on_time_rate": float(c["on_time"].mean()) if len(c) else float("nan"),
            "median_lead_time_hours": float(lead["calendar_hours"].median()) if len(lead) else float("nan"),
            "rework_rate": float((rw["rejections"] > 0).mean()) if len(rw) else float("nan"),
            "open_overdue": float((~self.attempts.loc[self.attempts["ended_at"].isna(), "on_time"]).sum()),
            "problems": float(len(self.problems)),
        }

    def attempts_for_export(self) -> pd.DataFrame:
        """Attempts with ISO 8601 timestamps in the agency's zone, the required columns first, then the Settings
        revision each was judged by."""
        out = self.attempts.copy(deep=False)  # columns are replaced, never written in place (copy-on-write)
        tz = self.settings.timezone
        for col in ("started_at", "ended_at"):
            out[col] = iso_strings(out[col], tz)
        out["minutes"] = out["minutes"].round(2)
        out["remaining_minutes"] = out["remaining_minutes"].round(2)
        return out[list(EXPORT_COLUMNS)]

    # -- why late -------------------------------------------------------------------------------------------
    def late(self) -> pd.DataFrame:
        """Attempts past their limit: closed late, or open and overdue at ``as_of``."""
        return self.attempts[~self.attempts["on_time"]]

    def explain(self, attempt: pd.Series, lang: str = "id") -> tuple[Breakdown, dt.datetime | None]:
        """The working-time breakdown of one attempt (a row of ``attempts``) by the calendar it was judged by, from
        its start to its end (``as_of`` while open), and its deadline (None for step 6, which runs on the
        calendar: its limit is plain minutes after the planned time)."""
        assert self.history is not None
        index = self.revisions.index(self.history.by_rev(int(attempt["settings_rev"])))
        cal = self.calendar_of(index)
        start = attempt["started_at"].to_pydatetime()
        end = self.as_of if pd.isna(attempt["ended_at"]) else attempt["ended_at"].to_pydatetime()
        if attempt["clock"] != "working":
            return Breakdown(start.astimezone(cal.tz), end.astimezone(cal.tz), ()), None
        return cal.explain(start, end, lang), cal.deadline(start, float(attempt["limit_minutes"]))

    def why_late(self, lang: str = "id") -> pd.DataFrame:
        """One row per span of every late attempt at steps 1-5 (see ``clock.Span``): why it took what it took."""
        rows = []
        tz = self.settings.timezone
        for _, a in self.late().iterrows():
            if a["clock"] != "working":
                continue
            breakdown, deadline = self.explain(a, lang)
            for span in breakdown.spans:
                rows.append((a["item_id"], a["step"], a["attempt"], a["settings_rev"], a["limit_minutes"],
                             deadline, span.kind, span.start, span.end, span.minutes, span.name))
        out = pd.DataFrame(rows, columns=list(WHY_LATE_COLUMNS))
        for col in ("deadline", "from", "to"):
            out[col] = iso_strings(pd.to_datetime(out[col], utc=True), tz) if len(out) else out[col]
        out["minutes"] = out["minutes"].astype(float).round(2)
        return out


WHY_LATE_COLUMNS: tuple[str, ...] = ("item_id", "step", "attempt", "settings_rev", "limit_minutes", "deadline",
                                     "kind", "from", "to", "minutes", "name")


def iso_strings(times: pd.Series, tz: str) -> pd.Series:
    """Vectorised ISO 8601 with its ``+07:00`` offset in ``tz``, to the second; empty for NaT.

    Each cell is 25 bytes, ``YYYY-MM-DDTHH:MM:SS+hh:mm``, gathered into one buffer that becomes an Arrow string
    column (no Python string per cell, and a report has ~1.4M of them): the date from a table of the few thousand
    days the times span, the clock from a table of the day's 86,400 seconds, the offset from the few offsets the
    zone has over them (one, in a zone without daylight saving time). Lookups, not per-digit arithmetic: ~5×
    faster."""
    import pyarrow as pa

    utc = _ns(times)
    local = pd.DatetimeIndex(times).tz_convert(tz).tz_localize(None).as_unit("ns").asi8
    present = local != NAT
    local, utc = local[present], utc[present]
    days, of_day = np.divmod(local // 1_000_000_000, 86_400)
    out = np.empty(len(local), dtype=_ISO_CELL)
    if len(local):
        first = int(days.min())
        span = np.arange(first, int(days.max()) + 1).astype("datetime64[D]")
        if span[0] < np.datetime64("1000-01-01") or span[-1] > np.datetime64("9999-12-31"):
            raise ValueError("a time outside the years 1000-9999 cannot be written as ISO 8601 here")
        out["date"] = np.datetime_as_string(span).astype("S10").view("V10")[days - first]
        out["clock"] = _clock_table()[of_day]
        offset = (local - utc) // 60_000_000_000
        if offset.min() == offset.max():
            out["offset"] = _offset_text(int(offset[0]))
        else:
            kinds, which = np.unique(offset, return_inverse=True)
            out["offset"] = np.array([_offset_text(int(k)) for k in kinds])[which]
        out["t"] = b"T"
    offsets = np.zeros(len(times) + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(np.where(present, 25, 0))
    arr = pa.StringArray.from_buffers(len(times), pa.py_buffer(offsets), pa.py_buffer(out))
    return _arrow_text(arr, times.index)


_PAIRS = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), dtype=np.uint8).reshape(100, 2)
#: One ISO cell of :func:`iso_strings` as its four parts, bytes side by side.
_ISO_CELL = np.dtype([("date", "V10"), ("t", "V1"), ("clock", "V8"), ("offset", "V6")])


@lru_cache(maxsize=1)
def _clock_table() -> np.ndarray:
    """``HH:MM:SS`` of every second of a day, 8 bytes each (built on first use: 0.7 MB)."""
    s = np.arange(86_400)
    out = np.empty((86_400, 8), dtype=np.uint8)
    out[:, 0:2], out[:, 3:5], out[:, 6:8] = _PAIRS[s // 3600], _PAIRS[s // 60 % 60], _PAIRS[s % 60]
    out[:, 2] = out[:, 5] = ord(":")
    return out.view("V8").ravel()


def _offset_text(minutes: int) -> np.void:
    return np.void(f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}".encode())


def compute(log: pd.DataFrame, settings: Settings | None = None, as_of: dt.datetime | None = None,
            first_row: int = 2, *, history: History | None = None, stored_order: bool = False,
            procedure: sop.Procedure = sop.AGENCY) -> Report:
    """Per-attempt compliance from a Log table of text cells (``LOG_COLUMNS``; extra columns are ignored).

    ``history``: the Settings revisions (each attempt is judged by the one in force when it started); without it,
    ``settings`` (default: the SOP's) apply at every instant. ``stored_order``: the rows are in the store's append
    order, which then breaks ties between rows of one item at the same instant (see the module docstring).
    ``first_row`` is the row number of the first data row in the user's file (2 when a header row precedes).
    ``procedure``: the SOP whose steps and transitions the Log follows (the agency's; its ``settings`` must give
    each of its steps a limit). Raises ValueError only when a required column is missing altogether.
    """
    history = history or History.of(settings or Settings.defaults(procedure))
    settings = settings or history.latest.settings
    as_of = as_of or dt.datetime.now(dt.UTC)
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone")
    df, problems = check_cells(log, settings, first_row, procedure)
    states = states_of(procedure)
    flow = df.loc[df["action"].isin(sop.FLOW_ACTIONS), ["row", "item_id", "action", "actor", "t", "step_n", "pub"]]
    del df  # the checked copy of every Log column: not needed past here (a fifth of the peak memory)
    # From here on plain numpy arrays: items and actors as integer codes (sorted, so they do not depend on the rows'
    # order), times as int64 ns (UTC), and each row's required and resulting state looked up by action × 10 + step
    # in small tables (one per Settings revision: a rejection returns where the revision in force then says).
    item, items = pd.factorize(flow["item_id"], sort=True)
    actor, actors = pd.factorize(flow["actor"], sort=True)
    act = _index_in(flow["action"], sop.FLOW_ACTIONS)
    step = flow["step_n"].to_numpy(dtype=np.int64)
    rows = flow["row"].to_numpy(dtype=np.int64)
    t = _ns(flow["t"])
    pub = _ns(flow["pub"])
    del flow  # its text: not needed past here
    code = act * 10 + step
    fingerprint = _fingerprint(items, actors, len(log), item, actor, code, t, pub)
    nxt_tables = np.stack([_table({**states.next, **{k: r.settings.reject_to.get(k[1], to)
                                                     for k, to in states.reject.items()}}, -1)
                           for r in history.revisions])
    anywhere = np.isin(act, [_ACT[a] for a in states.anywhere])
    need = np.where(anywhere, ANY, _table(states.need, -1)[code])
    nxt_state = np.where(anywhere, states.done, nxt_tables[history.index_at(t), code])
    impossible = need == -1
    if impossible.any():
        bad = pd.DataFrame({"row": rows[impossible], "item_id": items[item[impossible]]})
        bad["reason"] = [f"action {sop.FLOW_ACTIONS[a]} is not possible at step {st}"
                         for a, st in zip(act[impossible], step[impossible], strict=True)]
        problems.append(bad)
    if stored_order:
        order = lex_order(item, _coarse(t), rows)
    else:
        last_rank = max(states.rank.values(), default=-1) + 1
        order = _file_order(item, t, _table(states.rank, last_rank)[code] * 100 + code, actor, pub, rows)
    order = order[~impossible[order]]
    also = _table(states.also, -1)[code]
    plans = np.isin(nxt_state, [states.planned]) & ~anywhere  # rows that (re)set the planned step's start
    cols = {"item": item[order], "act": act[order], "step": step[order], "row": rows[order], "t": t[order],
            "pub": pub[order], "actor": actor[order], "need": need[order], "next": nxt_state[order],
            "also": also[order], "plans": plans[order]}
    del item, act, step, rows, t, pub, actor, need, nxt_state, also, plans, code, order  # kept in ``cols`` only

    replayed, valid = _replay(cols)
    if (replayed != np.arange(len(replayed))).any():  # the usual Log is taken as it is sorted: no copy
        cols = {k: v[replayed] for k, v in cols.items()}
    if not valid.all():
        bad = pd.DataFrame({"row": cols["row"][~valid], "item_id": items[cols["item"][~valid]]})
        taken = _taken_at_same_instant(cols, valid)
        bad["reason"] = [_why(sop.FLOW_ACTIONS[a], st, procedure)
                         + (f" (row {taken[(i, when)]} of this item has the same time and fits its state)"
                            if (i, when) in taken else "")
                         for a, st, i, when in zip(cols["act"][~valid], cols["step"][~valid], cols["item"][~valid],
                                                   cols["t"][~valid], strict=True)]
        problems.append(bad)
        cols = {k: v[valid] for k, v in cols.items()}

    report = Report(_empty_attempts(), pd.DataFrame(columns=list(PROBLEM_COLUMNS)), as_of, settings, history,
                    len(log), fingerprint, procedure)
    report.attempts = _attempts(cols, np.asarray(items, dtype=object), np.asarray(actors, dtype=object), report,
                                states)
    probs = (pd.concat(problems, ignore_index=True) if problems
             else pd.DataFrame(columns=list(PROBLEM_COLUMNS)))
    report.problems = probs[list(PROBLEM_COLUMNS)].sort_values("row", kind="stable").reset_index(drop=True)
    return report


#: Reports by snapshot version (see :func:`report_of`).
REPORTS: ByVersion[Report] = ByVersion(keep=2)


def report_of(version: Hashable, log: pd.DataFrame, history: History, as_of: dt.datetime, *,
              stored_order: bool = True, procedure: sop.Procedure = sop.AGENCY) -> Report:
    """:func:`compute` once per ``version`` of its inputs (the store snapshot's, with the Settings it was read
    with), shared by every session: what the compliance page calls, so a rerun (a filter change) filters the
    computed attempts instead of computing them again. The caller promises that one version means one Log and one
    history."""
    return REPORTS.get(version, lambda: compute(log, history=history, as_of=as_of, stored_order=stored_order,
                                                procedure=procedure))


def check_cells(log: pd.DataFrame, settings: Settings, first_row: int = 2, procedure: sop.Procedure = sop.AGENCY
                ) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Cell-level checks of Log rows: the usable rows (with parsed ``t``, ``step_n``, ``pub`` and their ``row``
    number) and frames of (row, item_id, reason) for the rest. Raises ValueError when a required column is
    missing altogether."""
    missing = [c for c in REQUIRED_COLUMNS if c not in log.columns]
    if missing:
        raise ValueError(f"the Log has no column(s) {', '.join(missing)}; expected {', '.join(LOG_COLUMNS)}")
    n = len(log)
    df = pd.DataFrame({c: (log[c] if c in log.columns else pd.Series([""] * n, index=log.index))
                       for c in LOG_COLUMNS}).astype("string").fillna("")
    df["row"] = np.arange(first_row, first_row + n)
    df["item_id"] = df["item_id"].str.strip()
    df["action"] = df["action"].str.strip().str.lower()
    df["t"] = parse_iso_series(df["at"], settings.timezone)
    # a step is a small whole number ("3", or "3.0" as a spreadsheet may render it); anything else is unknown
    steps = list(procedure.by_number)
    names = [*(str(n) for n in steps), *(f"{n}.0" for n in steps)]
    found = _index_in(df["step"].str.strip(), names)
    df["step_n"] = np.where(found >= 0, np.array([*steps, *steps], dtype=float)[found], np.nan)
    pub_text = df["publish_at"].str.strip()
    df["pub"] = parse_iso_series(pub_text, settings.timezone)
    # The first failing check names the reason; every bad row is dropped in one pass.
    checks = [
        (df["item_id"] == "", lambda d: "missing item_id"),
        (df["t"].isna(), lambda d: "bad timestamp in 'at': " + d["at"]),
        (~df["step_n"].isin(steps), lambda d: "unknown step " + d["step"]),
        (~df["action"].isin(sop.ACTIONS), lambda d: "unknown action " + d["action"]),
        ((pub_text != "") & df["pub"].isna(), lambda d: "bad timestamp in 'publish_at': " + d["publish_at"]),
    ]
    problems: list[pd.DataFrame] = []
    seen = pd.Series(False, index=df.index)
    for mask, reason in checks:
        mask = mask.fillna(True).astype(bool) & ~seen
        if mask.any():
            bad = df.loc[mask, ["row", "item_id"]].copy()
            why = reason(df.loc[mask])
            bad["reason"] = why if isinstance(why, str) else why.astype(str)
            problems.append(bad)
            seen |= mask
    if seen.any():
        df = df.loc[~seen]
    df["step_n"] = df["step_n"].astype(int)
    return df, problems

_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                 0xFF51AFD7ED558CCD], dtype=np.uint64)


def _fingerprint(items: pd.Index, actors: pd.Index, n_rows: int, *columns: np.ndarray) -> str:
    """A short digest of the rows the report read (item, actor, action × step, time, publish_at) that does not depend
    on their order: a vectorised 64-bit mix of each row, summed, then SHA-256 with the item and actor names and the
    row count. Two reports with the same fingerprint read the same Log content (not a security measure)."""
    import hashlib

    with np.errstate(over="ignore"):
        x = np.zeros(len(columns[0]), dtype=np.uint64)
        tmp = np.empty_like(x)
        for k, col in enumerate(columns):
            np.multiply(np.ascontiguousarray(col, dtype=np.int64).view(np.uint64), _MIX[k], out=tmp)
            x += tmp
        np.bitwise_xor(x, x >> np.uint64(31), out=x)  # splitmix64's finaliser
        x *= np.uint64(0xBF58476D1CE4E5B9)
        np.bitwise_xor(x, x >> np.uint64(29), out=x)
        total = int(x.sum(dtype=np.uint64))
    digest = hashlib.sha256(f"{total:016x}|{n_rows}|".encode())
    digest.update("\x1f".join(map(str, items.tolist())).encode() + b"\x1e"
                  + "\x1f".join(map(str, actors.tolist())).encode())
    return digest.hexdigest()[:16]


def _why(action: str, step: int, procedure: sop.Procedure) -> str:
    scheduling, publication = (procedure.steps_for(a)[:1] or (0,) for a in ("schedule", "publish"))
    before = {"start": "the item was already started", "submit": f"step {step} is not open",
              "approve": f"no submit before it (step {step} is not open)",
              "reject": f"no submit before it (step {step} is not open)",
              "schedule": f"the item is not approved (step {scheduling[0]} is not open)",
              "publish": f"the item is not scheduled (step {publication[0]} is not open)",
              "cancel": "the item is not open (never started, or already published or cancelled)"}
    return f"{action} at step {step} out of order: {before[action]}"


NAT = np.iinfo(np.int64).min
_ACT = {a: i for i, a in enumerate(sop.FLOW_ACTIONS)}


def _ns(times: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """int64 ns since the epoch (UTC); NaT becomes the smallest int64."""
    idx = pd.DatetimeIndex(times)
    return idx.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64)


def _table(values: dict[tuple[str, int], int], default: int) -> np.ndarray:
    out = np.full(len(sop.FLOW_ACTIONS) * 10, default)
    for (a, st), v in values.items():
        out[_ACT[a] * 10 + st] = v
    return out


def _file_order(item: np.ndarray, t: np.ndarray, pref: np.ndarray, actor: np.ndarray, pub: np.ndarray,
                rows: np.ndarray) -> np.ndarray:
    """Rows of a file sorted by item, time and preference (SOP rank, then action × step), then — only where those
    still tie, which is rare — actor and publish_at: an order that does not depend on the file's row order."""
    order = lex_order(item, _coarse(t), pref, rows)
    i, tt, p = item[order], t[order], pref[order]
    tie = (i[1:] == i[:-1]) & (tt[1:] == tt[:-1]) & (p[1:] == p[:-1])
    if tie.any():
        at = np.flatnonzero(np.r_[tie, False] | np.r_[False, tie])  # every position in a run of equal keys
        sub = order[at]
        order[at] = sub[np.lexsort((rows[sub], pub[sub], actor[sub], pref[sub], t[sub], item[sub]))]
    return order


def lex_order(*keys: np.ndarray) -> np.ndarray:
    """``np.lexsort(keys[::-1])`` (the first key sorts first; stable), faster: keys whose ranges fit together are
    packed into one int64 word (an item code and a time in ms fit in one), and the words sorted by chained stable
    argsorts, which beat lexsort's per-key passes about 2× on ~800k rows."""
    if len(keys[0]) == 0:
        return np.arange(0)
    while len(keys) > 1 and (np.diff(keys[-1]) > 0).all():  # a last key that rises (row numbers) is what a
        keys = keys[:-1]  # stable sort keeps anyway: one word, and one argsort, fewer
    words: list[np.ndarray] = []
    word, bits = None, 0
    for key in keys:
        k = key.astype(np.int64)
        k = k - k.min()
        need = max(int(k.max()).bit_length(), 1)
        if word is not None and bits + need <= 63:
            word, bits = (word << need) | k, bits + need
        else:
            if word is not None:
                words.append(word)
            word, bits = k, need
    assert word is not None  # keys[0] is not empty
    words.append(word)
    order = np.argsort(words[-1], kind="stable")
    for w in reversed(words[:-1]):
        order = order[np.argsort(w[order], kind="stable")]
    return order


def _coarse(t: np.ndarray) -> np.ndarray:
    """Times (int64 ns) in whole ms when none has a finer part (the store writes ms): the same order, fewer bits."""
    return t // 1_000_000 if len(t) and not (t % 1_000_000).any() else t


def _replay(cols: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Which rows a sequential reading of each item's Log accepts (it skips a row whose state is wrong), and the
    order it takes them in: (a permutation of the rows that keeps each item's block where it is, and for the
    permuted rows whether each is accepted)."""
    items, need, nxt = cols["item"], cols["need"], cols["next"]
    prev = _previous(items, nxt, NONE)
    ok = _accepts(need, cols["also"], nxt, prev)
    perm = np.arange(len(items))
    valid = ok.copy()
    bad_items = np.unique(items[~ok])
    if len(bad_items):
        # Replay only the items that have an out-of-order row, one row at a time.
        idx = np.flatnonzero(np.isin(items, bad_items))
        cuts = np.flatnonzero(np.r_[True, items[idx][1:] != items[idx][:-1], True])
        plain = {k: cols[k].tolist() for k in ("need", "next", "step", "act", "t", "also")}
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=False):
            block = idx[lo:hi].tolist()
            taken = _replay_item(block, plain)
            chosen = set(taken)
            perm[block] = taken + [i for i in block if i not in chosen]
            valid[block] = np.arange(len(block)) < len(taken)
    return perm, valid


def _taken_at_same_instant(cols: dict[str, np.ndarray], valid: np.ndarray) -> dict[tuple[int, int], int]:
    """For skipped rows that share their item and instant with a row that was taken: (item, time) → that row."""
    wanted = set(zip(cols["item"][~valid].tolist(), cols["t"][~valid].tolist(), strict=True))
    out: dict[tuple[int, int], int] = {}
    for i in np.flatnonzero(valid & np.isin(cols["t"], cols["t"][~valid])):
        key = (int(cols["item"][i]), int(cols["t"][i]))
        if key in wanted:
            out.setdefault(key, int(cols["row"][i]))
    return out


def _fits(i: int, state: int, c: dict[str, list[int]]) -> bool:
    """Whether row ``i`` can be taken when the item is in ``state`` (cancel: any open step, i.e. past NONE and
    before the done state it leaves; a schedule labelled step 5 while already scheduled is a reschedule)."""
    need = c["need"][i]
    if need == ANY:
        return NONE < state < c["next"][i]
    return need == state or c["also"][i] == state


def _replay_item(block: list[int], c: dict[str, list[int]]) -> list[int]:
    """The rows of one item (positions, in time order, ties in the preferred order) that a sequential reading takes,
    in the order it takes them. Without same-instant rows: each row in turn, taken when it fits. With them: each
    group of same-instant rows may be taken in any order that takes rows while one fits; the choice takes the most
    rows of the whole item, then the most of the group, then the preferred order (see the module docstring)."""
    groups: list[list[int]] = [[block[0]]]
    for i in block[1:]:
        if c["t"][i] == c["t"][groups[-1][0]]:
            groups[-1].append(i)
        else:
            groups.append([i])
    if len(groups) == len(block):
        taken, state = [], NONE
        for i in block:
            if _fits(i, state, c):
                taken.append(i)
                state = c["next"][i]
        return taken
    # Forwards: the states the item can be in before each group. Backwards over the groups, from those states only:
    # the most rows the rest of the item can take, and the best choice in each group.
    solvers = [_group_solver(g, c) if len(g) > 1 else None for g in groups]

    def options(k: int, state: int) -> dict[int, tuple[int, tuple[int, ...]]]:
        solver = solvers[k]
        if solver is not None:
            return solver(state)
        i = groups[k][0]  # a single row is taken where it fits
        return {c["next"][i]: (1, (i,))} if _fits(i, state, c) else {state: (0, ())}

    reach: list[set[int]] = [{NONE}]
    for k in range(len(groups)):
        reach.append({exit_ for state in reach[k] for exit_ in options(k, state)})
    future = dict.fromkeys(reach[-1], 0)
    choices: list[dict[int, tuple[int, tuple[int, ...]]]] = []
    for k in range(len(groups) - 1, -1, -1):
        best_here: dict[int, tuple[int, tuple[int, ...]]] = {}
        totals: dict[int, int] = {}
        for state in reach[k]:
            exit_, (count, seq) = min(options(k, state).items(),
                                      key=lambda o: (-(o[1][0] + future[o[0]]), -o[1][0], o[1][1]))
            best_here[state] = (exit_, seq)
            totals[state] = count + future[exit_]
        future = totals
        choices.append(best_here)
    taken, state = [], NONE
    for best_here in reversed(choices):
        state, seq = best_here[state]
        taken += seq
    return taken


def _group_solver(group: list[int], c: dict[str, list[int]]
                  ) -> Callable[[int], dict[int, tuple[int, tuple[int, ...]]]]:
    """For rows at one instant: from an entry state, each reachable exit state with the most rows an order takes to
    get there (taking rows while any fits) and the preferred such order. Rows with the same action, step and next
    state are interchangeable: they are taken in their preferred order, so the search runs over how many of each
    kind are taken, not over permutations."""
    kinds: dict[tuple[int, int, int], list[int]] = {}
    for i in group:  # positions ascend in the preferred order
        kinds.setdefault((c["act"][i], c["step"][i], c["next"][i]), []).append(i)
    lists = list(kinds.values())
    memo: dict[tuple[int, tuple[int, ...]], dict[int, tuple[int, tuple[int, ...]]]] = {}

    def solve(state: int, used: tuple[int, ...]) -> dict[int, tuple[int, tuple[int, ...]]]:
        key = (state, used)
        if key in memo:
            return memo[key]
        best: dict[int, tuple[int, tuple[int, ...]]] = {}
        for k, rows in enumerate(lists):
            if used[k] == len(rows) or not _fits(rows[used[k]], state, c):
                continue
            row = rows[used[k]]
            for exit_, (count, seq) in solve(c["next"][row], (*used[:k], used[k] + 1, *used[k + 1:])).items():
                option = (count + 1, (row, *seq))
                held = best.get(exit_)
                if held is None or (-option[0], option[1]) < (-held[0], held[1]):
                    best[exit_] = option
        memo[key] = best or {state: (0, ())}  # nothing fits: the rest of the group is skipped
        return memo[key]

    return lambda state: solve(state, (0,) * len(lists))


def _previous(items: np.ndarray, values: np.ndarray, first: int) -> np.ndarray:
    """Each row's previous value within its item (rows sorted by item); ``first`` for an item's first row."""
    prev = np.empty_like(values)
    prev[0:1] = first
    prev[1:] = np.where(items[1:] == items[:-1], values[:-1], first)
    return prev


def _accepts(need: np.ndarray, also: np.ndarray, nxt: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """As :func:`_fits`, for every row at once against the state the previous row leaves."""
    return np.where(need == ANY, (prev > NONE) & (prev < nxt), (need == prev) | (also == prev))


def _attempts(cols: dict[str, np.ndarray], items: np.ndarray, actors: np.ndarray, report: Report,
              states: States) -> pd.DataFrame:
    """Pair each row that opens a step with the item's next row (rows are valid and sorted by item and time)."""
    if len(cols["item"]) == 0:
        return _empty_attempts()
    item, act, t, pub = cols["item"], cols["act"], cols["t"], cols["pub"]
    schedule = cols["plans"]
    resched = _previous(item, cols["next"], NONE) == cols["next"]  # leaves the item where it was: a reschedule
    # The latest (re)schedule of each item sets its step-6 start: max(publish_at, time of that schedule).
    last_sched = np.flatnonzero(schedule)
    if len(last_sched):
        last_sched = last_sched[np.r_[item[last_sched][1:] != item[last_sched][:-1], True]]
    start6 = np.full(len(items), NAT)
    start6[item[last_sched]] = np.maximum(t[last_sched], pub[last_sched])
    keep = ~resched
    item, act, t, nxt, actor = item[keep], act[keep], t[keep], cols["next"][keep], cols["actor"][keep]

    same_next = np.r_[item[1:] == item[:-1], False]
    ended = np.where(same_next, np.r_[t[1:], NAT], NAT)
    outcome = np.where(same_next, np.r_[act[1:], -1], -1)
    closer = np.where(same_next, np.r_[actor[1:], -1], -1)
    opening = (nxt > NONE) & (nxt < states.done)
    step = nxt[opening]
    started = np.where(step == states.planned, start6[item[opening]], t[opening])
    ended, outcome, closer, item = ended[opening], outcome[opening], closer[opening], item[opening]
    attempt = _occurrence(item, step)

    is_open = ended == NAT
    end = np.where(is_open, pd.Timestamp(report.as_of).value, ended)
    working = np.isin(step, states.working)
    minutes = np.empty(len(step))
    utc = lambda ns: pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")  # noqa: E731
    # Each attempt by the Settings revision in force when it started: its calendar and its limit.
    assert report.history is not None
    revision = report.history.index_at(started)
    for r in np.unique(revision[working]):
        mask = working & (revision == r)
        minutes[mask] = report.calendar_of(int(r)).working_minutes(utc(started[mask]), utc(end[mask]))
    minutes[~working] = (end[~working] - started[~working]) / 60e9
    minutes = np.clip(minutes, 0, None)
    limits = np.array([[r.settings.limits.get(n, 0) for n in range(states.done + 1)]
                       for r in report.revisions])[revision, step]
    revs = np.array([r.rev for r in report.revisions], dtype=np.int64)[revision]
    outcomes = [*sop.FLOW_ACTIONS, "open"]
    return pd.DataFrame({
        "item_id": _text(item, items),
        "step": step,
        "attempt": attempt,
        "started_at": utc(started),
        "ended_at": utc(np.where(is_open, NAT, ended)),
        "clock": _text(working.astype(np.int8), ["calendar", "working"]),
        "minutes": minutes,
        "limit_minutes": limits,
        "on_time": minutes <= limits + EPS,
        "remaining_minutes": np.where(is_open, limits - minutes, np.nan),
        "outcome": _text(outcome, outcomes),
        "actor": _text(closer + 1, ["", *actors]),
        "settings_rev": revs,
    })


def _occurrence(item: np.ndarray, step: np.ndarray) -> np.ndarray:
    """1 for each item's first attempt at a step, 2 for its second, ... (rows sorted by item): a running count per
    step minus its count where the item begins, instead of a groupby over (item, step) pairs."""
    out = np.zeros(len(item), dtype=np.int64)
    if not len(item):
        return out
    begins = np.flatnonzero(np.r_[True, item[1:] != item[:-1]])
    begin = np.repeat(begins, np.diff(np.r_[begins, len(item)]))  # each row's item's first row
    for s in np.unique(step):
        here = step == s
        seen = np.cumsum(here)
        before = seen[begin] - here[begin]  # the item's attempts at s before its first row
        out[here] = (seen - before)[here]
    return out


def _index_in(values: pd.Series, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """The position of each value in ``names``, -1 where it is not one (by Arrow, no Python string per cell)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.index_in(pa.array(values, type=pa.string(), from_pandas=True), value_set=pa.array(list(names)))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _text(codes: np.ndarray, names: np.ndarray | list[str]) -> pd.Series:
    """``names[codes]`` as a pandas text column, gathered by Arrow (``-1`` is the last name, as numpy indexes):
    building ~700k Python strings for pandas to convert back costs far more."""
    import pyarrow as pa
    import pyarrow.compute as pc

    codes = np.asarray(codes, dtype=np.int64)
    codes = np.where(codes < 0, codes + len(names), codes)
    taken = pc.take(pa.array(list(names), type=pa.string()), pa.array(codes))
    return _arrow_text(taken)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default text dtype (``str``)


def _arrow_text(arr: Any, index: pd.Index | None = None) -> pd.Series:
    """An Arrow string array as a pandas text Series, without a Python string per cell."""
    # pandas-stubs 3.1 does not declare ExtensionDtype.__from_arrow__ (pandas has it since 1.0)
    return pd.Series(_STR.__from_arrow__(arr), index=index)  # type: ignore[attr-defined]


def _empty_attempts() -> pd.DataFrame:
    return pd.DataFrame({
        "item_id": pd.Series(dtype="string"), "step": pd.Series(dtype=int), "attempt": pd.Series(dtype=int),
        "started_at": pd.Series(dtype="datetime64[ns, UTC]"), "ended_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "clock": pd.Series(dtype="string"), "minutes": pd.Series(dtype=float),
        "limit_minutes": pd.Series(dtype=float), "on_time": pd.Series(dtype=bool),
        "remaining_minutes": pd.Series(dtype=float), "outcome": pd.Series(dtype="string"),
        "actor": pd.Series(dtype="string"), "settings_rev": pd.Series(dtype=int),
    })
