"""The workflow engine: a full pass, every refusal as a typed error, maker-checker, server time."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from sopkit import sop
from sopkit.permissions import Forbidden
from sopkit.schema import Item, User
from sopkit.store.base import StaleWrite
from sopkit.timeutil import to_iso
from sopkit.workflow import Desk, InvalidInput, MakerChecker, NoteRequired, NotHolder, WrongState


def to_step(desk: Desk, users: dict[str, User], clock, step: int, channels=("site",)) -> Item:  # noqa: ANN001
    """Drive a new item to ``step`` through the real actions."""
    item = desk.start(users["officer"], title="Uji KIR gratis", summary="Uji KIR gratis bulan ini", channels=channels)
    if step == 1:
        return item
    clock.advance(minutes=30)
    item = desk.submit(users["officer"], item)
    if step == 2:
        return item
    item = desk.edit(users["creator"], item, body="Isi artikel", captions={c: "Caption" for c in channels})
    item = desk.submit(users["creator"], item)
    if step == 3:
        return item
    item = desk.approve(users["supervisor"], item)
    if step == 4:
        return item
    item = desk.approve(users["administrator"], item)
    if step == 5:
        return item
    return desk.schedule(users["supervisor"], item, clock.t + dt.timedelta(hours=1))


def test_full_pass_writes_register_and_log(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 6, channels=("site", "facebook"))
    assert (item.step, item.status) == (6, "scheduled")
    item = desk.record_channel(users["publisher"], item, "site", {"status": "published", "url": "http://s/1"})
    assert item.status == "scheduled"
    item = desk.record_channel(users["publisher"], item, "facebook", {"status": "published", "post_id": "9"})
    assert item.status == sop.PUBLISHED and item.published_at == clock.t
    log = desk.store.read_log(item.id)
    actions = [(r["step"], r["action"]) for r in log]
    assert actions == [("1", "start"), ("1", "submit"), ("2", "edit"), ("2", "submit"), ("3", "approve"),
                       ("4", "approve"), ("5", "schedule"), ("6", "channel"), ("6", "channel"), ("6", "publish")]
    assert log[6]["publish_at"] == to_iso(clock.t + dt.timedelta(hours=1))
    assert item.rev == len(log) - 1  # every change bumped rev once; the last two rows were one change
    assert [r["role"] for r in log][:2] == ["officer", "officer"]


def test_action_time_is_the_server_clock(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = desk.start(users["officer"], title="T", channels=["site"])
    assert item.created_at == clock.t and item.step_entered_at == clock.t
    assert desk.store.read_log(item.id)[0]["at"] == "2026-11-23T08:00:00.000+07:00"  # stored to the ms


def test_reject_needs_a_note_and_returns_to_step_2(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3)
    with pytest.raises(NoteRequired):
        desk.reject(users["supervisor"], item, "   ")
    assert desk.store.get_item(item.id).rev == item.rev  # nothing changed
    item = desk.reject(users["supervisor"], item, "Tanggal salah")
    assert (item.step, item.status, item.rejections_step3, item.last_note) == (2, "designing", 1, "Tanggal salah")
    item = desk.submit(users["creator"], item)
    item = desk.approve(users["supervisor"], item)
    item = desk.reject(users["administrator"], item, "Judul kurang jelas")
    assert (item.step, item.rejections_step4) == (2, 1)


@pytest.mark.parametrize("step,action,role", [
    (1, "submit", "creator"), (2, "submit", "officer"), (3, "approve", "administrator"),
    (3, "approve", "publisher"), (4, "approve", "supervisor"), (5, "schedule", "publisher"),
])
def test_wrong_role_is_forbidden(desk: Desk, users, clock, step, action, role) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, step)
    fn = getattr(desk, action)
    args = (clock.t + dt.timedelta(hours=1),) if action == "schedule" else ()
    with pytest.raises(Forbidden):
        fn(users[role], item, *args)
    assert desk.store.get_item(item.id).rev == item.rev


@pytest.mark.parametrize("step,call", [
    (1, lambda d, u, i, t: d.approve(u["supervisor"], i)),
    (2, lambda d, u, i, t: d.approve(u["supervisor"], i)),
    (3, lambda d, u, i, t: d.submit(u["creator"], i)),
    (3, lambda d, u, i, t: d.schedule(u["supervisor"], i, t)),
    (5, lambda d, u, i, t: d.publish(u["publisher"], i)),
    (6, lambda d, u, i, t: d.publish(u["publisher"], i)),  # not yet out on any channel
])
def test_wrong_state_is_refused(desk: Desk, users, clock, step, call) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, step)
    with pytest.raises((WrongState, Forbidden)):
        call(desk, users, item, clock.t + dt.timedelta(hours=1))
    assert desk.store.get_item(item.id).rev == item.rev


def test_maker_may_not_verify_and_verifier_may_not_approve(desk: Desk, users, clock) -> None:  # noqa: ANN001
    both = User("dua@x.go.id", "Dua peran", ("creator", "supervisor", "administrator"))
    desk.store.save_user(both)
    item = to_step(desk, users, clock, 2)
    item = desk.edit(both, item, body="Isi")
    item = desk.submit(both, item)
    with pytest.raises(MakerChecker):
        desk.approve(both, item)
    with pytest.raises(MakerChecker):
        desk.reject(both, item, "note")
    item = to_step(desk, users, clock, 3)
    checker = User("cek@x.go.id", "Cek", ("supervisor", "administrator"))
    desk.store.save_user(checker)  # every actor is re-checked against the Users table in the commit
    item = desk.approve(checker, item)
    with pytest.raises(MakerChecker, match="memverifikasi konten"):
        desk.approve(checker, item)
    with pytest.raises(MakerChecker):
        desk.assign(users["supervisor"], item, checker)


def test_stale_write_is_refused_and_nothing_is_overwritten(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3)
    first = desk.approve(users["supervisor"], item)  # user A acts on the read
    with pytest.raises(StaleWrite, match="changed"):
        desk.reject(users["supervisor2"], item, "too late")  # user B acts on the same, now stale, read
    current = desk.store.get_item(item.id)
    assert current == first
    assert [r["action"] for r in desk.store.read_log(item.id)][-1] == "approve"


def test_holder_is_respected_until_reassigned(desk: Desk, users, clock) -> None:  # noqa: ANN001
    other = User("konten2@x.go.id", "Konten 2", ("creator",))
    desk.store.save_user(other)
    item = to_step(desk, users, clock, 2)
    item = desk.take(users["creator"], item)
    with pytest.raises(NotHolder):
        desk.edit(other, item, body="x")
    item = desk.assign(users["supervisor"], item, other)
    assert item.creator == other.email
    item = desk.edit(other, item, body="x")
    with pytest.raises(InvalidInput, match="peran"):
        desk.assign(users["supervisor"], item, users["officer"])


@pytest.mark.parametrize("fields,match", [
    ({"title": ""}, "Judul"),
    ({"channels": ["myspace"]}, "Kanal tidak dikenal"),
    ({"title": "x" * 301}, "300"),
    ({"summary": "x" * 50_001}, "50.000"),
])
def test_bad_input_on_start(desk: Desk, users, fields, match) -> None:  # noqa: ANN001
    kwargs = {"title": "ok", "channels": ["site"], **fields}
    with pytest.raises(InvalidInput, match=match):
        desk.start(users["officer"], **kwargs)
    assert desk.store.read_register().items == ()


def test_edit_outside_the_steps_fields_is_refused(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 2)
    with pytest.raises(InvalidInput, match="tidak bisa diubah"):
        desk.edit(users["creator"], item, status="published")
    with pytest.raises(InvalidInput):
        desk.edit(users["creator"], item, captions={"myspace": "x"})


def test_schedule_rules_and_reschedule(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 5)
    with pytest.raises(InvalidInput, match="sudah lewat"):
        desk.schedule(users["supervisor"], item, clock.t - dt.timedelta(hours=1))
    with pytest.raises(InvalidInput, match="zona waktu"):
        desk.schedule(users["supervisor"], item, dt.datetime(2026, 12, 1, 9, 0))
    item = desk.schedule(users["supervisor"], item, clock.t + dt.timedelta(days=1))
    later = clock.t + dt.timedelta(days=2)
    item = desk.schedule(users["supervisor"], item, later)
    assert item.publish_at == later and item.step == 6
    assert [r["step"] for r in desk.store.read_log(item.id) if r["action"] == "schedule"] == ["5", "6"]


def test_cancel_needs_a_note_and_ends_the_item(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 4)
    with pytest.raises(NoteRequired):
        desk.cancel(users["administrator"], item, "")
    item = desk.cancel(users["administrator"], item, "Acara batal")
    assert item.status == sop.CANCELLED
    with pytest.raises(WrongState):
        desk.cancel(users["administrator"], item, "again")


def test_channel_result_must_name_a_url(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 6)
    with pytest.raises(InvalidInput, match="alamat"):
        desk.record_channel(users["publisher"], item, "site", {"status": "published"})
    with pytest.raises(InvalidInput, match="tidak ditujukan"):
        desk.record_channel(users["publisher"], item, "instagram", {"status": "published", "url": "u"})
    failed = desk.record_channel(users["publisher"], item, "site", {"status": "failed", "error": "401"})
    assert failed.status == "scheduled" and failed.channel_results["site"]["status"] == "failed"


def test_deactivated_user_is_refused(desk: Desk, users) -> None:  # noqa: ANN001
    with pytest.raises(Forbidden, match="dinonaktifkan"):
        desk.start(replace(users["officer"], active=False), title="x", channels=["site"])


def test_an_action_is_refused_once_the_user_is_deactivated_whatever_the_session_holds(desk: Desk, users,
                                                                                     clock) -> None:  # noqa: ANN001
    """The Desk is handed the User object a session keeps; the commit re-checks it against the store."""
    from dataclasses import replace

    from sopkit.store.base import ActorRefused

    item = to_step(desk, users, clock, 3)
    session_user = users["supervisor"]
    desk.store.save_user(replace(session_user, active=False))
    with pytest.raises(ActorRefused):
        desk.approve(session_user, item)
    desk.store.save_user(replace(session_user, roles=("creator",)))  # active again, but de-roled
    with pytest.raises(ActorRefused):
        desk.approve(session_user, item)
    assert desk.store.get_item(item.id).step == 3
