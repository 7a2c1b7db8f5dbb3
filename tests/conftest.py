"""Shared fixtures: a fresh store per test, a controllable server clock, one user per role."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/fakes and tests/services import as top-level packages

from services.conftest_wordpress import (  # noqa: E402,F401  (a real WordPress on loopback)
    wordpress,
    wordpress_production,
)
from sopkit.schema import User  # noqa: E402
from sopkit.store.sqlite import SQLiteStore  # noqa: E402
from sopkit.timeutil import AGENCY_TZ, use_zone  # noqa: E402
from sopkit.workflow import Desk  # noqa: E402


class FakeClock:
    """The server clock under test control: ``clock.t`` is 'now'; ``advance`` moves it."""

    def __init__(self, t: dt.datetime):
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw: float) -> dt.datetime:
        self.t += dt.timedelta(**kw)
        return self.t


USERS = {
    "officer": User("petugas@x.go.id", "Petugas", ("officer",)),
    "creator": User("konten@x.go.id", "Konten", ("creator",)),
    "supervisor": User("pengawas@x.go.id", "Pengawas", ("supervisor",)),
    "supervisor2": User("pengawas2@x.go.id", "Pengawas 2", ("supervisor",)),
    "administrator": User("admin-pejabat@x.go.id", "Administrator", ("administrator",)),
    "publisher": User("medsos@x.go.id", "Medsos", ("publisher",)),
    "manager": User("pimpinan@x.go.id", "Pimpinan", ("manager",)),
    "admin": User("admin@x.go.id", "Admin", ("admin",)),
}


@pytest.fixture(autouse=True)
def _agency_zone() -> Iterator[None]:
    """Each test starts in the default zone; one that reads Settings in another zone does not leak it."""
    yield
    use_zone(AGENCY_TZ)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2026, 11, 23, 8, 0, tzinfo=AGENCY_TZ))  # a Monday, 08:00 WIB


@pytest.fixture
def sqlite_store(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "sop.db")
    store.init()
    for u in USERS.values():
        store.save_user(u)
    return store


@pytest.fixture
def users() -> dict[str, User]:
    return USERS


@pytest.fixture
def desk(sqlite_store: SQLiteStore, clock: FakeClock) -> Desk:
    return Desk(sqlite_store, now=clock)
