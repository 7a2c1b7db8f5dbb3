"""Which messages are due, to whom, at which working minute (``sopkit.notify.due``), on items driven through the
real workflow. Working days: Mon-Thu 07:30-12:00 and 13:00-16:00, Fri 07:30-11:30 and 13:00-16:30; 24 Dec 2026 is
cuti bersama (a Thursday) and 25 Dec Christmas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from notify_support import PEOPLE, Clock, at, due_at, kinds, new_store, of, to_step

from sopkit.clock import WorkCalendar
from sopkit.notify.due import due_notices, expand, unreachable_people
from sopkit.notify.prefs import Preference
from sopkit.schema import User
from sopkit.settings import Settings
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

P = {k: u.email for k, u in PEOPLE.items()}


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return new_store(tmp_path / "due.db")


@pytest.fixture
def clock() -> Clock:
    return Clock(at(23, 8))


@pytest.fixture
def desk(store: SQLiteStore, clock: Clock) -> Desk:
    return Desk(store, now=clock)


def test_work_arrived_goes_to_the_queue_without_the_makers_then_to_the_holder(desk, clock, store) -> None:  # noqa: ANN001
    maker = User("ganda@x.go.id", "Ganda Petugas Pengawas", ("officer", "supervisor"))
    store.save_user(maker)
    item = to_step(desk, clock, 2, at(23, 9), people={**PEOPLE, "officer": maker})
    item = desk.take(PEOPLE["creator"], item)
    item = desk.submit(PEOPLE["creator"], desk.edit(PEOPLE["creator"], item, body="Isi", captions={"site": "x"}))
    due = due_at(store, at(23, 9, 30))
    # step 3 sits in the supervisors' queue; the supervisor who collected it may not verify it, so is not told
    assert kinds(due, item.id) == {("arrived", P["supervisor"]): 1, ("arrived", P["supervisor2"]): 1}
    assert all(n.queue and n.step == 3 and n.attempt == "1" for n in of(due, "arrived"))
    desk.take(PEOPLE["supervisor2"], item)
    assert kinds(due_at(store, at(23, 9, 31)), item.id) == {("arrived", P["supervisor2"]): 1}


def test_reminder_and_breach_around_the_lunch_break(desk, clock, store) -> None:  # noqa: ANN001
    """Step 3 (60 working minutes) entered Monday 11:30: 30 minutes before lunch, 30 after. The reminder (75 %)
    falls at 13:15, the deadline is 13:30, and the breach is the first working moment past it."""
    item = to_step(desk, clock, 3, at(23, 11, 30), take=True)
    expected = {12: [], 13: [], 13.25: ["reminder"], 13.5: ["reminder"], 13.51: ["breach"]}
    for hour, found in {**expected, 12.99: []}.items():
        h, m = int(hour), round((hour % 1) * 60)
        due = due_at(store, at(23, h, m))
        assert sorted({n.kind for n in due.notices if n.item_id == item.id} - {"arrived", "digest"}) == found, hour
    reminder = of(due_at(store, at(23, 13, 15)), "reminder")[0]
    assert reminder.due_at == at(23, 13, 15) and reminder.deadline == at(23, 13, 30)
    assert reminder.recipient == P["supervisor2"]  # the holder, not the whole queue
    breach = due_at(store, at(23, 13, 31))
    assert {r for k, r in kinds(breach, item.id) if k == "breach"} == {P["supervisor2"], P["manager"]}


def test_friday_hours_and_the_weekend(desk, clock, store) -> None:  # noqa: ANN001
    """Step 2 (6 working hours) entered Friday 14:00: 2.5 h on Friday (to 16:30), then Monday from 07:30. The
    reminder (4.5 h) falls Monday 09:30, the deadline is Monday 11:00; Saturday adds nothing."""
    item = to_step(desk, clock, 2, at(27, 14), take=True)
    assert not of(due_at(store, at(28, 10)), "reminder")  # Saturday
    assert not of(due_at(store, at(30, 9, 29)), "reminder")
    reminder = of(due_at(store, at(30, 9, 30)), "reminder")
    assert [(n.recipient, n.deadline) for n in reminder] == [(P["creator2"], at(30, 11))]
    late = due_at(store, at(30, 11, 1))
    # at steps 1-2 the supervisors hear of a breach too
    assert {r for k, r in kinds(late, item.id) if k == "breach"} == {P["creator2"], P["manager"], P["supervisor"],
                                                                    P["supervisor2"]}
    friday_step3 = to_step(desk, clock, 3, at(27, 11), take=True)  # Friday's lunch starts at 11:30
    assert not of(due_at(store, at(27, 12, 59)), "reminder") or all(
        n.item_id != friday_step3.id for n in of(due_at(store, at(27, 12, 59)), "reminder"))
    assert [n.item_id for n in of(due_at(store, at(27, 13, 15)), "reminder")] == [friday_step3.id]


def test_cuti_bersama_and_christmas_stop_the_clock(desk, clock, store) -> None:  # noqa: ANN001
    """Step 4 (60 min) entered Wednesday 23 Dec 15:30: 30 minutes that day; 24 Dec (cuti bersama), 25 Dec and the
    weekend are off; the reminder falls Monday 28 Dec 07:45 and the deadline is 08:00."""
    item = to_step(desk, clock, 4, at(23, 15, 30, month=12), take=True)
    for day in (24, 25, 26, 27):
        assert not of(due_at(store, at(day, 10, month=12)), "reminder"), day
    reminder = of(due_at(store, at(28, 7, 45, month=12)), "reminder")
    assert [(n.item_id, n.deadline) for n in reminder] == [(item.id, at(28, 8, month=12))]
    assert of(due_at(store, at(28, 8, 1, month=12)), "breach")


def test_sent_back_goes_to_the_creator_with_the_note_as_a_new_attempt(desk, clock, store) -> None:  # noqa: ANN001
    item = to_step(desk, clock, 3, at(23, 9))
    clock.set(at(23, 9, 20))
    item = desk.reject(PEOPLE["supervisor"], item, "Tanggal kegiatan keliru; cek surat undangan.")
    due = due_at(store, at(23, 9, 21))
    notices = [n for n in due.notices if n.item_id == item.id]
    assert [(n.kind, n.recipient, n.step, n.attempt) for n in notices] == [("returned", P["creator"], 2, "2")]
    assert notices[0].note == "Tanggal kegiatan keliru; cek surat undangan." and notices[0].from_step == 3
    assert notices[0].reviewer == P["supervisor"]
    # resubmitted: verification again is a new attempt, so everyone hears of it anew
    clock.set(at(23, 10))
    item = desk.submit(PEOPLE["creator"], desk.edit(PEOPLE["creator"], item, body="Isi baru"))
    assert {(n.kind, n.attempt) for n in due_at(store, at(23, 10, 1)).notices if n.item_id == item.id} == {
        ("arrived", "2")}


def test_publish_problem_goes_to_publishers_and_supervisors(desk, clock, store) -> None:  # noqa: ANN001
    item = to_step(desk, clock, 6, at(23, 9), publish_at=at(23, 10), channels=("site", "telegram"))
    clock.set(at(23, 10, 1))
    item = desk.record_channel(PEOPLE["publisher"], item, "telegram",
                               {"status": "unknown", "error": "unknown — check the channel", "at": at(23, 10, 1)
                                .isoformat()})
    due = due_at(store, at(23, 10, 2))
    problems = of(due, "publish_problem")
    assert {n.recipient for n in problems} == {P["publisher"], P["supervisor"], P["supervisor2"]}
    assert {(n.channel_name, n.problem) for n in problems} == {("telegram", "unknown")}
    # step 6 runs on calendar time after the scheduled moment: 15 minutes, reminder after 11.25
    assert not of(due_at(store, at(23, 10, 11)), "reminder")
    assert of(due_at(store, at(23, 10, 12)), "reminder")
    assert of(due_at(store, at(23, 10, 16)), "breach")


def test_daily_digest_on_working_days_only(desk, clock, store) -> None:  # noqa: ANN001
    late = to_step(desk, clock, 3, at(20, 9), take=True)  # Friday: overdue by Monday
    today = to_step(desk, clock, 4, at(23, 7, 40))
    done = to_step(desk, clock, 3, at(20, 8))
    clock.set(at(20, 8, 30))
    done = desk.approve(PEOPLE["supervisor2"], desk.take(PEOPLE["supervisor2"], done))  # on time on Friday
    clock.set(at(20, 10, 0))
    desk.cancel(PEOPLE["supervisor"], done, "Ditunda.")  # step 4 ends cancelled (late: 90 working minutes)
    digest = of(due_at(store, at(23, 7, 45)), "digest")
    assert [(n.recipient, n.attempt) for n in digest] == [(P["manager"], "2026-11-23")]
    d = due_at(store, at(23, 7, 45)).digest
    assert d is not None and [c.item.id for c in d.overdue] == [late.id]
    assert [c.item.id for c in d.due_today] == [today.id]
    assert d.previous_day == dt.date(2026, 11, 20) and d.rates[3] == (1, 1) and d.rates[4] == (0, 1)
    for when in (at(23, 7, 29), at(23, 16, 0), at(28, 9), at(29, 9), at(24, 9, month=12), at(25, 9, month=12)):
        assert not of(due_at(store, when), "digest"), when


def test_closed_and_cancelled_items_produce_nothing(desk, clock, store) -> None:  # noqa: ANN001
    item = to_step(desk, clock, 3, at(23, 9))
    clock.set(at(23, 9, 5))
    desk.cancel(PEOPLE["supervisor"], item, "Kegiatan dibatalkan.")
    assert not [n for n in due_at(store, at(23, 15)).notices if n.item_id == item.id]


def test_reminder_share_is_configurable(desk, clock, store) -> None:  # noqa: ANN001
    item = to_step(desk, clock, 3, at(23, 9), take=True)
    users, _ = store.read_users()
    from sopkit.notify.due import due_notices

    half = due_notices(store.read_register().items, store.read_log(), users, Settings(), at(23, 9, 30), share=0.5)
    assert [n.item_id for n in of(half, "reminder")] == [item.id]
    assert not of(due_at(store, at(23, 9, 30)), "reminder")


def test_expand_channels_language_quiet_hours_and_unreachable(desk, clock, store) -> None:  # noqa: ANN001
    to_step(desk, clock, 3, at(23, 9))
    due = due_at(store, at(23, 9, 5))
    users, _ = store.read_users()
    prefs = {P["supervisor"]: Preference(P["supervisor"], "en", channels=("email", "telegram"),
                                         telegram_chat_id="5551"),
             P["supervisor2"]: Preference(P["supervisor2"], channels=("telegram",))}
    cal = WorkCalendar()
    evening = at(23, 19)
    out = expand(due.notices, users, prefs, cal, evening)
    got = {(o.notice.recipient, o.channel): o for o in out}
    assert got[(P["supervisor"], "email")].not_before == evening  # e-mail at once
    assert got[(P["supervisor"], "telegram")].not_before == at(24, 7, 30)  # chat waits for working hours
    assert got[(P["supervisor"], "email")].lang == "en" and got[(P["supervisor"], "telegram")].address == "5551"
    assert got[(P["supervisor2"], "telegram")].unreachable == "no_chat"
    muted = {P["supervisor"]: Preference(P["supervisor"], kinds=frozenset({"breach"}))}
    assert not [o for o in expand(due.notices, users, muted, cal, evening) if o.notice.recipient == P["supervisor"]]
    gone = [u for u in users if u.email != P["supervisor"]] + [User(P["supervisor"], "Budi", ("supervisor",),
                                                                    active=False)]
    held_by_gone = [o for o in expand(due.notices, gone, {}, cal, evening) if o.notice.recipient == P["supervisor"]]
    assert [(o.channel, o.unreachable) for o in held_by_gone] == [("none", "inactive")]
    listed = unreachable_people(users, prefs)
    assert [(u.email, why) for u, why in listed] == [(P["supervisor2"], "no_chat")]


@pytest.mark.parametrize("seed", range(6))
def test_the_open_attempt_is_the_one_the_compliance_report_counts(desk, clock, store, seed) -> None:  # noqa: ANN001
    """due.py counts attempts from the item's own Log rows (cheap, every run); the compliance report is the
    reference. Random passes with rejections at steps 3 and 4 and reschedules at step 6 must agree."""
    import random

    import pandas as pd

    from sopkit.compliance import compute
    from sopkit.schema import LOG_COLUMNS

    rng = random.Random(seed)
    for n in range(4):
        item = to_step(desk, clock, 3, at(23, 8) + dt.timedelta(minutes=n), channels=("site",))
        for _ in range(rng.randint(0, 6)):
            clock.advance(minutes=rng.randint(1, 50))
            if item.step == 2:
                item = desk.submit(PEOPLE["creator"], desk.edit(PEOPLE["creator"], item, body=f"v{rng.random()}"))
            elif item.step in (3, 4):
                who = PEOPLE["supervisor"] if item.step == 3 else PEOPLE["administrator"]
                item = (desk.reject(who, item, "Perbaiki.") if rng.random() < 0.5 else desk.approve(who, item))
            elif item.step == 5:
                item = desk.schedule(PEOPLE["supervisor"], item, clock.t + dt.timedelta(hours=2))
            elif item.step == 6:
                item = desk.schedule(PEOPLE["supervisor"], item, clock.t + dt.timedelta(minutes=rng.randint(5, 90)))
    now = clock.advance(hours=3)
    due = due_at(store, now)
    report = compute(pd.DataFrame(store.read_log(), columns=list(LOG_COLUMNS)), Settings(), as_of=now)
    open_ = report.attempts[report.attempts["ended_at"].isna()]
    expected = {(r.item_id, int(r.step)): (int(r.attempt), r.started_at.to_pydatetime()) for r in
                open_.itertuples()}
    got = {(c.item.id, c.step): (c.attempt, c.started) for c in due.clocks.values()}
    assert got == expected


def test_a_limit_changed_after_the_step_started_counts_as_the_desk_badge_counts_it(desk, clock, store) -> None:  # noqa: ANN001
    """Each step is judged by the Settings revision in force when it started (issue 16), by the desk's countdown
    badge, the compliance report and the notifications alike. Verification's limit is 120 minutes when item A
    enters it at 09:00; at 09:30 an admin cuts it to 30, and item B enters at 09:40. At 10:15 B is past its 30
    minutes, while A, 75 of its 120 minutes used, is not even due a reminder (judged by the limit now in force it
    would be 45 minutes late)."""
    import pandas as pd

    from sopkit.compliance import compute
    from sopkit.queues import countdown, rules_for
    from sopkit.schema import LOG_COLUMNS
    from sopkit.settings import load_history

    store.save_settings({"limit_step3": "120"}, actor=P["admin"], at=at(23, 8))
    a = to_step(desk, clock, 3, at(23, 9), take=True, title="A")
    store.save_settings({"limit_step3": "30"}, actor=P["admin"], at=at(23, 9, 30))
    b = to_step(desk, clock, 3, at(23, 9, 40), take=True, title="B")
    history, _ = load_history(store)
    latest = history.latest.settings
    assert latest.limit(3) == 30

    def due(now: dt.datetime):  # noqa: ANN202
        users, _ = store.read_users()
        return due_notices(store.read_register().items, store.read_log(), users, latest, now, history=history)

    def badge(item_id: str, now: dt.datetime):  # noqa: ANN202
        item = store.get_item(item_id)  # as the desk's clock_badge judges it
        settings = rules_for(item, history)
        return countdown(item, settings, now, WorkCalendar(settings))

    now = at(23, 10, 15)
    found = due(now)
    late = {n.item_id for n in of(found, "breach")}
    reminded = {n.item_id for n in of(found, "reminder")}
    assert late == {b.id} and reminded == set()
    for item in (a, b):
        c, shown = found.clocks[item.id], badge(item.id, now)
        assert (c.limit, c.deadline, c.overdue) == (shown.limit_minutes, shown.deadline, shown.state == "late")
    assert (found.clocks[a.id].limit, found.clocks[a.id].deadline) == (120, at(23, 11))
    assert badge(a.id, now).state == "ok"
    # A's reminder falls at 75 % of its own 120 minutes, 10:30, when its badge turns amber a quarter before the end.
    reminder = of(due(at(23, 10, 30)), "reminder")
    assert [(n.item_id, n.due_at, n.deadline) for n in reminder] == [(a.id, at(23, 10, 30), at(23, 11))]
    assert badge(a.id, at(23, 10, 30)).state == "near"
    # The compliance report, judged by the same history, agrees on both open attempts' limits.
    report = compute(pd.DataFrame(store.read_log(), columns=list(LOG_COLUMNS)), history=history, as_of=now)
    open_ = report.attempts[report.attempts["ended_at"].isna() & (report.attempts["step"] == 3)]
    assert dict(zip(open_["item_id"], open_["limit_minutes"], strict=True)) == {a.id: 120, b.id: 30}
    # Without the history (the Settings now in force at every instant) A would be late: the old behaviour.
    users, _ = store.read_users()
    naive = due_notices(store.read_register().items, store.read_log(), users, latest, now)
    assert {n.item_id for n in of(naive, "breach")} == {a.id, b.id}
