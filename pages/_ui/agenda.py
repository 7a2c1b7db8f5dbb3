"""The supervisor's publication calendar: a month or week grid (``sopkit.agenda``) drawn as one HTML table.

Why a table and not a calendar component: a table of seven narrow columns stays a calendar on a 390 px phone
(Streamlit's ``st.columns`` stack under 640 px, turning a month into 35 boxes one under the other), needs no
JavaScript bundle or CDN, and its links are plain ``<a href="item?id=…">``: a click opens the item page (the
sign-in is restored from the session cookie). Titles are staff text: escaped, never markup.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import streamlit as st

from sopkit import agenda
from sopkit.channels.registry import names as channel_names
from sopkit.i18n import format_date, format_duration, format_month
from sopkit.schema import Item

from . import session, widgets
from .session import t

#: One colour per channel (the registry's order), readable as a left border on a white cell.
_PALETTE = ("#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#37474f", "#8d6e63")
COLOURS: dict[str, str] = dict(zip(channel_names(), _PALETTE, strict=False))
#: Entries drawn per day in the month view; the rest are counted ("+2 lagi") — the week view shows all.
MONTH_CELL = 3

_CSS = """<style>
.sk-cal{width:100%;border-collapse:collapse;table-layout:fixed;font-size:.8rem}
.sk-cal th{font-weight:600;padding:.2rem;text-align:center;border-bottom:1px solid #ccc}
.sk-cal td{vertical-align:top;border:1px solid #e0e0e0;padding:.15rem;height:5.2rem;overflow:hidden}
.sk-cal td.other{background:#f6f6f6;color:#999}
.sk-cal td.today{background:#fff8e1}
.sk-cal .d{font-weight:600;font-size:.75rem}
.sk-cal a.e{display:block;margin:.1rem 0;padding:.05rem .2rem;border-left:4px solid #888;background:#f1f5fb;
 color:#123;text-decoration:none;line-height:1.15;overflow-wrap:anywhere;
 display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.sk-cal.week a.e{display:block;-webkit-line-clamp:unset}
.sk-cal a.e.late{background:#fdecea;color:#8b0000;border-left-color:#c62828 !important;font-weight:600}
.sk-cal .more{font-size:.7rem;color:#555}
.sk-legend{font-size:.75rem;margin:.3rem 0}
.sk-legend span{display:inline-block;margin-right:.6rem;white-space:nowrap}
.sk-legend i{display:inline-block;width:.7rem;height:.7rem;margin-right:.2rem;vertical-align:middle}
@media (max-width:640px){.sk-cal{font-size:.68rem}.sk-cal td{height:4rem;padding:.1rem}
 .sk-cal a.e{border-left-width:3px;padding:0 .1rem}}
</style>"""


def _entry(e: agenda.Entry) -> str:
    lang = session.lang()
    when = f"{e.at.hour:02d}{':' if lang == 'en' else '.'}{e.at.minute:02d}"
    chans = ", ".join(widgets.channel_name(c) for c in e.channels)
    tip = f"{e.item_id} · {chans}" + (f" · {t('schedule.past_due')}" if e.past_due else "")
    colour = COLOURS.get(e.channels[0], "#888") if e.channels else "#888"
    late = " late" if e.past_due else ""
    mark = "! " if e.past_due else ""
    return (f'<a class="e{late}" href="item?id={html.escape(e.item_id, quote=True)}" target="_self" '
            f'title="{html.escape(tip, quote=True)}" style="border-left-color:{colour}">'
            f'{mark}{when} {html.escape(e.title or e.item_id)}</a>')


def table_html(found: Sequence[agenda.Entry], view: agenda.View, day: dt.date, today: dt.date) -> str:
    """The grid for ``day``'s month or week with ``found`` on it (the page's only HTML, built from escaped text)."""
    weeks = agenda.grid(view, day)
    days = agenda.by_day(found, weeks)
    head = "".join(f"<th>{t(f'weekday.short.{n}')}</th>" for n in range(7))
    rows = []
    for week in weeks:
        cells = []
        for d in week:
            cls = "other" if view == "month" and d.month != day.month else "today" if d == today else ""
            shown = days[d] if view == "week" else days[d][:MONTH_CELL]
            more = len(days[d]) - len(shown)
            extra = f'<div class="more">{t("schedule.more", n=more)}</div>' if more else ""
            cells.append(f'<td class="{cls}"><div class="d">{d.day}</div>{"".join(map(_entry, shown))}{extra}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    legend = "".join(f'<span><i style="background:{COLOURS[c]}"></i>{html.escape(widgets.channel_name(c))}</span>'
                     for c in sorted({c for e in found for c in e.channels if c in COLOURS}))
    legend += f'<span><i style="background:#c62828"></i>{html.escape(t("schedule.past_due"))}</span>'
    return (f'{_CSS}<div class="sk-legend">{legend}</div>'
            f'<table class="sk-cal {view}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _move(steps: int) -> None:
    view = agenda.view_of(st.session_state.get("w_cal_view"))
    day = st.session_state.get("_cal_day") or dt.datetime.now(session.settings()[0].tz).date()
    st.session_state["_cal_day"] = agenda.shift(view, day, steps) if steps else None


def calendar(items: Sequence[Item], now: dt.datetime) -> list[agenda.Entry]:
    """The calendar with its view switch and previous / today / next; returns the entries it placed."""
    tz = session.settings()[0].tz
    today = now.astimezone(tz).date()
    picked = st.segmented_control(t("schedule.view"), ["month", "week"], key="w_cal_view", default="month",
                                format_func=lambda v: t(f"schedule.view.{v}"), label_visibility="collapsed")
    view = agenda.view_of(picked)
    day = st.session_state.get("_cal_day") or today
    if view == "week":
        first, last = agenda.grid("week", day)[0][0], agenda.grid("week", day)[0][-1]
        title = t("schedule.week_of", first=format_date(first, session.lang()), last=format_date(last, session.lang()))
    else:
        title = format_month(day, session.lang())
    st.markdown(f"**{title}**")
    with st.container(horizontal=True, gap="small"):  # one row on a phone too (columns would stack)
        st.button(t("schedule.prev"), key="w_cal_prev", on_click=_move, args=(-1,), icon=":material/chevron_left:")
        st.button(t("schedule.today"), key="w_cal_today", on_click=_move, args=(0,))
        st.button(t("schedule.next"), key="w_cal_next", on_click=_move, args=(1,), icon=":material/chevron_right:",
                  icon_position="right")
    found = agenda.entries(items, tz, now)
    st.html(table_html(found, view, day, today))
    late = [e for e in found if e.past_due]
    if late:
        st.warning(t("schedule.past_due_n", n=len(late)), icon=":material/schedule:")
    return found


def countdown_line(item: Item, now: dt.datetime) -> None:
    """"Tayang dalam 2 jam 15 menit", or red "Lewat 1 jam tanpa hasil tayang" once the time passed."""
    assert item.publish_at is not None
    minutes = (item.publish_at - now).total_seconds() / 60
    if agenda.past_due(item, now):
        st.badge(t("schedule.overdue", over=format_duration(minutes, session.lang())), color="red",
                 icon=":material/warning:")
    else:
        st.badge(t("schedule.in", left=format_duration(minutes, session.lang())), color="blue",
                 icon=":material/schedule:")
