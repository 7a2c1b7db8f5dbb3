"""The notification job's algorithm: work out what is due (``due``), and send each message exactly once through
the Outbox's claim / start / record protocol (``outbox``, whose docstring says why it is safe).

One run reads the store once (a snapshot of Register, Log, Users and Settings; Preferences; Outbox), appends all
its claims in one append, reads the claimed keys back once, then per message appends ``sending`` (with the
previous message's outcome) and sends. On Google Sheets that is 4 reads and N + 2 writes for N messages (the
Outbox read is of its new rows only after the first run of a process), and an idle run costs 3 reads. Given no
``settings`` (as ``run`` does), it takes the SOP settings and their history from that snapshot, at no read of
their own: each step is judged by the revision in force when it started (as the desk's countdown is), so an
admin's new limit counts for the steps that start after the save. It knows no configuration: ``run`` builds the
senders from the secrets file.

A failure never blocks another message: each has its own outcome. A channel that cannot send at all (SMTP login
refused, server down) is not tried again in the same run; its messages are recorded for a retry with backoff
(1, 2, 4, 8 minutes), and after ``max_attempts`` tries they are recorded as failed.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .. import sop
from ..channels.base import OutcomeUnknown, PermanentError
from ..clock import WorkCalendar
from ..i18n import DEFAULT_LANG, t
from ..publishing.job import host_name
from ..retry import Backoff, RetriesExhausted, TransientError, call_with_retry
from ..schema import Row, User
from ..settings import History, Settings, from_rows, history_from_rows
from ..store.base import Store
from ..timeutil import DEFAULT_TIMEZONE, Now, server_now, to_iso, use_zone
from .due import DEFAULT_SHARE, Due, Outgoing, due_notices, expand
from .messages import Context, Letter, render
from .outbox import DEFAULT_LEASE, MARGIN, Event, Meta, State, Status, decide, fold, row
from .prefs import PEOPLE_CHANNELS, Preference, read_preferences
from .smtp import ChannelDown, Unreachable
from .telegram import TelegramSender, link_chats

DEFAULT_MAX_ATTEMPTS = 5
#: Retries inside one attempt (a 429 or a dropped connection), before the attempt is recorded as "retry".
SEND_BACKOFF = Backoff(tries=3, base=1.0, cap=8.0, max_retry_after=30.0)
UNKNOWN_TEXT = "unknown — it may have been delivered; check with the recipient before sending again"

Say = Callable[[str], None]


class Sender(Protocol):
    channel: str

    def send(self, out: Outgoing, letter: Letter) -> str:
        """Deliver once; returns an id for the record. Raises TransientError, PermanentError, OutcomeUnknown or
        ChannelDown."""
        ...

    def close(self) -> None: ...


def new_job_id(host: str | None = None) -> str:
    return f"notify@{host or host_name()}:{os.getpid()}:{secrets.token_hex(3)}"


def retry_delay(attempts: int) -> dt.timedelta:
    """Minutes to wait before the next attempt: 1, 2, 4, 8, … at most 60."""
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


@dataclass
class RunReport:
    sent: int = 0
    recorded: int = 0  # no sender configured: what would have been sent is in the outbox
    failed: int = 0
    retry: int = 0
    unknown: int = 0
    unreachable: int = 0
    waiting: int = 0  # chat messages waiting for working hours
    held: int = 0  # claimed by another run, or left for the next run
    linked: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.retry or self.errors)

    def summary(self, lang: str = DEFAULT_LANG) -> str:
        return t("run.notify_done", lang, sent=self.sent, recorded=self.recorded, failed=self.failed,
                 retry=self.retry, unknown=self.unknown, unreachable=self.unreachable, waiting=self.waiting,
                 held=self.held, errors=len(self.errors))


@dataclass(frozen=True)
class World:
    """One read of everything the job decides from."""

    now: dt.datetime
    users: tuple[User, ...]
    prefs: dict[str, Preference]
    due: Due
    outgoing: tuple[Outgoing, ...]
    states: dict[str, State]
    context: Context


class NotifyJob:
    """One notification run over a store: :meth:`run` sends, :meth:`plan` only says what it would send."""

    def __init__(self, store: Store, settings: Settings | None, senders: Mapping[str, Sender],
                 unavailable: Mapping[str, str] | None = None, *, base_url: str = "http://127.0.0.1:8501",
                 share: float = DEFAULT_SHARE, now: Now = server_now, job_id: str | None = None,
                 lease: dt.timedelta = DEFAULT_LEASE, margin: dt.timedelta = MARGIN,
                 backoff: Backoff = SEND_BACKOFF, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None, say: Say = print,
                 calendar: WorkCalendar | None = None, default_timezone: str = DEFAULT_TIMEZONE,
                 procedure: sop.Procedure | None = None):
        self.store = store
        self.settings = settings  # None: the SOP settings of each run's snapshot (no read of their own)
        # None: the store's SOP
        self.procedure: sop.Procedure = procedure or getattr(store, "procedure", None) or sop.AGENCY
        self.calendars: dict[str, WorkCalendar] = {}  # each Settings revision's, kept from run to run
        self.default_timezone = default_timezone
        self.senders = dict(senders)
        self.unavailable = {c: f"no {c} sender configured" for c in PEOPLE_CHANNELS if c not in self.senders}
        self.unavailable.update(unavailable or {})
        self.base_url = base_url
        self.share = share
        self.clock = now
        self.job_id = job_id or new_job_id()
        self.lease, self.margin = lease, margin
        self.backoff, self.max_attempts = backoff, max_attempts
        self.sleep, self.rng, self.say = sleep, rng or random.Random(), say
        self.calendar = calendar or (WorkCalendar(settings) if settings is not None else None)
        self.report = RunReport()

    def now(self) -> dt.datetime:
        return self.clock().replace(microsecond=0)  # as the rows store it: lease comparisons see what is stored

    # -- reading -----------------------------------------------------------------------------------------------
    def read(self, link: bool = False) -> World:
        now = self.now()
        # Register, Log, Users and Settings with their history, of one moment (one read on Google Sheets)
        snapshot = self.store.read_snapshot(with_sessions=False)
        register, log, users = snapshot.register, snapshot.log, list(snapshot.users)
        if self.settings is None or self.calendar is None:  # as an admin saved them by this run's one read
            settings, problems = from_rows(snapshot.settings, self.default_timezone, self.procedure)
            history = history_from_rows(snapshot.settings_history, snapshot.settings, self.default_timezone,
                                        self.procedure)
            for problem in (*problems, *history.problems):
                self.say(f"warning: settings: {problem}")
            calendar = None
        else:
            settings, calendar, history = self.settings, self.calendar, History.of(self.settings)
        use_zone(settings.tz)  # every stamp of this run in the Settings' zone
        prefs, unread = read_preferences(self.store.read_preferences())
        for unreadable in unread:
            self.say(f"warning: {unreadable}")
        telegram = self.senders.get("telegram")
        if link and isinstance(telegram, TelegramSender):
            before = {e: p.telegram_chat_id for e, p in prefs.items()}
            prefs = link_chats(telegram, self.store, users, prefs, self.say)
            self.report.linked = sum(p.telegram_chat_id != before.get(e, "") for e, p in prefs.items())
        due = due_notices(register.items, log, users, settings, now, calendar, self.share, history=history,
                          procedure=self.procedure, calendars=self.calendars)
        for problem in due.problems:
            self.say(f"warning: {problem}")
        outgoing = expand(due.notices, users, prefs, due.calendar, now)
        states = fold(self.store.read_outbox())
        context = Context(register.by_id(), {u.email: u for u in users}, settings, self.base_url, self.share,
                          due.clocks, due.digest, self.procedure)
        return World(now, tuple(users), prefs, due, tuple(outgoing), states, context)

    # -- dry run -----------------------------------------------------------------------------------------------
    def plan(self) -> list[str]:
        """One line per message that a run would send now or soon; sends and writes nothing."""
        world = self.read()
        lines = []
        for out in world.outgoing:
            state = world.states.get(out.key)
            subject = self._subject(out, world.context)
            who = f"{out.notice.kind} to {out.name} by {out.channel}: {subject}"
            if out.unreachable:
                if state is None or state.status == Status.FREE:
                    why = t(f"notify.unreachable.{out.unreachable}", "en")
                    lines.append(f"would record as unreachable: {who} ({why})")
                continue
            if out.not_before > world.now:
                if state is None or state.status == Status.FREE:
                    lines.append(f"would wait until {to_iso(out.not_before)}: {who}")
                continue
            action, reason = decide(state, world.now)
            if action == "claim":
                how = f"would record ({self.unavailable[out.channel]})" if out.channel in self.unavailable \
                    else "would send"
                lines.append(f"{how}: {who} [{out.key}]")
            elif action == "unknown":
                lines.append(f"would mark unknown: {who} ({reason})")
        return lines

    def _subject(self, out: Outgoing, ctx: Context) -> str:
        try:
            return render(out, ctx).subject
        except (KeyError, ValueError) as e:
            return f"(cannot be written: {e})"

    # -- run -----------------------------------------------------------------------------------------------------
    def run(self) -> RunReport:
        self.report = RunReport()
        try:
            world = self.read(link=True)
            first, claims = self._sort(world)
            until = world.now + self.lease
            letters = {o.key: self._letter(o, world.context) for o in claims}
            first += [row(Event.CLAIM, o.key, self.job_id, world.now, _meta(o, letters[o.key]), until=until)
                      for o in claims]
            self.store.append_outbox(first)
            if claims:
                self._send(claims, letters, until)
        finally:
            for sender in self.senders.values():
                sender.close()
        return self.report

    def _sort(self, world: World) -> tuple[list[Row], list[Outgoing]]:
        """The rows to append before claiming (crashed sends, people nobody can reach) and what to claim."""
        now = world.now
        first: list[Row] = []
        claims: list[Outgoing] = []
        crashed = set()
        for key, state in world.states.items():  # a run that died mid-send, whatever the hour and still due or not
            action, reason = decide(state, now)
            if action == "unknown":
                crashed.add(key)
                first.append(row(Event.UNKNOWN, key, self.job_id, now, state.meta, detail=f"{UNKNOWN_TEXT}: {reason}"))
                self.report.unknown += 1
                self.say(f"unknown: {state.meta.kind} for {state.meta.recipient} by {state.meta.channel}: {reason}")
        for out in world.outgoing:
            known = world.states.get(out.key)
            if out.key in crashed:
                continue
            if out.unreachable:
                if known is None or known.status == Status.FREE:
                    first.append(row(Event.UNREACHABLE, out.key, self.job_id, now, _meta(out),
                                     detail=out.unreachable))
                    self.report.unreachable += 1
                    self.say(f"unreachable: {out.notice.kind} for {out.name}: "
                             f"{t(f'notify.unreachable.{out.unreachable}', 'en')}")
                continue
            if out.not_before > now:
                if known is None or known.status in (Status.FREE, Status.RETRY):
                    self.report.waiting += 1
                continue
            action, _ = decide(known, now)
            if action == "claim":
                claims.append(out)
            elif known is not None and known.status in (Status.CLAIMED, Status.SENDING):
                self.report.held += 1
            elif known is not None and known.status == Status.RETRY:
                self.report.retry += 1
        return first, claims

    def _send(self, claims: list[Outgoing], letters: Mapping[str, Letter | str], until: dt.datetime) -> None:
        """Read the claims back; send those this run won, one by one, each outcome appended with the next start."""
        mine = fold(self.store.read_outbox([o.key for o in claims]))
        pending: list[Row] = []
        down: dict[str, str] = {}
        try:
            for out in claims:
                state = mine.get(out.key)
                if state is None or state.status != Status.CLAIMED or state.job != self.job_id:
                    self.report.held += 1
                    self.say(f"{out.key}: claimed first by run {state.job if state else '?'}; left to it")
                    continue
                pending = self._one(out, state, until, letters[out.key], pending, down)
        except Exception:
            self._flush(pending)
            raise
        self._flush(pending)

    def _flush(self, rows: Sequence[Row]) -> None:
        if rows:
            self.store.append_outbox(rows)

    def _letter(self, out: Outgoing, ctx: Context) -> Letter | str:
        """The message's words, or why it cannot be written (an item gone from the Register meanwhile)."""
        try:
            return render(out, ctx)
        except (KeyError, ValueError) as e:
            return f"cannot be written: {e}"

    def _one(self, out: Outgoing, state: State, until: dt.datetime, letter: Letter | str, pending: list[Row],
             down: dict[str, str]) -> list[Row]:
        """Send one claimed message; returns the rows still to append (its outcome)."""
        meta = _meta(out, letter)
        now = self.now()
        if now > until - self.margin:
            self.report.held += 1
            self.say(f"{out.key}: the run's lease is nearly over; left for the next run")
            return pending
        if isinstance(letter, str):
            self.report.failed += 1
            return [*pending, row(Event.FAILED, out.key, self.job_id, now, meta, detail=letter)]
        who = f"{out.notice.kind} to {out.name} by {out.channel}: {letter.subject}"
        if out.channel in self.unavailable:
            self.report.recorded += 1
            self.say(f"recorded (not sent: {self.unavailable[out.channel]}): {who}")
            return [*pending, row(Event.RECORDED, out.key, self.job_id, now, meta,
                                  detail=f"not sent: {self.unavailable[out.channel]}")]
        if out.channel in down:
            return [*pending, self._retry_or_fail(out, state, meta, down[out.channel])]
        self.store.append_outbox([*pending, row(Event.SENDING, out.key, self.job_id, now, meta)])
        if self.now() > until - self.margin:  # the append was slow: send only if our start still counts
            check = fold(self.store.read_outbox([out.key])).get(out.key)
            if check is None or check.status != Status.SENDING or check.job != self.job_id:
                self.report.held += 1
                self.say(f"{out.key}: another run took it over while this one was slow; left to it")
                return []
        sender = self.senders[out.channel]
        try:
            detail = call_with_retry(lambda: sender.send(out, letter), self.backoff, sleep=self.sleep, rng=self.rng)
        except PermanentError as e:
            self.report.failed += 1
            self.say(f"failed: {who}: {e}")
            return [row(Event.FAILED, out.key, self.job_id, self.now(), meta, detail=str(e))]
        except ChannelDown as e:
            down[out.channel] = str(e)
            self.say(f"error: {out.channel} cannot send now: {e}")
            return [self._retry_or_fail(out, state, meta, str(e))]
        except RetriesExhausted as e:
            if isinstance(e.last, Unreachable):
                down[out.channel] = str(e.last)
            return [self._retry_or_fail(out, state, meta, str(e.last))]
        except TransientError as e:
            return [self._retry_or_fail(out, state, meta, str(e))]
        except OutcomeUnknown as e:
            self.report.unknown += 1
            self.say(f"unknown: {who}: {e}")
            return [row(Event.UNKNOWN, out.key, self.job_id, self.now(), meta, detail=f"{UNKNOWN_TEXT}: {e}")]
        except Exception as e:  # a bug or an unexpected library error mid-send: it may have gone out
            self.report.unknown += 1
            self.report.errors.append(f"{out.key}: {type(e).__name__}: {e}")
            self.say(f"error: {who}: {type(e).__name__}: {e}")
            return [row(Event.UNKNOWN, out.key, self.job_id, self.now(), meta,
                        detail=f"{UNKNOWN_TEXT}: {type(e).__name__}: {e}")]
        self.report.sent += 1
        self.say(f"sent: {who}")
        return [row(Event.SENT, out.key, self.job_id, self.now(), meta, detail=detail)]

    def _retry_or_fail(self, out: Outgoing, state: State, meta: Meta, reason: str) -> Row:
        now = self.now()
        if state.attempts >= self.max_attempts:
            self.report.failed += 1
            self.say(f"failed after {state.attempts} tries: {out.key}: {reason}")
            return row(Event.FAILED, out.key, self.job_id, now, meta,
                       detail=f"gave up after {state.attempts} tries: {reason}")
        self.report.retry += 1
        later = now + retry_delay(state.attempts)
        self.say(f"retry at {to_iso(later)}: {out.key}: {reason}")
        return row(Event.RETRY, out.key, self.job_id, now, meta, until=later, detail=reason)


def _meta(out: Outgoing, letter: Letter | str = "") -> Meta:
    subject = letter.subject if isinstance(letter, Letter) else ""
    return Meta(out.notice.kind, out.notice.item_id, out.notice.recipient, out.channel, subject)


def requeue(store: Store, admin: User, key: str, now: Now = server_now) -> State:
    """The outbox view's retry button: hand a failed, unknown, recorded or unreachable message back to the job,
    which sends it on its next run if it is still due. Raises ValueError for a key in any other state."""
    state = fold(store.read_outbox([key])).get(key)
    if state is None or state.status not in (Status.FAILED, Status.UNKNOWN, Status.RECORDED, Status.UNREACHABLE):
        raise ValueError(f"{key} is {state.status if state else 'not in the outbox'}; only failed, unknown, "
                         "recorded or unreachable messages can be sent again")
    at = now().replace(microsecond=0)
    store.append_outbox([row(Event.REQUEUE, key, f"desk:{admin.email}", at, state.meta,
                             detail=f"handed back by {admin.email}")])
    return fold(store.read_outbox([key]))[key]
