"""The Outbox: every message the notification job handles, as append-only events per message key, and the one
reading of them (:func:`fold`) that decides who may send and what happened.

Why events and a fold, not a status cell per message
----------------------------------------------------
The job runs from cron on one host, in a loop on another, and runs overlap; any of them may die mid-send. The
two stores give different guarantees: SQLite has transactions; Google Sheets has no conditional write at all,
but an append (``appendCells`` in one ``batchUpdate``) is atomic and appends on one spreadsheet are applied one
after the other, so the Outbox's row order is the same for every reader. Writing only appends and deciding only
from their order makes one protocol correct on both: nobody overwrites anybody, and every process that reads the
rows computes the same answer.

The protocol (the publish job's claim / lease / record, ``sopkit.publishing.job``)
-------------------------------------------------------------------------------
1. **Claim.** A run appends ``claim`` rows (its run id, a lease end ``until``) for every message it means to send,
   in one append, then reads the rows of those keys back. A claim counts only if the key was free (or waiting for
   a retry) at that point of the order, or if the claim before it was never started and its lease had run out by
   the new claim's own time. So of two runs claiming the same key, the one appended first wins, on every host.
2. **Start.** Right before handing a message to SMTP or Telegram, the winner appends ``sending`` (together with
   the outcome of the message before, to save Sheets writes). This is the point of no return: a claim that was
   never started can be taken over after its lease (its run died before sending: nothing went out), a started
   one never can. The run only sends if that append returned before ``until − margin`` by its own clock; if it
   returned later, it reads the key back and sends only if its ``sending`` still counts.
3. **Record.** After the attempt the owner appends the outcome: ``sent`` (with the Message-ID or Telegram message
   id), ``failed`` (refused for good: a bad address, a refused recipient, a bot the person blocked), ``retry``
   (transient: ``until`` is the earliest next try), ``recorded`` (no SMTP / bot configured: what would have gone),
   ``unknown`` (the server may have taken it: the answer was lost). Only the owner's outcome counts.
4. **Crashes.** A run that finds a started claim whose lease has run out with no outcome appends ``unknown``: it
   may have gone out, so it is not sent again, and the outbox view shows it with a retry button (``requeue``).

Why no message goes out twice: a key is sent only by the owner of a counted claim that also has a counted
``sending``; a second claim counts only on a free key or over an expired, never-started claim; an expired claim's
owner cannot have sent, because it sends only when its ``sending`` was appended before ``until − margin`` by its
clock, while a takeover's row carries a time after ``until`` by the taker's clock, and the rows are ordered. This
assumes the hosts' clocks differ by less than the margin (2 minutes; NTP keeps them within a second). What is
left is the run that dies after the server took the message and before the outcome row: that message ends
``unknown``, never re-sent blindly (a missing reminder is a nuisance; the same escalation twice to the head of
the agency is worse). E-mail Message-IDs derive from the key, so even a re-send a person asks for threads as
the same message.

Repeating a row changes nothing (a second ``claim`` by the owner, a second outcome, a second ``unknown``), so an
append whose answer was lost may simply be sent again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from ..schema import Row
from ..timeutil import parse_iso, to_iso

DEFAULT_LEASE = dt.timedelta(minutes=10)
#: A run sends only while at least this much of its lease is left (covers clock skew between hosts).
MARGIN = dt.timedelta(minutes=2)


class Event(StrEnum):
    CLAIM = "claim"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"
    RECORDED = "recorded"
    UNKNOWN = "unknown"
    UNREACHABLE = "unreachable"  # nobody to send to: no address for the person on that channel
    REQUEUE = "requeue"  # a person asked for another try (the outbox view's retry button)


class Status(StrEnum):
    FREE = "free"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    RETRY = "retry"
    RECORDED = "recorded"
    UNKNOWN = "unknown"
    UNREACHABLE = "unreachable"


OUTCOMES = {Event.SENT: Status.SENT, Event.FAILED: Status.FAILED, Event.RETRY: Status.RETRY,
            Event.RECORDED: Status.RECORDED, Event.UNKNOWN: Status.UNKNOWN}
#: States a person may hand back to the job (retry button).
REQUEUABLE = frozenset({Status.FAILED, Status.UNKNOWN, Status.RECORDED, Status.UNREACHABLE})


@dataclass(frozen=True)
class Meta:
    """What a row says about its message, for people reading the outbox (copied onto every row)."""

    kind: str = ""
    item_id: str = ""
    recipient: str = ""
    channel: str = ""
    subject: str = ""


@dataclass(frozen=True)
class State:
    """One key as its counted rows leave it."""

    key: str
    status: Status = Status.FREE
    job: str = ""  # the owner of the counted claim
    until: dt.datetime | None = None  # lease end (claimed, sending) or earliest retry (retry)
    attempts: int = 0  # counted claims since the key was new or requeued
    at: dt.datetime | None = None  # time of the last counted row
    sent_at: dt.datetime | None = None
    detail: str = ""  # error, Message-ID or Telegram message id of the last outcome
    meta: Meta = Meta()
    rows: int = 0  # rows of this key, counted or not


def _time(text: Any) -> dt.datetime | None:
    try:
        return parse_iso(str(text)) if str(text or "").strip() else None
    except ValueError:
        return None


def _meta(row: Mapping[str, Any]) -> Meta:
    return Meta(*(str(row.get(c, "") or "") for c in ("kind", "item_id", "recipient", "channel", "subject")))


def step(state: State, row: Mapping[str, Any]) -> State:
    """The state after one more row of its key (the rules of the module docstring)."""
    event, job = str(row.get("event", "")).strip(), str(row.get("job", "")).strip()
    at, until = _time(row.get("at")), _time(row.get("until"))
    meta = _meta(row)
    state = replace(state, rows=state.rows + 1,
                    meta=state.meta if state.meta.kind and not (meta.subject and not state.meta.subject) else meta)
    status = state.status
    if event == Event.CLAIM:
        if status in (Status.FREE, Status.RETRY):
            return replace(state, status=Status.CLAIMED, job=job, until=until, at=at, attempts=state.attempts + 1)
        if status == Status.CLAIMED and job != state.job and _expired(state.until, at):
            return replace(state, status=Status.CLAIMED, job=job, until=until, at=at, attempts=state.attempts + 1)
        return state  # a second claim by the owner, or a claim that lost: changes nothing
    if event == Event.SENDING:
        if status == Status.CLAIMED and job == state.job:
            return replace(state, status=Status.SENDING, at=at)
        return state
    if event in OUTCOMES:
        owner = job == state.job and status in (Status.CLAIMED, Status.SENDING, Status.UNKNOWN)
        crashed = (event == Event.UNKNOWN and status == Status.SENDING and _expired(state.until, at))
        if not (owner or crashed):
            return state
        new = OUTCOMES[Event(event)]
        if status == Status.UNKNOWN and new == Status.UNKNOWN:
            return state
        detail = str(row.get("detail", "") or "")
        return replace(state, status=new, at=at, detail=detail, until=until if new == Status.RETRY else None,
                       sent_at=at if new == Status.SENT else state.sent_at)
    if event == Event.UNREACHABLE:
        if status == Status.FREE:
            return replace(state, status=Status.UNREACHABLE, at=at, detail=str(row.get("detail", "") or ""))
        return state
    if event == Event.REQUEUE:
        if status in REQUEUABLE:
            return replace(state, status=Status.FREE, job="", until=None, attempts=0, at=at,
                           detail=str(row.get("detail", "") or ""))
        return state
    return state  # an unknown event word (a hand edit): ignored


def _expired(until: dt.datetime | None, at: dt.datetime | None) -> bool:
    """Had the lease run out by ``at`` (the time on the later row)? An unreadable lease counts as run out."""
    return at is not None and (until is None or at > until)


def fold(rows: Iterable[Mapping[str, Any]]) -> dict[str, State]:
    """Every key's state from Outbox rows in append order."""
    states: dict[str, State] = {}
    for row in rows:
        key = str(row.get("key", "")).strip()
        if key:
            states[key] = step(states.get(key) or State(key), row)
    return states


Action = Literal["claim", "skip", "unknown"]


def decide(state: State | None, now: dt.datetime) -> tuple[Action, str]:
    """What a run should do with a due message: claim it, leave it, or record a crashed run's send as unknown."""
    if state is None or state.status == Status.FREE:
        return "claim", "due"
    if state.status == Status.RETRY:
        if state.until is None or state.until <= now:
            return "claim", f"retry {state.attempts + 1}"
        return "skip", f"next try at {to_iso(state.until)}"
    if state.status == Status.CLAIMED:
        if _expired(state.until, now):
            return "claim", f"the claim of run {state.job} was never started and its lease ran out"
        return "skip", f"held by run {state.job} until {to_iso(state.until)}"
    if state.status == Status.SENDING:
        if _expired(state.until, now):
            return "unknown", f"run {state.job} started sending and did not finish"
        return "skip", f"being sent by run {state.job}"
    return "skip", str(state.status)


def row(event: Event, key: str, job: str, at: dt.datetime, meta: Meta, *, until: dt.datetime | None = None,
        detail: str = "") -> Row:
    """One Outbox row (``schema.OUTBOX_COLUMNS``)."""
    return {"at": to_iso(at), "key": key, "event": str(event), "job": job, "until": to_iso(until) if until else "",
            "kind": meta.kind, "item_id": meta.item_id, "recipient": meta.recipient, "channel": meta.channel,
            "subject": meta.subject, "detail": detail}


def message_key(kind: str, item_id: str, step_no: int, attempt: str, recipient: str, channel: str) -> str:
    """The stable key of one message: (kind, item, step, attempt, recipient) and the channel it goes by."""
    return "|".join((kind, item_id, str(step_no), attempt, recipient, channel))
