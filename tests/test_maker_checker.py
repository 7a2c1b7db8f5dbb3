"""Maker-checker survives reassignment (issue 9, item 4): makers and verifiers come from the item's Log, not from
the holder columns that every take, assign and resubmission rewrites. Each path that rewrites a holder column is
walked here, on the SQLite store and (for the API budget) on the Google Sheets store against the loopback fake."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_workflow import to_step

from fakes.sheets_server import FakeSheets, connect
from sopkit.schema import Item, User
from sopkit.store.base import Change
from sopkit.store.gsheets import GSheetsStore
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk, MakerChecker, makers_and_verifiers

#: A creator who is also a supervisory and an administrator official: the one the outside pass used.
A = User("a@x.go.id", "A", ("officer", "creator", "supervisor", "administrator"))
C = User("c@x.go.id", "C", ("creator",))
O2 = User("o2@x.go.id", "O2", ("officer",))


@pytest.fixture
def desk(desk: Desk) -> Desk:
    for u in (A, C, O2):
        desk.store.save_user(u)
    return desk


def designed_by_a_then_reassigned_to_c(desk: Desk, users, clock) -> Item:  # noqa: ANN001
    """The outside pass's path: A designs; the supervisor rejects; step 2 is reassigned to C; C resubmits. The
    creator column now says C, and nothing in the Register says A ever touched the item."""
    item = to_step(desk, users, clock, 2)
    item = desk.take(A, item)
    item = desk.edit(A, item, body="Isi oleh A", captions={"site": "A"})
    item = desk.submit(A, item)
    item = desk.reject(users["supervisor"], item, "perbaiki")
    item = desk.assign(users["supervisor"], item, C)
    item = desk.edit(C, item, body="Isi oleh C")
    item = desk.submit(C, item)
    assert (item.step, item.creator, item.verifier) == (3, C.email, users["supervisor"].email)
    return item


def test_reassigning_step_3_to_the_original_maker_is_refused(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = designed_by_a_then_reassigned_to_c(desk, users, clock)
    with pytest.raises(MakerChecker, match="mendesain konten"):
        desk.assign(users["supervisor"], item, A)
    free = desk.store.commit(Change(item.id, item.rev, {"verifier": ""}))  # nobody holds step 3 (a hand edit)
    with pytest.raises(MakerChecker):
        desk.take(A, free)


def test_the_original_maker_may_not_decide_even_when_holding_the_item(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = designed_by_a_then_reassigned_to_c(desk, users, clock)
    # the verifier column still names the supervisor who rejected; a hand edit (or an old bug) gives it to A
    item = desk.store.commit(Change(item.id, item.rev, {"verifier": A.email}))
    for decide in (lambda: desk.approve(A, item), lambda: desk.reject(A, item, "x")):
        with pytest.raises(MakerChecker):
            decide()
    assert desk.store.get_item(item.id) == item


def test_an_officer_reassigned_away_at_step_1_stays_a_maker(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = desk.start(A, title="Uji KIR", channels=["site"])
    item = desk.assign(users["supervisor"], item, O2)
    item = desk.submit(O2, desk.edit(O2, item, summary="oleh O2"))
    assert item.officer == O2.email
    item = desk.submit(users["creator"], desk.edit(users["creator"], desk.take(users["creator"], item),
                                                   body="Isi", captions={"site": "c"}))
    with pytest.raises(MakerChecker):
        desk.take(A, item)
    item = desk.approve(users["supervisor"], item)
    with pytest.raises(MakerChecker):  # nor at step 4
        desk.take(A, item)


def test_a_verifier_replaced_after_a_later_rejection_may_not_approve(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3)
    item = desk.approve(A, desk.take(A, item))  # A verifies at step 3
    item = desk.reject(users["administrator"], item, "ganti foto")  # step 4 sends it back to step 2
    item = desk.submit(users["creator"], desk.edit(users["creator"], item, body="Isi baru"))
    item = desk.approve(users["supervisor2"], desk.assign(users["supervisor"], item, users["supervisor2"]))
    assert (item.step, item.verifier, item.approver) == (4, users["supervisor2"].email, users["administrator"].email)
    with pytest.raises(MakerChecker, match="memverifikasi konten"):
        desk.assign(users["supervisor"], item, A)
    with pytest.raises(MakerChecker, match="memverifikasi konten"):
        desk.approve(A, item)
    free = desk.store.commit(Change(item.id, item.rev, {"approver": ""}))
    with pytest.raises(MakerChecker, match="memverifikasi konten"):
        desk.take(A, free)


def test_a_rejection_at_step_3_counts_as_verifying(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = to_step(desk, users, clock, 3)
    item = desk.reject(A, desk.take(A, item), "judul kurang jelas")
    item = desk.submit(users["creator"], desk.edit(users["creator"], item, body="Isi baru"))
    item = desk.approve(users["supervisor2"], desk.assign(users["supervisor"], item, users["supervisor2"]))
    with pytest.raises(MakerChecker, match="memverifikasi konten"):
        desk.approve(A, item)


def test_an_admin_who_edited_the_content_is_a_maker(desk: Desk, users, clock) -> None:  # noqa: ANN001
    from sopkit.admin import edit_register_row

    admin_checker = User("adm@x.go.id", "Adm", ("admin", "supervisor"))
    desk.store.save_user(admin_checker)
    item = to_step(desk, users, clock, 2)
    edit_register_row(desk.store, admin_checker, item.id, item.rev, {"title": "Judul dikoreksi"})
    item = desk.submit(users["creator"], desk.edit(users["creator"], desk.store.get_item(item.id), body="Isi",
                                                   captions={"site": "c"}))
    with pytest.raises(MakerChecker):
        desk.take(admin_checker, item)


def test_others_may_still_check(desk: Desk, users, clock) -> None:  # noqa: ANN001
    item = designed_by_a_then_reassigned_to_c(desk, users, clock)
    item = desk.approve(users["supervisor2"], desk.assign(users["supervisor"], item, users["supervisor2"]))
    item = desk.approve(users["administrator"], item)
    assert item.step == 5


def test_makers_and_verifiers_read_hand_edited_log_text() -> None:
    rows = [
        {"item_id": "X", "step": "1", "action": "start", "actor": "O@X.GO.ID "},
        {"item_id": "X", "step": "2.0", "action": " Edit", "actor": "c@x.go.id"},
        {"item_id": "X", "step": "2", "action": "take", "actor": "t@x.go.id"},  # taking is not making
        {"item_id": "X", "step": "3", "action": "reject", "actor": "v@x.go.id"},
        {"item_id": "X", "step": "4", "action": "approve", "actor": "p@x.go.id"},
        {"item_id": "Y", "step": "2", "action": "submit", "actor": "other@x.go.id"},
    ]
    assert makers_and_verifiers(rows, "X") == ({"o@x.go.id", "c@x.go.id"}, {"v@x.go.id"})


class CountingStore(SQLiteStore):
    log_reads = 0

    def read_log(self, item_id: str | None = None):  # type: ignore[no-untyped-def]
        self.log_reads += 1
        return super().read_log(item_id)


def test_the_desk_uses_the_callers_log_and_reads_only_when_not_given(tmp_path: Path, users, clock) -> None:  # noqa: ANN001
    store = CountingStore(tmp_path / "c.db")
    store.init()
    for u in (*users.values(), A, C):
        store.save_user(u)
    desk = Desk(store, now=clock)
    item = designed_by_a_then_reassigned_to_c(desk, users, clock)
    read = store.read_log(item.id)
    store.log_reads = 0
    with pytest.raises(MakerChecker):
        desk.assign(users["supervisor"], item, A, log=read)
    assert store.log_reads == 0
    with pytest.raises(MakerChecker):
        desk.assign(users["supervisor"], item, A)
    assert store.log_reads == 1
    # the caller's rows are what counts: rows of other items in them are ignored
    everything = store.read_log()
    item = desk.assign(users["supervisor"], item, users["supervisor2"], log=everything)
    assert desk.approve(users["supervisor2"], item, log=store.read_log(item.id)).step == 4


def test_sheets_action_costs_no_extra_call_when_the_page_gives_the_log(users, clock) -> None:  # noqa: ANN001
    with FakeSheets() as fake:
        key = fake.create_spreadsheet("Desk", locale="id_ID")
        store = GSheetsStore(connect(fake), key, sleep=lambda s: None)
        store.init()
        for u in (*users.values(), A, C):
            store.save_user(u)
        desk = Desk(store, now=clock)
        item = designed_by_a_then_reassigned_to_c(desk, users, clock)
        log = store.read_log()  # the page's snapshot: the whole Log, read with the Register
        fake.reset_counts()
        with pytest.raises(MakerChecker):
            desk.assign(users["supervisor"], item, A, log=log)
        assert fake.counts["total"] == 0  # refused before any call
        item = desk.assign(users["supervisor"], item, users["supervisor2"], log=log)
        assert fake.counts["total"] == 3  # rev check, one batchUpdate, read-back: the usual action
        free = store.commit(Change(item.id, item.rev, {"verifier": ""}))
        fake.reset_counts()
        with pytest.raises(MakerChecker):
            desk.take(A, free)  # not given: one read of the Log
        assert fake.counts["total"] == 1
