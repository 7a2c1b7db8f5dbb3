"""Small display pieces the pages share. Staff text is always shown as text, never as HTML."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pandas as pd
import streamlit as st

from sopkit import i18n, sop
from sopkit.clock import WorkCalendar
from sopkit.i18n import has
from sopkit.markup import render_markdown
from sopkit.queues import Countdown, countdown, rules_for
from sopkit.schema import Item
from sopkit.settings import Settings
from sopkit.workflow import note_text

from . import session
from .session import t

_COLOURS: dict[str, Literal["green", "orange", "red", "gray"]] = {"ok": "green", "near": "orange", "late": "red",
                                                                  "waiting": "gray"}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


#: Items drawn per list; the rest are counted, not drawn (a page with hundreds of forms is slow and unusable).
PAGE_SIZE = 25


def calendar(settings: Settings | None = None) -> WorkCalendar:
    """One working-time calendar per session and settings (building its day table is the costly part)."""
    settings = settings or session.settings()[0]
    key = repr(sorted(settings.to_rows().items()))
    held: dict[str, WorkCalendar] = st.session_state.setdefault("_calendars", {})
    if key not in held:  # a few revisions at once: badges of steps started under different Settings
        while len(held) >= 8:
            held.pop(next(iter(held)))
        held[key] = WorkCalendar(settings)
    return held[key]


def capped(items: list[Item]) -> list[Item]:
    """The first ``PAGE_SIZE`` items (the list is already in SOP order: oldest first), saying how many wait."""
    if len(items) > PAGE_SIZE:
        st.caption(t("queue.capped", shown=PAGE_SIZE, total=len(items)))
    return items[:PAGE_SIZE]


def countdown_of(item: Item) -> Countdown:
    """The step's live countdown, judged, as the report and the notification job judge it, by the Settings
    revision in force when the step started."""
    settings = rules_for(item, session.history())
    return countdown(item, settings, now(), calendar(settings))


def clock_badge(item: Item) -> Countdown:
    """The step's live countdown (:func:`countdown_of`) as a coloured badge: amber near the limit, red when
    late."""
    c = countdown_of(item)
    if c.state == "waiting":
        label = t("clock.waiting", at=session.local(c.started_at))
    elif c.state == "late":
        label = t("clock.late", over=i18n.format_duration(-c.remaining_minutes, session.lang()),
                  deadline=session.local(c.deadline))
    else:  # "2 jam 15 menit", as staff say it (never "2:15 jam")
        label = t("clock.left", left=i18n.format_duration(c.remaining_minutes, session.lang()),
                  deadline=session.local(c.deadline))
    st.badge(label, color=_COLOURS[c.state])
    return c


def step_title(step: int) -> str:
    return f"{step}. " + i18n.step_title(sop.STEPS[step], session.lang())


def item_header(item: Item) -> None:
    st.markdown(f"**{_escape(item.title) or '—'}**")
    channels = ", ".join(channel_name(c) for c in item.channels) or "—"
    st.caption(f"{item.id} · {item.category or '—'} · {channels} · {step_title(item.step)}")


def escape(text: str) -> str:
    """Text that is not ours (staff input, library messages) made safe to put inside Markdown."""
    return _escape(text)


def _escape(text: str) -> str:
    """Markdown-safe: staff text must not become links, HTML or formatting in headers."""
    out = text.replace("\\", "\\\\")
    for ch in "*_`[]<>#|~$":
        out = out.replace(ch, "\\" + ch)
    return out


def article(body: str) -> None:
    """An article body as the channels will publish it: the one renderer (``sopkit.markup``), so pictures from
    other servers never load in a reviewer's browser (they show as their alt text) and raw HTML stays text."""
    if body.strip():
        st.html(render_markdown(body))
    else:
        st.text("—")


def plain(text: str) -> None:
    """Staff-written text shown exactly as typed (no Markdown, no HTML)."""
    st.text(text or "—")


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Column headers in the user's language; the frames themselves keep English names for the exports."""
    def name(column: str) -> str:
        key = next((f"{p}.{column}" for p in ("att", "col", "log") if has(f"{p}.{column}")), None)
        return t(key) if key else column

    return frame.rename(columns=name)


def times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with its timestamp ``columns`` (ISO text or datetimes) as staff read them (``session.local``)."""
    present = [c for c in columns if c in frame.columns]
    if not present or frame.empty:
        return frame
    # the language and zone once, each distinct value formatted once (a drill-down over a year has thousands of
    # rows; asking the Settings per cell was a tenth of the compliance page)
    lang, tz = session.lang(), session.settings()[0].tz
    shown: dict[object, str] = {}

    def one(v: object) -> str:
        if not isinstance(v, str | dt.datetime):  # None, NaN, NaT, pd.NA: format_iso's blank, never a dict key
            return i18n.format_iso(v, lang, tz)
        if v not in shown:
            shown[v] = i18n.format_iso(v, lang, tz)
        return shown[v]

    return frame.assign(**{c: [one(v) for v in frame[c]] for c in present})


def names() -> dict[str, str]:
    """Every known person's name by e-mail address (the address itself for someone with no name): the one lookup
    the pages use to show people by name, not by address."""
    return {u.email: u.name or u.email for u in session.snapshot().users}


def who(email: str) -> str:
    """A person's name (names, not e-mail addresses); the address only for someone the desk does not know, ``—``
    for nobody."""
    if not email:
        return "—"
    user = session.snapshot().user(email)
    return (user.name or user.email) if user else email


def person(email: str) -> str:
    """A person as a picker lists them: the name; "Nama (email)" only when another user has the same name, so an
    admin can tell the two apart (names, not e-mail addresses, everywhere else)."""
    users = session.snapshot().users
    user = next((u for u in users if u.email == email), None)
    if user is None or not user.name:
        return email or "—"
    twins = sum(1 for u in users if u.name.strip().casefold() == user.name.strip().casefold())
    return f"{user.name} ({user.email})" if twins > 1 else user.name


def channel_status(status: object) -> str:
    """A channel's state (``channels.base.ChannelState``, or none yet) in the user's language; never a KeyError."""
    return i18n.channel_status_title(status, session.lang())


def words(frame: pd.DataFrame) -> pd.DataFrame:
    """Log / attempt frames with their action, outcome and role words in the user's language (unknown words as
    they are: a hand-edited Log must not break a page)."""
    def action(v: object) -> str:
        name = f"action.{v}"
        return t(name) if has(name) else str(v)

    def role(v: object) -> str:
        return i18n.role_title(str(v), session.lang())

    out = frame
    def note(v: object) -> str:
        return note_text(v, session.lang(), who)

    for c, fn in (("action", action), ("outcome", action), ("role", role), ("note", note)):
        if c in out.columns and not out.empty:
            out = out.assign(**{c: [fn(v) for v in out[c]]})
    return out


def item_status(status: object) -> str:
    """An item's status (``sop.STATUSES``) in the user's language."""
    return i18n.status_title(status, session.lang())


def channel_name(code: str) -> str:
    """A channel's name as staff call it ("Situs web", "Facebook"); an unknown code as it is."""
    return i18n.channel_title(code, session.lang())


def item_link(item: Item) -> None:
    st.page_link("pages/item.py", label=t("item.open", id=item.id), query_params={"id": item.id})
