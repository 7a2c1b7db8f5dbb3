"""Sign-in sessions (``sopkit.sessions``) on a real store: tokens, expiry, revocation by sign-out, password, role
and deactivation, OIDC sign-ins, the per-process recheck memory, and revocation seen by another process."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from sopkit import auth, sessions
from sopkit.schema import User
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ

T0 = dt.datetime(2026, 11, 23, 7, 30, tzinfo=AGENCY_TZ)
CONFIG = sessions.SessionConfig(secret="s3cret-for-tests")


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "s.db")
    s.init()
    s.save_user(User("ani@dishub.go.id", "Ani", ("officer",), password_hash=auth.hash_password("kata-sandi-ani")))
    return s


def ani(store: SQLiteStore) -> User:
    return next(u for u in store.read_users()[0] if u.email == "ani@dishub.go.id")


def at(t: dt.datetime):  # type: ignore[no-untyped-def]
    return lambda: t


def test_token_round_trip_and_the_store_never_holds_it(store: SQLiteStore) -> None:
    token, record = sessions.issue(store, ani(store), CONFIG, now=at(T0))
    sid = sessions.session_id(token, CONFIG)
    assert sid == record.id and len(sid) == 64
    assert token not in repr(store.get_session(sid)) and token.split(".")[0] not in repr(store.get_session(sid))
    assert sessions.check(store, sid, now=at(T0 + dt.timedelta(hours=9))).email == "ani@dishub.go.id"
    assert record.expires_at == "2026-11-23T17:30:00.000+07:00"  # a working day (10 h by default), to the ms


@pytest.mark.parametrize("tamper", ["signature", "payload", "other-secret"])
def test_forged_or_foreign_tokens_are_refused_before_the_store(store: SQLiteStore, tamper: str) -> None:
    token, _ = sessions.issue(store, ani(store), CONFIG)
    if tamper == "signature":
        bad = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    elif tamper == "payload":
        bad = "x" + token[1:]
    else:
        bad = sessions.issue(store, ani(store), sessions.SessionConfig(secret="another"))[0]
    assert sessions.session_id(bad, CONFIG) is None


def test_expired_token_and_expired_row_are_refused(store: SQLiteStore) -> None:
    short = replace(CONFIG, lifetime=dt.timedelta(seconds=1))
    token, record = sessions.issue(store, ani(store), short, now=at(T0))
    with pytest.raises(sessions.Refused) as e:
        sessions.check(store, record.id, now=at(T0 + dt.timedelta(seconds=1)))
    assert e.value.code == "session.expired"
    import time

    time.sleep(2.1)  # itsdangerous dates the token with the real clock
    assert sessions.session_id(token, short) is None


@pytest.mark.parametrize("change,code", [
    ("sign_out", "session.signed_out"),
    ("password", "session.changed"),
    ("roles", "session.changed"),
    ("deactivate", "session.inactive"),
    ("delete", "session.inactive"),
    ("reactivate", "session.signed_out"),  # refused while deactivated, then reactivated: it stays dead
])
def test_every_change_to_the_account_revokes_its_sessions(store: SQLiteStore, change: str, code: str) -> None:
    _, record = sessions.issue(store, ani(store), CONFIG, now=at(T0))
    _, other = sessions.issue(store, ani(store), CONFIG, now=at(T0))  # a second browser
    user = ani(store)
    if change == "sign_out":
        sessions.revoke(store, record.id, now=at(T0))
    elif change == "password":
        auth.set_password(store, user, "kata-sandi-baru-ani")
    elif change == "roles":
        store.save_user(replace(user, roles=("officer", "creator")))
    elif change == "deactivate":
        store.save_user(replace(user, active=False))
    elif change == "delete":
        store._conn().execute('DELETE FROM "Users" WHERE email = ?', (user.email,))
    else:
        store.save_user(replace(user, active=False))
        for sid in (record.id, other.id):  # both browsers' next clicks, while the account is off
            with pytest.raises(sessions.Refused):
                sessions.check(store, sid, now=at(T0))
        store.save_user(replace(user, active=True))
    with pytest.raises(sessions.Refused) as e:
        sessions.check(store, record.id, now=at(T0 + dt.timedelta(minutes=1)))
    assert e.value.code == code
    # a sign-out ends that browser's session only; an account change ends all of them
    if change == "sign_out":
        assert sessions.check(store, other.id, now=at(T0)).email == user.email
    else:
        with pytest.raises(sessions.Refused):
            sessions.check(store, other.id, now=at(T0))


def test_a_failed_sign_in_or_a_new_name_does_not_sign_anyone_out(store: SQLiteStore) -> None:
    _, record = sessions.issue(store, ani(store), CONFIG, now=at(T0))
    with pytest.raises(auth.AuthError):
        auth.authenticate(store, "ani@dishub.go.id", "salah-sandi!!")
    store.save_user(replace(ani(store), name="Ani Rahmawati"))
    assert sessions.check(store, record.id, now=at(T0)).name == "Ani Rahmawati"


def test_unknown_session_and_hand_edited_expiry(store: SQLiteStore) -> None:
    with pytest.raises(sessions.Refused) as e:
        sessions.check(store, "0" * 64)
    assert e.value.code == "session.unknown"
    _, record = sessions.issue(store, ani(store), CONFIG, now=at(T0))
    store.save_session(replace(record, expires_at="besok sore"))
    with pytest.raises(sessions.Refused) as e:
        sessions.check(store, record.id, now=at(T0))
    assert e.value.code == "session.expired"


def test_sign_in_purges_rows_expired_for_a_day(store: SQLiteStore) -> None:
    _, old = sessions.issue(store, ani(store), CONFIG, now=at(T0 - dt.timedelta(days=3)))
    _, recent = sessions.issue(store, ani(store), CONFIG, now=at(T0 - dt.timedelta(hours=12)))
    sessions.issue(store, ani(store), CONFIG, now=at(T0))
    assert store.get_session(old.id) is None and store.get_session(recent.id) is not None


def claims(email: str = "ani@dishub.go.id", iat: dt.datetime = T0, nonce: str = "n1") -> dict[str, object]:
    return {"iss": "http://127.0.0.1:9/", "sub": "ani", "iat": int(iat.timestamp()), "nonce": nonce,
            "email": email, "is_logged_in": True}


def test_oidc_sign_in_is_recorded_once_and_revocable(store: SQLiteStore) -> None:
    user = sessions.check_oidc(store, claims(), CONFIG, now=at(T0))
    assert user.email == "ani@dishub.go.id"
    sid = sessions.oidc_session_id(claims())
    assert sid and store.get_session(sid) and store.get_session(sid).kind == "oidc"  # type: ignore[union-attr]
    assert sessions.check_oidc(store, claims(), CONFIG, now=at(T0 + dt.timedelta(hours=1))).email == user.email
    sessions.revoke(store, sid)
    with pytest.raises(sessions.Refused) as e:  # the other tab still holds the same st.user
        sessions.check_oidc(store, claims(), CONFIG, now=at(T0 + dt.timedelta(hours=1)))
    assert e.value.code == "session.signed_out"
    # signing in again with the provider gives a new identity token (new iat, new nonce): a new session
    again = claims(iat=T0 + dt.timedelta(hours=2), nonce="n2")
    assert sessions.check_oidc(store, again, CONFIG, now=at(T0 + dt.timedelta(hours=2))).email == user.email


@pytest.mark.parametrize("case,code", [
    ("unknown", "signin.no_account"), ("inactive", "session.inactive"), ("old", "session.expired"),
    ("no_claims", "session.no_claims"),
])
def test_oidc_refusals(store: SQLiteStore, case: str, code: str) -> None:
    c = claims()
    if case == "unknown":
        c = claims("orang.lain@dishub.go.id")
    elif case == "inactive":
        store.save_user(replace(ani(store), active=False))
    elif case == "old":
        c = claims(iat=T0 - dt.timedelta(hours=11))
    else:
        c = {"email": "ani@dishub.go.id", "is_logged_in": True}
    with pytest.raises(sessions.Refused) as e:
        sessions.check_oidc(store, c, CONFIG, now=at(T0))
    assert e.value.code == code


def _counted(store: SQLiteStore, start: float) -> tuple[dict[str, float], sessions.Checker, str,
                                                        Callable[[], User], list[int]]:
    """A 15 s checker on a settable clock, a fresh session of Ani's and a check of it that counts its calls."""
    clock = {"t": start}
    checker = sessions.Checker(15, clock=lambda: clock["t"])
    _, record = sessions.issue(store, ani(store), CONFIG)
    calls: list[int] = []

    def check() -> User:
        calls.append(1)
        return sessions.check(store, record.id)

    return clock, checker, record.id, check, calls


def test_checker_remembers_for_its_seconds_and_forgets_on_demand(store: SQLiteStore) -> None:
    clock, checker, sid, check, calls = _counted(store, 0.0)
    record = store.get_session(sid)
    assert record is not None
    assert checker(record.id, check).email == "ani@dishub.go.id"
    sessions.revoke(store, record.id)
    clock["t"] = 14.0
    assert checker(record.id, check).email == "ani@dishub.go.id" and len(calls) == 1  # remembered
    clock["t"] = 15.0
    with pytest.raises(sessions.Refused):
        checker(record.id, check)
    assert len(calls) == 2
    checker.forget()
    with pytest.raises(sessions.Refused):
        checker(record.id, check)
    assert len(calls) == 3
    zero = sessions.Checker(0)
    with pytest.raises(sessions.Refused):
        zero(record.id, check)
    with pytest.raises(sessions.Refused):
        zero(record.id, check)
    assert len(calls) == 5  # 0 s: every call reads the store


def test_checker_remembers_from_when_its_data_was_read_not_from_the_check(store: SQLiteStore) -> None:
    """The bound a sign-out elsewhere is seen within: ``seconds`` after the data was read, wherever it came from
    (the desk's snapshot, read ``age`` seconds before the check)."""
    clock, checker, sid, check, calls = _counted(store, 100.0)
    record = store.get_session(sid)
    assert record is not None
    assert checker.usable(14.9) and not checker.usable(15) and not checker.usable(-1)
    assert checker(record.id, check, age=10).email == "ani@dishub.go.id"  # data read at t = 90
    clock["t"] = 104.9
    checker(record.id, check)
    assert len(calls) == 1  # remembered
    clock["t"] = 105.0
    checker(record.id, check)
    assert len(calls) == 2  # 15 s after the data, not after the check
    checker.forget()  # a local change: data read before it may not answer, even when young
    assert not checker.usable(1) and checker.usable(0) is False
    clock["t"] = 106.0
    assert checker.usable(0.5) and not checker.usable(1.5)
    assert not sessions.Checker(0).usable(0)  # 0 s (SQLite): every check reads the store


def test_check_answers_from_known_sessions_and_reads_one_it_does_not_hold(store: SQLiteStore) -> None:
    class Counting(SQLiteStore):
        reads: list[str] = []

        def get_session(self, session_id: str):  # type: ignore[no-untyped-def]
            self.reads.append("session")
            return super().get_session(session_id)

        def read_users(self):  # type: ignore[no-untyped-def]
            self.reads.append("users")
            return super().read_users()

    counting = Counting(store.path)
    _, record = sessions.issue(store, ani(store), CONFIG)
    known = sessions.Known({record.id: record}, [ani(store)])
    assert sessions.check(counting, record.id, known=known).email == "ani@dishub.go.id"
    assert counting.reads == []  # no read: the snapshot's Sessions and Users answered
    _, newer = sessions.issue(store, ani(store), CONFIG)  # signed in since that read
    assert sessions.check(counting, newer.id, known=known).email == "ani@dishub.go.id"
    assert counting.reads == ["session", "users"]
    gone = sessions.Known({record.id: replace(record, revoked_at=T0.isoformat())}, [ani(store)])
    with pytest.raises(sessions.Refused) as e:
        sessions.check(counting, record.id, known=gone)
    assert e.value.code == "session.signed_out"
    changed = sessions.Known({record.id: record}, [replace(ani(store), roles=("creator",))])
    with pytest.raises(sessions.Refused) as e:
        sessions.check(counting, record.id, known=changed)
    assert e.value.code == "session.changed" and store.get_session(record.id).revoked_at  # type: ignore[union-attr]


def test_deactivation_by_another_process_refuses_the_session_at_once(store: SQLiteStore) -> None:
    _, record = sessions.issue(store, ani(store), CONFIG)
    assert sessions.check(store, record.id).active
    subprocess.run([sys.executable, "-m", "sopkit", "users", "deactivate", "ani@dishub.go.id"], check=True,
                   timeout=60, cwd=Path(__file__).resolve().parents[1],
                   env={**os.environ, "SOPKIT_STORE": f"sqlite:///{store.path}",
                        "SOPKIT_SECRETS": str(store.path.parent / "none.toml")})
    with pytest.raises(sessions.Refused) as e:
        sessions.check(store, record.id)
    assert e.value.code == "session.inactive"


def test_config_key_file_is_made_once_private_and_shared(tmp_path: Path) -> None:
    key = tmp_path / "data" / "session.key"
    a = sessions.load_config({}, key)
    b = sessions.load_config({}, key)
    assert a.secret == b.secret and len(a.secret) == 64
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert a.lifetime == dt.timedelta(hours=10) and a.recheck_seconds == 0
    assert sessions.load_config({}, key, counts_api_calls=True).recheck_seconds == 15  # Google Sheets
    c = sessions.load_config({"secret": "from-secrets", "hours": "8.5", "recheck_seconds": 5}, key)
    assert (c.secret, c.lifetime, c.recheck_seconds) == ("from-secrets", dt.timedelta(hours=8.5), 5)
    for bad in ({"hours": "sehari"}, {"hours": 0}, {"recheck_seconds": -1}):
        with pytest.raises(ValueError):
            sessions.load_config(bad, key)
