"""The Google Sheets store against the loopback fake: call budget, admin hand edits, faults, init.

The shared contract suite (tests/test_store_contract.py) also runs against this backend via ``gsheets_factory``.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fakes.sheets_server import FakeSheets, SheetSpec, col_letters, connect
from sopkit.config import Config, ConfigError, load, open_store
from sopkit.retry import Backoff
from sopkit.schema import REGISTER_COLUMNS, Item, LogRow
from sopkit.store.base import Change, StaleWrite, Store, StoreError, Unconfirmed
from sopkit.store.gsheets import LOG_SHEET_COLUMNS, GSheetsStore, SheetsBusy
from sopkit.timeutil import AGENCY_TZ

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=AGENCY_TZ)
_SHARED: list[FakeSheets] = []


def shared_fake() -> FakeSheets:
    """One fake server for the whole session (the contract suite makes a spreadsheet per test on it)."""
    if not _SHARED:
        _SHARED.append(FakeSheets().start())
        atexit.register(_SHARED[0].stop)
    return _SHARED[0]


def gsheets_factory(tmp_path: Path) -> Store:
    """A fresh spreadsheet on one session-wide fake server (for the contract suite)."""
    fake = shared_fake()
    key = fake.create_spreadsheet("Contract", locale="id_ID")
    return GSheetsStore(connect(fake), key, sleep=lambda s: None)


def gsheets_old_shaped(tmp_path: Path, tables: dict[str, list[list[str]]]) -> Store:
    """A spreadsheet as an older version left it: these tabs only, each a header row and data rows."""
    fake = shared_fake()
    key = fake.create_spreadsheet("Old", [SheetSpec(title, values=values) for title, values in tables.items()],
                                  locale="id_ID")
    return GSheetsStore(connect(fake), key, sleep=lambda s: None)


def gsheets_layout(store: Store) -> dict[str, list[list[str]]]:
    """Every tab's cells and its structure (frozen rows, protections, dropdowns): what ``init`` may change."""
    assert isinstance(store, GSheetsStore)
    fake = shared_fake()
    out: dict[str, list[list[str]]] = {}
    for title in fake.sheet_titles(store.spreadsheet_id):
        props = fake.sheet_properties(store.spreadsheet_id, title)
        out[title] = [*fake.peek(store.spreadsheet_id, f"'{title}'"), [repr(props)]]
    return out


def gsheets_hand_edit(store: Store, item_id: str, column: str, text: str) -> None:
    """An admin types ``text`` into the item's ``column`` in the sheet (the row found by id, as they would)."""
    assert isinstance(store, GSheetsStore)
    fake = shared_fake()
    values = fake.peek(store.spreadsheet_id, "'Register'")
    row = next(n for n, r in enumerate(values, start=1) if r and r[values[0].index("id")] == item_id)
    col = col_letters(values[0].index(column))
    fake.admin_edit(store.spreadsheet_id, f"Register!{col}{row}", text)


@pytest.fixture
def fake() -> Iterator[FakeSheets]:
    with FakeSheets() as server:
        yield server


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def busy() -> list[str]:
    return []


@pytest.fixture
def key(fake: FakeSheets) -> str:
    return fake.create_spreadsheet("Desk", locale="id_ID")


@pytest.fixture
def store(fake: FakeSheets, key: str, sleeps: Sleeps, busy: list[str]) -> GSheetsStore:
    s = GSheetsStore(connect(fake), key, backoff=Backoff(tries=4), sleep=sleeps, on_busy=busy.append, timeout=2)
    s.init()
    for n in (1, 2, 3):
        create(s, f"A-{n}", title=f"Judul {n}")
    return s


def new_change(item_id: str, **cells: str) -> Change:
    return Change(item_id, None, {"title": "Judul", "status": "collecting", "step": "1",
                                  "created_at": T0.isoformat(), **cells},
                  (LogRow(T0, item_id, 1, "start", "o@x.id", "officer"),))


def create(store: GSheetsStore, item_id: str, **cells: str) -> None:
    store.commit(new_change(item_id, **cells))


def edit(item_id: str = "A-2", rev: int = 1, title: str = "Baru") -> Change:
    return Change(item_id, rev, {"title": title}, (LogRow(T0, item_id, 1, "edit", "o@x.id", "officer"),))


def sheet_rows(fake: FakeSheets, key: str, tab: str = "Register") -> list[dict[str, str]]:
    values = fake.peek(key, f"'{tab}'")
    header = values[0]
    return [dict(zip(header, r + [""] * (len(header) - len(r)), strict=True)) for r in values[1:] if r]


# -- call budget ------------------------------------------------------------------------------------------------
BUDGET: list[tuple[str, Callable[[GSheetsStore], object], dict[str, int]]] = [
    # every read is one values:batchGet: the range asked for plus the Log rows appended since the last read
    ("page read", lambda s: s.read_register(), {"values.batchGet": 1, "total": 1}),
    ("page snapshot", lambda s: s.read_snapshot(), {"values.batchGet": 1, "total": 1}),
    ("get item", lambda s: s.get_item("A-2"), {"values.batchGet": 1, "total": 1}),
    ("read log", lambda s: s.read_log("A-2"), {"values.batchGet": 1, "total": 1}),
    ("read log after own write", lambda s: s.read_log("A-2", cached=True), {}),
    # read (row by id, Log since, Users) -> one atomic batchUpdate (cells + Log rows) -> verify (Log since)
    ("update", lambda s: s.commit(edit()), {"values.batchGet": 2, "spreadsheets.batchUpdate": 1, "total": 3}),
    ("update without log", lambda s: s.commit(Change("A-2", 1, {"title": "x"})),
     {"values.batchGet": 2, "spreadsheets.batchUpdate": 1, "total": 3}),
    ("create", lambda s: create(s, "B-1"), {"values.batchGet": 2, "spreadsheets.batchUpdate": 1, "total": 3}),
    ("refused as stale", lambda s: _refused(s), {"values.batchGet": 1, "total": 1}),
    # read (Settings, history since) -> the Settings cells and the revision rows in one atomic batchUpdate ->
    # verify (history since): the history's row order decides between two saves at once
    ("save settings", lambda s: s.save_settings({"a": "1"}),
     {"values.batchGet": 2, "spreadsheets.batchUpdate": 1, "total": 3}),
    ("settings and history, nothing new", lambda s: s.sync_settings_history(), {"values.batchGet": 1, "total": 1}),
]


def _refused(store: GSheetsStore) -> None:
    with pytest.raises(StaleWrite):
        store.commit(edit(rev=7))


@pytest.mark.parametrize(("name", "action", "expected"), BUDGET, ids=[b[0] for b in BUDGET])
def test_api_calls_per_operation(store: GSheetsStore, fake: FakeSheets, name: str,
                                 action: Callable[[GSheetsStore], object], expected: dict[str, int]) -> None:
    store.read_register()  # a page has read the Register: header cached
    fake.reset_counts()
    action(store)
    got = {k: v for k, v in fake.counts.items() if k not in ("read", "write")}
    assert got == expected


def test_a_cold_process_commits_in_three_calls_too(fake: FakeSheets, store: GSheetsStore, key: str) -> None:
    """A process that never read the sheet: the whole Register comes with its first read, and the tab ids for
    the atomic batchUpdate are the ones ``init`` gave the tabs, so no metadata read."""
    cold = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    fake.reset_counts()
    saved = cold.commit(edit())
    assert (saved.rev, saved.title, saved.summary) == (2, "Baru", "")
    assert fake.counts["total"] == 3 and fake.counts["spreadsheets.get"] == 0
    fake.reset_counts()
    cold.commit(edit(rev=2, title="Lagi"))
    assert fake.counts["total"] == 3


def test_tabs_not_made_by_init_cost_one_metadata_read_then_the_write_is_redone(fake: FakeSheets) -> None:
    key = fake.create_spreadsheet("Lama", sheets=[SheetSpec("Register"), SheetSpec("Log"), SheetSpec("Users"),
                                                  SheetSpec("Settings"), SheetSpec("SignIns")], locale="id_ID")
    first = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    first.init()
    create(first, "A-1")
    cold = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    fake.reset_counts()
    saved = cold.commit(Change("A-1", 1, {"title": "Baru"}, (LogRow(T0, "A-1", 1, "edit", "o@x.id", "officer"),)))
    assert saved.title == "Baru" and fake.counts["spreadsheets.get"] == 1
    assert [r["action"] for r in cold.read_log("A-1")] == ["start", "edit"]
    assert sheet_rows(fake, key)[0]["title"] == "Baru"


# -- admin hand edits between read and write -----------------------------------------------------------------
def _add_unknown_column(fake: FakeSheets, key: str) -> None:
    """An admin's own column, typed after the last one and dragged to C (between title and summary)."""
    assert len(REGISTER_COLUMNS) == 36  # the next free column is AK
    fake.admin_edit(key, "Register!AK1", "catatan")
    fake.admin_edit(key, "Register!AK3", "keep me")
    fake.admin_move_column(key, "Register", "AK", "C")


HAND_EDITS: list[tuple[str, Callable[[FakeSheets, str], None]]] = [
    ("insert rows above", lambda f, k: f.admin_insert_rows(k, "Register", before_row=2, count=3)),
    ("delete a row above", lambda f, k: f.admin_delete_rows(k, "Register", 2)),
    ("sort by title descending", lambda f, k: f.admin_sort(k, "Register", "B", ascending=False)),
    ("move id column", lambda f, k: f.admin_move_column(k, "Register", "A", "H")),
    ("move rev column first", lambda f, k: f.admin_move_column(k, "Register", "AF", "A")),
    ("add unknown column", _add_unknown_column),
]


@pytest.mark.parametrize(("name", "hand_edit"), HAND_EDITS, ids=[h[0] for h in HAND_EDITS])
def test_write_lands_on_the_right_row_after_hand_edits(store: GSheetsStore, fake: FakeSheets, key: str, name: str,
                                                       hand_edit: Callable[[FakeSheets, str], None]) -> None:
    item = store.read_register().by_id()["A-2"]
    hand_edit(fake, key)
    before = {r["id"]: r for r in sheet_rows(fake, key) if r.get("id")}
    fake.reset_counts()
    change = edit(rev=item.rev)
    saved = store.commit(change)
    assert (saved.id, saved.title, saved.rev) == ("A-2", "Baru", 2)
    after = {r["id"]: r for r in sheet_rows(fake, key) if r.get("id")}
    assert after["A-2"] == {**before["A-2"], "title": "Baru", "rev": "2", "change_id": change.change_id}
    assert {i: r for i, r in after.items() if i != "A-2"} == {i: r for i, r in before.items() if i != "A-2"}
    assert fake.counts["total"] <= 4  # a changed header costs one extra read


@pytest.mark.parametrize(("cell", "typed"), [("AF3", "5"), ("AF3", "kemarin"), ("A3", "A-99")])
def test_hand_edited_rev_or_id_refuses_the_write(store: GSheetsStore, fake: FakeSheets, key: str,
                                                 cell: str, typed: str) -> None:
    store.read_register()
    fake.admin_edit(key, f"Register!{cell}", typed)
    with pytest.raises(StaleWrite):
        store.commit(edit())
    assert [r["action"] for r in store.read_log("A-2")] == ["start"]


@pytest.mark.parametrize(("typed", "expected"), [
    ("26/11/2026 10.00", dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ)),  # locale date → serial
    ("2026-11-26", dt.datetime(2026, 11, 26, 0, 0, tzinfo=AGENCY_TZ)),
    ("'26/11/2026 10.00", dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ)),  # forced text, locale order
    ("2026-11-26T10:00:00+07:00", dt.datetime(2026, 11, 26, 10, 0, tzinfo=AGENCY_TZ)),
])
def test_locale_dates_typed_by_hand_are_read(store: GSheetsStore, fake: FakeSheets, key: str, typed: str,
                                             expected: dt.datetime) -> None:
    fake.admin_edit(key, "Register!Z3", typed)  # publish_at
    fake.admin_edit(key, "Register!G3", "2")  # step typed as a number
    reg = store.read_register()
    assert reg.problems == ()
    item = reg.by_id()["A-2"]
    assert (item.publish_at, item.step) == (expected, 2)


@pytest.mark.parametrize(("cell", "typed", "column"), [
    ("Z3", "kemarin", "publish_at"), ("Z3", "31/02/2026", "publish_at"), ("G3", "7", "step"),
    ("AF3", "1,5", "rev"),
])
def test_unreadable_hand_edits_become_problems(store: GSheetsStore, fake: FakeSheets, key: str, cell: str,
                                               typed: str, column: str) -> None:
    fake.admin_edit(key, f"Register!{cell}", typed)
    reg = store.read_register()
    assert [(p.row, p.column) for p in reg.problems] == [(3, column)]


# -- faults ---------------------------------------------------------------------------------------------------
def test_429_with_retry_after_then_success(store: GSheetsStore, fake: FakeSheets, sleeps: Sleeps,
                                           busy: list[str]) -> None:
    fake.inject("spreadsheets.batchUpdate", 429, retry_after=7)
    assert store.commit(edit()).rev == 2
    assert sleeps == [7.0] and len(busy) == 1 and "busy" in busy[0]
    assert [r["action"] for r in store.read_log("A-2")] == ["start", "edit"]


def test_429_with_html_body_is_retried(store: GSheetsStore, fake: FakeSheets, sleeps: Sleeps) -> None:
    fake.inject("read", 429, body="<html>Too Many Requests</html>", times=2)
    assert len(store.read_register().items) == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("match", ["any", "read", "write", "spreadsheets.batchUpdate"])
def test_server_error_storm_is_a_clean_busy_error(store: GSheetsStore, fake: FakeSheets, key: str,
                                                  match: str) -> None:
    before = fake.peek(key, "'Register'"), fake.peek(key, "'Log'")
    fake.inject(match, 500, times=100)
    with pytest.raises(SheetsBusy, match="Google Sheets is busy.*Nothing was saved"):
        store.commit(edit())
    fake.clear_faults()
    assert (fake.peek(key, "'Register'"), fake.peek(key, "'Log'")) == before


@pytest.mark.parametrize("status", [400, 503])
@pytest.mark.parametrize("action", ["update", "create"])
def test_a_failed_write_leaves_register_and_log_both_unchanged(store: GSheetsStore, fake: FakeSheets, key: str,
                                                               status: int, action: str) -> None:
    """Register cells and Log rows go in one atomic batchUpdate: no Register change without its Log row."""
    before = fake.peek(key, "'Register'"), fake.peek(key, "'Log'")
    fake.inject("spreadsheets.batchUpdate", status, times=100)
    with pytest.raises(StoreError, match="Nothing was saved"):
        store.commit(edit()) if action == "update" else create(store, "C-1")
    fake.clear_faults()
    assert (fake.peek(key, "'Register'"), fake.peek(key, "'Log'")) == before


def test_a_bad_sub_request_applies_nothing(store: GSheetsStore, fake: FakeSheets, key: str) -> None:
    """The real atomicity, not an injected fault: the Log tab is gone, so its appendCells fails, and the
    Register's updateCells in the same batch is not applied either."""
    before = fake.peek(key, "'Register'")
    store._sheet_ids["Log"] = 987654  # as if the Log tab had been deleted and re-created since init
    with pytest.raises(StoreError, match="No grid with id"):
        store.commit(edit())
    assert fake.peek(key, "'Register'") == before
    assert store._sheet_ids == {}  # forgotten: the next commit reads the ids again
    assert store.commit(edit()).title == "Baru"


@pytest.mark.parametrize("fault", [{"drop": True}, {"status": 500}, {"status": 503}, {"status": 502}],
                         ids=["dropped", "500", "503", "502"])
@pytest.mark.parametrize("action", ["update", "create"])
def test_applied_but_answer_lost_is_found_not_doubled(store: GSheetsStore, fake: FakeSheets, key: str,
                                                      action: str, fault: dict) -> None:
    """Google applied the batch but the answer was lost or an error: the retry looks for the change id in the
    Log, finds it and reports the change saved, with exactly one set of Log rows and one Register write."""
    fake.inject("spreadsheets.batchUpdate", after_apply=True, **fault)
    fake.reset_counts()
    saved = store.commit(edit()) if action == "update" else store.commit(new_change("C-1"))
    assert fake.counts["spreadsheets.batchUpdate"] == 1  # never re-sent
    item_id, actions = ("A-2", ["start", "edit"]) if action == "update" else ("C-1", ["start"])
    assert saved.id == item_id and saved.rev == (2 if action == "update" else 1)
    assert [i.id for i in store.read_register().items].count(item_id) == 1
    assert [r["action"] for r in store.read_log(item_id)] == actions
    raw = [r for r in fake.peek(key, "'Log'")[1:] if r and r[1] == item_id]
    assert len(raw) == len(actions)  # in the sheet itself, not only as read_log filters it
    assert store.get_item(item_id) == saved


def test_not_applied_then_busy_says_nothing_was_saved(store: GSheetsStore, fake: FakeSheets, key: str) -> None:
    """A write that failed ambiguously every time: the store looks once more and, not finding it, says "busy,
    nothing saved" (not "maybe")."""
    before = fake.peek(key, "'Log'")
    fake.inject("spreadsheets.batchUpdate", 500, times=100)
    with pytest.raises(SheetsBusy, match="Nothing was saved") as busy:
        store.commit(edit())
    assert busy.value.key == "error.busy"
    fake.clear_faults()
    assert fake.peek(key, "'Log'") == before


def test_applied_and_every_later_read_fails_is_unconfirmed(store: GSheetsStore, fake: FakeSheets) -> None:
    """Applied, answer lost, and Google stays unreachable for reads: the user is told to reload and check (the
    one message that does not claim an outcome)."""
    fake.inject("spreadsheets.batchUpdate", drop=True, after_apply=True)
    fake.inject("read", status=None)  # the commit's first read goes through...
    fake.inject("read", 503, times=100)  # ...every read after the write fails
    with pytest.raises(Unconfirmed) as unknown:
        store.commit(edit())
    assert unknown.value.key == "error.unconfirmed"
    fake.clear_faults()
    assert [r["action"] for r in store.read_log("A-2")] == ["start", "edit"]  # it was in, once


def test_log_row_lands_after_the_last_data_row_even_past_a_blank_row(store: GSheetsStore, fake: FakeSheets,
                                                                     key: str) -> None:
    """appendCells goes after the last row with a value anywhere in the tab. values.append's table detection
    would stop at the blank row and insert the new row above the admin's note (see the fake's docstring)."""
    assert len(fake.peek(key, "'Log'")) == 4  # header + 3 "start" rows
    fake.admin_edit(key, "Log!D7", "catatan admin")  # row 5 left blank, a stray note typed in row 7
    store.commit(edit())
    log = fake.peek(key, "'Log'")
    assert log[4] == [] and log[6][3] == "catatan admin"
    assert log[7][1:4] == ["A-2", "1", "edit"] and len(log) == 8
    assert [r["action"] for r in store.read_log("A-2")] == ["start", "edit"]


def test_only_changed_cells_and_rev_are_written(store: GSheetsStore, fake: FakeSheets, key: str) -> None:
    """A hand edit to another cell of the same row between read and write survives (no whole-row rewrite)."""
    fake.admin_edit(key, "Register!C3", "ringkasan admin")  # summary of A-2
    fake.admin_edit(key, "Register!Z3", "26/11/2026 10.00")  # publish_at typed as a locale date → serial
    publish_fmt = fake.cell(key, "Register", "Z3").fmt  # type: ignore[union-attr]
    saved = store.commit(Change("A-2", 1, {"title": "=1+1", "category": "007", "last_note": "x"}))
    row = sheet_rows(fake, key)[1]
    assert (row["title"], row["summary"], row["category"], row["rev"]) == ("=1+1", "ringkasan admin", "007", "2")
    assert fake.cell(key, "Register", "Z3").fmt == publish_fmt  # untouched
    assert (saved.title, saved.summary, saved.category) == ("=1+1", "ringkasan admin", "007")


def test_timeout_on_a_read_is_retried(store: GSheetsStore, fake: FakeSheets, sleeps: Sleeps) -> None:
    fake.inject("read", status=None, delay=2.5)
    assert len(store.read_register().items) == 3
    assert len(sleeps) == 1


# -- init -----------------------------------------------------------------------------------------------------
def test_init_twice_second_run_writes_nothing(fake: FakeSheets, key: str) -> None:
    store = GSheetsStore(connect(fake), key)
    store.init()
    assert fake.peek(key, "'Register'!1:1") == [list(REGISTER_COLUMNS)]
    assert fake.peek(key, "'Log'!1:1") == [list(LOG_SHEET_COLUMNS)]
    props = fake.sheet_properties(key, "Register")
    assert props["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert {p["description"] for p in props["protectedRanges"]} >= {"sopkit: Register.id is written by the app"}
    assert all(p["warningOnly"] for p in props["protectedRanges"])
    assert fake.cell(key, "Register", "F2").validation is not None  # status dropdown
    fake.reset_counts()
    store.init()
    assert fake.counts["write"] == 0 and fake.counts["read"] == 2


def test_init_repairs_headers_and_keeps_admin_columns(fake: FakeSheets) -> None:
    key = fake.create_spreadsheet("Old", sheets=[SheetSpec("Register", values=[
        ["catatan", "id", "title", "status", "step", "rev"], ["x", "A-1", "Judul", "collecting", "1", "1"]])])
    store = GSheetsStore(connect(fake), key)
    store.init()
    header = fake.peek(key, "'Register'!1:1")[0]
    assert header[:6] == ["catatan", "id", "title", "status", "step", "rev"]
    assert sorted(header[6:]) == sorted(set(REGISTER_COLUMNS) - set(header[:6]))
    assert store.commit(Change("A-1", 1, {"title": "Baru"})).title == "Baru"
    assert sheet_rows(fake, key)[0]["catatan"] == "x"
    fake.reset_counts()
    store.init()
    assert fake.counts["write"] == 0


def test_uninitialised_sheet_says_run_init(fake: FakeSheets) -> None:
    store = GSheetsStore(connect(fake), fake.create_spreadsheet("Empty"))
    with pytest.raises(StoreError, match="sopkit init"):
        store.read_register()


@pytest.mark.parametrize(("url", "secrets", "message"), [
    ("gsheets://", {}, "names no Google Sheet"),
    ("https://docs.google.com/spreadsheets/d/", {}, "names no Google Sheet"),
    ("gsheets://abc/tab", {}, "names no Google Sheet"),
    ("gsheets://abc", {}, "No Google credentials"),
    ("https://docs.google.com/spreadsheets/d/abc/edit#gid=0", {}, "No Google credentials"),
    ("gsheets://abc", {"gcp_service_account": {"type": "service_account"}}, "credentials cannot be used"),
])
def test_open_gsheets_store_config_errors(monkeypatch: pytest.MonkeyPatch, url: str, secrets: dict,
                                          message: str) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    with pytest.raises(StoreError, match=message):
        open_store(Config(store=url, secrets=secrets))


def test_the_deprecated_keys_with_an_empty_sheet_say_so() -> None:
    with pytest.raises(ConfigError, match="register.sheet is empty"):
        load(env={"SOPKIT_BACKEND": "gsheets", "SOPKIT_SECRETS": "/nonexistent.toml"})


def test_cli_init_gsheets_uses_the_given_sheet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from sopkit.cli import main

    monkeypatch.setenv("SOPKIT_SECRETS", str(tmp_path / "none.toml"))
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    assert main(["init", "--gsheets", "abc"]) == 2
    assert "No Google credentials" in capsys.readouterr().err


# -- two writers, one Log ---------------------------------------------------------------------------------------
class Crash(Exception):
    """A process dying at a chosen point."""


def _between_read_and_write(store: GSheetsStore, meanwhile: Callable[[], object]) -> None:
    """Make ``store``'s next write run ``meanwhile`` first (another host acting between its read and its write)."""
    send = store._batch_update
    done: list[bool] = []

    def hooked(requests_, **kw):  # type: ignore[no-untyped-def]
        if not done:
            done.append(True)
            meanwhile()
        return send(requests_, **kw)

    store._batch_update = hooked  # type: ignore[method-assign]


def _raw(fake: FakeSheets, key: str, item_id: str) -> dict[str, str]:
    return next(r for r in sheet_rows(fake, key) if r.get("id") == item_id)


@pytest.mark.parametrize("pad", [0, 40_000], ids=["short", "payloads over several cells"])
def test_a_loser_that_dies_before_repairing_is_explained_and_fixed(fake: FakeSheets, store: GSheetsStore,
                                                                   key: str, pad: int) -> None:
    """Host A saves between host B's read and B's write; B's batch lands too (no conditional write) and B dies
    before it can repair. Every reader still sees A's change and not B's, and the next writer puts the cells back."""
    a = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    b = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    seen = b.get_item("A-2")
    a_change = Change("A-2", 1, {"title": "Dari A", "summary": "ringkasan A", "body": "a" * pad},
                      (LogRow(T0, "A-2", 1, "edit", "a@x.id", "officer"),), seen=a.get_item("A-2"))
    _between_read_and_write(b, lambda: a.commit(a_change))

    def die(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Crash

    b._confirm = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        b.commit(Change("A-2", 1, {"title": "Dari B", "last_note": "catatan B", "sources": "b" * pad},
                        (LogRow(T0, "A-2", 1, "edit", "b@x.id", "officer"),), seen=seen))
    raw = _raw(fake, key, "A-2")
    assert (raw["title"], raw["summary"], raw["last_note"]) == ("Dari B", "ringkasan A", "catatan B")  # as left
    reader = GSheetsStore(connect(fake), key, sleep=lambda s: None)  # a cold process
    item = reader.get_item("A-2")
    assert (item.title, item.summary, item.last_note, item.rev, item.change_id) == (
        "Dari A", "ringkasan A", "", 2, a_change.change_id)
    assert (item.body, item.sources) == ("a" * pad, "")
    assert [(r["action"], r["actor"]) for r in reader.read_log("A-2")] == [("start", "o@x.id"), ("edit", "a@x.id")]
    saved = reader.commit(Change("A-2", 2, {"category": "Berita"}, (), seen=item))
    assert (saved.title, saved.last_note, saved.rev) == ("Dari A", "", 3)
    raw = _raw(fake, key, "A-2")
    assert (raw["title"], raw["summary"], raw["last_note"], raw["category"], raw["rev"]) == (
        "Dari A", "ringkasan A", "", "Berita", "3")


def test_a_loser_is_told_and_repairs_at_once(fake: FakeSheets, store: GSheetsStore, key: str) -> None:
    a = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    b = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    seen = b.get_item("A-2")
    _between_read_and_write(b, lambda: a.commit(Change("A-2", 1, {"step": "2", "status": "designing"},
                                                       (LogRow(T0, "A-2", 1, "submit", "a@x.id", "officer"),),
                                                       seen=a.get_item("A-2"))))
    fake.reset_counts()
    with pytest.raises(StaleWrite, match="saved first") as lost:
        b.commit(Change("A-2", 1, {"title": "Dari B"}, (LogRow(T0, "A-2", 1, "edit", "b@x.id", "officer"),),
                        seen=seen))
    assert lost.value.current is not None and (lost.value.current.step, lost.value.current.title) == (2, "Judul 2")
    raw = _raw(fake, key, "A-2")
    assert (raw["title"], raw["step"], raw["rev"]) == ("Judul 2", "2", "2")  # repaired: A's state
    assert [r["action"] for r in store.read_log("A-2")] == ["start", "submit"]
    tab = [r for r in sheet_rows(fake, key, "Log") if r["item_id"] == "A-2"]
    assert [r["action"] for r in tab] == ["start", "submit", "void", "sopkit:repair"]  # for people reading it
    assert tab[2]["note"].startswith("edit not saved: change ")
    assert [r["action"] for r in GSheetsStore(connect(fake), key).read_log("A-2")] == ["start", "submit"]


@pytest.mark.parametrize(("name", "hand_edit"), HAND_EDITS[:3], ids=[h[0] for h in HAND_EDITS[:3]])
@pytest.mark.parametrize("status", [429, 503])
def test_busy_during_the_write_while_an_admin_rearranges(store: GSheetsStore, fake: FakeSheets, key: str,
                                                         sleeps: Sleeps, name: str, status: int,
                                                         hand_edit: Callable[[FakeSheets, str], None]) -> None:
    """The write is refused (429/503) and, during the wait, an admin inserts/deletes rows above or sorts the
    Register: the retry finds the row by id again, so the change lands on its item and no other item's cell
    changes."""
    item = store.read_register().by_id()["A-2"]
    before = {r["id"]: r for r in sheet_rows(fake, key) if r.get("id")}
    fake.inject("spreadsheets.batchUpdate", status, retry_after=3)
    store.sleep = lambda seconds: (sleeps(seconds), hand_edit(fake, key))  # type: ignore[assignment]
    change = edit(rev=item.rev)
    saved = store.commit(change)
    assert (saved.title, saved.rev) == ("Baru", 2) and sleeps
    after = {r["id"]: r for r in sheet_rows(fake, key) if r.get("id")}
    assert after["A-2"] == {**before["A-2"], "title": "Baru", "rev": "2", "change_id": change.change_id}
    others = [i for i in after if i != "A-2"]  # (the admin may have deleted a row: A-1)
    assert others and {i: after[i] for i in others} == {i: before[i] for i in others}
    assert [r["action"] for r in store.read_log("A-2")] == ["start", "edit"]


def test_a_row_moved_inside_the_last_round_trip_is_reported_and_the_item_rolled_forward(
        store: GSheetsStore, fake: FakeSheets, key: str) -> None:
    """The one window left (rows inserted between the read and the write of one try, no retry between): the cells
    land on another row. The item is still shown right (rolled forward from the Log's payload) and the damaged row is
    listed as a problem naming the item, for the admin to check."""
    item = store.read_register().by_id()["A-2"]
    _between_read_and_write(store, lambda: fake.admin_insert_rows(key, "Register", before_row=2))
    saved = store.commit(edit(rev=item.rev, title="Baru"))
    reg = GSheetsStore(connect(fake), key).read_register()
    assert reg.by_id()["A-2"].title == "Baru" == saved.title
    victims = [p for p in reg.problems if p.column == "change_id"]
    assert len(victims) == 1 and "A-2" in victims[0].reason


# -- the Log read incrementally ---------------------------------------------------------------------------------
def _log_ranges_asked(store: GSheetsStore) -> list[str]:
    asked: list[str] = []
    get = store._http.values_batch_get

    def spy(key, ranges, params=None):  # type: ignore[no-untyped-def]
        asked.extend(r for r in ranges if r.startswith("'Log'!") and r != "'Log'!1:1")
        return get(key, ranges, params=params)

    store._http.values_batch_get = spy  # type: ignore[method-assign]
    return asked


def test_a_snapshot_reads_only_the_log_rows_appended_since_the_last(store: GSheetsStore, fake: FakeSheets,
                                                                     key: str) -> None:
    """The first read of a process takes the whole Log without its payload column; later ones start at the last
    known row (read again to check nothing above moved) and see what other hosts appended."""
    cold = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    asked = _log_ranges_asked(cold)
    assert [r["action"] for r in cold.read_snapshot().log] == ["start"] * 3
    other = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    other.commit(edit())
    assert [r["action"] for r in cold.read_snapshot().log] == ["start"] * 3 + ["edit"]
    assert asked == ["'Log'!A2:K", "'Log'!A4:L"]  # rows 2-4 known after the first: row 4 read again


def test_a_log_edited_by_hand_above_the_known_rows_is_read_again_whole(store: GSheetsStore, fake: FakeSheets,
                                                                      key: str) -> None:
    reader = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    reader.read_snapshot()
    fake.admin_delete_rows(key, "Log", 2)  # someone deletes the first Log row by hand
    GSheetsStore(connect(fake), key, sleep=lambda s: None).commit(edit())
    asked = _log_ranges_asked(reader)
    log = reader.read_snapshot().log
    assert [(r["item_id"], r["action"]) for r in log] == [("A-2", "start"), ("A-3", "start"), ("A-2", "edit")]
    assert asked == ["'Log'!A4:L", "'Log'!A2:K"]  # the known last row moved: the whole Log again


# -- Settings history: saves from two hosts at once -----------------------------------------------------------
def _tab(fake: FakeSheets, key: str, tab: str) -> list[dict[str, str]]:
    return sheet_rows(fake, key, tab)


def _settings_tab(fake: FakeSheets, key: str) -> dict[str, str]:
    return {r["key"]: r["value"] for r in _tab(fake, key, "Settings") if r["key"]}


def settings_chain_holds(history: list[dict[str, str]]) -> None:
    """Revisions numbered 1, 2, … in append order, each one's settings the one before plus its own changes (for
    the process tests too)."""
    assert [int(h["rev"]) for h in history] == list(range(1, len(history) + 1))
    before: dict[str, str] = {}
    for h in history:
        after = json.loads(h["settings"])
        assert {k for k in after if after[k] != before.get(k)} == {c.split(": ")[0] for c in h["changes"].split("; ")}
        before = after


def test_two_settings_saves_from_one_read_each_get_a_revision_of_their_own(fake: FakeSheets, store: GSheetsStore,
                                                                           key: str) -> None:
    """Host A saves between host B's read and B's write. Both batches land (no conditional write), both would be
    revision 2: the one appended first counts, the other saves again on top of it (revision 3), so every
    revision that counts has its own number and the later save's values stand, as with SQLite's transactions."""
    store.save_settings({"limit_step3": "60", "limit_step4": "60"}, actor="admin@x.id", at=T0)
    a = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    b = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    _between_read_and_write(b, lambda: a.save_settings({"limit_step3": "90", "sop_number": "A/1"}, actor="a@x.id"))
    fake.reset_counts()
    assert b.save_settings({"limit_step3": "75", "limit_step4": "30"}, actor="b@x.id") == 3
    assert fake.counts["total"] - 3 == 5  # A's own 3; B: read, write, verify, and the write + verify of its redo
    expected = {"limit_step3": "75", "limit_step4": "30", "sop_number": "A/1"}
    reader = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    assert reader.read_settings() == expected == _settings_tab(fake, key)
    history = reader.read_settings_history()
    assert [(h["rev"], h["actor"], h["source"]) for h in history] == [
        ("1", "admin@x.id", "admin"), ("2", "a@x.id", "admin"), ("3", "b@x.id", "admin")]
    settings_chain_holds(history)
    assert history[2]["changes"] == "limit_step3: 90 → 75; limit_step4: 60 → 30"
    tab = _tab(fake, key, "SettingsHistory")
    assert [(r["rev"], r["source"]) for r in tab] == [("1", "admin"), ("2", "admin"), ("2", "void"), ("3", "admin")]
    assert tab[2]["changes"].startswith("not saved: change ")  # for people reading the tab
    assert reader.sync_settings_history()[1] == history  # B's lost try is no hand edit


def test_a_settings_save_that_lost_and_died_is_explained_and_the_next_save_repairs(fake: FakeSheets,
                                                                                   store: GSheetsStore,
                                                                                   key: str) -> None:
    """B's lost batch wrote cells over A's (a changed value and a key only B added) and B died before saving
    again. Every reader reads A's revision, nobody records B's leftovers as a hand edit, a real hand edit made
    since is still one, and the next save puts the cells back."""
    store.save_settings({"limit_step3": "60", "limit_step4": "60"}, actor="admin@x.id", at=T0)
    a = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    b = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    _between_read_and_write(b, lambda: a.save_settings({"limit_step3": "90"}, actor="a@x.id"))

    def die(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise Crash

    reads = b._settings_read
    b._settings_read = lambda **kw: reads(**kw) if not b._history.rows else die()  # type: ignore[method-assign]
    b._history.rows.clear()
    with pytest.raises(Crash):
        b.save_settings({"limit_step3": "75", "extra_holidays": "2026-12-24"}, actor="b@x.id")
    assert _settings_tab(fake, key) == {"limit_step3": "75", "limit_step4": "60", "extra_holidays": "2026-12-24"}
    reader = GSheetsStore(connect(fake), key, sleep=lambda s: None)  # a cold process
    truth = {"limit_step3": "90", "limit_step4": "60"}
    assert reader.read_settings() == truth
    settings, history = reader.sync_settings_history()
    assert settings == truth and [h["rev"] for h in history] == ["1", "2"]  # no hand edit recorded
    assert reader.read_snapshot(record_hand_edits=True).settings == truth
    fake.admin_set_values(key, "Settings!B3", [["45"]])  # limit_step4, typed by an admin since
    assert reader.read_settings() == {**truth, "limit_step4": "45"}
    assert reader.save_settings({"sop_number": "B/2"}, actor="admin@x.id") == 4  # 3: the hand edit
    final = {**truth, "limit_step4": "45", "sop_number": "B/2"}
    assert _settings_tab(fake, key) == final == GSheetsStore(connect(fake), key).read_settings()
    assert [(h["rev"], h["source"]) for h in reader.read_settings_history()] == [
        ("1", "admin"), ("2", "admin"), ("3", "hand-edit"), ("4", "admin")]
    settings_chain_holds(reader.read_settings_history())


@pytest.mark.parametrize("fault", [{"drop": True}, {"status": 500}], ids=["dropped", "500"])
def test_a_settings_save_applied_but_answer_lost_is_found_not_doubled(store: GSheetsStore, fake: FakeSheets,
                                                                      key: str, fault: dict) -> None:
    store.save_settings({"limit_step3": "60"}, actor="admin@x.id", at=T0)
    fake.inject("spreadsheets.batchUpdate", after_apply=True, **fault)
    fake.reset_counts()
    assert store.save_settings({"limit_step3": "90"}, actor="admin@x.id") == 2
    assert fake.counts["spreadsheets.batchUpdate"] == 1  # never re-sent
    assert [r["rev"] for r in _tab(fake, key, "SettingsHistory")] == ["1", "2"]
    assert store.read_settings() == {"limit_step3": "90"}


def test_a_settings_save_never_confirmed_says_so(store: GSheetsStore, fake: FakeSheets) -> None:
    store.save_settings({"limit_step3": "60"}, actor="admin@x.id", at=T0)
    fake.inject("spreadsheets.batchUpdate", drop=True, after_apply=True)
    fake.inject("read", status=None)  # the save's read goes through...
    fake.inject("read", 503, times=100)  # ...every read after the write fails
    with pytest.raises(Unconfirmed):
        store.save_settings({"limit_step3": "90"}, actor="admin@x.id")
    fake.clear_faults()
    assert [h["rev"] for h in store.read_settings_history()] == ["1", "2"]  # it was in, once


def test_two_hosts_recording_one_hand_edit_at_once_record_it_once(fake: FakeSheets, store: GSheetsStore,
                                                                 key: str) -> None:
    store.save_settings({"limit_step3": "60"}, actor="admin@x.id", at=T0)
    fake.admin_set_values(key, "Settings!B2", [["75"]])
    a = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    b = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    _between_read_and_write(b, lambda: a.read_snapshot(record_hand_edits=True))
    snap = b.read_snapshot(record_hand_edits=True)
    assert snap.settings == {"limit_step3": "75"}
    assert [(h["rev"], h["source"]) for h in snap.settings_history] == [("1", "admin"), ("2", "hand-edit")]
    tab = _tab(fake, key, "SettingsHistory")
    assert [(r["rev"], r["source"]) for r in tab] == [
        ("1", "admin"), ("2", "hand-edit"), ("2", "void")]  # B's own record did not count, and says so
    assert tab[2]["changes"].startswith("not saved: change ")  # for people reading the tab
    assert GSheetsStore(connect(fake), key).read_settings_history() == list(snap.settings_history)


def test_a_page_snapshot_reads_the_history_rows_appended_since_the_last(store: GSheetsStore, fake: FakeSheets,
                                                                        key: str) -> None:
    """The history comes with the snapshot's one batchGet, from the last known row on."""
    store.save_settings({"limit_step3": "60"}, actor="admin@x.id", at=T0)
    reader = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    assert [h["rev"] for h in reader.read_snapshot().settings_history] == ["1"]
    store.save_settings({"limit_step3": "90"}, actor="admin@x.id")
    fake.reset_counts()
    snap = reader.read_snapshot(record_hand_edits=True)
    assert fake.counts["total"] == 1
    assert [h["rev"] for h in snap.settings_history] == ["1", "2"] and snap.settings == {"limit_step3": "90"}
    assert reader.read_snapshot(with_log=False).settings_history == ()  # the publish job: no history


def test_a_sheet_without_the_history_tab_reads_until_init_adds_it(fake: FakeSheets) -> None:
    """A sheet ``init`` made before there was a history: pages and reports read (no revisions), a save says to
    run init, and init adds the tab."""
    from sopkit.store.gsheets import sheet_columns
    from sopkit.store.tables import TABLES

    tabs = [SheetSpec(t, values=[list(sheet_columns(t))]) for t in TABLES if t != "SettingsHistory"]
    key = fake.create_spreadsheet("Lama", sheets=tabs, locale="id_ID")
    fake.admin_set_values(key, "Settings!A2:B2", [["limit_step3", "60"]])
    store = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    snap = store.read_snapshot(record_hand_edits=True)
    assert (snap.settings, snap.settings_history) == ({"limit_step3": "60"}, ())
    assert store.sync_settings_history() == ({"limit_step3": "60"}, [])
    with pytest.raises(StoreError, match="run `python -m sopkit init`"):
        store.save_settings({"limit_step3": "90"}, actor="admin@x.id")
    assert store.read_settings() == {"limit_step3": "60"}
    store.init()
    assert store.save_settings({"limit_step3": "90"}, actor="admin@x.id") == 2  # 1: the settings it found
    assert [h["source"] for h in store.read_settings_history()] == ["existing", "admin"]


def test_the_report_replays_the_stores_log_in_append_order_without_a_losers_rows(fake: FakeSheets,
                                                                                 store: GSheetsStore,
                                                                                 key: str) -> None:
    """Compliance over the store's own Log (``stored_order``): five rows at one instant, which two orders would
    both take in full, are replayed in the order they were appended; a stale host's approve at that instant lost
    (void in the tab) and never reaches the report."""
    from sopkit.compliance import compute
    from sopkit.store.columns import log_frame

    at = dt.datetime(2026, 11, 23, 11, 0, tzinfo=AGENCY_TZ)

    def act(s: GSheetsStore, when: dt.datetime, step: int, action: str, then: int, who: str = "v@x.id") -> None:
        item = s.get_item("K-1")
        s.commit(Change("K-1", item.rev, {"step": str(then)}, (LogRow(when, "K-1", step, action, who, "x"),),
                        seen=item))

    store.commit(Change("K-1", None, {"title": "K", "status": "collecting", "step": "1"},
                        (LogRow(T0, "K-1", 1, "start", "o@x.id", "officer"),)))
    act(store, T0 + dt.timedelta(hours=1), 1, "submit", 2)
    act(store, T0 + dt.timedelta(hours=2), 2, "submit", 3)
    stale = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    seen = stale.get_item("K-1")
    _between_read_and_write(stale, lambda: act(store, at, 3, "reject", 2))
    with pytest.raises(StaleWrite):  # the other host's approve of step 3, at the same instant: both wrote, it lost
        stale.commit(Change("K-1", seen.rev, {"step": "4"}, (LogRow(at, "K-1", 3, "approve", "v2@x.id", "x"),),
                            seen=seen))
    for step, action, then in ((2, "submit", 3), (3, "approve", 4), (4, "reject", 2), (2, "submit", 3)):
        act(store, at, step, action, then)
    assert "void" in [r["action"] for r in sheet_rows(fake, key, "Log")]
    for reader in (store, GSheetsStore(connect(fake), key, sleep=lambda s: None)):
        report = compute(log_frame(reader.read_log("K-1")), as_of=at + dt.timedelta(hours=1), stored_order=True)
        assert report.problems.empty
        a = report.attempts
        assert a.loc[a["step"] == 3, "outcome"].tolist() == ["reject", "approve", "open"]


# -- several items at once (``commit_many``) ------------------------------------------------------------------------
def _batch(store: GSheetsStore, ids: tuple[str, ...] = ("A-1", "A-2", "A-3"), title: str = "Bersama") -> list[Change]:
    items = store.read_register().by_id()
    return [Change(i, items[i].rev, {"title": f"{title} {i}"}, (LogRow(T0, i, 1, "edit", "j@x.id", "publisher"),),
                   seen=items[i]) for i in ids]


@pytest.mark.parametrize("size", [1, 3, 10])
def test_a_batch_costs_three_calls_whatever_its_size(store: GSheetsStore, fake: FakeSheets, size: int) -> None:
    """One read (Register, Users, Log since), one atomic batchUpdate, one verifying read: for 1 item or 10."""
    for n in range(4, size + 1):
        create(store, f"A-{n}")
    changes = _batch(store, tuple(f"A-{n}" for n in range(1, size + 1)))
    fake.reset_counts()
    saved = store.commit_many(changes)
    assert all(isinstance(s, Item) and s.rev == 2 for s in saved) and len(saved) == size
    assert {k: v for k, v in fake.counts.items() if k not in ("read", "write")} == {
        "values.batchGet": 2, "spreadsheets.batchUpdate": 1, "total": 3}


def test_a_batch_that_loses_one_item_to_another_host_is_told_for_that_item_only(fake: FakeSheets,
                                                                                store: GSheetsStore,
                                                                                key: str) -> None:
    """Host A saves A-2 between host B's batch read and B's batch write; B's batch lands whole (no conditional
    write), and the Log order decides per item: B's A-2 change appended after A's on the same parent loses (told
    in its slot, its row void, the cells it wrote repaired), B's A-1 and A-3 changes win."""
    a = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    b = GSheetsStore(connect(fake), key, sleep=lambda s: None)
    changes = _batch(b)
    a_change = Change("A-2", 1, {"step": "2", "status": "designing"},
                      (LogRow(T0, "A-2", 1, "submit", "a@x.id", "officer"),), seen=a.get_item("A-2"))
    _between_read_and_write(b, lambda: a.commit(a_change))
    out = b.commit_many(changes)
    assert isinstance(out[0], Item) and isinstance(out[2], Item) and (out[0].rev, out[2].rev) == (2, 2)
    assert isinstance(out[1], StaleWrite) and "saved first" in str(out[1])
    assert out[1].current is not None and (out[1].current.step, out[1].current.title) == (2, "Judul 2")
    raw = _raw(fake, key, "A-2")
    assert (raw["title"], raw["step"], raw["rev"], raw["change_id"]) == ("Judul 2", "2", "2", a_change.change_id)
    reader = GSheetsStore(connect(fake), key)
    assert [r["action"] for r in reader.read_log("A-2")] == ["start", "submit"]
    assert [r["action"] for r in reader.read_log("A-1")] == ["start", "edit"]
    tab = [r["action"] for r in sheet_rows(fake, key, "Log") if r["item_id"] == "A-2"]
    assert tab == ["start", "submit", "void", "sopkit:repair"]
    assert [(i.id, i.title) for i in reader.read_register().items] == [
        ("A-1", "Bersama A-1"), ("A-2", "Judul 2"), ("A-3", "Bersama A-3")]


@pytest.mark.parametrize(("name", "hand_edit"), HAND_EDITS[:3], ids=[h[0] for h in HAND_EDITS[:3]])
def test_a_batch_retried_while_an_admin_rearranges_lands_on_each_items_row(store: GSheetsStore, fake: FakeSheets,
                                                                          key: str, sleeps: Sleeps, name: str,
                                                                          hand_edit: Callable[[FakeSheets, str],
                                                                                              None]) -> None:
    """The batch write is refused (503) and an admin inserts, deletes or sorts rows during the wait: the retry
    reads again and finds every row by id, so each change lands on its own item and no other cell changes."""
    changes = _batch(store, ("A-2", "A-3"))
    before = {r["id"]: r for r in sheet_rows(fake, key) if r.get("id")}
    fake.inject("spreadsheets.batchUpdate", 503, retry_after=3)
    store.sleep = lambda seconds: (sleeps(seconds), hand_edit(fake, key))  # type: ignore[assignment]
    out = store.commit_many(changes)
    assert [(o.id, o.title) for o in out if isinstance(o, Item)] == [("A-2", "Bersama A-2"), ("A-3", "Bersama A-3")]
    after = {r["id"]: r for r in sheet_rows(fake, key) if r.get("id")}
    for change in changes:
        assert after[change.item_id] == {**before[change.item_id], "title": f"Bersama {change.item_id}", "rev": "2",
                                         "change_id": change.change_id}
    assert {i: r for i, r in after.items() if i not in ("A-2", "A-3")} == \
        {i: r for i, r in before.items() if i in after and i not in ("A-2", "A-3")}
    assert all([r["action"] for r in store.read_log(i)] == ["start", "edit"] for i in ("A-2", "A-3"))


@pytest.mark.parametrize("fault", [{"drop": True}, {"status": 500}], ids=["dropped", "500"])
def test_a_batch_applied_but_answer_lost_is_found_not_doubled(store: GSheetsStore, fake: FakeSheets, key: str,
                                                              fault: dict) -> None:
    changes = _batch(store)
    fake.inject("spreadsheets.batchUpdate", after_apply=True, **fault)
    fake.reset_counts()
    out = store.commit_many(changes)
    assert fake.counts["spreadsheets.batchUpdate"] == 1  # never re-sent
    assert [(o.id, o.rev) for o in out if isinstance(o, Item)] == [("A-1", 2), ("A-2", 2), ("A-3", 2)]
    raw = [r for r in fake.peek(key, "'Log'")[1:] if r and r[3] == "edit"]
    assert len(raw) == 3  # in the sheet itself, once each


def test_a_batch_never_applied_is_busy_and_saves_nothing(store: GSheetsStore, fake: FakeSheets, key: str) -> None:
    before = fake.peek(key, "'Log'")
    changes = _batch(store)
    fake.inject("spreadsheets.batchUpdate", 500, times=100)
    with pytest.raises(SheetsBusy, match="Nothing was saved"):
        store.commit_many(changes)
    fake.clear_faults()
    assert fake.peek(key, "'Log'") == before
