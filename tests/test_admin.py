"""What the admin page may change, checked before it is written."""

from __future__ import annotations

import pytest

from sopkit import admin
from sopkit.schema import User
from sopkit.store.base import StaleWrite
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

ADMIN = User("admin@dishub.test", "Admin", ("admin",))


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    s = SQLiteStore(tmp_path / "a.db")
    s.init()
    s.save_user(ADMIN)
    s.save_user(User("ana@dishub.test", "Ana", ("officer",), password_hash="scrypt$keep"))
    return s


@pytest.mark.parametrize("row,error", [
    ({"email": "budi@dishub.test", "name": "Budi", "roles": "creator,supervisor", "active": "TRUE"}, None),
    ({"email": "bukan-email", "roles": "creator"}, "not an email"),
    ({"email": "budi@dishub.test", "roles": "creator,raja"}, "unknown role"),
    ({"email": "admin@dishub.test", "roles": "officer", "active": "TRUE"}, "own admin role"),
    ({"email": "admin@dishub.test", "roles": "admin", "active": "FALSE"}, "own admin role"),
])
def test_save_users(store, row, error) -> None:
    if error:
        with pytest.raises(admin.AdminError, match=error):
            admin.save_users(store, ADMIN, [row])
    else:
        assert admin.save_users(store, ADMIN, [row]) == [row["email"]]


def test_saving_a_user_keeps_the_password_hash(store) -> None:
    admin.save_users(store, ADMIN, [{"email": "ana@dishub.test", "name": "Ana S.", "roles": "officer,creator",
                                     "active": "TRUE"}])
    ana = next(u for u in store.read_users()[0] if u.email == "ana@dishub.test")
    assert (ana.name, ana.roles, ana.password_hash) == ("Ana S.", ("officer", "creator"), "scrypt$keep")


@pytest.mark.parametrize("rows,problem", [
    ({"limit_step3": "90"}, None),
    ({"limit_step3": "sejam"}, "limit_step3"),
    ({"hours_mon": "07:30-12:00,11:00-16:00"}, "hours_mon"),
    ({"extra_holidays": "2026-12-24,besok"}, "extra_holidays"),
])
def test_save_settings_all_or_nothing(store, rows, problem) -> None:
    found = admin.save_settings(store, rows, "Asia/Pontianak")
    if problem:
        assert found and problem in found[0] and store.read_settings() == {}
    else:
        assert found == [] and store.read_settings() == rows


def test_register_edit_goes_through_commit_with_a_log_row(store) -> None:
    officer = User("ana@dishub.test", roles=("officer",))
    item = Desk(store).start(officer, title="Judul lama", channels=("site",))
    admin.edit_register_row(store, ADMIN, item.id, item.rev, {"title": "Judul baru"})
    assert store.get_item(item.id).title == "Judul baru"
    assert store.read_log(item.id)[-1]["action"] == "edit" and store.read_log(item.id)[-1]["role"] == "admin"
    with pytest.raises(StaleWrite):  # the editor showed the old revision
        admin.edit_register_row(store, ADMIN, item.id, item.rev, {"title": "Lagi"})


@pytest.mark.parametrize("changes,error", [
    ({"step": "6"}, "workflow actions"),
    ({"status": "published"}, "workflow actions"),
    ({"channels": "site,myspace"}, "unknown channel"),
    ({"category": "Gosip"}, "Unknown category"),
])
def test_register_edit_refusals(store, changes, error) -> None:
    item = Desk(store).start(User("ana@dishub.test", roles=("officer",)), title="Judul", channels=("site",))
    with pytest.raises(admin.AdminError, match=error):
        admin.edit_register_row(store, ADMIN, item.id, item.rev, changes)
