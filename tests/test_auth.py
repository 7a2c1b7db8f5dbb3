"""Local accounts: scrypt hashes, verification, and the lock-out after repeated failures."""

from __future__ import annotations

import datetime as dt

import pytest

from sopkit import auth
from sopkit.schema import User
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ

T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=AGENCY_TZ)
PW = "kata-sandi-rahasia"
FAST = {"n": 2**10, "r": 8, "p": 1}  # same code path, cheaper cost, for the many hashes below


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    s = SQLiteStore(tmp_path / "a.db")
    s.init()
    s.save_user(User("ana@dishub.test", "Ana", ("officer",), password_hash=auth.hash_password(PW, **FAST)))
    return s


def clock(t: dt.datetime):  # type: ignore[no-untyped-def]
    return lambda: t


@pytest.mark.parametrize("password,stored,ok", [
    (PW, auth.hash_password(PW, **FAST), True),
    ("salah", auth.hash_password(PW, **FAST), False),
    (PW, "", False),
    (PW, "scrypt$1024$8$1$not-base64!$xx", False),
    (PW, "bcrypt$whatever", False),
    (PW, "plain-" + PW, False),
])
def test_verify_password(password, stored, ok) -> None:
    assert auth.verify_password(password, stored) is ok


def test_hashes_are_salted_and_slow_by_default() -> None:
    a, b = auth.hash_password(PW), auth.hash_password(PW)
    assert a != b and a.startswith(f"scrypt${2**14}$8$1$")
    assert auth.verify_password(PW, a) and auth.verify_password(PW, b)


@pytest.mark.parametrize("email,password", [
    ("ana@dishub.test", "salah"),
    ("nobody@dishub.test", PW),  # the account's existence is not revealed
    ("", ""),
])
def test_refusals(store, email, password) -> None:
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(store, email, password, clock(T0))
    assert e.value.code == "auth.failed"


def test_email_is_case_insensitive(store) -> None:
    assert auth.authenticate(store, "  ANA@Dishub.test ", PW, clock(T0)).email == "ana@dishub.test"


def test_lockout_after_max_failures_then_release(store) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(auth.AuthError) as e:
            auth.authenticate(store, "ana@dishub.test", "salah", clock(T0))
        assert e.value.code == "auth.failed"  # the last one locks, with the same message as the others
    assert auth.failures_in_a_row(store, "ana@dishub.test", T0) == auth.MAX_FAILURES
    # locked: even the right password is refused (not even checked) until the lock ends
    during = T0 + dt.timedelta(minutes=auth.LOCK_MINUTES - 1)
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(store, "ana@dishub.test", PW, clock(during))
    assert e.value.code == "auth.failed"
    assert auth.checked_attempts(store, "ana@dishub.test") == auth.MAX_FAILURES
    after = T0 + dt.timedelta(minutes=auth.LOCK_MINUTES)
    user = auth.authenticate(store, "ana@dishub.test", PW, clock(after))
    assert user.email == "ana@dishub.test"
    assert auth.failures_in_a_row(store, "ana@dishub.test", after) == 0


def test_success_resets_the_failure_count(store) -> None:
    with pytest.raises(auth.AuthError):
        auth.authenticate(store, "ana@dishub.test", "salah", clock(T0))
    assert auth.failures_in_a_row(store, "ana@dishub.test", T0) == 1
    auth.authenticate(store, "ana@dishub.test", PW, clock(T0))
    assert auth.failures_in_a_row(store, "ana@dishub.test", T0) == 0


def test_unknown_addresses_are_locked_the_same_way(store) -> None:
    """Five failures for an address nobody has: its attempts stop being checked too (the same as a real
    account), so "locked" never tells an account exists."""
    for _ in range(auth.MAX_FAILURES + 2):
        with pytest.raises(auth.AuthError) as e:
            auth.authenticate(store, "tidak-ada@dishub.test", "apa saja", clock(T0))
        assert e.value.code == "auth.failed"
    assert auth.checked_attempts(store, "tidak-ada@dishub.test") == auth.MAX_FAILURES


def test_deactivated_account_is_refused_with_the_same_message(store) -> None:
    from dataclasses import replace

    store.save_user(replace(store.read_users()[0][0], active=False))
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(store, "ana@dishub.test", PW, clock(T0))
    assert e.value.code == "auth.failed"


def test_a_new_password_lifts_the_lock(store) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(auth.AuthError):
            auth.authenticate(store, "ana@dishub.test", "salah", clock(T0))
    auth.set_password(store, store.read_users()[0][0], "sandi-baru-panjang")
    assert auth.authenticate(store, "ana@dishub.test", "sandi-baru-panjang", clock(T0)).email == "ana@dishub.test"


@pytest.mark.parametrize("backend", ["sqlite", "gsheets"])
def test_parallel_guessers_in_threads_get_five_checks_in_all(tmp_path, backend) -> None:  # noqa: ANN001
    """Twenty threads guess at once (each with its own store object, as each server session would): exactly
    MAX_FAILURES of the guesses are checked, and the right password is refused afterwards."""
    import threading

    if backend == "sqlite":
        def make():  # type: ignore[no-untyped-def]
            return SQLiteStore(tmp_path / "g.db")
    else:
        from test_gsheets_store import gsheets_factory

        first = gsheets_factory(tmp_path)
        key = first.spreadsheet_id  # type: ignore[attr-defined]

        def make():  # type: ignore[no-untyped-def]
            from test_gsheets_store import shared_fake

            from fakes.sheets_server import connect
            from sopkit.store.gsheets import GSheetsStore

            store = GSheetsStore(connect(shared_fake()), key, sleep=lambda s: None)
            store._lock = threading.RLock()  # as if in another process: no lock shared with the others
            return store
    setup = make()
    setup.init()
    setup.save_user(User("ana@dishub.test", "Ana", ("officer",), password_hash=auth.hash_password(PW, **FAST)))
    barrier = threading.Barrier(20)
    codes: list[str] = []

    def guess(n: int) -> None:
        store = make()
        barrier.wait()
        try:
            auth.authenticate(store, "ana@dishub.test", f"salah-{n}", clock(T0))
        except auth.AuthError as e:
            codes.append(e.code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == ["auth.failed"] * 20
    assert auth.checked_attempts(setup, "ana@dishub.test") == auth.MAX_FAILURES
    with pytest.raises(auth.AuthError):
        auth.authenticate(setup, "ana@dishub.test", PW, clock(T0))


@pytest.mark.parametrize("password,ok", [("pendek", False), ("cukup-panjang", True)])
def test_set_password(store, password, ok) -> None:
    user = store.read_users()[0][0]
    if ok:
        auth.set_password(store, user, password)
        assert auth.authenticate(store, user.email, password, clock(T0))
    else:
        with pytest.raises(auth.AuthError):
            auth.set_password(store, user, password)
