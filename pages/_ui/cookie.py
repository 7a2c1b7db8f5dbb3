"""The browser's session cookie: read from the request that opened the session, written by a script in the page.

Reading needs no component: ``st.context.cookies`` holds the cookies the browser sent when it opened this
session's websocket (a refresh or a new tab opens a new one), which is exactly when a sign-in is restored.

Writing: a cookie can only be set from the browser. :func:`set_later` and :func:`delete_later` (callable from
button callbacks) queue the write in session state and :func:`render` (last in the sidebar of every page, signed
in or not) draws it as an ``st.html`` script that assigns ``document.cookie`` and sends nothing back, so a cookie
write never makes the script run again.

Why not a component that answers (extra-streamlit-components' CookieManager, used before): every frame of it
sends a value back when it has run, and each value is a rerun request that arrives while the user is busy. A
rerun request that lands while a callback runs stops that callback at its next ``st.session_state`` access,
silently (Streamlit raises it there as ``RerunException`` and takes it for the callback's own ``st.rerun``;
streamlit/streamlit#10578): the sign-in form's callback had checked the password and stored a session but never
put it in this session's state, and the form came back still filled in. That is what a revoked cookie left in
the browser did on a shared office PC: the next person's session restored it, was refused, asked for the
delete, and the delete's answer arrived while they pressed Enter.

A drawn write stays in the queue (the latest per cookie) and is drawn again on every run, so a run that is cut
short before the sidebar, or a page that is redrawn, cannot lose it. The script keeps the ids of the writes it
has done in the page (``window``), so a redraw never repeats one: a tab that signed out long ago cannot undo
another tab's later sign-in. The script marks its element ``data-done`` once its writes are done (tests wait on
that).

The cookie is ``SameSite=Strict``, ``Secure`` when the desk is served over https, and expires with its session.
A script can read it (a page script cannot set ``HttpOnly``); the token alone is worth little: it is refused once
its session is signed out, expired or its user changed (``sopkit.sessions``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, unquote

import streamlit as st

PENDING_KEY = "_sopkit_cookie_writes"  # [(write id, op, name, value, expires ISO, secure)], the latest per name
MARK = "data-sopkit-cookie-writes"  # the attribute of the element that carries the writes (value: their ids)
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
_URI_SAFE = "-_.!~*'()"  # what encodeURIComponent leaves as it is (incoming() decodes with unquote)


def incoming(name: str) -> str | None:
    """The cookie as the browser sent it when this session opened (None if absent), percent-decoded."""
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
    _queue(("delete", name, "", "", served_over_https()))


def _queue(op: tuple[str, str, str, str, bool]) -> None:
    """Queue a write unless the same one is the latest for that cookie (a page may ask on every run); a newer
    write of the same cookie replaces the older one."""
    writes: list[tuple[Any, ...]] = st.session_state.setdefault(PENDING_KEY, [])
    if any(w[2] == op[1] and (w[1], w[3]) == (op[0], op[2]) for w in writes):
        return
    writes[:] = [w for w in writes if w[2] != op[1]]
    writes.append((secrets.token_hex(8), *op))  # random: ids outlive a server restart in the open page


def header(op: str, name: str, value: str, expires: str, secure: bool) -> str:
    """The ``document.cookie`` assignment for one write (value encoded as ``encodeURIComponent`` would)."""
    if op == "set":
        when = format_datetime(dt.datetime.fromisoformat(expires).astimezone(dt.UTC), usegmt=True)
        parts = [f"{name}={quote(value, safe=_URI_SAFE)}", "Path=/", f"Expires={when}"]
    else:
        parts = [f"{name}=", "Path=/", f"Expires={_EPOCH}", "Max-Age=0"]
    return "; ".join([*parts, "SameSite=Strict", *(["Secure"] if secure else [])])


def render() -> None:
    """Draw the queued writes (see the module's docstring); nothing when none was ever queued."""
    writes = st.session_state.get(PENDING_KEY) or []
    if not writes:
        return
    ids = " ".join(w[0] for w in writes)
    data = json.dumps([[w[0], header(*w[1:])] for w in writes]).replace("<", "\\u003c")
    st.html(f'<div {MARK}="{ids}"></div><script>(() => {{'
            f'const done = (window.__sopkitCookieWrites ||= new Set());'
            f'for (const [id, cookie] of {data}) {{ if (!done.has(id)) {{ document.cookie = cookie; done.add(id); }} }}'
            f'document.querySelectorAll(\'[{MARK}="{ids}"]\').forEach(e => e.setAttribute("data-done", "1"));'
            f'}})();</script>', unsafe_allow_javascript=True)
