"""Maker-checker through the pages (issue 9, item 4): an officer reassigned away from step 1 who is also a
supervisor may not take the item for verification, and the page gives the desk the item's Log from its snapshot,
so the refusal costs no extra read of the store."""

from __future__ import annotations

from desk_helpers import email_for, open_page

from sopkit.i18n import t
from sopkit.schema import User
from sopkit.store.sqlite import SQLiteStore

BOTH = User("dua@demo.test", "Dua Peran", ("officer", "supervisor"))


def test_a_maker_reassigned_away_may_not_take_it_for_verification(app, env, monkeypatch) -> None:
    env.store.save_user(BOTH)
    d, u = env.desk(), env.user
    item = d.start(BOTH, title="Jembatan Kapuas ditutup", channels=("site",))
    item = d.assign(u(email_for("supervisor")), item, u(email_for("officer")))  # step 1 goes to someone else
    item = d.submit(u(email_for("officer")), d.edit(u(email_for("officer")), item, summary="Ringkasan"))
    item = d.take(u(email_for("creator")), item)
    item = d.submit(u(email_for("creator")), d.edit(u(email_for("creator")), item, body="Isi.",
                                                   captions={"site": "Keterangan"}))
    assert (item.step, item.officer, item.verifier) == (3, email_for("officer"), "")
    reads: list[str | None] = []
    original = SQLiteStore.read_log

    def counted(self, item_id=None):  # type: ignore[no-untyped-def]
        reads.append(item_id)
        return original(self, item_id)

    monkeypatch.setattr(SQLiteStore, "read_log", counted)
    at = open_page(app(BOTH.email), "supervisor")
    assert not at.exception
    # the page says why before any click (issue 13, item 6): no "Ambil" to be refused after it
    assert t("mc.collection") in [i.value for i in at.info], [i.value for i in at.info]
    assert f"w_take_{item.id}" not in [b.key for b in at.button]
    assert env.item(item.id) == item
    assert item.id not in reads  # the Log rows came from the page's snapshot


def test_the_snapshot_reads_the_register_before_the_log(env) -> None:
    """So the Log holds every row of an item at the revision read (a later row bumps the rev, and an action on
    the older rev is refused as stale): the condition for taking makers from the snapshot."""
    from pages._ui import session

    calls: list[str] = []

    class Recording(SQLiteStore):
        def read_register(self):  # type: ignore[no-untyped-def]
            calls.append("register")
            return super().read_register()

        def read_log(self, item_id=None):  # type: ignore[no-untyped-def]
            calls.append("log")
            return super().read_log(item_id)

    session._read_all(Recording(env.path))
    assert calls == ["register", "log"]
