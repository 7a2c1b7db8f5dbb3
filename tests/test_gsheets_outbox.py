"""The notification job's tables on Google Sheets (the loopback fake): the Outbox read in pieces, two hosts that
share one spreadsheet, a lost append answer, and what a run costs in API calls."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from notify_support import PEOPLE, Clock, Recorder, at, make_job, to_step

from fakes.sheets_server import FakeSheets, connect
from sopkit.notify.outbox import Event, Meta, Status, fold, row
from sopkit.store.gsheets import GSheetsStore
from sopkit.workflow import Desk

T0 = at(23, 9)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    with FakeSheets() as server:
        yield server


def open_store(fake: FakeSheets, key: str) -> GSheetsStore:
    return GSheetsStore(connect(fake), key, sleep=lambda s: None)


def new_sheet(fake: FakeSheets) -> tuple[str, GSheetsStore]:
    key = fake.create_spreadsheet("Desk", locale="id_ID")
    store = open_store(fake, key)
    store.init()
    for user in PEOPLE.values():
        store.save_user(user)
    return key, store


def ev(key: str, event: Event, job: str, minute: int = 0) -> dict[str, str]:
    at_ = T0 + dt.timedelta(minutes=minute)
    return row(event, key, job, at_, Meta("arrived", "A-1", "p@x.id", "email", "Judul"),
               until=at_ + dt.timedelta(minutes=10) if event == Event.CLAIM else None)


def test_the_outbox_is_read_once_whole_then_only_its_new_rows(fake: FakeSheets) -> None:
    key, host_a = new_sheet(fake)
    host_b = open_store(fake, key)
    host_a.append_outbox([ev("k1", Event.CLAIM, "a"), ev("k2", Event.CLAIM, "a")])
    assert len(host_a.read_outbox()) == 2
    host_b.append_outbox([ev("k1", Event.CLAIM, "b", 1), ev("k3", Event.CLAIM, "b", 1)])
    fake.reset_counts()
    asked: list[list[str]] = []
    real = host_a._batch_get
    host_a._batch_get = lambda ranges, **kw: asked.append(list(ranges)) or real(ranges, **kw)  # type: ignore
    rows = host_a.read_outbox()
    assert [(r["key"], r["job"]) for r in rows] == [("k1", "a"), ("k2", "a"), ("k1", "b"), ("k3", "b")]
    assert fake.counts["read"] == 1
    assert asked == [["'Outbox'!1:1", "'Outbox'!A3:Z"]]  # the header and the rows from the last known one
    assert fold(rows)["k1"].job == "a"  # both hosts agree: the first claim appended wins
    assert fold(host_b.read_outbox())["k1"].job == "a"


def test_a_rearranged_outbox_is_read_again_whole(fake: FakeSheets) -> None:
    key, store = new_sheet(fake)
    store.append_outbox([ev("k1", Event.CLAIM, "a"), ev("k2", Event.CLAIM, "a"), ev("k3", Event.CLAIM, "a")])
    assert len(store.read_outbox()) == 3
    fake.admin_delete_rows(key, "Outbox", 2)  # a hand edit of a protected tab: the known rows moved
    store.append_outbox([ev("k4", Event.CLAIM, "a", 1)])
    assert [r["key"] for r in store.read_outbox()] == ["k2", "k3", "k4"]


def test_a_lost_append_answer_is_retried_and_the_repeat_changes_nothing(fake: FakeSheets) -> None:
    _, store = new_sheet(fake)
    fake.inject("spreadsheets.batchUpdate", drop=True, after_apply=True)
    store.append_outbox([ev("k1", Event.CLAIM, "a")])
    rows = store.read_outbox(["k1"])
    assert len(rows) == 2  # applied, answer lost, sent again
    state = fold(rows)["k1"]
    assert (state.status, state.job, state.attempts) == (Status.CLAIMED, "a", 1)


def test_a_run_on_sheets_sends_once_and_what_it_costs(fake: FakeSheets) -> None:
    key, store = new_sheet(fake)
    clock = Clock(at(23, 8, 30))
    desk = Desk(store, now=clock)
    to_step(desk, clock, 3, at(23, 8, 30))
    to_step(desk, clock, 4, at(23, 8, 40))
    clock.set(at(23, 9))
    mail = Recorder("email")
    fake.reset_counts()
    report = make_job(open_store(fake, key), clock, {"email": mail}).run()
    first = fake.counts
    assert report.sent == 4 and not mail.duplicates  # two supervisors, the administrator, the digest
    # reads: the snapshot (Register, Log, Users), Preferences, Outbox, the claims read back;
    # writes: the claims, one per message (its start, with the outcome before it), the last outcome
    assert first["read"] == 4 and first["write"] == 2 + report.sent, first
    fake.reset_counts()
    idle = make_job(open_store(fake, key), clock, {"email": mail}).run()
    assert idle.sent == 0 and fake.counts["write"] == 0 and fake.counts["read"] == 3, fake.counts
    other_host = make_job(open_store(fake, key), clock, {"email": mail})
    assert other_host.run().sent == 0 and sum(mail.delivered.values()) == 4


def test_as_the_command_runs_it_the_settings_come_with_the_snapshot(fake: FakeSheets) -> None:
    """``python -m jobs.notify`` gives the job no Settings: they and their history come with the run's one snapshot
    read, so a run still costs 4 reads. An admin's shorter limit counts for a step that starts after the save (a
    breach once that one is past it), not for one already under way (judged, as the desk's badge judges it, by
    the revision in force when it started)."""
    key, store = new_sheet(fake)
    store.save_settings({"limit_step4": "60"}, actor="admin@x.id", at=at(23, 8))
    clock = Clock(at(23, 8, 30))
    desk = Desk(store, now=clock)
    before = to_step(desk, clock, 4, at(23, 8, 40))
    clock.set(at(23, 9))
    mail = Recorder("email")

    def sent() -> list[tuple[str, str]]:
        return sorted((s.meta.kind, s.meta.item_id) for s in fold(store.read_outbox()).values()
                      if s.status == Status.SENT and s.meta.kind != "digest")

    fake.reset_counts()
    assert make_job(open_store(fake, key), clock, {"email": mail}, settings=None).run().sent == 2
    assert fake.counts["read"] == 4 and sent() == [("arrived", before.id)], fake.counts
    store.save_settings({"limit_step4": "10"}, actor="admin@x.id", at=at(23, 9))
    after = to_step(desk, clock, 4, at(23, 9, 5), title="Jadwal kapal cepat")
    clock.set(at(23, 9, 20))  # 40 minutes into the first one's 60, 15 into the second one's 10
    fake.reset_counts()
    report = make_job(open_store(fake, key), clock, {"email": mail}, settings=None).run()
    assert fake.counts["read"] == 4 and report.sent >= 2 and not mail.duplicates, fake.counts
    assert sent() == sorted([("arrived", before.id), ("arrived", after.id), ("breach", after.id),
                             ("breach", after.id)])  # the administrator and the manager
