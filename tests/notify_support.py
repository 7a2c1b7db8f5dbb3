"""What the notification tests share: people, items driven through the real workflow, a recording sender."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sopkit.notify.due import Due, Notice, Outgoing, due_notices
from sopkit.notify.job import NotifyJob
from sopkit.notify.messages import Letter
from sopkit.retry import Backoff
from sopkit.schema import Item, User
from sopkit.settings import Settings
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ
from sopkit.workflow import Desk

PEOPLE: dict[str, User] = {
    "officer": User("petugas@x.go.id", "Rina Petugas", ("officer",)),
    "creator": User("konten@x.go.id", "Dewi Konten", ("creator",)),
    "creator2": User("konten2@x.go.id", "Hendra Konten", ("creator",)),
    "supervisor": User("pengawas@x.go.id", "Budi Pengawas", ("supervisor",)),
    "supervisor2": User("pengawas2@x.go.id", "Sari Pengawas", ("supervisor",)),
    "administrator": User("administrator@x.go.id", "Yusuf Administrator", ("administrator",)),
    "publisher": User("medsos@x.go.id", "Tono Medsos", ("publisher",)),
    "manager": User("pimpinan@x.go.id", "Kepala Dinas", ("manager",)),
    "admin": User("admin@x.go.id", "Admin Sistem", ("admin",)),
}
FAST = Backoff(tries=3, base=0.01, cap=0.05)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=AGENCY_TZ)


class Clock:
    def __init__(self, t: dt.datetime):
        self.t = t
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.t

    def set(self, t: dt.datetime) -> None:
        with self._lock:
            self.t = t

    def advance(self, **delta: float) -> dt.datetime:
        with self._lock:
            self.t += dt.timedelta(**delta)
            return self.t


def new_store(path: Any, people: dict[str, User] = PEOPLE) -> SQLiteStore:
    store = SQLiteStore(path)
    store.init()
    for user in people.values():
        store.save_user(user)
    return store


def to_step(desk: Desk, clock: Clock, step: int, entered: dt.datetime, *, take: bool = False,
            channels: tuple[str, ...] = ("site",), title: str = "Uji KIR gratis di Pontianak",
            publish_at: dt.datetime | None = None, people: dict[str, User] = PEOPLE) -> Item:
    """An item driven through the real actions so that it enters ``step`` at ``entered`` (the earlier actions a
    minute before); ``take``: the step's holder takes it right away."""
    moves: list[Callable[[Item], Item]] = [
        lambda i: desk.submit(people["officer"], i),
        lambda i: desk.submit(people["creator"], desk.edit(people["creator"], desk.take(people["creator"], i),
                                                           body="Isi artikel",
                                                           captions={c: "Caption" for c in channels})),
        lambda i: desk.approve(people["supervisor"], i),
        lambda i: desk.approve(people["administrator"], i),
        lambda i: desk.schedule(people["supervisor"], i, publish_at or entered + dt.timedelta(hours=1)),
    ]
    clock.set(entered - dt.timedelta(minutes=1) if step > 1 else entered)
    item = desk.start(people["officer"], title=title, summary="Uji KIR gratis bulan ini\nuntuk angkutan umum.",
                      channels=channels)
    for n, move in enumerate(moves[: step - 1], start=2):
        if n == step:
            clock.set(entered)
        item = move(item)
    if take and step in (2, 3, 4, 5):
        holder = {2: "creator2", 3: "supervisor2", 4: "administrator", 5: "supervisor"}[step]
        item = desk.take(people[holder], item)
    return item


def due_at(store: SQLiteStore, now: dt.datetime, settings: Settings | None = None) -> Due:
    users, _ = store.read_users()
    return due_notices(store.read_register().items, store.read_log(), users, settings or Settings(), now)


def kinds(due: Due, item_id: str | None = None) -> Counter[tuple[str, str]]:
    """(kind, recipient) of the notices, for one item or all."""
    return Counter((n.kind, n.recipient) for n in due.notices if item_id is None or n.item_id == item_id)


def of(due: Due, kind: str) -> list[Notice]:
    return [n for n in due.notices if n.kind == kind]


@dataclass
class Recorder:
    """A sender that records what it delivered; ``faults`` decide each attempt (a callable returning an
    exception to raise before or after delivering, or None)."""

    channel: str = "email"
    delivered: Counter[str] = field(default_factory=Counter)
    letters: dict[str, Letter] = field(default_factory=dict)
    fault: Callable[[Outgoing], tuple[str, BaseException] | None] = lambda out: None
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: int = 0

    def send(self, out: Outgoing, letter: Letter) -> str:
        verdict = self.fault(out)
        if verdict and verdict[0] == "before":
            raise verdict[1]
        with self.lock:
            self.delivered[out.key] += 1
            self.letters[out.key] = letter
        if verdict and verdict[0] == "after":
            raise verdict[1]
        return f"id-{len(self.delivered)}"

    def close(self) -> None:
        self.closed += 1

    @property
    def duplicates(self) -> dict[str, int]:
        return {k: n for k, n in self.delivered.items() if n > 1}


def make_job(store: Any, clock: Clock, senders: dict[str, Any], lines: list[str] | None = None,
             **kw: Any) -> NotifyJob:
    kw.setdefault("backoff", FAST)
    kw.setdefault("sleep", lambda s: None)
    return NotifyJob(store, kw.pop("settings", Settings()), senders, kw.pop("unavailable", {}), now=clock,
                     say=(lines if lines is not None else []).append, base_url="http://desk.test", **kw)
