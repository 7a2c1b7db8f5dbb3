"""Benchmark: what a notification run costs on a big store (a year of 50k items, ~2% still open).

Prints the wall time of working out every due message (``due_notices`` + ``expand``: the part every run does,
once a minute) and of a whole dry run, against a naive baseline measured in the same run: the open attempts taken
from the full compliance report of the whole Log (what a first version did). Run: `make bench` or
`.venv/bin/python tests/benchmarks/bench_notify.py [--items N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "benchmarks"))

from seed import PEOPLE, seed  # noqa: E402

from sopkit.clock import WorkCalendar  # noqa: E402
from sopkit.compliance import compute  # noqa: E402
from sopkit.notify.due import due_notices, expand  # noqa: E402
from sopkit.notify.job import NotifyJob  # noqa: E402
from sopkit.schema import LOG_COLUMNS, User  # noqa: E402
from sopkit.settings import Settings  # noqa: E402
from sopkit.timeutil import AGENCY_TZ  # noqa: E402


def best(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=50_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    now = dt.datetime(2026, 11, 20, 10, 0, tzinfo=AGENCY_TZ)
    store = seed(folder / "bench.db", args.items, end=now)
    for role, emails in PEOPLE.items():
        for email in emails:
            store.save_user(User(email, email.split("@")[0].title(), (role,)))
    store.save_user(User("pimpinan@demo.test", "Kepala Dinas", ("manager",)))
    settings, cal = Settings(), WorkCalendar()
    register = store.read_register()
    users, _ = store.read_users()
    log = store.read_log()
    open_items = sum(i.is_open for i in register.items)

    def derive() -> int:
        due = due_notices(register.items, log, users, settings, now, cal)
        return len(expand(due.notices, users, {}, cal, now))

    def naive() -> int:
        report = compute(pd.DataFrame(log, columns=list(LOG_COLUMNS)), settings, as_of=now)
        return int(report.attempts["ended_at"].isna().sum())

    messages = derive()
    t_derive, t_naive = best(derive), best(naive)
    job = NotifyJob(store, settings, {}, {"email": "benchmark"}, now=lambda: now, say=lambda s: None, calendar=cal)
    t_plan = best(lambda: job.plan(), runs=2)
    print(f"{args.items} items, {len(log)} Log rows, {open_items} open, {messages} messages due")
    print(f"due messages worked out: {t_derive * 1000:.0f} ms; naive (open attempts from the full report): "
          f"{t_naive * 1000:.0f} ms; ratio {t_naive / t_derive:.1f}x")
    print(f"a whole dry run (reads the store, renders every subject): {t_plan:.2f} s")


if __name__ == "__main__":
    main()
