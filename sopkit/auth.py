"""Local accounts for the embedded mode: salted, slow password hashes and a lock-out after repeated failures.

Production signs in with OIDC (``st.login``) and only maps the e-mail to a Users row; this module is for the
offline desk. Hashes are stdlib scrypt (``hashlib.scrypt``) stored as ``scrypt$n$r$p$salt$hash`` (base64), so the
cost can be raised later without invalidating old hashes. Failures are counted on the Users row
(``failed_logins``, ``locked_until``) so every server process sees the same count.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import replace

from .schema import User
from .store.base import Store
from .timeutil import Now, parse_iso, server_now, to_iso

#: scrypt cost: n=2**14, r=8 takes ~16 MB and ~50 ms per check — slow for a guesser, quick for a person.
N, R, P = 2**14, 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10


class AuthError(Exception):
    """Sign-in refused; ``code`` is for translation, the message never says whether the account exists."""

    def __init__(self, code: str, message: str):
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


def locked_until(user: User) -> dt.datetime | None:
    if not user.locked_until.strip():
        return None
    try:
        return parse_iso(user.locked_until)
    except ValueError:
        return None


def authenticate(store: Store, email: str, password: str, now: Now = server_now) -> User:
    """The user for these credentials, or AuthError. Counts failures and locks the account for
    ``LOCK_MINUTES`` after ``MAX_FAILURES`` in a row; a success resets the count."""
    email = email.strip().lower()
    users, _ = store.read_users()
    user = next((u for u in users if u.email == email), None)
    at = now()
    if user is None or not user.password_hash:
        verify_password(password, _DUMMY)  # same work as a real check: timing does not reveal accounts
        raise AuthError("auth.bad_credentials", "Wrong e-mail or password.")
    until = locked_until(user)
    if until is not None and at < until:
        raise AuthError("auth.locked", f"Too many failed sign-ins; try again after {to_iso(until)}.")
    if not verify_password(password, user.password_hash):
        failed = user.failed_logins + 1
        lock = to_iso(at + dt.timedelta(minutes=LOCK_MINUTES)) if failed >= MAX_FAILURES else ""
        store.save_user(replace(user, failed_logins=0 if lock else failed, locked_until=lock))
        if lock:
            raise AuthError("auth.locked", f"Too many failed sign-ins; try again after {lock}.")
        raise AuthError("auth.bad_credentials", "Wrong e-mail or password.")
    if not user.active:
        raise AuthError("auth.inactive", "This account is deactivated.")
    if user.failed_logins or user.locked_until:
        user = replace(user, failed_logins=0, locked_until="")
        store.save_user(user)
    return user


def set_password(store: Store, user: User, password: str) -> User:
    problem = password_problem(password)
    if problem:
        raise AuthError(problem, f"The password must have at least {MIN_PASSWORD} characters.")
    user = replace(user, password_hash=hash_password(password), failed_logins=0, locked_until="")
    store.save_user(user)
    return user
