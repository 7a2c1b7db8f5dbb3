"""One contract, every backend: each test runs against every store in ``BACKENDS``.

A new backend (Google Sheets, PostgreSQL) adds a factory here, an old-shaped store maker and a layout reader (for
the repair by ``init``) and its hand edit, and must pass the same tests.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from test_gsheets_store import gsheets_factory, gsheets_hand_edit, gsheets_layout, gsheets_old_shaped, shared_fake

from sopkit.schema import (
    LOG_COLUMNS,
    REGISTER_COLUMNS,
    SESSION_COLUMNS,
    USER_COLUMNS,
    Item,
    LogRow,
    SessionRecord,
    User,
)
from sopkit.store.base import (
    ActorRefused,
    Capabilities,
    Change,
    DuplicateId,
    NotFound,
    StaleWrite,
    Store,
    StoreError,
)
from sopkit.store.gsheets import GSheetsStore
from sopkit.store.sqlite import SQLiteStore
from sopkit.store.tables import TABLES, Table
from sopkit.timeutil import AGENCY_TZ, parse_iso, to_iso

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=AGENCY_TZ)


def _sqlite(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "contract.db")


def _sqlite_hand_edit(store: Store, item_id: str, column: str, text: str) -> None:
    """What an admin's hand edit is to SQLite: a cell changed outside the app, ``rev`` untouched."""
    assert isinstance(store, SQLiteStore)
    with store._tx() as c:
        c.execute(f'UPDATE "Register" SET "{column}" = ? WHERE id = ?', (text, item_id))


def _sqlite_old_shaped(tmp_path: Path, tables: dict[str, list[list[str]]]) -> Store:
    """A SQLite file as an older version left it: these tables only, with these columns and rows."""
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        for table, (header, *rows) in tables.items():
            key = TABLES[table].key if table in TABLES else None
            conn.execute(f'CREATE TABLE "{table}" (' + ", ".join(
                f'"{c}" TEXT NOT NULL DEFAULT \'\'' + (" PRIMARY KEY" if c == key else "") for c in header) + ")")
            conn.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(header))})', rows)
    conn.close()
    return SQLiteStore(path)


def _sqlite_layout(store: Store) -> dict[str, list[list[str]]]:
    """Every table's definition, indexes and rows."""
    assert isinstance(store, SQLiteStore)
    c = store._conn()
    out = {"schema": [list(r) for r in c.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")]}
    for (table,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
        out[table] = [list(r) for r in c.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]
    return out


def _sqlite_columns(store: Store, table: str) -> list[str]:
    assert isinstance(store, SQLiteStore)
    return [r[1] for r in store._conn().execute(f'PRAGMA table_info("{table}")')]


def _gsheets_columns(store: Store, table: str) -> list[str]:
    return list(gsheets_layout(store)[table][0])


BACKENDS: dict[str, Callable[[Path], Store]] = {"sqlite": _sqlite, "gsheets": gsheets_factory}
HAND_EDIT: dict[str, Callable[[Store, str, str, str], None]] = {"sqlite": _sqlite_hand_edit,
                                                                 "gsheets": gsheets_hand_edit}
#: An older version's store (``init`` repairs it), what the tables hold (to see a second ``init`` change nothing)
#: and a table's columns as stored.
OLD_SHAPED: dict[str, Callable[[Path, dict[str, list[list[str]]]], Store]] = {
    "sqlite": _sqlite_old_shaped, "gsheets": gsheets_old_shaped}
LAYOUT: dict[str, Callable[[Store], dict[str, list[list[str]]]]] = {"sqlite": _sqlite_layout,
                                                                    "gsheets": gsheets_layout}
COLUMNS: dict[str, Callable[[Store, str], list[str]]] = {"sqlite": _sqlite_columns, "gsheets": _gsheets_columns}


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(backend: str, tmp_path: Path) -> Store:
    s = BACKENDS[backend](tmp_path)
    s.init()
    return s


def new_item(store: Store, item_id: str = "A-1") -> Change:
    change = Change(item_id, None, {"title": "Judul", "status": "collecting", "step": "1",
                                    "created_at": T0.isoformat()},
                    (LogRow(T0, item_id, 1, "start", "o@x.id", "officer"),))
    store.commit(change)
    return change


def test_init_is_idempotent(store: Store) -> None:
    store.init()
    new_item(store)
    store.init()
    assert [i.id for i in store.read_register().items] == ["A-1"]


def test_create_read_and_log(store: Store) -> None:
    change = new_item(store)
    item = store.get_item("A-1")
    assert (item.title, item.rev, item.step, item.created_at) == ("Judul", 1, 1, T0)
    assert item.change_id == change.change_id  # the Register row names the change whose state it holds
    log = store.read_log()
    assert log == [{"at": to_iso(T0), "item_id": "A-1", "step": "1", "action": "start", "actor": "o@x.id",
                    "role": "officer", "note": "", "publish_at": "", "change_id": change.change_id,
                    "base_rev": "0"}]


def test_update_bumps_rev_and_appends(store: Store) -> None:
    new_item(store)
    change = Change("A-1", 1, {"status": "designing", "step": "2"},
                    (LogRow(T0, "A-1", 1, "submit", "o@x.id", "officer"),))
    item = store.commit(change)
    assert (item.rev, item.step, item.title, item.change_id) == (2, 2, "Judul", change.change_id)
    assert [(r["action"], r["base_rev"]) for r in store.read_log("A-1")] == [("start", "0"), ("submit", "1")]
    assert store.read_log("A-1")[-1]["change_id"] == change.change_id
    assert store.get_item("A-1") == item  # what commit returned is what a fresh read gives


def test_a_retried_change_is_recorded_once(store: Store) -> None:
    """The same Change sent again (its first answer was lost) is found by its id, not written twice."""
    new_item(store)
    change = Change("A-1", 1, {"title": "Baru"}, (LogRow(T0, "A-1", 1, "edit", "o@x.id", "officer"),))
    first = store.commit(change)
    again = store.commit(change)
    assert again == first and again.rev == 2
    assert [r["action"] for r in store.read_log("A-1")] == ["start", "edit"]


@pytest.mark.parametrize(("column", "typed"), [("title", "Diketik admin"), ("summary", "ringkasan admin"),
                                               ("rev", "7")])
def test_a_hand_edit_since_the_read_refuses_the_write(store: Store, backend: str, column: str,
                                                      typed: str) -> None:
    """Not only rev: any cell of the item the caller's view holds. A title typed by hand (rev unchanged) is not
    overwritten by a page drawn before it."""
    new_item(store)
    seen = store.get_item("A-1")
    HAND_EDIT[backend](store, "A-1", column, typed)
    with pytest.raises(StaleWrite, match="Nothing was saved") as refused:
        store.commit(Change("A-1", 1, {"title": "Dari halaman lama"},
                            (LogRow(T0, "A-1", 1, "edit", "o@x.id", "officer"),), seen=seen))
    assert refused.value.key == "error.stale"
    current = store.get_item("A-1")
    assert str(getattr(current, column)) == typed  # the hand edit stands
    assert refused.value.current == current  # and the refusal carries it, for the page to show
    assert [r["action"] for r in store.read_log("A-1")] == ["start"]


@pytest.mark.parametrize("what", ["deactivated", "role removed", "deleted"])
def test_the_actor_is_rechecked_inside_the_commit(store: Store, what: str) -> None:
    """Whatever the caller's session says, the Users table at the moment of the write decides."""
    new_item(store)
    user = User("o@x.id", "O", ("officer",))
    store.save_user(user)
    store.commit(Change("A-1", 1, {"title": "ok"}, (), actor=user.email, role="officer"))
    if what == "deactivated":
        store.save_user(User(user.email, "O", ("officer",), active=False))
    elif what == "role removed":
        store.save_user(User(user.email, "O", ("creator",)))
    actor = user.email if what != "deleted" else "nobody@x.id"
    with pytest.raises(ActorRefused) as refused:
        store.commit(Change("A-1", 2, {"title": "no"}, (LogRow(T0, "A-1", 1, "edit", actor, "officer"),),
                            actor=actor, role="officer"))
    assert refused.value.key == "error.actor_refused"
    assert store.get_item("A-1").title == "ok" and len(store.read_log("A-1")) == 1


def test_stale_write_changes_nothing(store: Store) -> None:
    new_item(store)
    store.commit(Change("A-1", 1, {"title": "Baru"}, ()))
    with pytest.raises(StaleWrite, match="reload"):
        store.commit(Change("A-1", 1, {"title": "Lama"}, (LogRow(T0, "A-1", 1, "edit", "x", "officer"),)))
    assert store.get_item("A-1").title == "Baru"
    assert len(store.read_log("A-1")) == 1


def test_duplicate_id_and_missing_item(store: Store) -> None:
    new_item(store)
    with pytest.raises(DuplicateId):
        new_item(store)
    with pytest.raises(NotFound):
        store.get_item("nope")
    with pytest.raises(StaleWrite):
        store.commit(Change("nope", 1, {"title": "x"}, ()))


def test_unknown_column_is_refused(store: Store) -> None:
    new_item(store)
    with pytest.raises(Exception, match="unknown Register column"):
        store.commit(Change("A-1", 1, {"no_such": "x"}, ()))
    assert store.get_item("A-1").rev == 1


def test_two_concurrent_writers_one_wins(store: Store) -> None:
    """Many threads act on the same read; exactly one write lands, the rest are refused as stale."""
    new_item(store)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            store.commit(Change("A-1", 1, {"title": f"writer {n}"},
                                (LogRow(T0, "A-1", 1, "edit", f"u{n}", "officer"),)))
            results.append(f"ok {n}")
        except StaleWrite:
            results.append("stale")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r.startswith("ok")]
    assert len(winners) == 1 and results.count("stale") == 7
    item = store.get_item("A-1")
    assert item.rev == 2 and item.title == f"writer {winners[0].split()[1]}"
    assert len(store.read_log("A-1")) == 2


# -- several items at once (``commit_many``): one outcome per change ---------------------------------------------
def three_items(store: Store) -> list[Item]:
    for n in (1, 2, 3):
        new_item(store, f"A-{n}")
    return [store.get_item(f"A-{n}") for n in (1, 2, 3)]


def edits(items: list[Item], title: str = "Bersama") -> list[Change]:
    return [Change(i.id, i.rev, {"title": f"{title} {i.id}"}, (LogRow(T0, i.id, 1, "edit", "o@x.id", "officer"),),
                   seen=i) for i in items]


def test_a_batch_saves_every_change_with_its_own_log_rows(store: Store) -> None:
    items = three_items(store)
    changes = edits(items)
    saved = store.commit_many(changes)
    assert [(s.id, s.rev, s.title) for s in saved if isinstance(s, Item)] == [
        (f"A-{n}", 2, f"Bersama A-{n}") for n in (1, 2, 3)]
    for change, item in zip(changes, saved, strict=True):
        assert store.get_item(change.item_id) == item and item.change_id == change.change_id
        log = store.read_log(change.item_id)
        assert [(r["action"], r["change_id"], r["base_rev"]) for r in log][1:] == [("edit", change.change_id, "1")]
    assert store.commit_many([]) == []


def test_a_stale_or_refused_change_in_a_batch_is_refused_alone(store: Store, backend: str) -> None:
    """Per-change outcome: a hand edit since the read (rev untouched), an item gone, a duplicate create and a
    deactivated actor each get their refusal in their own slot, carrying what a page needs; nothing of theirs is
    written, and every other change of the batch is saved."""
    items = three_items(store)
    store.save_user(User("gone@x.id", "G", ("officer",), active=False))
    HAND_EDIT[backend](store, "A-2", "title", "Diketik admin")
    a1, a2, _ = edits(items)
    gone = Change("nope", 1, {"title": "x"}, (LogRow(T0, "nope", 1, "edit", "o@x.id", "officer"),))
    create = Change("A-9", None, {"title": "Baru", "status": "collecting", "step": "1"},
                    (LogRow(T0, "A-9", 1, "start", "o@x.id", "officer"),))
    refused_actor = Change("A-1-dup", None, {"title": "x"}, (), actor="gone@x.id", role="officer")
    dup = Change("A-3", None, {"title": "dup"}, ())
    out = store.commit_many([a1, a2, gone, create, refused_actor, dup])
    assert isinstance(out[0], Item) and out[0].title == "Bersama A-1"
    assert isinstance(out[1], StaleWrite) and out[1].key == "error.stale"
    assert out[1].current is not None and out[1].current.title == "Diketik admin"  # what the page shows
    assert isinstance(out[2], StaleWrite) and out[2].actual is None  # gone (never there)
    assert isinstance(out[3], Item) and (out[3].id, out[3].rev) == ("A-9", 1)
    assert isinstance(out[4], ActorRefused)
    assert isinstance(out[5], DuplicateId)
    assert store.get_item("A-2").title == "Diketik admin" and store.get_item("A-3").title == "Judul"
    assert [r["action"] for r in store.read_log("A-2")] == ["start"]
    assert store.read_log("nope") == [] and store.read_log("A-1-dup") == []
    assert [r["action"] for r in store.read_log("A-3")] == ["start"]
    assert [i.id for i in store.read_register().items] == ["A-1", "A-2", "A-3", "A-9"]


def test_a_retried_batch_is_recorded_once(store: Store) -> None:
    items = three_items(store)
    changes = edits(items)
    first = store.commit_many(changes)
    again = store.commit_many(changes)  # the same changes sent again (the first answer was lost)
    assert again == first
    assert all([r["action"] for r in store.read_log(i.id)] == ["start", "edit"] for i in items)


@pytest.mark.parametrize("bad", ["two changes to one item", "unknown column"])
def test_a_malformed_batch_saves_nothing(store: Store, bad: str) -> None:
    items = three_items(store)
    changes = edits(items)
    if bad == "unknown column":
        changes = [changes[1], changes[2], Change("A-1", 1, {"no_such": "x"}, ())]
    else:
        changes.append(Change("A-1", 1, {"summary": "lagi"}, ()))
    with pytest.raises(StoreError, match="two changes|Two changes|unknown Register column"):
        store.commit_many(changes)
    assert [store.get_item(i.id) for i in items] == items
    assert all(len(store.read_log(i.id)) == 1 for i in items)


def test_concurrent_batches_on_shared_items_have_one_winner_per_item(store: Store) -> None:
    """Threads each commit a batch over overlapping items, all from the same read: every item has exactly one
    winner, every other change to it is refused as stale, and each item's Log holds its winner's row only."""
    items = three_items(store)
    barrier = threading.Barrier(6)
    won: dict[str, list[int]] = {i.id: [] for i in items}
    stale: dict[str, int] = {i.id: 0 for i in items}
    guard = threading.Lock()

    def writer(n: int) -> None:
        mine = [items[n % 3], items[(n + 1) % 3]]
        barrier.wait()
        for item, got in zip(mine, store.commit_many(edits(mine, f"writer {n}")), strict=True):
            with guard:
                if isinstance(got, Item):
                    won[item.id].append(n)
                else:
                    assert isinstance(got, StaleWrite)
                    stale[item.id] += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for item in items:
        assert len(won[item.id]) == 1 and stale[item.id] == 3, (won, stale)
        now = store.get_item(item.id)
        assert (now.rev, now.title) == (2, f"writer {won[item.id][0]} {item.id}")
        assert [r["actor"] for r in store.read_log(item.id)] == ["o@x.id", "o@x.id"] and \
            len(store.read_log(item.id)) == 2


def test_users_and_settings_round_trip(store: Store) -> None:
    store.save_user(User("A@X.go.id".lower(), "A", ("officer", "creator")))
    store.save_user(User("a@x.go.id", "A2", ("supervisor",), active=False))
    users, problems = store.read_users()
    assert problems == [] and [(u.name, u.roles, u.active) for u in users] == [("A2", ("supervisor",), False)]
    store.save_settings({"limit_step3": "90", "sop_number": "SOP-01"})
    store.save_settings({"limit_step3": "75"})
    assert store.read_settings() == {"limit_step3": "75", "sop_number": "SOP-01"}


def test_hand_edited_register_rows_are_reported_not_fatal(store: Store) -> None:
    new_item(store, "A-1")
    new_item(store, "A-2")
    store.import_rows([{"id": "B-1", "status": "terbit", "step": "2"},
                       {"id": "B-2", "status": "designing", "step": "2", "created_at": "kemarin",
                        "channels": "site,myspace"}], [])
    reg = store.read_register()
    assert {i.id for i in reg.items} == {"A-1", "A-2", "B-2"}
    reasons = {(p.row, p.column) for p in reg.problems}
    assert (4, "status") in reasons and (5, "created_at") in reasons and (5, "channels") in reasons
    assert store.get_item("B-2").channels == ("site",)


def test_import_refuses_existing_ids_whole(store: Store) -> None:
    new_item(store)
    with pytest.raises(DuplicateId):
        store.import_rows([{"id": "Z-9", "status": "collecting", "step": "1"},
                           {"id": "A-1", "status": "collecting", "step": "1"}], [])
    assert [i.id for i in store.read_register().items] == ["A-1"]


def test_sessions_save_revoke_and_purge(store: Store) -> None:
    """Sign-in sessions (``sopkit.sessions``): saved and found by id, replaced whole (a revocation), and purged
    once expired, including a hand-edited row whose expiry cannot be read."""
    live = SessionRecord("a" * 64, "a@x.go.id", "password", T0.isoformat(),
                         (T0 + dt.timedelta(hours=10)).isoformat(), "", "stamp-1")
    old = SessionRecord("b" * 64, "b@x.go.id", "oidc", (T0 - dt.timedelta(days=2)).isoformat(),
                        (T0 - dt.timedelta(days=1)).isoformat())
    bad = SessionRecord("c" * 64, "c@x.go.id", "password", T0.isoformat(), "besok")
    assert store.get_session(live.id) is None
    for record in (live, old, bad):
        store.save_session(record)
    assert store.get_session(live.id) == live and store.get_session(old.id) == old
    revoked = SessionRecord(**{**live.to_row(), "revoked_at": (T0 + dt.timedelta(hours=1)).isoformat()})
    store.save_session(revoked)
    assert store.get_session(live.id) == revoked
    assert store.purge_sessions(T0) == 2
    assert store.get_session(old.id) is None and store.get_session(bad.id) is None
    assert store.get_session(live.id) == revoked
    assert store.purge_sessions(T0) == 0


# -- Settings history --------------------------------------------------------------------------------------------
def hand_edit_setting(store: Store, key: str, value: str) -> None:
    """What an admin does outside the app: types into the Settings table directly (the sheet, or sqlite3)."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            conn.execute('INSERT INTO "Settings" (key, value) VALUES (?, ?) '
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
        return
    assert isinstance(store, GSheetsStore)
    fake = shared_fake()
    values = fake.peek(store.spreadsheet_id, "'Settings'")
    keys = [r[0] if r else "" for r in values]
    row = keys.index(key) + 1 if key in keys else len(values) + 1
    fake.admin_set_values(store.spreadsheet_id, f"Settings!A{row}:B{row}", [[key, value]])


def test_every_settings_save_is_a_revision_with_who_when_what(store: Store) -> None:
    assert store.read_settings_history() == []
    t1 = T0 + dt.timedelta(minutes=1)
    assert store.save_settings({"limit_step3": "60", "extra_holidays": ""}, actor="admin@x.id", source="init",
                               at=T0) == 1
    assert store.save_settings({"limit_step3": "90", "extra_holidays": ""}, actor="adm2@x.id", at=t1) == 2
    assert store.save_settings({"limit_step3": "90"}, actor="adm2@x.id", at=t1) is None  # nothing changed
    history = store.read_settings_history()
    assert [(h["rev"], h["at"], h["actor"], h["source"]) for h in history] == [
        ("1", "2026-11-23T08:00:00.000+07:00", "admin@x.id", "init"),
        ("2", "2026-11-23T08:01:00.000+07:00", "adm2@x.id", "admin")]
    assert history[1]["changes"] == "limit_step3: 60 → 90"
    assert json.loads(history[1]["settings"]) == {"limit_step3": "90", "extra_holidays": ""} == store.read_settings()


def test_a_hand_edit_becomes_a_revision_when_first_seen_and_only_once(store: Store) -> None:
    store.save_settings({"limit_step3": "60"}, actor="admin@x.id", at=T0)
    hand_edit_setting(store, "limit_step3", "75")
    hand_edit_setting(store, "extra_holidays", "2026-11-24,2026-11-25")
    seen = T0 + dt.timedelta(hours=2)
    current, history = store.sync_settings_history(at=seen)
    assert current == {"limit_step3": "75", "extra_holidays": "2026-11-24,2026-11-25"}
    assert [(h["rev"], h["actor"], h["source"]) for h in history] == [("1", "admin@x.id", "admin"),
                                                                       ("2", "", "hand-edit")]
    assert history[1]["at"] == "2026-11-23T10:00:00.000+07:00"
    assert history[1]["changes"] == "extra_holidays: (baru) → 2026-11-24,2026-11-25; limit_step3: 60 → 75"
    assert store.sync_settings_history(at=seen + dt.timedelta(hours=1))[1] == history  # recorded once
    assert store.read_settings_history() == history
    # a save after a hand edit records the hand edit first, as its own revision
    hand_edit_setting(store, "limit_step4", "30")
    assert store.save_settings({"limit_step3": "80"}, actor="admin@x.id", at=seen + dt.timedelta(hours=2)) == 4
    assert [(h["rev"], h["source"]) for h in store.read_settings_history()][2:] == [("3", "hand-edit"),
                                                                                    ("4", "admin")]


def test_settings_that_predate_the_history_are_recorded_as_they_are(store: Store) -> None:
    hand_edit_setting(store, "limit_step1", "400")  # a store written before it kept a history
    _, history = store.sync_settings_history(at=T0)
    assert [(h["rev"], h["source"], json.loads(h["settings"])) for h in history] == [
        ("1", "existing", {"limit_step1": "400"})]


def test_a_failed_settings_save_writes_neither_the_settings_nor_the_revision(store: Store) -> None:
    """Real failures, not mocks: the write that comes second in the one atomic write fails, and the first is undone
    with it (SQLite: a trigger aborts the Settings upsert after the revision row went in; Sheets: the history tab's
    id is stale, so its appendCells fails and the Settings cells of the same batchUpdate are not applied)."""
    store.save_settings({"limit_step3": "60"}, actor="admin@x.id", at=T0)
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            conn.execute('CREATE TRIGGER refuse BEFORE UPDATE ON "Settings" '
                         'BEGIN SELECT RAISE(ABORT, "disk full"); END')
    else:
        store._sheet_ids["SettingsHistory"] = 987654  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="disk full|No grid with id"):
        store.save_settings({"limit_step3": "90"}, actor="admin@x.id", at=T0 + dt.timedelta(minutes=1))
    assert store.read_settings() == {"limit_step3": "60"}
    assert [h["rev"] for h in store.read_settings_history()] == ["1"]


def _without(columns: tuple[str, ...], *newer: str) -> list[str]:
    return [c for c in columns if c not in newer]


#: A store as an earlier version made it: the Register before change ids, the Log before the ledger columns, the
#: Users before the lock-out, the Sessions before the stamp, no SignIns at all; one row in each.
OLD_TABLES: dict[str, list[list[str]]] = {
    "Register": [_without(REGISTER_COLUMNS, "change_id", "captions", "media"),
                 [{"id": "A-1", "title": "Judul lama", "status": "collecting", "step": "1", "rev": "1",
                   "created_at": T0.isoformat()}.get(c, "") for c in _without(REGISTER_COLUMNS, "change_id",
                                                                             "captions", "media")]],
    "Log": [list(LOG_COLUMNS), [to_iso(T0), "A-1", "1", "start", "o@x.id", "officer", "", ""]],
    "Users": [_without(USER_COLUMNS, "failed_logins", "locked_until"),
              ["o@x.id", "Oki", "officer", "TRUE", ""]],
    "Settings": [["key", "value"], ["limit_step1", "480"]],
    "Sessions": [_without(SESSION_COLUMNS, "stamp"),
                 ["s" * 64, "o@x.id", "password", T0.isoformat(), (T0 + dt.timedelta(hours=10)).isoformat(), ""]],
}


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_init_repairs_a_store_an_older_version_made(backend: str, tmp_path: Path) -> None:
    """Every backend adds what a newer version added (tables, columns), keeps every row, and a second ``init``
    changes nothing."""
    store = OLD_SHAPED[backend](tmp_path, OLD_TABLES)
    store.init()
    for table, (header, *_rows) in OLD_TABLES.items():
        columns = COLUMNS[backend](store, table)
        assert columns[:len(header)] == header, table  # what was there stays where it was
        assert set(columns) >= set(TABLES[table].columns), table
    assert set(LAYOUT[backend](store)) >= set(TABLES)  # the tables it did not have (SignIns) are made
    [item] = store.read_register().items  # the data is kept
    assert (item.title, item.rev, item.created_at, item.captions, item.media) == ("Judul lama", 1, T0, {}, [])
    assert [(r["action"], r["actor"], r["change_id"]) for r in store.read_log("A-1")] == [("start", "o@x.id", "")]
    [user] = store.read_users()[0]
    assert (user.name, user.roles, user.active, user.failed_logins) == ("Oki", ("officer",), True, 0)
    assert store.read_settings() == {"limit_step1": "480"}
    session = store.get_session("s" * 64)
    assert session is not None and (session.email, session.stamp) == ("o@x.id", "")
    # and it works as a store of this version: a change, a sign-in, a session with every column
    change = Change("A-1", 1, {"title": "Judul baru"}, (LogRow(T0, "A-1", 1, "edit", "o@x.id", "officer"),),
                    seen=item, actor="o@x.id", role="officer")
    assert store.commit(change).change_id == change.change_id
    attempt, events, found = store.record_sign_in("o@x.id", T0)
    assert [e.id for e in events] == [attempt] and found == user
    store.save_session(SessionRecord("t" * 64, "o@x.id", "password", T0.isoformat(), T0.isoformat(), "", "st"))
    assert store.get_session("t" * 64).stamp == "st"  # type: ignore[union-attr]
    before = LAYOUT[backend](store)
    store.init()
    assert LAYOUT[backend](store) == before


def test_init_twice_on_a_new_store_changes_nothing(store: Store, backend: str) -> None:
    new_item(store)
    for table in TABLES.values():  # every table of the catalogue, with its columns in their order
        assert COLUMNS[backend](store, table.name)[:len(table.columns)] == list(table.columns), table.name
    before = LAYOUT[backend](store)
    store.init()
    assert LAYOUT[backend](store) == before


@pytest.mark.parametrize("backend", list(BACKENDS))
def test_a_table_added_to_the_catalogue_is_made_and_repaired_by_init(backend: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A new table is one line in ``store.tables``: every backend's ``init`` creates it, and when a later version
    adds a column, appends that column and keeps the rows and an admin's own column."""
    old = {**OLD_TABLES, "Outbox": [["at", "key", "note by hand"], [to_iso(T0), "k-1", "cek"]]}
    store = OLD_SHAPED[backend](tmp_path, old)
    monkeypatch.setitem(TABLES, "Outbox", Table("Outbox", ("at", "key", "event"), app_only=True, indexed=("key",)))
    monkeypatch.setitem(TABLES, "Preferences", Table("Preferences", ("email", "lang"), key="email",
                                                     machine=("lang",)))
    store.init()
    assert COLUMNS[backend](store, "Outbox") == ["at", "key", "note by hand", "event"]
    assert COLUMNS[backend](store, "Preferences")[:2] == ["email", "lang"]
    layout = LAYOUT[backend](store)
    assert [to_iso(T0), "k-1", "cek"] == [str(v) for v in _data_rows(backend, layout, "Outbox")[0][:3]]
    assert _data_rows(backend, layout, "Preferences") == []
    store.init()
    assert LAYOUT[backend](store) == layout  # and a second run changes nothing
    store.read_register()  # the rest of the store is as usable as before


def _data_rows(backend: str, layout: dict[str, list[list[str]]], table: str) -> list[list[str]]:
    """The rows of ``table`` in a layout: SQLite's are the rows; the sheet's are after the header and before the
    tab's properties."""
    rows = layout[table]
    return rows if backend == "sqlite" else rows[1:-1]


def test_the_snapshot_carries_the_sessions(store: Store) -> None:
    """One read gives a page everything, the sign-in sessions included (the desk checks the user's from it)."""
    record = SessionRecord("a" * 64, "a@x.go.id", "password", T0.isoformat(),
                           (T0 + dt.timedelta(hours=10)).isoformat(), "", "stamp-1")
    assert store.read_snapshot().sessions == ()
    store.save_session(record)
    new_item(store)
    snap = store.read_snapshot()
    assert snap.sessions == (record,) and [i.id for i in snap.register.items] == ["A-1"]
    assert store.read_snapshot(with_log=False, with_sessions=False).sessions == ()


def test_capabilities_say_what_the_backend_offers(store: Store, backend: str) -> None:
    caps = store.capabilities
    assert isinstance(caps, Capabilities)
    if caps.hand_editable:  # the desk links there instead of showing its own editor
        assert caps.edit_url.startswith("https://") and caps.label
    else:
        assert (caps.edit_url, caps.label) == ("", "")
    assert (caps.hand_editable, caps.counts_api_calls) == {"sqlite": (False, False), "gsheets": (True, True)}[backend]


# -- the notification job's tables (sopkit.notify) --------------------------------------------------------------

def _outbox_row(key: str, event: str, job: str, minute: int = 0) -> dict[str, str]:
    from sopkit.notify.outbox import Event, Meta, row

    at = T0 + dt.timedelta(minutes=minute)
    return row(Event(event), key, job, at, Meta("arrived", "A-1", "p@x.id", "email", "Tugas: Judul"),
               until=at + dt.timedelta(minutes=10) if event == "claim" else None)


def test_outbox_keeps_append_order_and_filters_by_key(store: Store) -> None:
    assert store.read_outbox() == []
    store.append_outbox([_outbox_row("k1", "claim", "a"), _outbox_row("k2", "claim", "a")])
    store.append_outbox([_outbox_row("k1", "sending", "a", 1)])
    store.append_outbox([])
    store.append_outbox([_outbox_row("k1", "sent", "a", 2), _outbox_row("k2", "claim", "b", 3)])
    assert [(r["key"], r["event"], r["job"]) for r in store.read_outbox()] == [
        ("k1", "claim", "a"), ("k2", "claim", "a"), ("k1", "sending", "a"), ("k1", "sent", "a"), ("k2", "claim", "b")]
    assert [r["event"] for r in store.read_outbox(["k1"])] == ["claim", "sending", "sent"]
    assert store.read_outbox(["nope"]) == []
    first = store.read_outbox()[0]
    assert first["subject"] == "Tugas: Judul" and parse_iso(first["until"]) == T0 + dt.timedelta(minutes=10)


def test_concurrent_claims_on_one_key_have_exactly_one_winner(store: Store) -> None:
    """Eight writers claim the same message at once; every one of them, reading back, agrees on one winner."""
    from sopkit.notify.outbox import Status, fold

    barrier = threading.Barrier(8)
    verdicts: list[str] = []

    def claimer(n: int) -> None:
        barrier.wait()
        store.append_outbox([_outbox_row("k", "claim", f"job{n}")])
        state = fold(store.read_outbox(["k"]))["k"]
        verdicts.append(state.job)
        assert state.status == Status.CLAIMED

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(verdicts) == 8 and len(set(verdicts)) == 1
    rows = store.read_outbox(["k"])
    assert len(rows) == 8 and rows[0]["job"] == verdicts[0]  # the first appended is the winner


def test_preferences_round_trip(store: Store) -> None:
    assert store.read_preferences() == []
    store.save_preference({"email": "A@x.go.id", "lang": "en", "kinds": "arrived,breach", "channels": "email",
                           "telegram_chat_id": ""})
    store.save_preference({"email": "b@x.go.id"})
    store.save_preference({"email": "a@x.go.id", "lang": "", "kinds": "", "channels": "email,telegram",
                           "telegram_chat_id": "12345"})
    rows = sorted(store.read_preferences(), key=lambda r: r["email"])
    assert rows == [{"email": "a@x.go.id", "lang": "", "kinds": "", "channels": "email,telegram",
                     "telegram_chat_id": "12345"},
                    {"email": "b@x.go.id", "lang": "", "kinds": "", "channels": "", "telegram_chat_id": ""}]
    with pytest.raises(Exception, match="email"):
        store.save_preference({"email": " "})
