"""The browser's session cookie: read from the request that opened the session, written by a component.

Reading needs no component: ``st.context.cookies`` holds the cookies the browser sent when it opened this
session's websocket (a refresh or a new tab opens a new one), which is exactly when a sign-in is restored.

Writing uses ``extra_streamlit_components.CookieManager`` (universal-cookie in a same-origin component frame):
a cookie can only be set from the browser, and a maintained component beats hand-written JavaScript. Its writes
happen when its frame runs, after the script run that asked for them, so a write is queued in session state
(:func:`set_later`, :func:`delete_later`, callable from button callbacks) and drawn by :func:`render` (from the
sidebar of every page, signed in or not) until the frame confirms it.

The cookie is ``SameSite=Strict``, ``Secure`` when the desk is served over https, and expires with its session.
A script can read it (a component cannot set ``HttpOnly``); the token alone is worth little: it is refused once
its session is signed out, expired or its user changed (``sopkit.sessions``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from typing import Any
from urllib.parse import unquote

import streamlit as st

PENDING_KEY = "_sopkit_cookie_writes"  # [(widget key, op, name, value, expires ISO, secure)]
DONE_KEY = "_sopkit_cookie_done"  # name -> (op, value) of the last write the browser confirmed
_SERIAL = itertools.count(1)


def incoming(name: str) -> str | None:
    """The cookie as the browser sent it when this session opened (None if absent), decoded the way
    universal-cookie encoded it (``encodeURIComponent``)."""
    try:
        value = st.context.cookies.get(name)
    except (AttributeError, RuntimeError):
        return None
    return unquote(str(value)) if value else None


def served_over_https() -> bool:
    """True when the browser reached the desk by https (directly, or through a proxy that says so)."""
    try:
        url = str(st.context.url or "")
        proto = str(st.context.headers.get("X-Forwarded-Proto", "") or "")
    except (AttributeError, RuntimeError):
        return False
    return url.startswith("https://") or proto.split(",")[0].strip().lower() == "https"


def set_later(name: str, value: str, expires: dt.datetime) -> None:
    _queue(("set", name, value, expires.isoformat(), served_over_https()))


def delete_later(name: str) -> None:
    _queue(("delete", name, "", "", False))


def _queue(op: tuple[str, str, str, str, bool]) -> None:
    """Queue a write unless the same one is waiting or was the last one done (a page may ask on every run)."""
    done: dict[str, tuple[str, str]] = st.session_state.setdefault(DONE_KEY, {})
    writes: list[tuple[Any, ...]] = st.session_state.setdefault(PENDING_KEY, [])
    if any(w[2] == op[1] and (w[1], w[3]) == (op[0], op[2]) for w in writes) or done.get(op[1]) == (op[0], op[2]):
        return
    # a newer write of the same cookie replaces an older one still waiting
    writes[:] = [w for w in writes if w[2] != op[1]]
    writes.append((f"w_cookie_{next(_SERIAL)}", *op))


def render() -> None:
    """Draw the component for every queued write the browser has not confirmed yet (confirmed ones are dropped)."""
    writes = st.session_state.get(PENDING_KEY) or []
    done: dict[str, tuple[str, str]] = st.session_state.setdefault(DONE_KEY, {})
    waiting = []
    for w in writes:
        if st.session_state.get(w[0]) is True:
            done[w[2]] = (w[1], w[3])
        else:
            waiting.append(w)
    st.session_state[PENDING_KEY] = waiting
    if not waiting:
        return
    from extra_streamlit_components import CookieManager

    manager = CookieManager(key="w_cookie_manager")
    for key, op, name, value, expires, secure in waiting:
        if op == "set":
            manager.set(name, value, key=key, path="/", expires_at=dt.datetime.fromisoformat(expires),
                        secure=secure or None, same_site="strict")
        else:
            with contextlib.suppress(KeyError):  # it drops the name from its own copy, which may lack it
                manager.delete(name, key=key)
