"""Which messages are due now, derived from the Register, the Log and the working calendar.

Nothing is queued when an action happens: every run works out from the current state who should have been told
what, and the Outbox says what was already done. So a crash between an action and its message loses nothing, a
stale message is never sent (an item taken and decided before the next run produces no "work arrived"), and a
reminder falls due at the right working minute however the runs are spaced.

For the open attempt at each open item's step (attempts as the compliance report counts them, so a rework is a
new attempt):

* **arrived** at once, to the holder of the step, or to everyone with the step's role while nobody holds it
  (leaving out, at a gate, whoever maker-checker would refuse); **returned** instead when the attempt was opened
  by a rejection at a gate (with the reviewer's note);
* **reminder** once ``share`` of the step's limit is used (working time, or calendar time after the scheduled
  moment for the publication) and the limit is not yet passed;
* **breach** once the limit is passed: to the same people, the managers, and at a maker step those who may
  reassign it (the supervisors);
* **publish_problem** for each channel of an item at the last step that failed or is unknown: to the step's role
  (publishers) and those who may reassign it.

Steps, gates, where each action leads and who may act come from a :class:`~sopkit.sop.Procedure` (the agency's
unless told). Each step's limit and working calendar are those of the Settings revision in force when the step
started (``settings.History``), as the desk's countdown and the compliance report judge it, so an admin's new
limit counts from the next step that starts, not for work already under way; a rejection returns where the
revision in force at the rejection said.

And the **digest**, to managers, during each working day (none on weekends, holidays and cuti bersama).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import sop
from ..channels.base import FOR_A_PERSON
from ..clock import WorkCalendar
from ..compliance import compute
from ..schema import LOG_COLUMNS, Item, User
from ..settings import History, Settings
from ..store.columns import log_frame
from ..timeutil import parse_iso
from ..workflow import makers_and_deciders
from .outbox import message_key
from .prefs import Preference, preference_of

DEFAULT_SHARE = 0.75
EPS = 1e-6  # a duration equal to its limit is on time (as the compliance report judges)
#: Order of sending when a run cannot send everything at once: the most urgent first.
PRIORITY = {"breach": 0, "returned": 1, "arrived": 2, "reminder": 3, "publish_problem": 4, "digest": 5}


@dataclass(frozen=True)
class Notice:
    """One person should be told one thing (one message per channel they chose)."""

    kind: str
    recipient: str  # e-mail of the person
    item_id: str = ""
    step: int = 0
    attempt: str = ""  # attempt number; the digest's date; a publish problem's channel and state time
    due_at: dt.datetime | None = None
    deadline: dt.datetime | None = None
    queue: bool = False  # nobody holds the item: sent to everyone with the role
    reviewer: str = ""  # returned: who sent it back (e-mail), and from which step
    from_step: int = 0
    note: str = ""
    channel_name: str = ""  # publish_problem: the channel, its state and the reason
    problem: str = ""
    error: str = ""

    def key(self, channel: str) -> str:
        return message_key(self.kind, self.item_id, self.step, self.attempt, self.recipient, channel)


@dataclass(frozen=True)
class Clock:
    """The open attempt at an item's current step, timed."""

    item: Item
    step: int
    attempt: int
    started: dt.datetime
    deadline: dt.datetime
    used: float  # minutes (working or calendar, per the step's clock)
    limit: int
    remind_at: dt.datetime  # when ``share`` of the limit is used

    @property
    def overdue(self) -> bool:
        return self.used > self.limit + EPS


@dataclass
class Digest:
    day: dt.date
    overdue: tuple[Clock, ...]
    due_today: tuple[Clock, ...]
    previous_day: dt.date | None
    log: Sequence[Mapping[str, str]] = field(repr=False, default=())
    settings: Settings = field(repr=False, default_factory=Settings)
    history: History | None = field(repr=False, default=None)  # the report judges each attempt by its revision
    procedure: sop.Procedure = field(repr=False, default=sop.AGENCY)
    _rates: dict[int, tuple[int, int]] | None = field(default=None, repr=False)

    @property
    def rates(self) -> dict[int, tuple[int, int]]:
        """Step → (on time, finished) on the previous working day, as the compliance report counts them: computed
        only when a digest is written (once a day), not on every run."""
        if self._rates is None:
            self._rates = {}
            if self.previous_day is not None and self.log:
                report = compute(log_frame(self.log, LOG_COLUMNS), self.settings,
                                 as_of=dt.datetime.combine(self.day, dt.time(0), tzinfo=self.settings.tz),
                                 history=self.history, procedure=self.procedure)
                closed = report.closed()
                if len(closed):
                    ended = closed["ended_at"].dt.tz_convert(self.settings.tz).dt.date
                    for step, group in closed[ended == self.previous_day].groupby("step"):
                        self._rates[int(step)] = (int(group["on_time"].sum()), len(group))
        return self._rates


@dataclass(frozen=True)
class Due:
    notices: tuple[Notice, ...]
    clocks: dict[str, Clock]
    digest: Digest | None
    problems: tuple[str, ...]
    calendar: WorkCalendar = field(repr=False)  # the Settings' in force now (the digest's day, chat quiet hours)


class Rules:
    """The Settings revision in force at an instant, each with its working calendar (built once per revision: its
    day table is the costly part; ``calendars`` may be kept across runs)."""

    def __init__(self, history: History, calendars: dict[str, WorkCalendar] | None = None):
        self.history = history
        self.calendars = {} if calendars is None else calendars

    def at(self, when: dt.datetime | None) -> Settings:
        """The Settings in force at ``when`` (None: the latest)."""
        return (self.history.in_force(when) if when is not None else self.history.latest).settings

    def calendar(self, settings: Settings) -> WorkCalendar:
        key = _key(settings)
        if key not in self.calendars:
            while len(self.calendars) >= 16:  # a long-running job: the oldest revisions go first
                self.calendars.pop(next(iter(self.calendars)))
            self.calendars[key] = WorkCalendar(settings)
        return self.calendars[key]


def _key(settings: Settings) -> str:
    return repr(sorted(settings.to_rows().items()))


def holder_of(item: Item, step: int, procedure: sop.Procedure = sop.AGENCY) -> str:
    """Who holds ``step`` of ``procedure`` for the item ("" when nobody, or the step has no holder column)."""
    column = procedure.by_number[step].holder_column
    return str(getattr(item, column)) if column else ""


@dataclass
class _People:
    users: Sequence[User]
    by_email: dict[str, User] = field(init=False)

    def __post_init__(self) -> None:
        self.by_email = {u.email: u for u in self.users}

    def with_role(self, role: str) -> list[str]:
        return [u.email for u in self.users if u.has(role)]


def due_notices(items: Iterable[Item], log: Sequence[Mapping[str, str]], users: Sequence[User], settings: Settings,
                now: dt.datetime, calendar: WorkCalendar | None = None, share: float = DEFAULT_SHARE, *,
                history: History | None = None, procedure: sop.Procedure = sop.AGENCY,
                calendars: dict[str, WorkCalendar] | None = None) -> Due:
    """Every notice due at ``now`` (already sent or not: the Outbox decides that). ``settings`` and ``calendar``
    are those in force now (the digest's working day); ``history``: the Settings revisions, each step judged by
    the one in force when it started (without it, ``settings`` at every instant); ``calendars``: a cache of the
    revisions' calendars a long-running caller keeps."""
    rules = Rules(history or History.of(settings), calendars)
    cal = calendar or rules.calendar(settings)
    rules.calendars.setdefault(_key(settings), cal)
    people = _People(users)
    items = [i for i in items if i.is_open]
    open_ids = {i.id for i in items}
    rows_of: dict[str, list[Mapping[str, str]]] = defaultdict(list)
    for row in log:  # only the open items' rows matter: the others are skipped with one set lookup
        key = row.get("item_id", "")
        if key in open_ids or (key := str(key).strip()) in open_ids:
            rows_of[key].append(row)
    managers = people.with_role("manager")
    notices: list[Notice] = []
    clocks, problems = _clocks(items, rows_of, rules, procedure, now, share)
    for clock in clocks.values():
        item = clock.item
        step = procedure.by_number[item.step]
        handlers, queue = _handlers(item, people, rows_of[item.id], procedure)
        if not handlers:
            problems.append(f"{item.id}: nobody active has the role {step.role} for step {item.step}")
        base: dict[str, Any] = dict(item_id=item.id, step=item.step, attempt=str(clock.attempt),
                                    deadline=clock.deadline, queue=queue)
        arrived_at = item.step_entered_at or clock.started
        opened_by = _last_flow(rows_of[item.id])
        if opened_by and _entered_by(opened_by, procedure, rules, rejection=True) == item.step:
            notices += [Notice("returned", p, due_at=arrived_at, reviewer=str(opened_by.get("actor", "")),
                               from_step=_int(opened_by.get("step")), note=str(opened_by.get("note", "")), **base)
                        for p in handlers]
        else:
            notices += [Notice("arrived", p, due_at=arrived_at, **base) for p in handlers]
        # Whoever may hand the item to someone else (the supervisors): told of a maker's breach, and of a channel
        # that did not publish.
        reassign = procedure.transition("assign", item.step)
        reassigners = [p for r in sorted(reassign.roles) for p in people.with_role(r)] if reassign else []
        if clock.overdue:
            escalate = handlers + managers + (reassigners if item.step in procedure.maker_steps else [])
            notices += [Notice("breach", p, due_at=clock.deadline, **base) for p in dict.fromkeys(escalate)]
        elif clock.remind_at <= now:
            notices += [Notice("reminder", p, due_at=clock.remind_at, **base) for p in handlers]
        if item.step == procedure.last:
            for name, state in item.channel_results.items():
                status = str(state.get("status", ""))
                if status in FOR_A_PERSON:
                    at = _time(state.get("at")) or now
                    notices += [Notice("publish_problem", p, item.id, item.step, f"{name}@{state.get('at', '')}",
                                       due_at=at, channel_name=name, problem=status,
                                       error=str(state.get("error", "") or ""))
                                for p in dict.fromkeys(people.with_role(step.role) + reassigners)]
    digest = _digest(log, settings, clocks, cal, now, rules.history, procedure)
    if digest is not None:
        span = cal.working_day(digest.day)
        notices += [Notice("digest", m, attempt=digest.day.isoformat(), due_at=span[0] if span else now)
                    for m in managers]
    notices.sort(key=lambda n: (PRIORITY[n.kind], n.due_at or now, n.item_id, n.recipient))
    return Due(tuple(notices), clocks, digest, tuple(problems), cal)


def _int(text: object) -> int:
    try:
        return int(float(str(text).strip()))
    except ValueError:
        return 0


def _time(text: object) -> dt.datetime | None:
    try:
        return parse_iso(str(text)) if str(text or "").strip() else None
    except ValueError:
        return None


def _entered_by(row: Mapping[str, str], procedure: sop.Procedure, rules: Rules,
                rejection: bool = False) -> int | None:
    """The step a Log row moved its item into (None: it moved it nowhere new: an edit, a take, a reschedule). A
    rejection goes where the revision in force at the rejection said; ``rejection``: only rejections count."""
    action, at_step = str(row.get("action", "")).strip().lower(), _int(row.get("step"))
    tr = procedure.transition(action, at_step) if at_step in procedure.by_number else None
    if tr is None or tr.to is None or tr.at is None or rejection and not tr.counts_rejection:
        return None
    into = procedure.target(tr, rules.at(_time(row.get("at"))).reject_to if tr.counts_rejection else None)
    return into if tr.creates or into != at_step else None


def _start(item: Item, rows: list[Mapping[str, str]], procedure: sop.Procedure,
           rules: Rules) -> tuple[int, dt.datetime] | None:
    """The open attempt at the item's step and when its clock started, as the compliance report counts attempts
    (each entry into a step is one; a reschedule at the publication is not), from the item's own Log rows in
    append order: cheap enough for every run, where the whole report is not."""
    step = item.step
    entries = 0
    last_schedule: dt.datetime | None = None
    for row in rows:
        if _entered_by(row, procedure, rules) == step:
            entries += 1
        if str(row.get("action", "")).strip().lower() == "schedule":
            last_schedule = _time(row.get("at")) or last_schedule
    started = item.step_entered_at
    if procedure.by_number[step].clock == "calendar" and item.publish_at is not None:
        started = max(t for t in (item.publish_at, last_schedule or started) if t is not None)
    return None if started is None else (max(1, entries), started)


def _clocks(items: list[Item], rows_of: Mapping[str, list[Mapping[str, str]]], rules: Rules,
            procedure: sop.Procedure, now: dt.datetime, share: float) -> tuple[dict[str, Clock], list[str]]:
    """Every open item's clock, each by the Settings revision in force when its step started; the working-time
    ones in three vectorised calendar calls per revision (not three per item)."""
    problems: list[str] = []
    started: list[tuple[Item, int, dt.datetime]] = []
    for item in items:
        found = _start(item, rows_of.get(item.id, []), procedure, rules) if item.step in procedure.by_number \
            else None
        if found is None:
            problems.append(f"{item.id}: step {item.step} has no start time in the Register or the Log; "
                            "no messages about it")
        else:
            started.append((item, *found))
    in_force = rules.history.in_force_at(s[2] for s in started)
    by_rev: dict[int, list[tuple[Item, int, dt.datetime]]] = defaultdict(list)
    for s, rev in zip(started, in_force, strict=True):
        by_rev[id(rev)].append(s)
    revs = {id(r): r.settings for r in in_force}
    clocks: dict[str, Clock] = {}
    for key, group in by_rev.items():
        settings = revs[key]
        working = [s for s in group if procedure.by_number[s[0].step].clock == "working"]
        if working:
            cal = rules.calendar(settings)
            starts = [s[2] for s in working]
            limits = np.array([settings.limit(s[0].step) for s in working], dtype=float)
            used = cal.working_minutes(starts, [now] * len(starts))
            deadlines = cal.add_working_minutes(starts, limits).round("s").to_pydatetime()
            reminds = cal.add_working_minutes(starts, share * limits).round("s").to_pydatetime()
            for (item, attempt, start), u, limit, deadline, remind in zip(working, used, limits, deadlines,
                                                                          reminds, strict=True):
                clocks[item.id] = Clock(item, item.step, attempt, start, deadline, max(0.0, float(u)),
                                        int(limit), remind)
        for item, attempt, start in group:
            if item.id not in clocks:  # the publication: calendar minutes after the scheduled moment
                limit = settings.limit(item.step)
                clocks[item.id] = Clock(item, item.step, attempt, start, start + dt.timedelta(minutes=limit),
                                        max(0.0, (now - start).total_seconds() / 60), limit,
                                        start + dt.timedelta(minutes=share * limit))
    return {i.id: clocks[i.id] for i, _, _ in started}, problems


def _handlers(item: Item, people: _People, rows: list[Mapping[str, str]],
              procedure: sop.Procedure) -> tuple[list[str], bool]:
    """Who works the item's step now: its holder, or everyone with the role who may (the queue): at a gate, not
    the item's makers nor whoever decided at an earlier gate (maker-checker, as the Desk applies it)."""
    holder = holder_of(item, item.step, procedure)
    if holder:
        return [holder], False
    candidates = people.with_role(procedure.by_number[item.step].role)
    if item.step in procedure.gates:
        makers, deciders = makers_and_deciders(rows, item.id, procedure)
        barred = makers | {holder_of(item, s, procedure) for s in procedure.maker_steps}
        for gate in procedure.gates:
            if gate < item.step:
                barred |= deciders.get(gate, set()) | {holder_of(item, gate, procedure)}
        candidates = [p for p in candidates if p not in barred - {""}]
    return candidates, True


def _last_flow(rows: list[Mapping[str, str]]) -> Mapping[str, str] | None:
    for row in reversed(rows):
        if str(row.get("action", "")).strip().lower() in sop.FLOW_ACTIONS:
            return row
    return None


def _digest(log: Sequence[Mapping[str, str]], settings: Settings, clocks: dict[str, Clock], cal: WorkCalendar,
            now: dt.datetime, history: History, procedure: sop.Procedure) -> Digest | None:
    today = now.astimezone(cal.tz).date()
    span = cal.working_day(today)
    if span is None or not span[0] <= now < span[1]:
        return None
    overdue = tuple(sorted((c for c in clocks.values() if c.overdue), key=lambda c: c.deadline))
    due_today = tuple(sorted((c for c in clocks.values() if not c.overdue
                              and c.deadline.astimezone(cal.tz).date() == today), key=lambda c: c.deadline))
    return Digest(today, overdue, due_today, cal.previous_working_day(today), log, settings, history, procedure)


#: Why a message cannot reach its person (i18n ``notify.unreachable.<code>``).
UNREACHABLE = ("no_channel", "no_chat", "inactive", "not_a_user")


@dataclass(frozen=True)
class Outgoing:
    """One message to one person on one channel."""

    key: str
    notice: Notice
    channel: str  # "email" | "telegram" | "none" (nobody to send to)
    address: str  # the e-mail address or Telegram chat id
    lang: str
    name: str
    not_before: dt.datetime
    unreachable: str = ""  # why it cannot be delivered: an ``UNREACHABLE`` code (the outbox and the admin page)


def expand(notices: Iterable[Notice], users: Sequence[User], prefs: Mapping[str, Preference], cal: WorkCalendar,
           now: dt.datetime) -> list[Outgoing]:
    """Each notice as the messages its person chose (kinds, channels, language); chat messages outside working
    hours wait for the next working minute, e-mail goes at once. A person nothing can reach gets one
    ``unreachable`` entry instead, so it is recorded and shown, not skipped."""
    by_email = {u.email: u for u in users}
    chat_time = cal.next_working_moment(now)
    out: list[Outgoing] = []
    for notice in notices:
        user = by_email.get(notice.recipient)
        pref = preference_of(prefs, notice.recipient)
        name = (user.name if user else "") or notice.recipient.split("@")[0]
        if user is None or not user.active:
            why = "inactive" if user else "not_a_user"
            out.append(Outgoing(notice.key("none"), notice, "none", "", pref.lang, name, now, why))
            continue
        if not pref.wants(notice.kind):
            continue
        if not pref.channels:
            out.append(Outgoing(notice.key("none"), notice, "none", "", pref.lang, name, now,
                                "no_channel"))
            continue
        for channel in pref.channels:
            if channel == "telegram":
                if not pref.telegram_chat_id:
                    out.append(Outgoing(notice.key(channel), notice, channel, "", pref.lang, name, now,
                                        "no_chat"))
                    continue
                out.append(Outgoing(notice.key(channel), notice, channel, pref.telegram_chat_id, pref.lang, name,
                                    chat_time))
            else:
                out.append(Outgoing(notice.key(channel), notice, channel, user.email, pref.lang, name, now))
    return out


def unreachable_people(users: Sequence[User], prefs: Mapping[str, Preference]) -> list[tuple[User, str]]:
    """Active users some notification cannot reach, and why (an ``UNREACHABLE`` code; the admin page lists
    them)."""
    out = []
    for user in users:
        if not user.active:
            continue
        pref = preference_of(prefs, user.email)
        if not pref.channels:
            out.append((user, "no_channel"))
        elif "telegram" in pref.channels and not pref.telegram_chat_id:
            out.append((user, "no_chat"))
    return out
