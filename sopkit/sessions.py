"""Sign-in sessions that survive a refresh and a new tab, and that the store can revoke at once.

A session is a row in the store's Sessions table (``schema.SessionRecord``) plus, for the embedded accounts, a
token in a browser cookie. The token is a random secret signed and time-stamped with ``itsdangerous`` (so a
forged or expired token is refused before the store is asked); the store keeps only the secret's SHA-256, so
whoever can read the Sessions table or sheet cannot sign in with it.

Every check re-reads the row and the user: a session is refused when it was signed out (``revoked_at``), when it
expired (``expires_at``, a working day by default), when the user is gone or deactivated, or when the user's
*stamp* changed since sign-in. The stamp is a digest of the password hash, the roles and the active flag, so a
password change, a role change or a deactivation revokes every session of that user on every host, with nothing
to remember to call. A session refused that way is marked revoked in the store, so reactivating the account does
not bring it back. OIDC sign-ins (``st.login``) get a row too, keyed by the identity token's claims, so that a
sign-out in one tab signs the user's other tabs out as well.

No Streamlit here: the desk (``pages._ui.session``) calls these functions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .schema import SessionRecord, User
from .store.base import Store
from .timeutil import Now, parse_iso, server_now, to_iso

COOKIE = "sopkit_session"
DEFAULT_HOURS = 10.0  # a working day (07.30-16.00 WIB and some slack): sign in once in the morning
SALT = "sopkit.session.v1"
PASSWORD, OIDC = "password", "oidc"
RECHECK_COUNTED = 15.0  # seconds a check is reused on a store whose reads count against a quota (Google Sheets)


@dataclass(frozen=True)
class SessionConfig:
    """``[session]`` in the secrets file: ``secret``, ``hours`` and ``recheck_seconds``."""

    secret: str
    lifetime: dt.timedelta = dt.timedelta(hours=DEFAULT_HOURS)
    recheck_seconds: float = 0.0  # 0: every check reads the store (SQLite); Sheets: a few seconds (API quota)


@dataclass(frozen=True)
class Known:
    """The Sessions and Users as one recent read of the whole store had them (the desk's snapshot): a check can
    answer from them instead of reading the two tables again."""

    sessions: Mapping[str, SessionRecord]
    users: Sequence[User]


def load_config(section: Mapping[str, Any], key_file: Path, counts_api_calls: bool = False) -> SessionConfig:
    """The session settings; without ``[session] secret`` a random key is made once in ``key_file`` (mode 0600).

    ``counts_api_calls``: the store's reads spend a shared quota (``Capabilities``), so a check is reused for
    ``RECHECK_COUNTED`` seconds unless ``recheck_seconds`` says otherwise. Several hosts sharing one store need
    the same ``secret`` (else a token from one host is refused on the other and the user signs in again:
    inconvenient, never unsafe)."""
    secret = str(section.get("secret") or "").strip() or _key_from_file(key_file)
    try:
        hours = float(section.get("hours", DEFAULT_HOURS))
        recheck = float(section.get("recheck_seconds", RECHECK_COUNTED if counts_api_calls else 0))
    except (TypeError, ValueError):
        raise ValueError("[session] hours and recheck_seconds must be numbers") from None
    if not 0 < hours <= 24 * 31 or recheck < 0:
        raise ValueError("[session] hours must be between 0 and 744, recheck_seconds 0 or more")
    return SessionConfig(secret, dt.timedelta(hours=hours), recheck)


def _key_from_file(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key


def stamp(user: User) -> str:
    """What a session is bound to: it changes with the password, the roles or the active flag."""
    text = "|".join((user.password_hash, ",".join(sorted(user.roles)), "1" if user.active else "0"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _serializer(config: SessionConfig) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret, salt=SALT)


def issue(store: Store, user: User, config: SessionConfig, now: Now = server_now) -> tuple[str, SessionRecord]:
    """A new session for a user who just proved their password: the cookie token and its stored row.

    Expired rows are purged on the way, so the table holds about one row per sign-in of the last day."""
    at = now()
    raw = secrets.token_urlsafe(32)
    record = SessionRecord(id=_digest(raw), email=user.email, kind=PASSWORD, created_at=to_iso(at),
                           expires_at=to_iso(at + config.lifetime), stamp=stamp(user))
    store.purge_sessions(at - dt.timedelta(days=1))
    store.save_session(record)
    return _serializer(config).dumps(raw), record


def session_id(token: str, config: SessionConfig) -> str | None:
    """The store id of a cookie token, or None when its signature is wrong or it is older than the lifetime."""
    try:
        raw = _serializer(config).loads(token, max_age=int(config.lifetime.total_seconds()))
    except (SignatureExpired, BadSignature):
        return None
    return _digest(raw) if isinstance(raw, str) else None


def oidc_session_id(claims: Mapping[str, Any]) -> str | None:
    """The id of an OIDC sign-in: the identity token's issuer, subject, issue time and nonce, which a new sign-in
    always changes. None when the claims lack them (then the sign-in cannot be bound and is refused)."""
    parts = [str(claims.get(k) or "") for k in ("iss", "sub", "iat", "nonce")]
    if not all(parts[:3]):
        return None
    return _digest("oidc|" + "|".join(parts))


class Refused(Exception):
    """The session may not be used; ``code`` is an i18n key saying why (shown above the sign-in form)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check(store: Store, sid: str, now: Now = server_now, known: Known | None = None) -> User:
    """The user of the stored session ``sid`` as the store has them now, or Refused. ``known``: a recent read
    of the Sessions and Users that may answer instead (a session it does not hold, made since, is read)."""
    record = known.sessions.get(sid) if known is not None else None
    if record is not None:
        return _valid(store, record, now(), known)
    record = store.get_session(sid)
    if record is None:
        raise Refused("session.unknown")
    return _valid(store, record, now())


def _valid(store: Store, record: SessionRecord, at: dt.datetime, known: Known | None = None) -> User:
    if record.revoked_at:
        raise Refused("session.signed_out")
    try:
        expired = parse_iso(record.expires_at) <= at
    except ValueError:
        expired = True
    if expired:
        raise Refused("session.expired")
    users = known.users if known is not None else store.read_users()[0]
    user = next((u for u in users if u.email == record.email), None)
    if user is not None and user.active and record.stamp == stamp(user):
        return user
    # for good: a deactivated account that is reactivated does not bring this session back
    store.save_session(replace(record, revoked_at=to_iso(at)))
    raise Refused("session.inactive" if user is None or not user.active else "session.changed")


def check_oidc(store: Store, claims: Mapping[str, Any], config: SessionConfig, now: Now = server_now,
               known: Known | None = None) -> User:
    """The desk user of an OIDC sign-in (``st.user``), recording the sign-in on first sight; or Refused.

    The e-mail must be a Users row, active; a sign-in older than the lifetime is refused (sign in again).
    ``known`` as for :func:`check`."""
    sid = oidc_session_id(claims)
    email = str(claims.get("email") or "").strip().lower()
    if sid is None or "@" not in email:
        raise Refused("session.no_claims")
    at = now()
    record = known.sessions.get(sid) if known is not None else None
    if record is not None:
        return _valid(store, record, at, known)
    record = store.get_session(sid)
    if record is None:
        users, _ = store.read_users()
        user = next((u for u in users if u.email == email), None)
        if user is None:
            raise Refused("signin.no_account")
        if not user.active:
            raise Refused("session.inactive")
        try:
            signed_in = dt.datetime.fromtimestamp(float(claims["iat"]), dt.UTC)
        except (TypeError, ValueError, OverflowError):
            raise Refused("session.no_claims") from None
        record = SessionRecord(id=sid, email=email, kind=OIDC, created_at=to_iso(signed_in),
                               expires_at=to_iso(min(signed_in, at) + config.lifetime), stamp=stamp(user))
        if signed_in + config.lifetime <= at:
            raise Refused("session.expired")
        store.purge_sessions(at - dt.timedelta(days=1))
        store.save_session(record)
    return _valid(store, record, at)


def revoke(store: Store, sid: str, now: Now = server_now) -> None:
    """Sign out: the row stays (so the same token or identity token is refused) with ``revoked_at`` set."""
    record = store.get_session(sid)
    if record is not None and not record.revoked_at:
        store.save_session(replace(record, revoked_at=to_iso(now())))


class Checker:
    """:func:`check` / :func:`check_oidc` with a per-process memory of ``recheck_seconds`` (Google Sheets: every
    check costs API reads, and the quota is shared by the whole desk). ``forget`` drops it after a local change
    (sign-in, sign-out, a user edited in the desk), so this host sees its own changes at once.

    Why the bound holds: an answer is remembered until ``seconds`` after the moment its *data* was read, not
    after the check. A check may answer from data read a moment earlier (the desk's snapshot, :class:`Known`;
    ``age`` says how long ago) only when :meth:`usable` allows: younger than ``seconds`` and read after the last
    ``forget``. So a sign-out or deactivation on another host ends the session here within ``seconds``, wherever
    the check's data came from."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = seconds, clock
        self._seen: dict[str, tuple[float, User | Refused]] = {}
        self._forgot = float("-inf")
        self._lock = threading.Lock()

    def usable(self, age: float) -> bool:
        """Whether data read ``age`` seconds ago may answer a check."""
        with self._lock:
            return self.seconds > 0 and 0 <= age < self.seconds and self.clock() - age > self._forgot

    def __call__(self, key: str, fn: Callable[[], User], *, age: float = 0.0) -> User:
        """``fn``'s answer, or the one remembered for ``key``. ``age``: how old the data ``fn`` answers from is (0:
        it reads the store now)."""
        if self.seconds > 0:
            with self._lock:
                hit = self._seen.get(key)
            if hit is not None and self.clock() - hit[0] < self.seconds:
                if isinstance(hit[1], Refused):
                    raise hit[1]
                return hit[1]
        read_at = self.clock() - age
        try:
            result: User | Refused = fn()
        except Refused as e:
            result = e
        if self.seconds > 0:
            with self._lock:
                if read_at >= self._forgot:  # a forget() while fn ran: its data may predate the local change
                    self._seen[key] = (read_at, result)
        if isinstance(result, Refused):
            raise result
        return result

    def forget(self) -> None:
        with self._lock:
            self._seen.clear()
            self._forgot = self.clock()
