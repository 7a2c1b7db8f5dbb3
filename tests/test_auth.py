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


@pytest.mark.parametrize("email,password,code", [
    ("ana@dishub.test", "salah", "auth.bad_credentials"),
    ("nobody@dishub.test", PW, "auth.bad_credentials"),  # same message: the account's existence is not revealed
    ("", "", "auth.bad_credentials"),
])
def test_refusals(store, email, password, code) -> None:
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(store, email, password, clock(T0))
    assert e.value.code == code


def test_email_is_case_insensitive(store) -> None:
    assert auth.authenticate(store, "  ANA@Dishub.test ", PW, clock(T0)).email == "ana@dishub.test"


def test_lockout_after_max_failures_then_release(store) -> None:
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(auth.AuthError, match="Wrong"):
            auth.authenticate(store, "ana@dishub.test", "salah", clock(T0))
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(store, "ana@dishub.test", "salah", clock(T0))
    assert e.value.code == "auth.locked"
    # locked: even the right password is refused until the lock ends
    during = T0 + dt.timedelta(minutes=auth.LOCK_MINUTES - 1)
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(store, "ana@dishub.test", PW, clock(during))
    assert e.value.code == "auth.locked"
    after = T0 + dt.timedelta(minutes=auth.LOCK_MINUTES)
    user = auth.authenticate(store, "ana@dishub.test", PW, clock(after))
    assert (user.failed_logins, user.locked_until) == (0, "")
    [stored] = store.read_users()[0]
    assert (stored.failed_logins, stored.locked_until) == (0, "")


def test_success_resets_the_failure_count(store) -> None:
    with pytest.raises(auth.AuthError):
        auth.authenticate(store, "ana@dishub.test", "salah", clock(T0))
    assert store.read_users()[0][0].failed_logins == 1
    auth.authenticate(store, "ana@dishub.test", PW, clock(T0))
    assert store.read_users()[0][0].failed_logins == 0


def test_deactivated_account_is_refused_only_after_the_password_checks(store) -> None:
    from dataclasses import replace

    store.save_user(replace(store.read_users()[0][0], active=False))
    with pytest.raises(auth.AuthError) as e:
        auth.authenticate(store, "ana@dishub.test", PW, clock(T0))
    assert e.value.code == "auth.inactive"


@pytest.mark.parametrize("password,ok", [("pendek", False), ("cukup-panjang", True)])
def test_set_password(store, password, ok) -> None:
    user = store.read_users()[0][0]
    if ok:
        auth.set_password(store, user, password)
        assert auth.authenticate(store, user.email, password, clock(T0))
    else:
        with pytest.raises(auth.AuthError):
            auth.set_password(store, user, password)
