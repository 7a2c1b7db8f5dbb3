"""The words of each message, in the person's language: one :class:`Letter` rendered as plain text, as HTML (for
e-mail) and as a chat message (Telegram).

People are named, never shown as e-mail addresses; times are the agency's (``Rabu 2 Des 2026 10.30 WIB``); every
value staff typed (titles, summaries, notes) is escaped in the HTML part, so a title cannot inject markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from .. import i18n, sop
from ..i18n import format_day_time, format_time, format_weekday_date, t
from ..schema import Item, User
from ..settings import Settings
from .due import Clock, Digest, Notice, Outgoing, holder_of

DIGEST_LINES = 15  # per list; the rest is counted
SUMMARY_CHARS = 200
BRAND = "SOP Konten · Dinas Perhubungan Prov. Kalbar"


@dataclass(frozen=True)
class Letter:
    subject: str
    greeting: str
    lead: str
    facts: tuple[tuple[str, str], ...] = ()
    lists: tuple[tuple[str, tuple[str, ...]], ...] = ()
    link: str = ""
    link_label: str = ""
    footer: str = ""
    lang: str = "id"

    def text(self) -> str:
        parts = [self.greeting, "", self.lead]
        if self.facts:
            parts += ["", *(f"{label}: {value}" for label, value in self.facts)]
        for title, lines in self.lists:
            parts += ["", f"{title}:", *(f"- {line}" for line in lines)]
        if self.link:
            parts += ["", f"{self.link_label}: {self.link}"]
        if self.footer:
            parts += ["", "-- ", self.footer]
        return "\n".join(parts) + "\n"

    def chat(self) -> str:
        """For Telegram: the subject first, no greeting or footer (a chat already says who it is for)."""
        parts = [self.subject, "", self.lead]
        parts += [f"{label}: {value}" for label, value in self.facts]
        for title, lines in self.lists:
            parts += ["", f"{title}:", *(f"• {line}" for line in lines)]
        if self.link:
            parts += ["", self.link]
        return "\n".join(parts)

    def html(self) -> str:
        e = html.escape
        facts = "".join(
            f'<tr><th scope="row" style="text-align:left;vertical-align:top;padding:4px 12px 4px 0;color:#555;'
            f'font-weight:600;white-space:nowrap">{e(label)}</th><td style="padding:4px 0">{e(value)}</td></tr>'
            for label, value in self.facts)
        lists = "".join(
            f'<h2 style="font-size:15px;margin:20px 0 6px">{e(title)}</h2><ul style="margin:0;padding-left:20px">'
            + "".join(f'<li style="margin:3px 0">{e(line)}</li>' for line in lines) + "</ul>"
            for title, lines in self.lists)
        button = (f'<p style="margin:24px 0 8px"><a href="{e(self.link)}" style="background:#0b5394;color:#fff;'
                  f'padding:10px 18px;border-radius:6px;text-decoration:none;font-weight:600;display:inline-block">'
                  f'{e(self.link_label)}</a></p><p style="margin:0;font-size:12px;color:#666">'
                  f'<a href="{e(self.link)}" style="color:#0b5394">{e(self.link)}</a></p>') if self.link else ""
        return (
            f'<!DOCTYPE html><html lang="{e(self.lang)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{e(self.subject)}</title></head>'
            '<body style="margin:0;padding:0;background:#eef1f5;font-family:Arial,Helvetica,sans-serif;'
            'color:#1f2933;font-size:15px;line-height:1.5">'
            '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#eef1f5">'
            '<tr><td align="center" style="padding:24px 12px">'
            '<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;'
            'width:100%;background:#ffffff;border-radius:8px;border-top:6px solid #0b5394">'
            '<tr><td style="padding:24px 28px">'
            f'<p style="margin:0 0 4px;font-size:12px;color:#0b5394;font-weight:600;letter-spacing:.3px">'
            f'{e(BRAND)}</p>'
            f'<h1 style="margin:0 0 18px;font-size:20px;line-height:1.3">{e(self.subject)}</h1>'
            f'<p style="margin:0 0 10px">{e(self.greeting)}</p><p style="margin:0 0 14px">{e(self.lead)}</p>'
            + (f'<table role="presentation" cellpadding="0" cellspacing="0" style="border-collapse:collapse">'
               f'{facts}</table>' if facts else "")
            + lists + button
            + '</td></tr>'
            + (f'<tr><td style="padding:14px 28px;border-top:1px solid #e3e7ec;font-size:12px;color:#66707a">'
               f'{e(self.footer)}</td></tr>' if self.footer else "")
            + '</table></td></tr></table></body></html>')


@dataclass(frozen=True)
class Context:
    """What rendering reads besides the message itself."""

    items: Mapping[str, Item]
    users: Mapping[str, User]
    settings: Settings
    base_url: str
    share: float
    clocks: Mapping[str, Clock]
    digest: Digest | None = None
    procedure: sop.Procedure = sop.AGENCY  # whose steps the notices name

    def step(self, number: int) -> sop.Step:
        return self.procedure.by_number[number]

    def step_title(self, number: int, lang: str) -> str:
        return i18n.step_title(self.step(number), lang)

    def name(self, email: str) -> str:
        user = self.users.get(email)
        return (user.name if user else "") or email.split("@")[0]

    def link(self, page: str, **query: str) -> str:
        return f"{self.base_url.rstrip('/')}/{page}" + (f"?{urlencode(query)}" if query else "")


def duration(minutes: float, lang: str) -> str:
    """``1 jam 15 menit`` / ``1 h 15 min``; at least one minute."""
    total = max(1, int(round(minutes)))
    h, m = divmod(total, 60)
    if not h:
        return t("notify.minutes", lang, m=m)
    return t("notify.hours", lang, h=h) if not m else t("notify.hours_minutes", lang, h=h, m=m)


def one_line(text: str, limit: int = SUMMARY_CHARS) -> str:
    line = re.sub(r"\s+", " ", text or "").strip()
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def role_title(role: str, lang: str) -> str:
    return i18n.role_title(role, lang)


def render(out: Outgoing, ctx: Context) -> Letter:
    n, lang = out.notice, out.lang
    footer = t("notify.footer", lang, url=ctx.link("notifications"))
    greeting = t("notify.greeting", lang, name=out.name)
    if n.kind == "digest":
        return _digest(n, lang, ctx, greeting, footer)
    item = ctx.items.get(n.item_id)
    if item is None:
        raise KeyError(f"item {n.item_id} is no longer in the Register")
    tz = ctx.settings.tz
    step, title = ctx.step_title(n.step, lang), one_line(item.title, 120)
    due = t("notify.due", lang, deadline=format_day_time(n.deadline, lang, tz))
    clock = ctx.clocks.get(item.id)
    values = dict(n=n.step, step=step, due=due, title=title)
    if n.kind == "arrived" and n.queue:
        lead = t("notify.lead.queue", lang, role=role_title(ctx.step(n.step).role, lang), **values)
    elif n.kind == "arrived":
        lead = t("notify.lead.arrived", lang, **values)
    elif n.kind == "returned":
        lead = t("notify.lead.returned", lang, reviewer=ctx.name(n.reviewer), from_n=n.from_step,
                 from_step=ctx.step_title(n.from_step, lang), due=due)
    elif n.kind == "reminder":
        used, left = (clock.used, clock.limit - clock.used) if clock else (0.0, 0.0)
        share = int(used * 100 / clock.limit) if clock and clock.limit else round(ctx.share * 100)
        lead = t("notify.lead.reminder", lang, share=share, left=duration(left, lang), **values)
    elif n.kind == "breach":
        over = (clock.used - clock.limit) if clock else 0
        lead = t("notify.lead.breach", lang, over=duration(over, lang), **values)
    elif n.kind == "publish_problem":
        state = t(f"notify.state.{n.problem}", lang) if n.problem in ("failed", "unknown") else n.problem
        lead = t("notify.lead.publish_problem", lang, channel=n.channel_name, state=state,
                 error=one_line(n.error, 400) or "—")
    else:
        raise ValueError(f"unknown kind {n.kind}")
    subject = t(f"notify.subject.{n.kind}", lang, step=step, title=title, channel=n.channel_name)
    facts = [(t("notify.fact.title", lang), one_line(item.title, 300))]
    if item.summary.strip():
        facts.append((t("notify.fact.summary", lang), one_line(item.summary)))
    if n.kind == "returned" and n.note:
        facts.append((t("notify.fact.note", lang), one_line(n.note, 1000)))
    holder = holder_of(item, item.step, ctx.procedure)
    facts.append((t("notify.fact.holder", lang), ctx.name(holder) if holder else t(
        "notify.fact.nobody", lang, role=role_title(ctx.step(item.step).role, lang))))
    if ctx.step(item.step).clock == "calendar" and item.publish_at:
        facts.append((t("notify.fact.publish_at", lang), format_day_time(item.publish_at, lang, tz)))
    if item.channels:
        facts.append((t("notify.fact.channels", lang), ", ".join(item.channels)))
    if n.attempt.isdigit() and int(n.attempt) > 1:
        facts.append((t("notify.fact.attempt", lang), n.attempt))
    lists = []
    if n.kind in ("arrived", "reminder") and ctx.step(n.step).name in CHECKLISTS:
        lists.append((t("notify.check", lang), checklist(ctx.step(n.step).name, item, lang)))
    return Letter(subject, greeting, lead, tuple(facts), tuple(lists), ctx.link("item", id=item.id),
                  t("notify.open", lang), footer, lang)


#: What the reviewer at each gate the SOP describes checks (i18n ``notify.check.<step>.<point>``); a gate not
#: listed (one added to a copy of the procedure) gets no list.
CHECKLISTS: dict[str, tuple[str, ...]] = {
    "verification": ("facts", "reading", "language", "media"),
    "approval": ("verified", "channels", "exempt"),
}


def checklist(step: str, item: Item, lang: str) -> tuple[str, ...]:
    """What the reviewer at the step called ``step`` checks, from the SOP."""
    channels = ", ".join(item.channels) or "—"
    return tuple(t(f"notify.check.{step}.{point}", lang, channels=channels) for point in CHECKLISTS[step])


def _digest(n: Notice, lang: str, ctx: Context, greeting: str, footer: str) -> Letter:
    d = ctx.digest
    if d is None:
        raise ValueError("no digest today")
    tz = ctx.settings.tz

    def who(c: Clock) -> str:
        holder = holder_of(c.item, c.step, ctx.procedure)
        return ctx.name(holder) if holder else t("notify.fact.nobody", lang,
                                                  role=role_title(ctx.step(c.step).role, lang))

    def capped(lines: list[str]) -> tuple[str, ...]:
        if not lines:
            return (t("notify.digest.none", lang),)
        extra = len(lines) - DIGEST_LINES
        return tuple(lines[:DIGEST_LINES]) + ((t("notify.digest.more", lang, n=extra),) if extra > 0 else ())

    overdue = [t("notify.digest.over_item", lang, title=one_line(c.item.title, 90), n=c.step,
                 over=duration(c.used - c.limit, lang), who=who(c)) for c in d.overdue]
    today = [t("notify.digest.due_item", lang, title=one_line(c.item.title, 90), n=c.step,
               at=format_time(c.deadline, lang, tz).split(" ", 3)[-1], who=who(c)) for c in d.due_today]
    rates = []
    for s in ctx.procedure.by_number:
        on, total = d.rates.get(s, (0, 0))
        rates.append(t("notify.digest.rate", lang, n=s, step=ctx.step_title(s, lang), on=on, total=total,
                       pct=round(100 * on / total)) if total else
                     t("notify.digest.rate_none", lang, n=s, step=ctx.step_title(s, lang)))
    lists = [(t("notify.digest.overdue", lang, n=len(overdue)), capped(overdue)),
             (t("notify.digest.due_today", lang, n=len(today)), capped(today))]
    if d.previous_day is not None:
        lists.append((t("notify.digest.rates", lang, day=format_weekday_date(d.previous_day, lang)), tuple(rates)))
    subject = t("notify.subject.digest", lang, date=format_weekday_date(d.day, lang))
    return Letter(subject, greeting, t("notify.lead.digest", lang), (), tuple(lists), ctx.link("compliance"),
                  t("notify.open_compliance", lang), footer, lang)
