"""Writers that share nothing but the store, as separate OS processes (each its own project copy, HOME, TMPDIR).

Round after round, two processes read the same item at step 3 and then, at the same instant, one approves and
one rejects. Exactly one is told "saved", the other "changed by someone else"; the Log holds the winner's row
only; the Register row holds the winner's state and is explained by the Log; a bystander item is untouched. On
the Sheets fake some rounds hold both writes back for a moment, so both processes have surely read before either
writes (the race the issue reported); the others run at natural speed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from multiproc import all_at_once, workers
from test_gsheets_store import settings_chain_holds

from fakes.sheets_server import FakeSheets, connect
from sopkit import auth
from sopkit.schema import Item, User, item_from_row
from sopkit.store.base import Store
from sopkit.store.gsheets import GSheetsStore
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

ROUNDS = 6
PEOPLE = {
    "petugas@x.go.id": ("officer",), "konten@x.go.id": ("creator",),
    "pengawas@x.go.id": ("supervisor",), "pengawas2@x.go.id": ("supervisor",),
}


@dataclass
class Env:
    backend: str
    store: Store
    open_command: dict
    fake: FakeSheets | None = None

    def raw_row(self, item_id: str) -> dict[str, str]:
        """The Register row exactly as stored (no explaining)."""
        if isinstance(self.store, SQLiteStore):
            conn = sqlite3.connect(self.store.path)
            conn.row_factory = sqlite3.Row
            row = conn.execute('SELECT * FROM "Register" WHERE id = ?', (item_id,)).fetchone()
            conn.close()
            return dict(row)
        assert self.fake is not None and isinstance(self.store, GSheetsStore)
        values = self.fake.peek(self.store.spreadsheet_id, "'Register'")
        header = values[0]
        row = next(r for r in values[1:] if r and r[header.index("id")] == item_id)
        return {h: (row[i] if i < len(row) else "") for i, h in enumerate(header)}

    def fresh(self) -> Store:
        """Another reader with no cache (as a third process would be)."""
        if isinstance(self.store, SQLiteStore):
            return SQLiteStore(self.store.path)
        assert self.fake is not None and isinstance(self.store, GSheetsStore)
        return GSheetsStore(connect(self.fake), self.store.spreadsheet_id, sleep=lambda s: None)


@pytest.fixture(params=["sqlite", "gsheets"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Env]:
    if request.param == "sqlite":
        path = tmp_path / "shared.db"
        store: Store = SQLiteStore(path)
        store.init()
        yield Env("sqlite", store, {"op": "open", "backend": "sqlite", "path": str(path)})
        return
    with FakeSheets() as fake:
        key = fake.create_spreadsheet("Shared", locale="id_ID")
        store = GSheetsStore(connect(fake), key, sleep=lambda s: None)
        store.init()
        yield Env("gsheets", store, {"op": "open", "backend": "gsheets", "url": fake.url, "key": key}, fake)


def seed(store: Store) -> dict[str, User]:
    people = {email: User(email, email.split("@")[0].title(), roles) for email, roles in PEOPLE.items()}
    for user in people.values():
        store.save_user(user)
    return people


def at_step3(desk: Desk, people: dict[str, User], title: str) -> Item:
    officer, creator = people["petugas@x.go.id"], people["konten@x.go.id"]
    item = desk.start(officer, title=title, summary="Ringkasan.", channels=("site",))
    item = desk.submit(officer, item)
    item = desk.edit(creator, desk.take(creator, item), body="Isi.")
    return desk.submit(creator, item)


def explained_by_the_log(env: Env, item_id: str) -> None:
    """The Register row as stored names the last change the Log counts, holds what a fresh reader explains (no
    loser's cells left over), and its rev counts the changes the Log counts."""
    raw = env.raw_row(item_id)
    reader = env.fresh()
    log = reader.read_log(item_id)
    changes = list(dict.fromkeys(r["change_id"] for r in log))
    assert raw["change_id"] == changes[-1]
    assert int(raw["rev"]) == len(changes)
    parsed, problems = item_from_row(raw)
    assert problems == [] and parsed == reader.get_item(item_id)
    assert all(r["base_rev"] == str(changes.index(r["change_id"])) for r in log)  # each read the rev before it


def test_approve_against_reject_at_one_instant_exactly_one_wins(env: Env, tmp_path: Path) -> None:
    people = seed(env.store)
    desk = Desk(env.store)
    bystander = at_step3(desk, people, "Tidak disentuh")
    items = [at_step3(desk, people, f"Ronde {n}") for n in range(ROUNDS)]
    before_bystander = env.raw_row(bystander.id)
    with workers(tmp_path, 2) as (a, b):
        for w in (a, b):
            assert w.ask(**env.open_command)["ok"]
        for n, item in enumerate(items):
            for w in (a, b):
                assert w.ask(op="view", item=item.id) == {"rev": item.rev, "step": 3}  # both read the same
            if env.fake is not None and n % 2 == 0:  # hold both writes back: both have surely read first
                env.fake.inject("spreadsheets.batchUpdate", status=None, delay=0.3, times=2)
            first, second = ("approve", "reject") if n % 4 < 2 else ("reject", "approve")
            results = all_at_once([a, b], [
                {"op": "act", "action": first, "email": "pengawas@x.go.id", "note": "Perbaiki judul"},
                {"op": "act", "action": second, "email": "pengawas2@x.go.id", "note": "Perbaiki judul"}])
            if env.fake is not None:
                env.fake.clear_faults()
            outcomes = sorted(r["outcome"] for r in results)
            assert outcomes == ["saved", "stale"], (n, results)
            won = first if results[0]["outcome"] == "saved" else second
            now = env.fresh().get_item(item.id)
            assert (now.step, now.rev) == ((4 if won == "approve" else 2), item.rev + 1)
            actions = [r["action"] for r in env.fresh().read_log(item.id)]
            assert actions[-1] == won and actions.count("approve") + actions.count("reject") == 1
            explained_by_the_log(env, item.id)
            if env.fake is not None:  # in the tab itself: one decision, the loser's row marked void
                key = env.store.spreadsheet_id  # type: ignore[attr-defined]
                raw = [r[3] for r in env.fake.peek(key, "'Log'")[1:] if r and r[1] == item.id]
                assert raw.count("approve") + raw.count("reject") == 1, raw
                if n % 2 == 0:  # the race really happened: both wrote, the loser repaired and marked its row
                    assert {"void", "sopkit:repair"} <= set(raw), raw
    assert env.raw_row(bystander.id) == before_bystander


def test_two_batches_sharing_an_item_at_one_instant_have_one_winner_for_it(env: Env, tmp_path: Path) -> None:
    """Two processes (two publish runs on two hosts) each commit a batch from the same read, round after round:
    A's over items 1 and 2, B's over 2 and 3, at the same instant. Item 2 has exactly one winner, the other batch
    is told "stale" for it alone and its other item is saved; every row is explained by the Log."""
    people = seed(env.store)
    desk = Desk(env.store)
    rounds = [[at_step3(desk, people, f"Ronde {n}.{k}").id for k in (1, 2, 3)] for n in range(ROUNDS)]
    with workers(tmp_path, 2) as (a, b):
        for w in (a, b):
            assert w.ask(**env.open_command)["ok"]
        outcomes = []
        for n, items in enumerate(rounds):
            assert a.ask(op="view_many", items=items[:2])["revs"] == b.ask(op="view_many", items=items[1:])["revs"]
            if env.fake is not None and n % 2 == 0:  # hold both writes back: both have surely read first
                env.fake.inject("spreadsheets.batchUpdate", status=None, delay=0.3, times=2)
            outcomes.append(all_at_once([a, b], [{"op": "batch", "who": "a"}, {"op": "batch", "who": "b"}]))
            if env.fake is not None:
                env.fake.clear_faults()
    for n, (items, (ra, rb)) in enumerate(zip(rounds, outcomes, strict=True)):
        assert ra["outcomes"][0] == "saved" and rb["outcomes"][1] == "saved", (ra, rb)
        assert sorted([ra["outcomes"][1], rb["outcomes"][0]]) == ["saved", "stale"], (ra, rb)
        winner = "a" if ra["outcomes"][1] == "saved" else "b"
        reader = env.fresh()
        assert [reader.get_item(i).title for i in items] == [f"a {items[0]}", f"{winner} {items[1]}",
                                                               f"b {items[2]}"]
        assert [r["actor"] for r in reader.read_log(items[1]) if r["actor"] in ("a", "b")] == [winner]
        for item_id in items:
            explained_by_the_log(env, item_id)
        if env.fake is not None and n % 2 == 0:  # the race really happened: the loser's row voided, cells repaired
            key = env.store.spreadsheet_id  # type: ignore[attr-defined]
            raw = [r[3] for r in env.fake.peek(key, "'Log'")[1:] if r and r[1] == items[1]]
            assert {"void", "sopkit:repair"} <= set(raw), raw


def test_deactivated_in_another_process_is_refused_at_the_next_action(env: Env, tmp_path: Path) -> None:
    """A session that still holds the user (as the desk's does) is refused once the Users row says otherwise."""
    people = seed(env.store)
    item = at_step3(Desk(env.store), people, "Dinonaktifkan")
    with workers(tmp_path, 2) as (desk_host, admin_host):
        assert desk_host.ask(**env.open_command)["ok"] and admin_host.ask(**env.open_command)["ok"]
        assert desk_host.ask(op="keep_user", email="pengawas@x.go.id")["ok"]
        assert desk_host.ask(op="view", item=item.id)["step"] == 3
        env.store.save_user(User("pengawas@x.go.id", "Pengawas", ("supervisor",), active=False))
        result = desk_host.ask(op="act", action="approve", email="pengawas@x.go.id", fresh_user=False)
        assert result["outcome"] == "refused", result
    assert env.fresh().get_item(item.id).step == 3
    assert [r["action"] for r in env.fresh().read_log(item.id)][-1] == "submit"


def test_parallel_guessers_in_processes_get_five_tries_in_all(env: Env, tmp_path: Path) -> None:
    """Four processes guess a password at once, ten times each: the failure count is one ledger, appended to
    before each check, so only MAX_FAILURES guesses are ever checked and the account ends locked (the right
    password is refused too, with the same message as any failure)."""
    password = "kata-sandi-benar"
    env.store.save_user(User("ana@x.go.id", "Ana", ("officer",),
                             password_hash=auth.hash_password(password, n=2**10)))
    with workers(tmp_path, 4) as group:
        for w in group:
            assert w.ask(**env.open_command)["ok"]
        results = all_at_once(group, [{"op": "signin", "email": "ana@x.go.id", "password": f"salah-{n}",
                                       "times": 10} for n in range(4)])
        codes = [c for r in results for c in r["codes"]]
        assert codes == ["auth.failed"] * 40
        # the right password now: refused, the same message
        assert group[0].ask(op="signin", email="ana@x.go.id", password=password)["codes"] == ["auth.failed"]
    checked = auth.checked_attempts(env.fresh(), "ana@x.go.id")
    assert checked == auth.MAX_FAILURES


def test_settings_saved_by_two_processes_at_one_instant_are_two_revisions(env: Env, tmp_path: Path) -> None:
    """Two admins on two hosts save the Settings at the same instant, round after round: each is told its own
    revision number, the history counts every save once, numbered 1, 2, … with no number twice, each revision is
    the one before plus its own changes, and the Settings table holds the last one (no loser's cell left)."""
    env.store.save_settings({"limit_step3": "60", "limit_step4": "60"}, actor="admin@x.go.id")
    with workers(tmp_path, 2) as (a, b):
        for w in (a, b):
            assert w.ask(**env.open_command)["ok"]
        for n in range(ROUNDS):
            if env.fake is not None and n % 2 == 0:  # hold both writes back: both have surely read first
                env.fake.inject("spreadsheets.batchUpdate", status=None, delay=0.3, times=2)
            results = all_at_once([a, b], [
                {"op": "save_settings", "email": "a@x.go.id", "rows": {"limit_step3": str(70 + n), "a": str(n)}},
                {"op": "save_settings", "email": "b@x.go.id", "rows": {"limit_step3": str(90 + n), "b": str(n)}}])
            if env.fake is not None:
                env.fake.clear_faults()
            assert [r["outcome"] for r in results] == ["saved", "saved"], results
            assert sorted(r["rev"] for r in results) == [2 + 2 * n, 3 + 2 * n], results
    history = env.fresh().read_settings_history()
    assert len(history) == 1 + 2 * ROUNDS
    settings_chain_holds(history)
    last = json.loads(history[-1]["settings"])
    assert last["a"] == last["b"] == str(ROUNDS - 1)
    assert env.fresh().read_settings() == last
    if env.fake is not None:  # the tab itself holds the last revision: every loser saved again and repaired
        key = env.store.spreadsheet_id  # type: ignore[attr-defined]
        assert {r[0]: r[1] for r in env.fake.peek(key, "'Settings'")[1:] if r and r[0]} == last
        sources = [r[3] for r in env.fake.peek(key, "'SettingsHistory'")[1:] if r]
        assert sources.count("void") >= ROUNDS // 2, sources  # the held-back rounds really raced
