"""Local accounts for the embedded mode: salted, slow password hashes and a lock-out after repeated failures.

Production signs in with OIDC (``st.login``) and only maps the e-mail to a Users row; this module is for the
offline desk. Hashes are stdlib scrypt (``hashlib.scrypt``) stored as ``scrypt$n$r$p$salt$hash`` (base64), so the
cost can be raised later without invalidating old hashes.

The lock-out cannot be raced: every attempt is first *appended* to the store's sign-in ledger (any e-mail address,
known or not) and only then is its password checked, and only if fewer than ``MAX_FAILURES`` checked attempts of
that address failed in the last ``LOCK_MINUTES`` (since its last success). The ledger is append-only and ordered
(a SQLite transaction; rows appended to the SignIns tab on Google Sheets), so twenty guessers at once get exactly
``MAX_FAILURES`` checks between them, whichever process or host they run on. Every refusal (wrong password,
unknown e-mail, locked, deactivated) is the same message after the same work, so no answer tells whether an
account exists.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import replace

from .schema import User
from .store.base import SignInEvent, Store
from .timeutil import AGENCY_TZ, Now, server_now

__all__ = ["AGENCY_TZ", "AuthError", "authenticate", "checked_attempts", "hash_password", "set_password",
           "verify_password"]

#: scrypt cost: n=2**14, r=8 takes ~16 MB and ~50 ms per check — slow for a guesser, quick for a person.
N, R, P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10


FAILED = "auth.failed"


class AuthError(Exception):
    """Sign-in refused; ``code`` is for translation, the message never says whether the account exists."""

    def __init__(self, code: str = FAILED, message: str = "Could not sign in."):
        super().__init__(message)
        self.code = code


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hash_password(password: str, *, n: int = N, r: int = R, p: int = P) -> str:
    if not password:
        raise ValueError("empty password")
    salt = secrets.token_bytes(SALT_BYTES)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=2**26)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; a malformed or empty hash never matches."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key, validate=True)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt, validate=True), n=int(n),
                             r=int(r), p=int(p), dklen=len(expected), maxmem=2**26)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY = hash_password(secrets.token_hex(8))


def password_problem(password: str) -> str | None:
    """Why a new password is refused (an i18n key), or None."""
    if len(password) < MIN_PASSWORD:
        return "auth.password_short"
    return None


def _walk(events: Iterable[SignInEvent]) -> Iterable[tuple[SignInEvent, bool, list[dt.datetime]]]:
    """Each event of one address, in ledger order: whether it is an attempt whose password is checked, and the
    failed checks that count after it (within ``LOCK_MINUTES``, since the last success)."""
    window = dt.timedelta(minutes=LOCK_MINUTES)
    failures: list[dt.datetime] = []
    for event in events:
        checked = False
        if event.kind == "success":
            failures = []
        elif event.kind == "attempt":
            failures = [t for t in failures if event.at - t < window]
            checked = len(failures) < MAX_FAILURES
            if checked:
                failures = [*failures, event.at]  # counts as failed until its success is recorded
        yield event, checked, failures


def checked_attempts(store: Store, email: str) -> int:
    """How many of the address's attempts had their password checked (for tests and the admin)."""
    return sum(1 for _, checked, _ in _walk(store.read_sign_ins(email.strip().lower())) if checked)


def failures_in_a_row(store: Store, email: str, now: dt.datetime) -> int:
    """Failed checks of the address that still count towards the lock-out at ``now``."""
    window = dt.timedelta(minutes=LOCK_MINUTES)
    walked = list(_walk(store.read_sign_ins(email.strip().lower())))
    failures = walked[-1][2] if walked else []
    return sum(1 for t in failures if now - t < window)


def authenticate(store: Store, email: str, password: str, now: Now = server_now) -> User:
    """The user for these credentials, or AuthError (always the same one). The attempt is counted before the
    password is checked; after ``MAX_FAILURES`` failed checks within ``LOCK_MINUTES`` the address's attempts are
    not checked at all until the oldest of them is that old; a success resets the count."""
    email = email.strip().lower()
    attempt, events, user = store.record_sign_in(email, now())
    checked = next((c for e, c, _ in _walk(events) if e.id == attempt), False)
    stored = user.password_hash if user is not None else ""
    if not checked or not stored:
        verify_password(password, _DUMMY)  # the same work as a real check: timing reveals nothing
        raise AuthError()
    if not verify_password(password, stored) or user is None or not user.active:
        raise AuthError()
    store.record_sign_in_success(email, attempt, now())
    return user


def set_password(store: Store, user: User, password: str) -> User:
    problem = password_problem(password)
    if problem:
        raise AuthError(problem, f"The password must have at least {MIN_PASSWORD} characters.")
    user = replace(user, password_hash=hash_password(password), failed_logins=0, locked_until="")
    store.save_user(user)
    store.record_sign_in_success(user.email, "", server_now())  # a new password lifts a lock-out
    return user
