"""Benchmark: `python -m sopkit report` over a synthetic Log of 100k items (~780k rows, shuffled, half the times
written with ``Z`` and half with ``+07:00``).

Prints, in one run: the floor (a fresh process reading the same CSV with ``pyarrow.csv.read_csv`` and writing one
column back), the report (a fresh process, the real CLI path incl. CSV parsing and writing) and their ratio, each
repeated (``--repeat``, ranges printed) with the peak RSS of each child measured from outside (``wait4``); the
time and memory per item at each size of ``--sizes`` (linearity); and the working-minutes computation and the whole
report against naive row-wise baselines (measured on a sample in the same run and extrapolated). Run: `make bench`
or `.venv/bin/python tests/benchmarks/bench_report.py [--items N] [--sizes 10000,100000,300000] [--repeat 3]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sopkit.clock import WorkCalendar  # noqa: E402

TEMPLATE = [("start", 1), ("submit", 1), ("submit", 2), ("reject", 3), ("submit", 2), ("approve", 3),
            ("approve", 4), ("schedule", 5), ("publish", 6)]


def synthetic_log(items: int, seed: int = 1) -> pd.DataFrame:
    """~8 rows per item: half the items are sent back once at step 3; 5% are still open."""
    rng = np.random.default_rng(seed)
    rework = rng.random(items) < 0.5
    per_item = np.where(rework, len(TEMPLATE), len(TEMPLATE) - 2)
    open_cut = np.where(rng.random(items) < 0.05, rng.integers(1, 7, items), per_item)
    n_rows = np.minimum(per_item, open_cut)
    item_idx = np.repeat(np.arange(items), n_rows)
    pos = np.concatenate([np.arange(k) for k in n_rows])
    # items without rework skip the reject + resubmit rows (template positions 3 and 4)
    tpl_pos = np.where(np.repeat(rework, n_rows) | (pos < 3), pos, pos + 2)
    actions = np.array([a for a, _ in TEMPLATE])[tpl_pos]
    steps = np.array([s for _, s in TEMPLATE])[tpl_pos]
    start = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 700 * 86400, items).astype("timedelta64[s]")
    gaps = (60 + rng.exponential(120 * 60, len(item_idx))).astype("int64").astype("timedelta64[s]")
    first = np.zeros(len(item_idx), dtype=bool)
    first[np.cumsum(n_rows) - n_rows] = True
    gaps[first] = np.timedelta64(0, "s")
    offsets = pd.Series(gaps).groupby(item_idx).cumsum().to_numpy()
    at = start[item_idx] + offsets
    at_utc = pd.DatetimeIndex(at).tz_localize("UTC")
    pub = np.where(actions == "schedule", (at_utc + pd.Timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), "")
    return pd.DataFrame({
        "at": at_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "item_id": "I" + pd.Series(item_idx).astype(str),
        "step": steps, "action": actions, "actor": "user" + pd.Series(item_idx % 40).astype(str),
        "role": "", "note": "", "publish_at": pub,
    })


def shuffled_mixed(log: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """The Log in a random row order, half its times rewritten from ``Z`` to the same instant at ``+07:00``."""
    rng = np.random.default_rng(seed)
    t = pd.to_datetime(log["at"], utc=True, format="ISO8601")
    local = t.dt.tz_convert("Asia/Pontianak").dt.strftime("%Y-%m-%dT%H:%M:%S+07:00")
    out = log.assign(at=np.where(rng.random(len(log)) < 0.5, local, log["at"]))
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


FLOOR = ("import sys, pyarrow.csv as c; t = c.read_csv(sys.argv[1]); "
         "c.write_csv(t.select(['item_id']), sys.argv[2])")


#: Started once, while the benchmark is still small: every timed child is forked from it. A child's peak RSS from
#: ``wait4`` counts the memory of the process it was forked from before its ``exec``; forked from this benchmark,
#: once it holds a 300k-item Log, every child would read as at least that big.
LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    cmd, cwd, env = json.loads(line)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    print(json.dumps([time.perf_counter() - t0, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)]),
          flush=True)
"""
_launcher: subprocess.Popen[str] | None = None


def start_launcher() -> None:
    global _launcher
    _launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 text=True)


def timed_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB, from the kernel's accounting of that one child) of a fresh process."""
    assert _launcher is not None and _launcher.stdin is not None and _launcher.stdout is not None
    _launcher.stdin.write(json.dumps([cmd, str(ROOT), env]) + "\n")
    _launcher.stdin.flush()
    wall, peak, code = json.loads(_launcher.stdout.readline())
    if code:
        raise SystemExit(f"{cmd[:4]} failed with {code}")
    return wall, peak


def report_cmd(log: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "sopkit", "report", "--log", str(log), "--format", "csv", "--out", str(out),
            "--as-of", "2027-01-01T00:00:00+07:00"]


def span(values: list[float], fmt: str = ".2f") -> str:
    return f"{min(values):{fmt}}–{max(values):{fmt}}" if len(values) > 1 else f"{values[0]:{fmt}}"


def against_floor(items: int, tmp: Path, env: dict[str, str], repeat: int) -> tuple[pd.DataFrame, float, float]:
    """Floor and report on the same file, alternated ``repeat`` times; prints the ranges and the ratios."""
    t0 = time.perf_counter()
    log = shuffled_mixed(synthetic_log(items))
    path = tmp / f"log-{items}.csv"
    log.to_csv(path, index=False)
    print(f"synthetic Log: {items:,} items, {len(log):,} rows, shuffled, Z and +07:00 "
          f"({time.perf_counter() - t0:.1f} s to make)")
    floors, reports, ratios, floor_mem, report_mem = [], [], [], [], []
    for _ in range(repeat):
        wall_f, mem_f = timed_child([sys.executable, "-c", FLOOR, str(path), str(tmp / "col.csv")], env)
        wall_r, mem_r = timed_child(report_cmd(path, tmp / "report.csv"), env)
        floors.append(wall_f)
        reports.append(wall_r)
        ratios.append(wall_r / wall_f)
        floor_mem.append(mem_f)
        report_mem.append(mem_r)
    print(f"  floor (Arrow read + one column written, fresh process): {span(floors)} s, {span(floor_mem, '.0f')} MiB")
    print(f"  report (CLI, fresh process): {span(reports)} s, peak RSS {span(report_mem, '.0f')} MiB")
    print(f"  RATIO report / floor (same run, each pair back to back): {span(ratios)}×")
    print(f"  per item: {min(reports) / items * 1e6:.1f} µs, {max(report_mem) / items * 1024:.2f} KiB peak")
    return log, min(reports), max(report_mem)


def naive_working_minutes(cal: WorkCalendar, start: dt.datetime, end: dt.datetime) -> float:
    """The obvious row-wise version: walk each local day between start and end, clip its windows."""
    s, e = start.astimezone(cal.tz), end.astimezone(cal.tz)
    total, day = 0.0, s.date()
    while day <= e.date():
        for w0, w1 in cal.windows_of(day):
            a = dt.datetime.combine(day, dt.time(), cal.tz) + dt.timedelta(minutes=w0)
            b = dt.datetime.combine(day, dt.time(), cal.tz) + dt.timedelta(minutes=w1)
            lo, hi = max(a, s), min(b, e)
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += dt.timedelta(days=1)
    return total


#: The issue's suggested baseline: pandas' CustomBusinessHour stepped per row, with the same Indonesian holidays.
#: It cannot hold Friday's other hours, so it only approximates the calendar; it is timed, not checked.
CBH = pd.offsets.CustomBusinessHour(
    start=["07:30", "13:00"], end=["12:00", "16:00"], weekmask="Mon Tue Wed Thu Fri",
    holidays=sorted(d for y in range(2024, 2029) for d in WorkCalendar().holidays_of(y)),
)


def cbh_working_minutes(start: pd.Timestamp, end: pd.Timestamp) -> float:
    s, e = start.tz_convert("Asia/Pontianak").tz_localize(None), end.tz_convert("Asia/Pontianak").tz_localize(None)
    first = CBH.rollforward(s)
    if first >= e:
        return 0.0
    steps = pd.date_range(first, e, freq=CBH)
    rest = (e - steps[-1]).total_seconds() / 60 if CBH.is_on_offset(e) else 0.0
    return (len(steps) - 1) * 60 + min(rest, 60.0)


NEXT = {("start", 1): 1, ("submit", 1): 2, ("submit", 2): 3, ("approve", 3): 4, ("reject", 3): 2,
        ("approve", 4): 5, ("reject", 4): 2, ("schedule", 5): 6, ("publish", 6): 7}


def naive_report(log: pd.DataFrame) -> list[tuple]:
    """The whole report written the obvious way: parse each row, group in a dict, walk each item's rows, and
    measure each attempt with CustomBusinessHour (steps 1-5) or a subtraction (step 6)."""
    by_item: dict[str, list] = {}
    for row in log.itertuples(index=False):
        by_item.setdefault(row.item_id, []).append(
            (pd.Timestamp(row.at), row.action, int(row.step), pd.Timestamp(row.publish_at) if row.publish_at else None))
    out = []
    for item, rows in by_item.items():
        rows.sort(key=lambda r: r[0])
        state, opened, start6 = 0, None, None
        for t, action, step, pub in rows:
            if (action, step) not in NEXT or state != {"start": 0}.get(action, step):
                continue
            if opened is not None:
                mins = (max((t - start6).total_seconds() / 60, 0) if state == 6 else cbh_working_minutes(opened, t))
                out.append((item, state, mins))
            state = NEXT[(action, step)]
            opened = t if state <= 6 else None
            start6 = max(t, pub) if pub is not None else t
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--sample", type=int, default=3_000)
    ap.add_argument("--sizes", default="10000,100000,300000", help="item counts for the linearity check")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    sizes = sorted({args.items, *(int(n) for n in args.sizes.split(",") if n)})
    start_launcher()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "SOPKIT_STORE": f"sqlite:///{tmp / 'unused.db'}"}
        per_size: dict[int, tuple[float, float]] = {}
        for items in sizes:
            log_n, wall_n, mem_n = against_floor(items, tmp, env, args.repeat)
            per_size[items] = (wall_n, mem_n)
            if items == args.items:  # the size the comparisons below use
                log, wall = log_n, wall_n
                attempts = pd.read_csv(tmp / "report.csv")
        if len(sizes) > 1:
            print("linearity: " + "; ".join(f"{n:,} items {w:.2f} s ({w / n * 1e6:.1f} µs/item), {m:.0f} MiB"
                                            for n, (w, m) in per_size.items()))

        # The same Log typed to the hour: many rows of one item share an instant, and every item whose rows the
        # SOP's order cannot replay (a reject and the resubmit in the same hour) is solved by the item's state.
        at = pd.to_datetime(log["at"], utc=True, format="ISO8601")
        hourly = log.assign(at=at.dt.floor("h").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
        hpath = tmp / "hourly.csv"
        hourly.to_csv(hpath, index=False)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sopkit", "report", "--log", str(hpath), "--format", "csv",
                        "--out", str(tmp / "hourly-report.csv"), "--as-of", "2027-01-01T00:00:00+07:00"],
                       check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        wall_h = time.perf_counter() - t0
        skipped = len(pd.read_csv(tmp / "hourly-report.problems.csv"))
        print(f"same Log typed to the hour (same-instant rows): {wall_h:.2f} s wall, {skipped} rows skipped "
              f"→ {wall_h / wall:.2f}× the report above")

    # Working minutes: vectorised vs the naive row-wise walk, on the same pairs.
    cal = WorkCalendar()
    a = attempts[attempts["clock"] == "working"]
    starts = pd.to_datetime(a["started_at"], utc=True)
    ends = pd.to_datetime(a["ended_at"], utc=True).fillna(pd.Timestamp("2027-01-01T00:00:00+07:00"))
    t0 = time.perf_counter()
    fast = cal.working_minutes(starts, ends)
    t_fast = time.perf_counter() - t0
    k = min(args.sample, len(a))
    s_py, e_py = starts.iloc[:k].dt.to_pydatetime(), ends.iloc[:k].dt.to_pydatetime()
    t0 = time.perf_counter()
    slow = [naive_working_minutes(cal, s, e) for s, e in zip(s_py, e_py, strict=True)]
    t_sample = time.perf_counter() - t0
    t_naive = t_sample / k * len(a)
    assert np.allclose(fast[:k], slow, atol=1e-6), "vectorised and naive disagree"
    print(f"working minutes for {len(a):,} pairs: vectorised {t_fast:.3f} s; naive row-wise "
          f"{t_naive:.1f} s (measured {t_sample:.2f} s on {k:,}, extrapolated) → {t_naive / t_fast:.0f}× faster")
    k2 = min(args.sample // 10, len(a))
    t0 = time.perf_counter()
    for st, en in zip(starts.iloc[:k2], ends.iloc[:k2], strict=True):
        cbh_working_minutes(st, en)
    t_cbh = (time.perf_counter() - t0) / k2 * len(a)
    print(f"naive pandas CustomBusinessHour per row: {t_cbh:.0f} s for the {len(a):,} pairs (measured on {k2:,}, "
          f"extrapolated)")
    print(f"whole report ({wall:.2f} s) vs the CustomBusinessHour kernel alone: {t_cbh / wall:.0f}×; "
          f"vs the row-wise walk alone: {t_naive / wall:.1f}×")
    share = 0.01
    sample = log[log["item_id"].isin([f"I{i}" for i in range(int(args.items * share))])]
    t0 = time.perf_counter()
    naive_report(sample)
    t_report = (time.perf_counter() - t0) / share
    print(f"naive row-wise report (CustomBusinessHour per attempt): {t_report:.0f} s for {args.items:,} items "
          f"(measured on {len(sample):,} rows of {share:.0%} of the items, extrapolated)")
    print(f"RATIO whole report: {t_report / wall:.0f}× faster than the naive row-wise report "
          f"({wall:.2f} s vs {t_report:.0f} s)")


if __name__ == "__main__":
    main()
