"""Fault injection for the notification job: many seeded simulations of a bad day, then the same over real
separate processes and a real SMTP server.

Each simulation puts a handful of items at random steps, then runs the job again and again on a moving clock while
people act on the items (take, submit, approve, reject), the channels answer with transient errors, refusals,
"channel down", lost answers (after the message went out, and before), the process dies just before or just after
handing a message over, the store dies just before or just after an append, and rounds of two or three runs
overlap (threads, each its own store connection and run id: as two hosts would, no host lock, only the Outbox).
Then the faults stop, time moves past every lease, and a few clean runs settle what can be settled.

Invariants checked per seed:

* no message key was ever delivered twice on its channel (duplicates = 0);
* a message recorded ``sent`` was delivered exactly once; one recorded ``failed`` was never delivered; one that
  was delivered is recorded ``sent`` or ``unknown``, never failed, free or waiting for a retry;
* ``unknown`` happens only where a crash or a lost answer hit that very message;
* after the clean runs nothing due is left claimed, started, waiting for a retry or untouched: every due
  message is sent, failed, unknown or unreachable, with its reason in words.

The same simulation runs on the Google Sheets backend (the loopback fake; ``NOTIFY_SHEETS_SEEDS``, 6 by default),
each run through its host's own client. ``NOTIFY_FAULT_SEEDS=500 pytest -s tests/test_notify_faults.py`` runs
more (200 by default); the counts are printed (``-s``) and written to ``test-artifacts/notify_faults.json``. Seeds
fix the faults; thread interleavings still vary.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from notify_support import PEOPLE, Clock, Recorder, at, make_job, new_store, to_step

from fakes.sheets_server import FakeSheets, connect
from services.smtp import SmtpServer
from sopkit.channels.base import OutcomeUnknown, PermanentError
from sopkit.clock import WorkCalendar
from sopkit.notify.due import due_notices, expand
from sopkit.notify.outbox import Status, fold
from sopkit.notify.prefs import Preference, read_preferences
from sopkit.notify.smtp import ChannelDown, Unreachable
from sopkit.retry import TransientError
from sopkit.schema import Row
from sopkit.settings import Settings
from sopkit.store.base import StoreError
from sopkit.store.gsheets import GSheetsStore
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk, WorkflowError

SEEDS = int(os.environ.get("NOTIFY_FAULT_SEEDS", "200"))
SHEETS_SEEDS = int(os.environ.get("NOTIFY_SHEETS_SEEDS", "6"))
ROUNDS = 10
ROOT = Path(__file__).resolve().parent.parent
P = {k: u.email for k, u in PEOPLE.items()}
OUTCOMES = {"ok": 55, "transient": 8, "permanent": 3, "down": 2, "unknown_after": 3, "unknown_before": 2,
            "crash_before": 3, "crash_after": 3}
CALENDAR = WorkCalendar()


class Crash(BaseException):
    """The process dying here: nothing after it runs, nothing catches it (not an Exception)."""


class CrashingStore:
    """The store, except that the process may die just before an Outbox append or just after it, and a read may
    fail like a busy Sheets API."""

    def __init__(self, inner: SQLiteStore, dies: Any, fails: Any, hit: set[str]):
        self.inner, self.dies, self.fails, self.hit = inner, dies, fails, hit

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def append_outbox(self, rows: list[Row]) -> None:
        if rows and self.dies():
            self.hit.update(r["key"] for r in rows)  # an outcome lost, or a start never written
            raise Crash("store: died before the append")
        self.inner.append_outbox(rows)
        if rows and self.dies():
            self.hit.update(r["key"] for r in rows)  # started, and died before sending
            raise Crash("store: died after the append")

    def read_outbox(self, keys: Any = None) -> list[Row]:
        if self.fails():
            raise StoreError("the store is busy; nothing was read")
        return self.inner.read_outbox(keys)


def act(desk: Desk, rng: random.Random) -> str:
    """One person's action on a random open item (some are refused: that is fine, nothing changes)."""
    items = [i for i in desk.store.read_register().items if i.is_open]
    if not items:
        return ""
    item = rng.choice(items)
    try:
        if item.step == 1:
            desk.submit(PEOPLE["officer"], item)
        elif item.step == 2:
            taken = item if item.creator else desk.take(PEOPLE["creator"], item)
            desk.submit(PEOPLE["creator"], desk.edit(PEOPLE["creator"], taken, body=f"Isi {rng.random()}"))
        elif item.step == 3:
            taken = item if item.verifier else desk.take(PEOPLE["supervisor2"], item)
            who = PEOPLE["supervisor2"] if taken.verifier == P["supervisor2"] else PEOPLE["supervisor"]
            if rng.random() < 0.4:
                desk.reject(who, taken, "Perbaiki tanggalnya.")
            else:
                desk.approve(who, taken)
        elif item.step == 4:
            desk.approve(PEOPLE["administrator"], item)
        elif item.step == 5:
            desk.take(PEOPLE["supervisor"], item)
        return f"step {item.step}"
    except WorkflowError:
        return ""


def backend(name: str, seed: int, folder: Path) -> Callable[[int], Any]:
    """``connect(host)``: the store as host number ``host`` sees it. SQLite: a new connection each time. Google
    Sheets: one client per host, kept across its runs as a loop keeps it (its cached tab ids and Outbox rows)."""
    if name == "sqlite":
        path = folder / f"sim-{seed}.db"
        new_store(path)
        return lambda host: SQLiteStore(path)
    key = sheets().create_spreadsheet(f"Notify {seed}", locale="id_ID")
    hosts = [GSheetsStore(connect(sheets()), key, sleep=lambda s: None) for _ in range(4)]
    hosts[0].init()
    for user in PEOPLE.values():
        hosts[0].save_user(user)
    return lambda host: hosts[host]


_SHEETS: list[FakeSheets] = []


def sheets() -> FakeSheets:
    if not _SHEETS:
        _SHEETS.append(FakeSheets().start())
        atexit.register(_SHEETS[0].stop)
    return _SHEETS[0]


def simulate(seed: int, folder: Path, store_kind: str = "sqlite") -> Counter[str]:
    rng = random.Random(seed)
    lock = threading.Lock()
    faults = {"on": True}
    counts: Counter[str] = Counter()
    hit: set[str] = set()  # keys a crash or lost answer touched: only these may end unknown
    connect_store = backend(store_kind, seed, folder)
    store = connect_store(0)
    start = at(23, 8) + dt.timedelta(minutes=rng.randint(0, 7 * 60))
    clock = Clock(start)
    desk = Desk(store, now=clock)
    for n in range(rng.randint(3, 6)):
        entered = start - dt.timedelta(minutes=rng.randint(0, 150))
        to_step(desk, clock, rng.choice((1, 2, 3, 3, 4, 5)), entered, take=rng.random() < 0.4,
                title=f"Konten {seed}-{n}")
    clock.set(start)
    for who in rng.sample(["supervisor", "supervisor2", "manager", "creator", "administrator"], 2):
        store.save_preference(Preference(P[who], channels=("email", "telegram"),
                                         telegram_chat_id=str(rng.randint(1000, 9999))).to_row())
    storm = rng.uniform(0.5, 1.5)

    def chance(p: float) -> bool:
        with lock:
            return faults["on"] and rng.random() < p * storm

    def fault(out: Any) -> tuple[str, BaseException] | None:
        with lock:
            if not faults["on"]:
                return None
            weights = {k: w * (storm if k != "ok" else 1) for k, w in OUTCOMES.items()}
            pick = rng.choices(list(weights), list(weights.values()))[0]
        if pick in ("unknown_after", "unknown_before", "crash_before", "crash_after"):
            with lock:
                hit.add(out.key)
        return {"ok": None,
                "transient": ("before", TransientError("451 try later")),
                "permanent": ("before", PermanentError("550 no such user")),
                "down": ("before", ChannelDown("login refused") if rng.random() < 0.5 else Unreachable("refused")),
                "unknown_after": ("after", OutcomeUnknown("connection lost after the data")),
                "unknown_before": ("before", OutcomeUnknown("connection lost, nothing arrived")),
                "crash_before": ("before", Crash("died before handing it over")),
                "crash_after": ("after", Crash("died after handing it over"))}[pick]

    senders = {"email": Recorder("email", fault=fault), "telegram": Recorder("telegram", fault=fault)}

    def one_run(host: int = 1) -> None:
        crashing = CrashingStore(connect_store(host), lambda: chance(0.015), lambda: chance(0.01), hit)
        job = make_job(crashing, clock, senders, rng=random.Random(rng.random()), calendar=CALENDAR)
        try:
            job.run()
        except Crash:
            with lock:
                counts["crashes"] += 1
        except StoreError:
            with lock:
                counts["store errors"] += 1
        report = job.report
        with lock:
            counts["runs"] += 1
            counts["held by another run"] += report.held

    for _ in range(ROUNDS):
        clock.advance(minutes=rng.choice([0, 1, 2, 5, 9, 14, 25]))
        if rng.random() < 0.5 and act(desk, rng):
            counts["actions"] += 1
        if rng.random() < 0.35:
            counts["overlapping rounds"] += 1
            threads = [threading.Thread(target=one_run, args=(n,)) for n in range(1, rng.randint(2, 3) + 1)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            one_run(rng.randint(1, 3))
    faults["on"] = False
    for _ in range(3):
        clock.advance(minutes=15)  # past every lease (10 min) and every retry's wait
        one_run()
    check(seed, store, senders, clock, hit, counts)
    return counts


def check(seed: int, store: Any, senders: dict[str, Recorder], clock: Clock, hit: set[str],
          counts: Counter[str]) -> None:
    where = f"(seed {seed}; rerun with NOTIFY_FAULT_SEEDS={seed + 1})"
    states = fold(store.read_outbox())
    for name, sender in senders.items():
        assert not sender.duplicates, f"{name} delivered a message twice: {sender.duplicates} {where}"
        counts["delivered"] += sum(sender.delivered.values())
    delivered = {k for s in senders.values() for k in s.delivered}
    for key, state in states.items():
        what = f"{key}: {state} {where}"
        counts[f"outbox {state.status}"] += 1
        if state.status == Status.SENT:
            assert key in delivered, f"recorded sent but never delivered: {what}"
        if key in delivered:
            assert state.status in (Status.SENT, Status.UNKNOWN), f"delivered but recorded otherwise: {what}"
        if state.status == Status.FAILED:
            assert key not in delivered and state.detail.strip(), what
        if state.status == Status.UNKNOWN:
            assert key in hit, f"unknown without a crash or a lost answer: {what}"
        if state.status == Status.SENT and state.attempts > 1:
            counts["sent on a later attempt"] += 1
    users, _ = store.read_users()
    prefs, _ = read_preferences(store.read_preferences())
    now = clock()
    due = due_notices(store.read_register().items, store.read_log(), users, Settings(), now, CALENDAR)
    for out in expand(due.notices, users, prefs, CALENDAR, now):
        state = states.get(out.key)
        if out.not_before > now:
            continue
        assert state is not None and state.status in (Status.SENT, Status.FAILED, Status.UNKNOWN,
                                                      Status.UNREACHABLE), f"left over: {out.key} {state} {where}"


def test_each_message_at_most_once_and_none_left_over_under_faults(tmp_path: Path) -> None:
    total: Counter[str] = Counter()
    began = time.monotonic()
    for seed in range(SEEDS):
        total += simulate(seed, tmp_path)
        (tmp_path / f"sim-{seed}.db").unlink(missing_ok=True)
    total["seeds"] = SEEDS
    total["duplicates"] = 0  # asserted per seed: any duplicate fails the test before this line
    total["seconds"] = round(time.monotonic() - began)
    print("\nnotify fault injection:", ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    out = ROOT / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "notify_faults.json").write_text(json.dumps(dict(sorted(total.items())), indent=1))
    # the simulation must really have exercised the hard cases, or its passing proves nothing
    for hard in ("crashes", "overlapping rounds", "held by another run", "outbox unknown", "outbox failed",
                 "actions", "store errors"):
        assert total[hard] > 0, f"no {hard} in {SEEDS} seeds: the fault mix is too gentle"
    assert total["outbox sent"] > 3 * (total["outbox unknown"] + total["outbox failed"])


def test_the_same_on_google_sheets_where_only_the_append_order_decides(tmp_path: Path) -> None:
    """The same bad days on the Sheets backend (the loopback fake), every run its own client: as two hosts sharing
    one spreadsheet, with no conditional write anywhere, only the Outbox's append order."""
    total: Counter[str] = Counter()
    for seed in range(SHEETS_SEEDS):
        total += simulate(10_000 + seed, tmp_path, "gsheets")
    total["seeds"] = SHEETS_SEEDS
    print("\nnotify fault injection on Google Sheets:", ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    assert total["overlapping rounds"] and total["crashes"] and total["held by another run"]
    assert total["outbox sent"] > 3 * (total["outbox unknown"] + total["outbox failed"])


# -- real separate processes ----------------------------------------------------------------------------------------

def test_overlapping_runs_in_separate_processes_send_each_message_once(tmp_path: Path) -> None:
    """Four ``python -m jobs.notify --once`` processes start together on one store, each with its own host lock (as
    on four hosts), against a real SMTP server that takes a while per message: every message arrives once."""
    store = new_store(tmp_path / "procs.db")
    clock = Clock(at(23, 8))
    desk = Desk(store, now=clock)
    now = dt.datetime.now(dt.UTC)
    for n in range(6):
        to_step(desk, clock, (3, 4, 5, 2, 3, 4)[n], now - dt.timedelta(minutes=5 * n), title=f"Proses {n}")
    with SmtpServer(tmp_path, tls=False) as smtp:
        smtp.delay = 0.3
        secrets = tmp_path / "secrets.toml"
        secrets.write_text('[smtp]\nsecurity = "none"\nsender = "desk@dishub.test"\n', encoding="utf-8")
        procs = []
        for n in range(4):
            env = {**os.environ, "SOPKIT_STORE": f"sqlite:///{tmp_path / 'procs.db'}", "SOPKIT_SECRETS": str(secrets),
                   "SOPKIT_SMTP_HOST": "127.0.0.1", "SOPKIT_SMTP_PORT": str(smtp.port),
                   "SOPKIT_BASE_URL": "http://127.0.0.1:8501"}
            lock = tmp_path / f"host{n}.lock"
            secrets_n = tmp_path / f"secrets{n}.toml"
            secrets_n.write_text(secrets.read_text() + f'[notify]\nlock = "{lock}"\n', encoding="utf-8")
            env["SOPKIT_SECRETS"] = str(secrets_n)
            procs.append(subprocess.Popen([sys.executable, "-m", "jobs.notify", "--once"], cwd=ROOT, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        outputs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outputs
        ids = Counter(m.message["Message-ID"] for m in smtp.messages)
        sent_lines = sum(o.count(" sent: ") for o in outputs)
        states = fold(store.read_outbox())
        assert ids and max(ids.values()) == 1, ids
        assert len(ids) == sent_lines == sum(s.status == Status.SENT for s in states.values())
        held = sum(int(m.group(1)) for o in outputs for m in re.finditer(r"(\d+) dipegang putaran lain", o))
        assert held > 0, "the runs did not overlap: " + "\n".join(outputs)
        again = subprocess.run([sys.executable, "-m", "jobs.notify", "--once"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
        assert again.returncode == 0 and len(smtp.messages) == len(ids)
