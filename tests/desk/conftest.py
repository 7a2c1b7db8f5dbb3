"""Fixtures for the Streamlit desk: a fresh SQLite store per test with one demo user per role, found by the app
through ``SOPKIT_STORE`` (uploads in ``SOPKIT_MEDIA``), and AppTest sessions signed in as any of them."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
import streamlit as st
from desk_helpers import email_for, session_now
from streamlit.testing.v1 import AppTest

from sopkit import auth, sessions, sop
from sopkit.schema import Item, User
from sopkit.store.base import Change, StoreError
from sopkit.store.sqlite import SQLiteStore
from sopkit.workflow import Desk

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the app's ``pages._ui`` helpers sit beside app.py, outside sopkit
    sys.path.insert(0, str(ROOT))

APP = str(ROOT / "app.py")
PASSWORD = "demo-password-123"

#: One demo account per role, plus a second supervisor (maker-checker and stale-write tests need two).
DEMO_USERS: dict[str, tuple[str, ...]] = {
    "officer@demo.test": ("officer",),
    "creator@demo.test": ("creator",),
    "supervisor@demo.test": ("supervisor",),
    "supervisor2@demo.test": ("supervisor",),
    "administrator@demo.test": ("administrator",),
    "publisher@demo.test": ("publisher",),
    "manager@demo.test": ("manager",),
    "admin@demo.test": ("admin",),
}


@lru_cache(maxsize=1)
def demo_hash() -> str:
    return auth.hash_password(PASSWORD)


class ClearingStore(SQLiteStore):
    """The test's own writes (standing in for another user or the publish job) drop the app's cached reads at
    once, instead of after the snapshot's TTL."""

    def commit(self, change: Change) -> Item:
        try:
            return super().commit(change)
        finally:
            _drop_cached_reads()

    def commit_many(self, changes: Sequence[Change]) -> list[Item | StoreError]:
        try:
            return super().commit_many(changes)
        finally:
            _drop_cached_reads()

    def save_user(self, user: User) -> None:
        super().save_user(user)
        _drop_cached_reads()

    def save_settings(self, rows: dict[str, str], actor: str = "", source: str = "admin",
                      at: dt.datetime | None = None) -> int | None:
        try:
            return super().save_settings(rows, actor, source, at)
        finally:
            _drop_cached_reads()


def _drop_cached_reads() -> None:
    from pages._ui import session

    session.after_write()


@dataclass
class DeskEnv:
    store: SQLiteStore
    path: Path
    media: Path  # the uploads: a folder of its own, not beside the store

    def user(self, email: str) -> User:
        return next(u for u in self.store.read_users()[0] if u.email == email)

    def desk(self, at: dt.datetime | None = None) -> Desk:
        return Desk(self.store, now=(lambda: at) if at else session_now)

    def item(self, item_id: str) -> Item:
        return self.store.get_item(item_id)

    def advance(self, to_step: int, title: str = "Jembatan Kapuas ditutup sementara",
                channels: tuple[str, ...] = ("site", "x")) -> Item:
        """An item walked through the workflow to ``to_step`` (6: scheduled an hour ago, so it is due)."""
        d = self.desk()
        u = self.user
        item = d.start(u(email_for("officer")), title=title, summary="Ringkasan", category="Berita",
                       channels=channels, sources="https://dishub.kalbarprov.go.id")
        if to_step >= 2:
            item = d.submit(u(email_for("officer")), item)
        if to_step >= 3:
            item = d.take(u(email_for("creator")), item)
            item = d.edit(u(email_for("creator")), item, body="Isi artikel.",
                          captions={c: "Keterangan" for c in channels})
            item = d.submit(u(email_for("creator")), item)
        if to_step >= 4:
            item = d.approve(u(email_for("supervisor")), d.take(u(email_for("supervisor")), item))
        if to_step >= 5:
            item = d.approve(u(email_for("administrator")), d.take(u(email_for("administrator")), item))
        if to_step >= 6:
            item = d.take(u(email_for("supervisor")), item)
            item = d.schedule(u(email_for("supervisor")), item, session_now() + dt.timedelta(minutes=2))
            # make it due: move publish_at into the past, as the clock would have
            item = self.store.commit(Change(item.id, item.rev, {"publish_at": (session_now() - dt.timedelta(
                minutes=5)).isoformat()}))
        return item


@pytest.fixture(autouse=True)
def _clear_streamlit_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DeskEnv:
    path = tmp_path / "store" / "sopkit.db"
    for old in ("SOPKIT_DB", "SOPKIT_BACKEND", "SOPKIT_SHEET"):
        monkeypatch.delenv(old, raising=False)
    monkeypatch.setenv("SOPKIT_STORE", f"sqlite:///{path}")
    monkeypatch.setenv("SOPKIT_MEDIA", str(tmp_path / "uploads"))
    monkeypatch.setenv("SOPKIT_SECRETS", str(tmp_path / "no-secrets.toml"))
    store = ClearingStore(path)
    store.init()
    for email, roles in DEMO_USERS.items():
        store.save_user(User(email=email, name=email.split("@")[0].title(), roles=roles,
                             password_hash=demo_hash()))
    return DeskEnv(store, path, tmp_path / "uploads")


@pytest.fixture
def app(env: DeskEnv) -> Callable[..., AppTest]:
    """``app(email=None, page=None)``: a fresh session (a new browser tab), optionally signed in, optionally
    opening ``page`` cold (before any run: the deep link on a freshly started server)."""

    from pages._ui import session

    def make(email: str | None = None, page: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        if email:
            at.session_state[session.AUTH_KEY] = signed_in_session(env.store, email)
        if page:
            at.switch_page(page)
        return at

    return make


def signed_in_session(store: SQLiteStore, email: str) -> str:
    """What the sign-in form leaves behind (``sopkit.sessions.issue``): a stored session; returns its id."""
    user = next((u for u in store.read_users()[0] if u.email == email), User(email))
    _, record = sessions.issue(store, user, sessions.SessionConfig(secret="test-secret"))
    return record.id


ALL_PAGES = tuple(sop.ROLES)  # re-exported for readability in tests
