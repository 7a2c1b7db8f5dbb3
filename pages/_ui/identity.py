"""Who is signed in, checked against the store on every call (``sopkit.sessions``). Never from the URL.

Two sources, both server-side: the embedded accounts' session (its store id in this session's state, put there
by the sign-in form or restored from the cookie the browser sent when the session opened), and the OIDC user
(``st.user``, Streamlit's own signed cookie) when ``[auth]`` is configured. Either way the answer is the Users
row as the store has it now: a sign-out in another tab, a deactivation or a role change ends the session on
the user's next click.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from sopkit import sessions
from sopkit.config import ROOT
from sopkit.permissions import PAGE_ROLES
from sopkit.schema import User
from sopkit.timeutil import parse_iso, server_now

from . import cookie, session

#: Why the last session was refused (an i18n key): shown above the sign-in form until the next sign-in.
REFUSED_KEY = "_sopkit_auth_refused"
RESTORED_KEY = "_sopkit_auth_cookie_tried"  # the cookie is tried once per browser session
NEXT_COOKIE = "sopkit_next"  # OIDC: the page to open after the provider sends the browser back to /
_NEXT = re.compile(r"^(?P<page>[a-z_]+)(?:\?id=(?P<id>[A-Za-z0-9_.:-]{1,64}))?$")


KEY_FILE = ROOT / "data" / "session.key"  # the tokens' key when [session] secret is not set


@st.cache_resource(show_spinner=False, max_entries=4)
def _config(url: str, section: tuple[tuple[str, Any], ...]) -> sessions.SessionConfig:
    counted = session.store().capabilities.counts_api_calls
    return sessions.load_config(dict(section), KEY_FILE, counts_api_calls=counted)


def config() -> sessions.SessionConfig:
    return _config(*session._key(), tuple(sorted(session.cfg().section("session").items())))


@st.cache_resource(show_spinner=False, max_entries=4)
def _checker(url: str, seconds: float) -> sessions.Checker:
    return sessions.Checker(seconds)


def checker() -> sessions.Checker:
    return _checker(*session._key(), config().recheck_seconds)


def _checked(key: str, check: Callable[[sessions.Known | None], User]) -> User:
    """``check`` through the recheck memory, answered from the process's snapshot (its one read serves the
    page and the sign-in check) when that was read recently enough, else from the store."""
    c = checker()
    known, age = session.sign_ins()
    if c.usable(age):
        return c(key, lambda: check(known), age=age)
    return c(key, lambda: check(None))


def oidc_enabled() -> bool:
    auth = session.cfg().section("auth")
    return bool(auth.get("client_id") or auth.get("providers"))


def current() -> User | None:
    sid = st.session_state.get(session.AUTH_KEY)
    if sid:
        try:
            return _checked(str(sid), lambda known: sessions.check(session.store(), str(sid), known=known))
        except sessions.Refused as e:
            _refuse(e.code)
            return None
    if oidc_enabled():
        return _oidc_user()
    return _restore()


def _restore() -> User | None:
    """A new browser session (refresh, new tab, pasted link): the sign-in its cookie carries, if still good."""
    if st.session_state.get(RESTORED_KEY):
        return None
    st.session_state[RESTORED_KEY] = True
    token = cookie.incoming(sessions.COOKIE)
    if not token:
        return None
    sid = sessions.session_id(token, config())
    if sid is None:  # forged, from another secret, or older than the lifetime
        cookie.delete_later(sessions.COOKIE)
        return None
    try:
        user = _checked(sid, lambda known: sessions.check(session.store(), sid, known=known))
    except sessions.Refused as e:
        cookie.delete_later(sessions.COOKIE)
        _refuse(e.code)
        return None
    st.session_state[session.AUTH_KEY] = sid
    return user


def _oidc_user() -> User | None:
    try:
        if not st.user.is_logged_in:
            return None
        claims = st.user.to_dict()
    except (AttributeError, KeyError):
        return None
    claims.pop("tokens", None)
    key = sessions.oidc_session_id(claims) or "oidc:none"
    try:
        return _checked(key, lambda known: sessions.check_oidc(session.store(), claims, config(), known=known))
    except sessions.Refused as e:
        st.session_state[REFUSED_KEY] = e.code
        return None


def oidc_signed_in_elsewhere() -> bool:
    """The provider signed this browser in, but the desk refused it (unknown e-mail, deactivated, signed out)."""
    try:
        return bool(oidc_enabled() and st.user.is_logged_in)
    except (AttributeError, KeyError):
        return False


def _refuse(code: str) -> None:
    st.session_state.pop(session.AUTH_KEY, None)
    st.session_state[REFUSED_KEY] = code


def refused_reason() -> str | None:
    """Kept until the next sign-in, so it does not blink away on the next rerun (a language switch, a typo)."""
    return st.session_state.get(REFUSED_KEY)


def signed_in(user: User) -> None:
    """After a good password: a new stored session, its id in this browser session and its token in the cookie."""
    token, record = sessions.issue(session.store(), user, config())
    checker().forget()
    st.session_state[session.AUTH_KEY] = record.id
    st.session_state.pop(REFUSED_KEY, None)
    cookie.set_later(sessions.COOKIE, token, parse_iso(record.expires_at))


def sign_out() -> None:
    """Revoke the stored session (every tab and host), forget it here and drop the cookie."""
    s = session.store()
    sid = st.session_state.pop(session.AUTH_KEY, None)
    if sid:
        sessions.revoke(s, str(sid))
        cookie.delete_later(sessions.COOKIE)
    elif oidc_enabled():
        try:
            claims = st.user.to_dict()
        except (AttributeError, KeyError):
            claims = {}
        oidc_id = sessions.oidc_session_id(claims)
        if oidc_id:
            sessions.revoke(s, oidc_id)
    checker().forget()


# -- OIDC: back to the linked page after the provider's round trip ------------------------------------------------
def remember_page(page: str) -> None:
    """Before ``st.login``: the provider sends the browser back to ``/``, so keep where it was going."""
    item = str(st.query_params.get("id", "") or "")
    target = page + (f"?id={item}" if item and page == "item" else "")
    if _NEXT.match(target) and page in PAGE_ROLES and page != "home":
        cookie.set_later(NEXT_COOKIE, target, server_now() + config().lifetime / 10)


def next_page() -> tuple[str, dict[str, str]] | None:
    """The page remembered before the provider's round trip (once per browser session), else None."""
    target = cookie.incoming(NEXT_COOKIE)
    if not target or st.session_state.get(RESTORED_KEY + "_next"):
        return None
    st.session_state[RESTORED_KEY + "_next"] = True
    cookie.delete_later(NEXT_COOKIE)
    m = _NEXT.match(target)
    if not m or m["page"] not in PAGE_ROLES:
        return None
    return m["page"], ({"id": m["id"]} if m["id"] else {})

